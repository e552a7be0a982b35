using System;
using System.Collections.Generic;

namespace Rollback;

/// <summary>
/// A target's automatic rollback setting (CodeDeploy's autoRollbackConfiguration), as Get- and Set-AutoRollbackConfiguration
/// report it: whether it is on, for which events, which of the recommended events are missing, and whether this call changed it.
/// </summary>
public sealed class AutoRollbackConfiguration
{
    public required string Target { get; init; }

    public required string Kind { get; init; }

    /// <summary>What the setting belongs to on the system, e.g. "Chargeworx/Production".</summary>
    public required string Resource { get; init; }

    public bool Enabled { get; init; }

    public IReadOnlyList<string> Events { get; init; } = Array.Empty<string>();

    /// <summary>Recommended events that are not enabled; empty when the setting follows the recommendation.</summary>
    public IReadOnlyList<string> MissingRecommendedEvents { get; init; } = Array.Empty<string>();

    /// <summary>True when Set-AutoRollbackConfiguration changed the setting; false when it already was so, or for Get.</summary>
    public bool Changed { get; init; }

    public bool? PreviousEnabled { get; init; }

    public IReadOnlyList<string>? PreviousEvents { get; init; }

    /// <summary>The journal entry of the change; 0 when nothing was written.</summary>
    public long JournalSequence { get; init; }
}
