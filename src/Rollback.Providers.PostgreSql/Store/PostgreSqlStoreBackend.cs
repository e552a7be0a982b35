using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>The shared store's backend: every part on the one database, each write in a transaction.</summary>
internal sealed class PostgreSqlStoreBackend : IStoreBackend
{
    private readonly StoreDatabase _database;

    public PostgreSqlStoreBackend(StoreDatabase database, int schemaVersion)
    {
        _database = database;
        Description = new RollbackStoreInfo
        {
            Kind = "PostgreSql",
            Location = database.Connection.Display,
            ArtifactLocation = database.Connection.ArtifactLocation,
            SchemaVersion = schemaVersion,
            User = database.Connection.User,
        };
        Targets = new PostgreSqlTargetRecords(database);
        Manifests = new PostgreSqlPointManifests(database);
        JournalLog = new PostgreSqlJournalLog(database);
        Locks = new PostgreSqlLocks(database);
        Documents = new PostgreSqlDocuments(database);
    }

    public RollbackStoreInfo Description { get; }

    public ITargetRecords Targets { get; }

    public IPointManifests Manifests { get; }

    public IJournalLog JournalLog { get; }

    public IStoreLocks Locks { get; }

    public IStoreDocuments Documents { get; }

    public void Dispose() => _database.Dispose();
}
