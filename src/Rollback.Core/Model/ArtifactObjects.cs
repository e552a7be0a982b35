using System.Collections.Generic;

namespace Rollback;

/// <summary>
/// Where a point's artifacts were uploaded, kept in its manifest: the location (s3://bucket/prefix/target/id/) and, for
/// each file, the object's version, so a restore reads exactly what was captured even after the key was written again.
/// </summary>
public sealed class ArtifactObjects
{
    /// <summary>The point's folder in the object store, ending in '/' (s3://bucket/prefix/target/id/).</summary>
    public required string Location { get; init; }

    public required IReadOnlyList<ArtifactObject> Objects { get; init; }

    /// <summary>The artifacts folder's own mode as staged ("0755"), given back to a fetched copy; null where not known (Windows).</summary>
    public string? FolderMode { get; init; }

    /// <summary>The artifacts folder's own owner (uid) as staged, or null.</summary>
    public uint? FolderOwner { get; init; }

    /// <summary>The artifacts folder's own group (gid) as staged, or null.</summary>
    public uint? FolderGroup { get; init; }

    public override string ToString() => Location;
}

/// <summary>One uploaded file of a point: its path relative to the artifacts folder, its key, the version S3 gave it and its SHA-256.</summary>
public sealed class ArtifactObject
{
    public required string RelativePath { get; init; }

    public required string Key { get; init; }

    public required string VersionId { get; init; }

    public required string Sha256 { get; init; }

    public long Size { get; init; }

    public override string ToString() => $"{Key} ({VersionId})";
}
