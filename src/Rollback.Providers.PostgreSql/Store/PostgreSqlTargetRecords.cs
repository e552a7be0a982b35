using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>rollback_store.targets: a row per target (its JSON as the folder store writes it), replaced in one transaction.</summary>
internal sealed class PostgreSqlTargetRecords : ITargetRecords
{
    private readonly StoreDatabase _database;

    public PostgreSqlTargetRecords(StoreDatabase database) => _database = database;

    public string Location => _database.Connection.Display + " (rollback_store.targets)";

    public IReadOnlyList<RollbackTarget> ReadAll() => _database.Run("read the target registry", connection => Read(connection, null));

    public void Update(Func<IReadOnlyList<RollbackTarget>, IReadOnlyList<RollbackTarget>> change) =>
        _database.InTransaction("update the target registry", (connection, transaction) =>
        {
            StoreDatabase.Execute(connection, "SELECT pg_advisory_xact_lock(hashtextextended('rollback_store:targets', 0))", transaction);
            var targets = change(Read(connection, transaction));
            StoreDatabase.Execute(connection, "DELETE FROM rollback_store.targets", transaction);
            foreach (var target in targets)
            {
                StoreDatabase.Execute(connection, "INSERT INTO rollback_store.targets (name_key, name, target) VALUES (@key, @name, @target)", transaction,
                    ("key", target.Name.ToLowerInvariant()), ("name", target.Name), ("target", JsonSerializer.Serialize(target, StoreJson.Indented)));
            }

            return targets.Count;
        });

    private List<RollbackTarget> Read(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction? transaction)
    {
        using var command = StoreDatabase.Command(connection, "SELECT name, target FROM rollback_store.targets ORDER BY name_key COLLATE \"C\"", transaction);
        using var reader = command.ExecuteReader();
        var targets = new List<RollbackTarget>();
        while (reader.Read())
        {
            try
            {
                targets.Add(JsonSerializer.Deserialize<RollbackTarget>(reader.GetString(1), StoreJson.Indented)
                    ?? throw TargetRegistry.Corrupt(Location, $"the row of '{reader.GetString(0)}' holds null."));
            }
            catch (JsonException ex)
            {
                throw TargetRegistry.Corrupt(Location, $"the row of '{reader.GetString(0)}' is not a target: {ex.Message}", ex);
            }
        }

        return targets.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }
}
