namespace Rollback;

/// <summary>One file of a point: its path relative to the point's artifact base, size and SHA-256 (lower-case hex).</summary>
public sealed class ArtifactEntry
{
    public required string RelativePath { get; init; }

    public long Size { get; init; }

    public required string Sha256 { get; init; }

    /// <summary>For a symbolic link kept as a link: the target it stores, as written. Null for a regular file.</summary>
    public string? LinkTarget { get; init; }

    public override string ToString() => RelativePath;
}
