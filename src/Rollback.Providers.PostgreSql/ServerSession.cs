using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Npgsql;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// Connections to a target's server, opened as its settings say (no pooling: a database is renamed or dropped right
/// after, and a pooled idle connection would hold it), with every failure turned into the kind's ErrorIds.
/// </summary>
internal sealed class ServerSession
{
    private const string ApplicationName = "Rollback";

    public ServerSession(DatabaseSettings settings)
    {
        Settings = settings;
    }

    public DatabaseSettings Settings { get; }

    /// <summary>Opens a connection to <paramref name="database"/> (the live one when null); Ctrl+C ends a slow connect.</summary>
    public NpgsqlConnection Open(CancellationToken cancellation, string? database = null, string doing = "connect to")
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Settings.Host,
            Port = Settings.Port,
            Database = database ?? Settings.Database,
            SslMode = Settings.SslMode switch
            {
                "disable" => SslMode.Disable,
                "allow" => SslMode.Allow,
                "require" => SslMode.Require,
                "verify-ca" => SslMode.VerifyCA,
                "verify-full" => SslMode.VerifyFull,
                _ => SslMode.Prefer,
            },
            Pooling = false,
            Timeout = 15,
            CommandTimeout = 0,
            ApplicationName = ApplicationName,
        };
        if (Settings.User is not null)
        {
            builder.Username = Settings.User;
        }

        if (Settings.PassFile is not null)
        {
            builder.Passfile = Settings.PassFile;
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            connection.OpenAsync(cancellation).GetAwaiter().GetResult();
            return connection;
        }
        catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex) && !cancellation.IsCancellationRequested)
        {
            connection.Dispose();
            throw PostgreSqlFailures.Map(ex, Settings, doing, database);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens the maintenance database (postgres), for what is done to the live database from outside it.</summary>
    public NpgsqlConnection OpenMaintenance(CancellationToken cancellation) => Open(cancellation, Settings.MaintenanceDatabase);

    public static void Execute(NpgsqlConnection connection, string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQueryAsync(cancellation).GetAwaiter().GetResult();
    }

    public static object? Scalar(NpgsqlConnection connection, string sql, CancellationToken cancellation, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        var value = command.ExecuteScalarAsync(cancellation).GetAwaiter().GetResult();
        return value is DBNull ? null : value;
    }

    /// <summary>Row counts of <paramref name="tables"/> in the connected database (PostgreSqlKeyTableMissing for one that is not there).</summary>
    public static SortedDictionary<string, long> RowCounts(NpgsqlConnection connection, IReadOnlyList<TableName> tables, string where, CancellationToken cancellation)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            if (!MigrationHistory.Exists(connection, table))
            {
                throw new RollbackException(PostgreSqlErrorId.PostgreSqlKeyTableMissing, RollbackErrorCategory.ObjectNotFound,
                    $"The key table '{table}' is not in {where}.", where);
            }

            counts[table.ToString()] = Convert.ToInt64(Scalar(connection, $"SELECT count(*) FROM {table.Quoted}", cancellation), System.Globalization.CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <summary>The other sessions on <paramref name="database"/>: their count and which applications hold them.</summary>
    public static (int Count, IReadOnlyList<string> Applications) OtherSessions(NpgsqlConnection connection, string database, CancellationToken cancellation)
    {
        using var command = Command(connection,
            "SELECT coalesce(nullif(application_name, ''), '(unnamed)') AS app, count(*) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid() AND backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC, 1",
            new[] { ("db", (object)database) });
        using var reader = command.ExecuteReaderAsync(cancellation).GetAwaiter().GetResult();
        var applications = new List<string>();
        var total = 0;
        while (reader.Read())
        {
            var count = (int)reader.GetInt64(1);
            total += count;
            applications.Add($"{reader.GetString(0)} ({count})");
        }

        return (total, applications);
    }

    /// <summary>A database name quoted for SQL.</summary>
    public static string Quote(string name) => TableName.Quote(name);

    /// <summary>A string literal for SQL where a parameter cannot go (COMMENT ON takes none).</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    /// <summary>The major version of a version text ("15.14 (Debian 15.14-0+deb12u1)" is 15; "9.6.24" is 9.6 read as 9).</summary>
    public static int MajorOf(string version)
    {
        var digits = new string(version.TakeWhile(c => char.IsDigit(c)).ToArray());
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : 0;
    }
}
