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

/// <summary>
/// One entry of a point's stored folder, relative to its artifacts folder (which is not always the kind's artifact base:
/// a release kind's files stay in their release folder): a file uploaded (its key, the version S3 gave it, its SHA-256),
/// a folder (Type "Directory") or a link (LinkTarget), with the mode and owner it was staged with.
/// </summary>
public sealed class ArtifactObject
{
    public required string RelativePath { get; init; }

    /// <summary>The object's key; null for a folder or a link, which are rebuilt from this record.</summary>
    public string? Key { get; init; }

    public string? VersionId { get; init; }

    public string? Sha256 { get; init; }

    public long Size { get; init; }

    /// <summary>"Directory" for a folder; null for a file or a link.</summary>
    public string? Type { get; init; }

    public string? LinkTarget { get; init; }

    public string? Mode { get; init; }

    public uint? Owner { get; init; }

    public uint? Group { get; init; }

    public override string ToString() => Key is null ? RelativePath : $"{Key} ({VersionId})";
}
