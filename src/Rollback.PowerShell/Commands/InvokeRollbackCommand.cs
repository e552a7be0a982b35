using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Rollback.Engine;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Rolls a target back to a point: readiness gate, safety capture of the current (failed) state, restore, verification,
/// journal. Takes a RollbackPoint (Target, Id) or a ReadinessReport from the pipeline; a report that is not ready is
/// refused with a non-terminating RollbackNotReady error and the pipeline goes on.
/// The report's set is the default: PowerShell tries the default set first when binding pipeline input, and a report
/// also has Target and PointId properties, so with ById as the default its IsReady would never be seen.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Rollback", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ReadinessSet)]
[OutputType(typeof(RollbackResult))]
public sealed class InvokeRollbackCommand : RollbackCmdlet
{
    private const string ByIdSet = "ById";
    private const string ReadinessSet = "Readiness";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByIdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ByIdSet)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PointIdCompleter))]
    public string PointId { get; set; } = string.Empty;

    /// <summary>A readiness report from Test-RollbackReadiness; refused unless IsReady.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ReadinessSet)]
    public ReadinessReport? InputObject { get; set; }

    /// <summary>Why: recorded in the journal and the result.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ApprovedBy { get; set; } = Array.Empty<string>();

    /// <summary>Runs just before the switch (stop what serves the target); $args[0] is the target, $args[1] the point id.</summary>
    [Parameter]
    public ScriptBlock? BeforeSwitch { get; set; }

    /// <summary>Runs just after the switch (start what serves the target); $args[0] is the target, $args[1] the point id.</summary>
    [Parameter]
    public ScriptBlock? AfterSwitch { get; set; }

    /// <summary>Checks configuration content before it is written: $args[0] the candidate file, $args[1] the item; throw or return $false to refuse.</summary>
    [Parameter]
    public ScriptBlock? Validator { get; set; }

    [Parameter]
    public TimeSpan? MaxPointAge { get; set; }

    /// <summary>The incident's severity (SEV-0 … SEV-4): its approvals from the policy are enforced (ApprovalRequired).</summary>
    [Parameter]
    [ValidateSet("SEV-0", "SEV-1", "SEV-2", "SEV-3", "SEV-4")]
    public string? Severity { get; set; }

    /// <summary>A decision from Get-RollbackDecision: its severity applies, and an automatic trigger that held lets the on-call proceed alone.</summary>
    [Parameter]
    public RollbackDecision? Decision { get; set; }

    /// <summary>A policy file whose severity matrix overrides the target's PolicyPath setting and the defaults.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PolicyPath { get; set; }

    /// <summary>Per-call options: settings of the target's kind that may be overridden for this attempt (Get-RollbackKind lists them).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable Option { get; set; } = new();

    /// <summary>For a plan: how many members of a stage roll back at once (1 or more); the plan's ThrottleLimit setting when absent.</summary>
    [Parameter]
    public int ThrottleLimit { get; set; }

    /// <summary>For a plan: when a stage fails, Stop leaves the stages already rolled back as they are (and says how to undo them); Undo returns them to their safety points, last first.</summary>
    [Parameter]
    public PlanFailureAction OnFailure { get; set; } = PlanFailureAction.Stop;

    protected override void ProcessRecord()
    {
        var target = Target;
        var pointId = PointId;
        if (InputObject is not null)
        {
            if (!InputObject.IsReady)
            {
                // Under -WhatIf nothing may reach the store, so the refusal is only reported. Otherwise it is journaled
                // (every attempt is), without asking ShouldProcess: "Roll back?" for a rollback that cannot start would mislead.
                if (IsWhatIf())
                {
                    WriteRollbackError(InputObject.ToNotReadyError());
                    return;
                }

#pragma warning disable RB1002 // RefuseNotReady only journals a refusal and changes nothing on the target, so no ShouldProcess is asked.
                WriteRollbackError(Engine.Rollbacks.RefuseNotReady(InputObject, Reason, ApprovedBy));
#pragma warning restore RB1002 // Only the journaled refusal above is exempt; the rest of the method is checked again.
                return;
            }

            target = InputObject.Target;
            pointId = InputObject.PointId;
        }

        var description = string.Format(CultureInfo.CurrentCulture, CmdletStrings.RollbackDescription, target, pointId, Reason);
        var warning = string.Format(CultureInfo.CurrentCulture, CmdletStrings.RollbackWarning, target, pointId);
        if (!ShouldProcess(description, warning, CmdletStrings.RollbackCaption, out var declined))
        {
            if (declined == ShouldProcessReason.WhatIf)
            {
                Plan(target, pointId);
            }

            return;
        }

        RollbackResult result;
        try
        {
            result = Engine.Rollbacks.Run(new RollbackRequest
            {
                Target = target,
                PointId = pointId,
                Reason = Reason,
                ApprovedBy = ApprovedBy,
                BeforeSwitch = ScriptBlockAdapter.ToAction(BeforeSwitch, target, pointId),
                AfterSwitch = ScriptBlockAdapter.ToAction(AfterSwitch, target, pointId),
                Validator = ScriptBlockAdapter.ToValidator(Validator),
                MaxPointAge = MaxPointAge,
                Severity = RequestedSeverity(),
                AutomaticTrigger = Decision?.FiredThresholds.FirstOrDefault(t => t.Kind == TriggerKind.Automatic && t.Held)?.Name,
                PolicyPath = PolicyPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(PolicyPath),
                Options = SettingsConverter.Convert(Option),
                ThrottleLimit = MyInvocation.BoundParameters.ContainsKey(nameof(ThrottleLimit)) ? ThrottleLimit : null,
                OnFailure = OnFailure,
                Cancellation = Cancellation,
            });
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
            return;
        }

        WriteObject(result);
        switch (result.Status)
        {
            case RollbackStatus.Failed:
            case RollbackStatus.VerificationFailed:
                // The result is output for the record; the error makes -ErrorAction Stop stop a runbook.
                var message = string.Format(CultureInfo.CurrentCulture, CmdletStrings.RollbackEnded, result.Target, result.PointId, result.Status, result.Message);
                var category = result.Status == RollbackStatus.Failed ? RollbackErrorCategory.WriteError : RollbackErrorCategory.InvalidOperation;
                WriteRollbackError(new RollbackException(result.ErrorId ?? RollbackErrorId.RollbackFailed, category, message, result));
                break;
            case RollbackStatus.AlreadyCurrent:
                WriteWarning(result.Message ?? string.Format(CultureInfo.CurrentCulture, CmdletStrings.AlreadyCurrent, result.Target, result.ToVersion));
                break;
            default:
                break;
        }
    }

    /// <summary>-Severity wins over the decision's severity: the person at the keyboard may know more than the metrics.</summary>
    private RollbackSeverity? RequestedSeverity() =>
        Severity is not null && SeverityRule.TryParse(Severity, out var severity) ? severity : Decision?.Severity;

    private void Plan(string target, string pointId)
    {
        try
        {
            var plan = Engine.Rollbacks.Plan(target, pointId, Reason, ApprovedBy, SettingsConverter.Convert(Option), Cancellation);

            // A plan under -WhatIf: the whole plan, stage by stage, one "What if" line per member (ShouldProcess only prints here).
            var stages = plan.Members.Count == 0 ? 0 : plan.Members.Max(m => m.Stage);
            foreach (var member in plan.Members)
            {
                ShouldProcess(
                    string.Format(CultureInfo.CurrentCulture, CmdletStrings.PlanMemberWhatIfTarget, member.Target, member.Kind, member.FromVersion, member.ToVersion, member.PointId),
                    string.Format(CultureInfo.CurrentCulture, CmdletStrings.PlanMemberWhatIfAction, member.Stage, stages, target));
            }

            WriteObject(plan);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
