using System;
using System.Collections.Generic;

namespace Rollback;

/// <summary>What to do about a degraded deployment (the decision flowchart).</summary>
public enum RollbackAction
{
    /// <summary>No trigger fired: monitor and consider a forward-fix.</summary>
    Monitor,

    /// <summary>An assessed trigger fired: weigh rollback time against forward-fix time.</summary>
    AssessRollback,

    /// <summary>An automatic trigger fired: roll back now and notify in parallel.</summary>
    ImmediateRollback,
}

/// <summary>The severity levels, SEV-0 (informational) to SEV-4 (complete outage, security breach).</summary>
public enum RollbackSeverity
{
    Sev0,
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

/// <summary>Whether a trigger mandates rollback (automatic) or asks for an assessment.</summary>
public enum TriggerKind
{
    Automatic,
    Assessed,
}

/// <summary>The rollback triggers, in the order the decision flowchart asks about them.</summary>
public enum DecisionTrigger
{
    AvailabilityBelow,
    ErrorRateAbove,
    DataCorruption,
    SecurityVulnerability,
    CriticalFunctionLost,
    ErrorRateElevated,
    LatencyDegraded,
    NonCriticalFeaturesLost,
}

/// <summary>One threshold a decision found breached: what was observed, against what, for how long of how long required.</summary>
public sealed class FiredThreshold
{
    public required DecisionTrigger Name { get; init; }

    public required TriggerKind Kind { get; init; }

    /// <summary>The measured value (a fraction, or seconds for latency); null for a reported fact such as data corruption.</summary>
    public double? Observed { get; init; }

    /// <summary>The policy's bound (for latency: the baseline times one plus the allowed degradation); null for a reported fact.</summary>
    public double? Threshold { get; init; }

    /// <summary>How long the breach has held.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>How long the policy requires it to hold before the trigger fires.</summary>
    public TimeSpan RequiredDuration { get; init; }

    /// <summary>True when it has held long enough; a pending breach (false) is reported so a watcher knows what is coming.</summary>
    public bool Held => Duration >= RequiredDuration;

    public required string Message { get; init; }

    public override string ToString() => Message;
}

/// <summary>
/// The decision: the action, why, the severity and what it requires (the severity matrix), and the inputs it was made from.
/// </summary>
public sealed class RollbackDecision
{
    public RollbackAction Action { get; init; }

    public RollbackSeverity Severity { get; init; }

    /// <summary>"SEV-0" ... "SEV-4", as the runbooks write it.</summary>
    public string SeverityLabel => SeverityRule.LabelOf(Severity);

    /// <summary>Why, in the flowchart's order: the first reason is the one that decided the action.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = Array.Empty<string>();

    /// <summary>The thresholds that fired (held for their required time), in the flowchart's order.</summary>
    public IReadOnlyList<FiredThreshold> FiredThresholds { get; init; } = Array.Empty<FiredThreshold>();

    /// <summary>Thresholds breached but not yet for their required time.</summary>
    public IReadOnlyList<FiredThreshold> PendingThresholds { get; init; } = Array.Empty<FiredThreshold>();

    /// <summary>How many distinct people must approve a rollback at this severity.</summary>
    public int RequiredApprovals { get; init; }

    /// <summary>True when the on-call engineer may approve alone: the matrix says so, or an automatic trigger fired.</summary>
    public bool OnCallMayApprove { get; init; }

    /// <summary>How soon to respond; null is the standard change process, zero is immediately.</summary>
    public TimeSpan? ResponseTime { get; init; }

    public string ResponseTimeText => SeverityRule.DescribeResponseTime(ResponseTime);

    /// <summary>The severity row's own words, e.g. "Major outage, > 25% users".</summary>
    public string SeverityDescription { get; init; } = string.Empty;

    /// <summary>The share of users the severity was mapped from, and whether it was estimated.</summary>
    public double? AffectedUsers { get; init; }

    public bool AffectedUsersEstimated { get; init; }

    public required DecisionInputs Inputs { get; init; }

    public string? Target { get; init; }

    /// <summary>"built-in" or the policy file the thresholds came from.</summary>
    public string PolicySource { get; init; } = RollbackPolicy.BuiltInSource;

    public DateTimeOffset DecidedAt { get; init; }

    public override string ToString() => $"{Action} ({SeverityLabel})";
}
