using System;
using System.Collections.Generic;

namespace Rollback;

public enum RollbackStatus
{
    Succeeded,
    AlreadyCurrent,
    Failed,
    VerificationFailed,
    WhatIf,
}

public enum StepStatus
{
    Succeeded,
    Failed,
    Planned,
}

/// <summary>One named step of a rollback, as the provider reported it to the engine.</summary>
public sealed class RollbackStep
{
    public required string Name { get; init; }

    public StepStatus Status { get; init; }

    /// <summary>When the step started (its end is this plus <see cref="Duration"/>); null for a planned step.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public TimeSpan Duration { get; init; }

    public string Message { get; init; } = string.Empty;

    /// <summary>True for the steps of the switch (BeforeSwitch, the change, AfterSwitch): the time the target was down.</summary>
    public bool InSwitch { get; init; }

    public override string ToString() => $"{Name} ({Status})";
}

/// <summary>The outcome of one rollback attempt.</summary>
public sealed class RollbackResult
{
    public required string Target { get; init; }

    public required string Kind { get; init; }

    public required string PointId { get; init; }

    public string? FromVersion { get; init; }

    public string? ToVersion { get; init; }

    public RollbackStatus Status { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>How long the target was not serving a valid state (the switch and the switch hooks), or zero when it never was.</summary>
    public TimeSpan Downtime { get; init; }

    public IReadOnlyList<RollbackStep> Steps { get; init; } = Array.Empty<RollbackStep>();

    public string? SafetyPointId { get; init; }

    public IReadOnlyList<CheckResult> Verification { get; init; } = Array.Empty<CheckResult>();

    public string Reason { get; init; } = string.Empty;

    public IReadOnlyList<string> ApprovedBy { get; init; } = Array.Empty<string>();

    public string User { get; init; } = string.Empty;

    /// <summary>The incident severity the rollback was approved under, when one was given.</summary>
    public string? Severity { get; init; }

    /// <summary>The automatic trigger that let the on-call proceed alone, when one fired.</summary>
    public string? Trigger { get; init; }

    /// <summary>The journal entry that records this attempt; 0 under -WhatIf, which writes nothing.</summary>
    public long JournalSequence { get; init; }

    /// <summary>
    /// The hash of that journal entry: kept with the result (a CI log, a ticket), it anchors the journal outside its file,
    /// since Get-RollbackHistory shows the hash entry <see cref="JournalSequence"/> has now. Empty under -WhatIf.
    /// </summary>
    public string JournalHash { get; init; } = string.Empty;

    public string? ErrorId { get; init; }

    public string? Message { get; init; }

    public IReadOnlyList<ConfigurationRestoreResult> ConfigurationItems { get; init; } = Array.Empty<ConfigurationRestoreResult>();

    /// <summary>Facts the target's system assigned during the restore (e.g. CodeDeploy.DeploymentId, CodeDeploy.Succeeded); empty for most kinds.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>What each of the target's health endpoints answered after the switch (empty when it has none).</summary>
    public IReadOnlyList<HealthCheckResult> Health { get; init; } = Array.Empty<HealthCheckResult>();

    /// <summary>When verification after the switch started; null when none ran.</summary>
    public DateTimeOffset? VerificationStartedAt { get; init; }

    /// <summary>How long verification after the switch took (state check and health endpoints); null when none ran.</summary>
    public TimeSpan? VerificationDuration { get; init; }

    /// <summary>From <see cref="StartedAt"/> to verified health (the recovery time, RTO); null unless the rollback Succeeded.</summary>
    public TimeSpan? RecoveryTime { get; init; }

    /// <summary>
    /// The id every journal entry of a plan's run carries (the plan's and each member's); null for a rollback outside a
    /// plan. Get-RollbackHistory -PlanRunId lists them.
    /// </summary>
    public string? PlanRunId { get; init; }

    /// <summary>A plan's members, stage by stage, each with its own outcome; empty for a target that is not a plan.</summary>
    public IReadOnlyList<PlanMemberResult> Members { get; init; } = Array.Empty<PlanMemberResult>();
}
