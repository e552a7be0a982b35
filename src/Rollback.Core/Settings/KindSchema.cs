using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;

namespace Rollback.Settings;

/// <summary>What a kind declares about itself: its settings (the per-call options among them) and its own ErrorIds.</summary>
public sealed class KindSchema
{
    public KindSchema(IEnumerable<SettingDefinition> settings, IEnumerable<ErrorIdInfo>? errorIds = null)
    {
        Settings = settings.ToList();
        ErrorIds = errorIds?.ToList() ?? new List<ErrorIdInfo>();
    }

    public static KindSchema Empty { get; } = new(Array.Empty<SettingDefinition>());

    public IReadOnlyList<SettingDefinition> Settings { get; }

    /// <summary>The settings that -Option may override for one call.</summary>
    public IReadOnlyList<SettingDefinition> Options => Settings.Where(s => s.PerCall).ToList();

    public IReadOnlyList<ErrorIdInfo> ErrorIds { get; }
}
