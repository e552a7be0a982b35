namespace Rollback;

/// <summary>One file of a point: its path relative to the point's artifact base, size and SHA-256 (lower-case hex).</summary>
public sealed class ArtifactEntry
{
    public required string RelativePath { get; init; }

    public long Size { get; init; }

    public required string Sha256 { get; init; }

    /// <summary>For a symbolic link kept as a link: the target it stores, as written. Null for a regular file.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>
    /// Null for a regular file or a link (what every manifest before metadata holds); "Directory" for a folder, kept so
    /// empty folders and folder modes come back; "NamedPipe", "Socket", "CharacterDevice" or "BlockDevice" for a
    /// special file that was skipped, never opened and never restored.
    /// </summary>
    public string? Type { get; init; }

    /// <summary>Unix permission bits as four octal digits ("0755"), setuid/setgid/sticky included; null where not captured (Windows, older points, links).</summary>
    public string? Mode { get; init; }

    /// <summary>The numeric owner (uid), or null where not captured.</summary>
    public uint? Owner { get; init; }

    /// <summary>The numeric group (gid), or null where not captured.</summary>
    public uint? Group { get; init; }

    public override string ToString() => RelativePath;
}
