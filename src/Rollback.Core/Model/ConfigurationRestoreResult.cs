namespace Rollback;

/// <summary>What restoring one configuration item (a file, later a secret) did.</summary>
public sealed class ConfigurationRestoreResult
{
    public required string Target { get; init; }

    public required string PointId { get; init; }

    /// <summary>The file path (or secret id) restored.</summary>
    public required string Item { get; init; }

    /// <summary>The item's SHA-256 before the restore (null when it did not exist).</summary>
    public string? From { get; init; }

    /// <summary>The item's SHA-256 after the restore.</summary>
    public required string To { get; init; }

    public bool Validated { get; init; }

    /// <summary>How the content was validated: Json, Xml, Yaml, a validator, or None.</summary>
    public string Validator { get; init; } = "None";

    public bool Changed { get; init; }

    /// <summary>Where the content the item had before the restore is kept (in the safety point), if it changed.</summary>
    public string? SafetyCopy { get; init; }

    /// <summary>True under -WhatIf: validated, but nothing written.</summary>
    public bool WhatIf { get; init; }
}
