using System;
using System.Collections.Generic;
using System.Linq;
using Npgsql;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// The schema migration version as the application's migration tool recorded it: EF Core's __EFMigrationsHistory (the
/// newest MigrationId, ids sort by their timestamp prefix), schema_migrations (Rails, golang-migrate: the greatest
/// version) or flyway_schema_history (the last successful versioned migration by installed_rank).
/// </summary>
internal static class MigrationHistory
{
    private static readonly Dictionary<string, string> Queries = new(StringComparer.Ordinal)
    {
        ["__EFMigrationsHistory"] = "SELECT \"MigrationId\"::text FROM {0} ORDER BY \"MigrationId\" DESC LIMIT 1",
        ["schema_migrations"] = "SELECT version::text FROM {0} ORDER BY version DESC LIMIT 1",
        ["flyway_schema_history"] = "SELECT version::text FROM {0} WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1",
    };

    // Every applied migration, oldest first, in the order the tool applied them.
    private static readonly Dictionary<string, string> AppliedQueries = new(StringComparer.Ordinal)
    {
        ["__EFMigrationsHistory"] = "SELECT \"MigrationId\"::text FROM {0} ORDER BY \"MigrationId\"",
        ["schema_migrations"] = "SELECT version::text FROM {0} ORDER BY version",
        ["flyway_schema_history"] = "SELECT version::text FROM {0} WHERE success AND version IS NOT NULL ORDER BY installed_rank",
    };

    public static IReadOnlyCollection<string> KnownTables => Queries.Keys;

    public static TableName Validate(TableName table) =>
        Queries.ContainsKey(table.Name)
            ? table
            : throw DatabaseSettings.Invalid($"the migration history table '{table}' is none this kind reads ({string.Join(", ", KnownTables)})");

    /// <summary>
    /// The table to read in the connected database: the configured one (PostgreSqlMigrationHistoryMissing when absent),
    /// else the first known table found in the public schema; null when there is none to read.
    /// </summary>
    public static TableName? Find(NpgsqlConnection connection, TableName? configured, string where)
    {
        if (configured is not null)
        {
            return Exists(connection, configured)
                ? configured
                : throw new RollbackException(PostgreSqlErrorId.PostgreSqlMigrationHistoryMissing, RollbackErrorCategory.ObjectNotFound,
                    $"The migration history table '{configured}' is not in {where}.", where);
        }

        return KnownTables.Select(name => TableName.Parse(name, DatabaseSettings.MigrationHistoryTableSetting)).FirstOrDefault(t => Exists(connection, t));
    }

    /// <summary>The newest applied migration in <paramref name="table"/>, or "(none)" when the table is empty.</summary>
    public static string Read(NpgsqlConnection connection, TableName table)
    {
        using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, Queries[table.Name], table.Quoted), connection);
        return command.ExecuteScalar() as string ?? "(none)";
    }

    /// <summary>Every applied migration in <paramref name="table"/>, oldest first.</summary>
    public static IReadOnlyList<string> Applied(NpgsqlConnection connection, TableName table)
    {
        using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, AppliedQueries[table.Name], table.Quoted), connection);
        using var reader = command.ExecuteReader();
        var applied = new List<string>();
        while (reader.Read())
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }

    public static bool Exists(NpgsqlConnection connection, TableName table)
    {
        using var command = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection);
        command.Parameters.AddWithValue("name", table.Quoted);
        return command.ExecuteScalar() is true;
    }
}
