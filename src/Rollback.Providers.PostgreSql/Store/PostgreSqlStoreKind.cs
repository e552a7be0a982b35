using System.Collections.Generic;
using System.Net;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// The shared store: the registry, the points' manifests, the journal and the target locks in a PostgreSQL database,
/// the points' artifacts in a shared folder named by the connection string (artifacts=/folder), or in S3
/// (artifacts=s3://bucket/prefix, opened by the artifact location kind of that scheme, which this assembly never references).
/// </summary>
public sealed class PostgreSqlStoreKind : IStoreKind
{
    public IReadOnlyList<string> Schemes { get; } = new[] { "postgresql", "postgres" };

    public SharedStore Open(string connection, NetworkCredential? credential)
    {
        var parsed = StoreConnection.Parse(connection, credential);
        var database = new StoreDatabase(parsed, credential);
        try
        {
            var version = StoreSchema.Migrate(database);
            return new SharedStore(new PostgreSqlStoreBackend(database, version), parsed.ArtifactsFolder, parsed.RemoteArtifacts);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }
}
