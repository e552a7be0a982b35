using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// rollback_store.points: a row per point holding its manifest. The point's folder is renamed into place in the shared
/// artifacts folder first and the row inserted after; should the insert fail, the folder is renamed back to staging, so
/// a point is listed only when both are there. A listing reads every manifest of the target in one query.
/// </summary>
internal sealed class PostgreSqlPointManifests : IPointManifests
{
    private readonly StoreDatabase _database;

    public PostgreSqlPointManifests(StoreDatabase database) => _database = database;

    public IEnumerable<string> TargetNames() => _database.Run("list the targets that have points", connection =>
        Strings(connection, "SELECT DISTINCT target COLLATE \"C\" FROM rollback_store.points ORDER BY 1"));

    public IEnumerable<string> ListIds(string target) => _database.Run("list the points", connection =>
        Strings(connection, "SELECT id FROM rollback_store.points WHERE target_key = @key ORDER BY id COLLATE \"C\"", ("key", target.ToLowerInvariant())));

    public byte[]? Read(string target, string id, string pointDirectory) => _database.Run("read a point's manifest", connection =>
        StoreDatabase.Scalar(connection, "SELECT manifest FROM rollback_store.points WHERE target_key = @key AND id = @id", null,
            ("key", target.ToLowerInvariant()), ("id", id)) is string text ? Encoding.UTF8.GetBytes(text) : null);

    public IReadOnlyList<StoredManifest> ReadAll(string target, Func<string, string> pointDirectory) => _database.Run("read the points' manifests", connection =>
    {
        using var command = StoreDatabase.Command(connection, "SELECT id, manifest FROM rollback_store.points WHERE target_key = @key ORDER BY id COLLATE \"C\"", null,
            ("key", target.ToLowerInvariant()));
        using var reader = command.ExecuteReader();
        var manifests = new List<StoredManifest>();
        while (reader.Read())
        {
            var text = reader.GetString(1);
            manifests.Add(new StoredManifest(reader.GetString(0), () => Encoding.UTF8.GetBytes(text)));
        }

        return manifests;
    });

    public void Commit(string target, string id, string stagingDirectory, string pointDirectory, byte[] manifestUtf8)
    {
        Directory.Move(stagingDirectory, pointDirectory);
        try
        {
            _database.Run("keep the point's manifest", connection =>
            {
                StoreDatabase.Execute(connection, "INSERT INTO rollback_store.points (target_key, id, target, manifest) VALUES (@key, @id, @target, @manifest)", null,
                    ("key", target.ToLowerInvariant()), ("id", id), ("target", target), ("manifest", Encoding.UTF8.GetString(manifestUtf8)));
                return 1;
            });
        }
        catch
        {
            // Back to staging: the engine then discards it, or keeps a set-aside state where it says.
            Directory.Move(pointDirectory, stagingDirectory);
            throw;
        }
    }

    public void Remove(string target, string id) => _database.Run("remove a point's manifest", connection =>
    {
        StoreDatabase.Execute(connection, "DELETE FROM rollback_store.points WHERE target_key = @key AND id = @id", null, ("key", target.ToLowerInvariant()), ("id", id));
        return 1;
    });

    public void RemoveAll(string target) => _database.Run("remove the target's points", connection =>
    {
        StoreDatabase.Execute(connection, "DELETE FROM rollback_store.points WHERE target_key = @key", null, ("key", target.ToLowerInvariant()));
        return 1;
    });

    public string Describe(string target, string id, string pointDirectory) => $"{_database.Connection.Display} (rollback_store.points {target}/{id})";

    private static List<string> Strings(Npgsql.NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = StoreDatabase.Command(connection, sql, null, parameters);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
