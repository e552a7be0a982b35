using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Rollback;

/// <summary>What the endpoints said at one poll.</summary>
public enum WatchHealth
{
    /// <summary>No health endpoint is watched (metrics only).</summary>
    Unknown,

    /// <summary>Every endpoint answered healthy.</summary>
    Healthy,

    /// <summary>Some endpoints answered healthy, some did not.</summary>
    Degraded,

    /// <summary>No endpoint answered healthy.</summary>
    Unhealthy,
}

/// <summary>What the watch did at one poll. The last four (and <see cref="Cancelled"/>) end the watch.</summary>
public enum WatchAction
{
    /// <summary>No threshold is breached: keep watching.</summary>
    Monitor,

    /// <summary>An automatic trigger is breached but has not yet held for its required time: keep watching.</summary>
    Pending,

    /// <summary>Only an assessed trigger fired: a person weighs rollback against a forward-fix; the watch does not act on it.</summary>
    Assess,

    /// <summary>An automatic trigger held and the rollback ran; <see cref="WatchRecord.Rollback"/> says how it ended.</summary>
    RolledBack,

    /// <summary>An automatic trigger held but the rollback was refused or did not verify.</summary>
    RollbackFailed,

    /// <summary>An automatic trigger held and the person asked (ShouldProcess) said no: nothing was changed.</summary>
    Declined,

    /// <summary>An automatic trigger held under -WhatIf: <see cref="WatchRecord.Rollback"/> is the plan; nothing was changed.</summary>
    WhatIf,

    /// <summary>The window ended without an automatic trigger holding: nothing was changed.</summary>
    WindowEnded,

    /// <summary>The watch was stopped (Ctrl+C) before any rollback started: nothing was changed.</summary>
    Cancelled,
}

/// <summary>
/// One poll of a deployment watch: what the health endpoints and the metrics showed, which thresholds were breached and
/// for how long of how long required, and what the watch did. The last record of a watch has <see cref="IsFinal"/>.
/// </summary>
public sealed class WatchRecord
{
    public required string Target { get; init; }

    /// <summary>The point the watch rolls back to when an automatic trigger holds.</summary>
    public required string PointId { get; init; }

    /// <summary>The poll's number, from 1; a watch cancelled before its first poll ends with a record of poll 0.</summary>
    public int Poll { get; init; }

    public DateTimeOffset Time { get; init; }

    /// <summary>The time since the watch started.</summary>
    public TimeSpan Elapsed { get; init; }

    public WatchHealth Health { get; init; }

    /// <summary>One result per watched endpoint, one attempt each.</summary>
    public IReadOnlyList<HealthCheckResult> HealthChecks { get; init; } = Array.Empty<HealthCheckResult>();

    /// <summary>The availability the decision used (0..1): the worse of the endpoints' healthy share and the metrics' availability.</summary>
    public double? Availability { get; init; }

    /// <summary>The error rate from the metrics source (0..1); null without metrics.</summary>
    public double? ErrorRate { get; init; }

    /// <summary>The p95 latency from the metrics source, in seconds.</summary>
    public double? LatencyP95 { get; init; }

    /// <summary>Every breached threshold, held or still pending, with how long it has held and how long it must.</summary>
    public IReadOnlyList<FiredThreshold> Triggers { get; init; } = Array.Empty<FiredThreshold>();

    /// <summary>The decision made from this poll's measurements (the decision flowchart under the policy).</summary>
    public RollbackDecision? Decision { get; init; }

    public WatchAction Action { get; init; }

    /// <summary>The automatic trigger that held and made the watch act.</summary>
    public DecisionTrigger? Trigger { get; init; }

    /// <summary>When the watch first saw the breach of <see cref="Trigger"/> (the start of its hold, as observed).</summary>
    public DateTimeOffset? BreachSeenAt { get; init; }

    /// <summary>The rollback's result (RolledBack, RollbackFailed) or its plan (WhatIf).</summary>
    public RollbackResult? Rollback { get; init; }

    /// <summary>Why the rollback failed or was refused, from the one catalogue of ErrorIds.</summary>
    public string? ErrorId { get; init; }

    /// <summary>What happened at this poll, in a sentence.</summary>
    public string Message { get; init; } = string.Empty;

    /// <summary>Measurements that could not be taken at this poll (a metrics query that failed), each in a sentence.</summary>
    public IReadOnlyList<string> Problems { get; init; } = Array.Empty<string>();

    /// <summary>True for the record that ends the watch.</summary>
    public bool IsFinal { get; init; }

    /// <summary>True when health, action or the breached triggers differ from the previous record (always for the first and the final).</summary>
    public bool Changed { get; init; }

    /// <summary>The breached thresholds in a few words, e.g. "ErrorRateAbove 2 s/3 s".</summary>
    public string TriggerSummary =>
        Triggers.Count == 0
            ? string.Empty
            : string.Join(", ", Triggers.Select(t => t.RequiredDuration > TimeSpan.Zero
                ? string.Format(CultureInfo.InvariantCulture, "{0} {1}/{2}", t.Name, Durations.Describe(t.Duration), Durations.Describe(t.RequiredDuration))
                : t.Name.ToString()));

    public override string ToString() => $"{Target} poll {Poll.ToString(CultureInfo.InvariantCulture)}: {Health} {Action}";
}
