using System;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// rollback_store.documents: a row per document (notification channels, unfinished attempts), replaced whole in one
/// statement; an update holds a transaction advisory lock named after the document, so two at once apply in turn.
/// </summary>
internal sealed class PostgreSqlDocuments : IStoreDocuments
{
    private const string Upsert = "INSERT INTO rollback_store.documents (name, body) VALUES (@name, @body) ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = now()";
    private readonly StoreDatabase _database;

    public PostgreSqlDocuments(StoreDatabase database) => _database = database;

    public string Describe(string name) => $"{_database.Connection.Display} (rollback_store.documents: {name})";

    public string? Read(string name) =>
        _database.Run("read " + name, connection => StoreDatabase.Scalar(connection, "SELECT body FROM rollback_store.documents WHERE name = @name", null, ("name", name)) as string);

    public void Write(string name, string text) =>
        _database.Run("write " + name, connection =>
        {
            StoreDatabase.Execute(connection, Upsert, null, ("name", name), ("body", text));
            return 0;
        });

    public void Delete(string name) =>
        _database.Run("delete " + name, connection =>
        {
            StoreDatabase.Execute(connection, "DELETE FROM rollback_store.documents WHERE name = @name", null, ("name", name));
            return 0;
        });

    public void Update(string name, Func<string?, string> change) =>
        _database.InTransaction("update " + name, (connection, transaction) =>
        {
            StoreDatabase.Execute(connection, "SELECT pg_advisory_xact_lock(hashtextextended('rollback_store:document:' || @name, 0))", transaction, ("name", name));
            var text = StoreDatabase.Scalar(connection, "SELECT body FROM rollback_store.documents WHERE name = @name", transaction, ("name", name)) as string;
            StoreDatabase.Execute(connection, Upsert, transaction, ("name", name), ("body", change(text)));
            return 0;
        });
}
