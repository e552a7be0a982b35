namespace Rollback;

/// <summary>
/// What Copy-RollbackStore did (or, under -WhatIf, would do): per category, how many were copied and how many the
/// destination already held, so a second run of the same copy shows everything present and nothing copied.
/// </summary>
public sealed class StoreCopyResult
{
    /// <summary>The folder store copied from.</summary>
    public string Source { get; init; } = string.Empty;

    /// <summary>The machine the copy ran on (where the source folder is).</summary>
    public string SourceHost { get; init; } = string.Empty;

    /// <summary>The store copied into, as Get-RollbackStore shows it (never with a password).</summary>
    public string Destination { get; init; } = string.Empty;

    /// <summary>True for a -WhatIf preview: the counts say what a copy would do, and nothing was written.</summary>
    public bool WhatIf { get; init; }

    public int TargetsCopied { get; init; }

    public int TargetsPresent { get; init; }

    /// <summary>Targets of the same name but other settings that -Force replaced with the source's.</summary>
    public int TargetsReplaced { get; init; }

    /// <summary>Secret values kept by the store (store: references) whose files were copied byte for byte, never read as text.</summary>
    public int SecretsCopied { get; init; }

    public int PointsCopied { get; init; }

    public int PointsPresent { get; init; }

    /// <summary>Points not copied because their artifacts did not match their manifest (each one also an error record).</summary>
    public int PointsRefused { get; init; }

    /// <summary>Artifact files whose SHA-256 was proven against their manifest in the destination before their point was committed.</summary>
    public int ArtifactsVerified { get; init; }

    public long JournalEntriesCopied { get; init; }

    public long JournalEntriesPresent { get; init; }

    /// <summary>The destination's journal entry that records this copy (Action CopyStore); null when nothing was copied.</summary>
    public long? JournalSequence { get; init; }
}
