using System;
using System.Collections.Generic;

namespace Rollback.Settings;

/// <summary>The value types a setting can declare. Numbers and time spans are positive.</summary>
public enum SettingType
{
    Text,
    Boolean,
    WholeNumber,
    Number,
    TimeSpan,
    Uri,
}

/// <summary>
/// One setting a kind (or the engine, for every kind) declares: what Register-RollbackTarget -Settings accepts under
/// that name, what Get-RollbackKind shows, and, when <see cref="PerCall"/>, what -Option may override for one call.
/// </summary>
public sealed class SettingDefinition
{
    public required string Name { get; init; }

    public required SettingType Type { get; init; }

    public required string Description { get; init; }

    /// <summary>Several values (a PowerShell array) are accepted; a single one is a list of one.</summary>
    public bool IsList { get; init; }

    /// <summary>The value used when the setting is absent, as text (null: none, or computed; the description says how).</summary>
    public string? Default { get; init; }

    public bool Required { get; init; }

    /// <summary>May be given for one call with -Option on Invoke-Rollback, Test-RollbackReadiness and Restore-Configuration.</summary>
    public bool PerCall { get; init; }

    /// <summary>
    /// A secret (a token, a password, a key): stored only as a <see cref="SecretReference"/> (env:NAME, file:/path, or a
    /// SecureString or PSCredential kept in a user-only store file) and shown as ***.
    /// </summary>
    public bool Secret { get; init; }

    /// <summary>
    /// A file or folder path: a host resolves a relative value against its user's current location (a cmdlet against
    /// the PowerShell location, not the process folder) before the kind validates it.
    /// </summary>
    public bool IsPath { get; init; }

    /// <summary>The only values accepted (case-insensitive), when the setting is a choice.</summary>
    public IReadOnlyList<string> AllowedValues { get; init; } = Array.Empty<string>();

    /// <summary>The type as PowerShell users know it: String, String[], Boolean, Int32, Double, TimeSpan, Uri.</summary>
    public string TypeName => Secret ? "Secret" : Type switch
    {
        SettingType.Text => "String",
        SettingType.WholeNumber => "Int32",
        SettingType.Number => "Double",
        _ => Type.ToString(),
    } + (IsList ? "[]" : string.Empty);

    public override string ToString() => Name;
}
