using System;
using System.Collections.Generic;

namespace Rollback.Store;

/// <summary>
/// Where a shared store may keep its points' artifacts other than a folder, named by a URI in the store's connection
/// string (artifacts=s3://bucket/prefix): found, as the store kinds are, by reflection over the provider assemblies
/// beside the engine, by its URI scheme. So neither the engine nor the PostgreSQL store references an object store's
/// client: S3 lives with the AWS kinds and their small S3 client, which the official AWSSDK.S3 could replace there alone.
/// </summary>
public interface IArtifactLocationKind
{
    /// <summary>The URI schemes it answers ("s3").</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>The connection string's options it reads besides the URI (s3endpoint, region...); any other is refused.</summary>
    IReadOnlyList<string> Options { get; }

    /// <summary>
    /// Checks <paramref name="request"/> (StorePathInvalid when it cannot be used) and returns how to open the location
    /// for a store: called with the store once it exists, whose <see cref="RollbackStore.Root"/> is the local folder.
    /// </summary>
    Func<RollbackStore, IArtifactLocation> Prepare(ArtifactLocationRequest request);
}

/// <summary>An artifact location as a connection string names it: the URI, its options, and the store's own name for messages.</summary>
public sealed class ArtifactLocationRequest
{
    public ArtifactLocationRequest(string location, IReadOnlyDictionary<string, string> options, string store)
    {
        Location = location;
        Options = options;
        Store = store;
    }

    /// <summary>The URI as given (s3://bucket/prefix).</summary>
    public string Location { get; }

    /// <summary>The connection string's options the store itself does not read (names case-insensitive).</summary>
    public IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>The store as shown (no password), for messages.</summary>
    public string Store { get; }
}
