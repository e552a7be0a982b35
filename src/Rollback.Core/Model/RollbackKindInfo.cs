using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Settings;

namespace Rollback;

/// <summary>What a kind can do beyond capture and rollback, which every kind does.</summary>
[Flags]
public enum KindCapabilities
{
    None = 0,

    /// <summary>Restore-Configuration restores its points item by item.</summary>
    ConfigurationRestore = 1,

    /// <summary>Restore-Configuration -Previous goes back to the version the system itself labels previous.</summary>
    PreviousVersion = 2,

    /// <summary>Get-/Set-AutoRollbackConfiguration show and change the system's own automatic rollback.</summary>
    AutoRollbackConfiguration = 4,

    /// <summary>Invoke-Rollback moves the kind's traffic back in steps (Steps, StepWait), with the checks between them.</summary>
    GradualTraffic = 8,
}

/// <summary>An installed target kind as Get-RollbackKind shows it: what it is, what it takes, what it can do.</summary>
public sealed class RollbackKindInfo
{
    private RollbackKindInfo(IRollbackProvider provider)
    {
        Name = provider.Kind;
        Description = provider.Description;
        Settings = provider.Schema.Settings;
        CommonSettings = EngineSettings.All;
        Options = provider.Schema.Options.Concat(EngineSettings.All.Where(s => s.PerCall)).ToList();
        ErrorIds = provider.Schema.ErrorIds;
        Capabilities = (provider is IConfigurationProvider ? KindCapabilities.ConfigurationRestore : KindCapabilities.None)
            | (provider is IPreviousVersionProvider ? KindCapabilities.PreviousVersion : KindCapabilities.None)
            | (provider is IAutoRollbackProvider ? KindCapabilities.AutoRollbackConfiguration : KindCapabilities.None)
            | (provider is ITrafficProvider ? KindCapabilities.GradualTraffic : KindCapabilities.None);
        Assembly = provider.GetType().Assembly.GetName().Name ?? string.Empty;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>The kind's own settings (Register-RollbackTarget -Settings).</summary>
    public IReadOnlyList<SettingDefinition> Settings { get; }

    /// <summary>The settings every kind takes, read by the engine (point age, health verification, metrics, policy).</summary>
    public IReadOnlyList<SettingDefinition> CommonSettings { get; }

    /// <summary>The settings -Option may override for one call (Invoke-Rollback, Test-RollbackReadiness, Restore-Configuration).</summary>
    public IReadOnlyList<SettingDefinition> Options { get; }

    public KindCapabilities Capabilities { get; }

    /// <summary>The kind's own ErrorIds, with what to do about each.</summary>
    public IReadOnlyList<ErrorIdInfo> ErrorIds { get; }

    /// <summary>The provider assembly that holds the kind.</summary>
    public string Assembly { get; }

    public static RollbackKindInfo Of(IRollbackProvider provider) => new(provider);

    public override string ToString() => Name;
}
