using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Rollback;

/// <summary>A captured known-good (or safety) state of a target. Immutable once written.</summary>
public sealed record RollbackPoint
{
    public required string Id { get; init; }

    public required string Target { get; init; }

    public required string Kind { get; init; }

    /// <summary>The version the target reported when captured (a release name, a version file, or a content hash).</summary>
    public required string Version { get; init; }

    /// <summary>What identifies the captured state exactly; equal fingerprints mean the rollback would change nothing.</summary>
    public required string Fingerprint { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public string CreatedBy { get; init; } = string.Empty;

    public string? Note { get; init; }

    /// <summary>True when the engine captured this point of the failed state just before a rollback.</summary>
    public bool IsSafetyPoint { get; init; }

    public IReadOnlyList<ArtifactEntry> Artifacts { get; init; } = Array.Empty<ArtifactEntry>();

    public long TotalSize { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The journal's last sequence when the point was written (its anchor outside the journal: Get-RollbackHistory -Verify
    /// checks the journal still holds that entry with <see cref="JournalHash"/>). Null in points written before anchors.
    /// </summary>
    public long? JournalSequence { get; init; }

    /// <summary>The hash of the journal's entry <see cref="JournalSequence"/> when the point was written.</summary>
    public string? JournalHash { get; init; }

    /// <summary>Where the artifacts were uploaded and each object's version, for a store that keeps them in S3; null in a folder.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ArtifactObjects? StoredObjects { get; init; }

    /// <summary>The point's folder in the store (not stored in the manifest: it follows the folder).</summary>
    [JsonIgnore]
    public string Path { get; init; } = string.Empty;

    public override string ToString() => Id;
}
