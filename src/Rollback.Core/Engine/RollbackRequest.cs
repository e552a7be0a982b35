using System;
using System.Collections.Generic;
using System.Threading;
using Rollback.Providers;

namespace Rollback.Engine;

/// <summary>What Invoke-Rollback (or any host) asks of the engine.</summary>
public sealed class RollbackRequest
{
    public required string Target { get; init; }

    public required string PointId { get; init; }

    public required string Reason { get; init; }

    public IReadOnlyList<string> ApprovedBy { get; init; } = Array.Empty<string>();

    /// <summary>The incident's severity; when given, the policy's approvals for it are enforced (ApprovalRequired).</summary>
    public RollbackSeverity? Severity { get; init; }

    /// <summary>The automatic trigger that fired, if any: the on-call may then proceed alone, and it is journaled.</summary>
    public DecisionTrigger? AutomaticTrigger { get; init; }

    /// <summary>The decision that called for the rollback (Watch-Deployment's, when it starts one): journaled with the attempt, so a report shows the thresholds that fired.</summary>
    public RollbackDecision? Decision { get; init; }

    /// <summary>A policy file to take the approvals from instead of the target's PolicyPath setting or the defaults.</summary>
    public string? PolicyPath { get; init; }

    public Action? BeforeSwitch { get; init; }

    public Action? AfterSwitch { get; init; }

    public ConfigurationValidator? Validator { get; init; }

    /// <summary>Points older than this get a readiness warning; null takes the target's MaxPointAge setting or the default.</summary>
    public TimeSpan? MaxPointAge { get; init; }

    /// <summary>
    /// Per-call options: settings the kind (or the engine) declares as overridable for one call, laid over the
    /// target's settings for this attempt only (e.g. a CodeDeploy group's StopInProgress). Checked against the
    /// declarations first: an unknown name is UnknownSetting, a setting that is not per-call or a wrong value InvalidSetting.
    /// </summary>
    public SettingsDictionary Options { get; init; } = SettingsDictionary.Empty;

    /// <summary>For a plan: how many members of a stage roll back at once (1 or more); null takes the plan's ThrottleLimit setting.</summary>
    public int? ThrottleLimit { get; init; }

    /// <summary>For a plan: what happens to the stages already rolled back when a stage fails.</summary>
    public PlanFailureAction OnFailure { get; init; } = PlanFailureAction.Stop;

    public CancellationToken Cancellation { get; init; }

    /// <summary>Set by Watch-Deployment when it starts the rollback on its own: the channels are told AutomaticRollback rather than Started.</summary>
    public bool StartedByWatch { get; init; }

    /// <summary>Set by a plan run, which holds every member's lock for the whole run: the member's rollback takes none.</summary>
    internal bool LockHeldByCaller { get; init; }
}

/// <summary>What a plan run does when a stage fails (nothing further runs either way).</summary>
public enum PlanFailureAction
{
    /// <summary>Leave the stages already rolled back as they are, and say which and how to undo them.</summary>
    Stop,

    /// <summary>Return the members already rolled back to their safety points, stage by stage in reverse order.</summary>
    Undo,
}

/// <summary>What Restore-Configuration asks of the engine.</summary>
public sealed class ConfigurationRestoreRequest
{
    public required string Target { get; init; }

    public required string PointId { get; init; }

    public string Reason { get; init; } = string.Empty;

    public IReadOnlyList<string> ApprovedBy { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> Items { get; init; } = Array.Empty<string>();

    public ConfigurationValidator? Validator { get; init; }

    /// <summary>Runs just before changed files are written (stop what reads them); with AfterSwitch, its time is downtime.</summary>
    public Action? BeforeSwitch { get; init; }

    /// <summary>Runs just after the write, whatever happened (start what reads the files again).</summary>
    public Action? AfterSwitch { get; init; }

    public bool WhatIf { get; init; }

    /// <summary>
    /// Restore the item's previous version as the system itself labels it (Secrets Manager's AWSPREVIOUS) instead of
    /// the point's; the point still names the target and is journaled. Only kinds that implement
    /// <see cref="IPreviousVersionProvider"/> support it.
    /// </summary>
    public bool Previous { get; init; }

    /// <summary>Per-call options, as for <see cref="RollbackRequest.Options"/>.</summary>
    public SettingsDictionary Options { get; init; } = SettingsDictionary.Empty;

    public CancellationToken Cancellation { get; init; }
}

/// <summary>Which journal entries Get-RollbackHistory wants.</summary>
public sealed class HistoryFilter
{
    public string? Target { get; init; }

    public string? Action { get; init; }

    public string? Status { get; init; }

    public DateTimeOffset? Since { get; init; }

    public int? Last { get; init; }

    /// <summary>Only the entries of this plan run (the plan's and its members').</summary>
    public string? PlanRunId { get; init; }
}
