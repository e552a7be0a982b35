using System;
using System.Globalization;
using System.Management.Automation;
using Rollback.Engine;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Reads the journal of every attempt (refused and failed ones included), or checks its hash chain with -Verify.</summary>
[Cmdlet(VerbsCommon.Get, "RollbackHistory", DefaultParameterSetName = ListSet)]
[OutputType(typeof(HistoryEntry), ParameterSetName = new[] { ListSet })]
[OutputType(typeof(JournalVerification), ParameterSetName = new[] { VerifySet })]
public sealed class GetRollbackHistoryCommand : RollbackCmdlet
{
    private const string ListSet = "List";
    private const string VerifySet = "Verify";

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ListSet)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string? Target { get; set; }

    /// <summary>Only entries of this action (Rollback, Capture, RestoreConfiguration, RegisterTarget, ...).</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateSet(HistoryAction.RegisterTarget, HistoryAction.UnregisterTarget, HistoryAction.Capture, HistoryAction.RemovePoint, HistoryAction.Rollback, HistoryAction.RestoreConfiguration, HistoryAction.SetAutoRollback, HistoryAction.Intent, HistoryAction.RecoverAttempt, HistoryAction.TrafficStep,
        HistoryAction.Notify, HistoryAction.RegisterNotification, HistoryAction.UnregisterNotification, HistoryAction.CopyStore)]
    public string? Action { get; set; }

    /// <summary>Only entries with this status (Succeeded, Failed, Refused, AlreadyCurrent, VerificationFailed).</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateSet("Succeeded", "AlreadyCurrent", "Failed", "VerificationFailed", "Refused", "Cancelled")]
    public string? Status { get; set; }

    [Parameter(ParameterSetName = ListSet)]
    public DateTime? Since { get; set; }

    /// <summary>Only the newest N matching entries.</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    /// <summary>Only the entries of one plan run (the plan's and its members'), by the id a plan's result carries.</summary>
    [Parameter(ParameterSetName = ListSet)]
    [ValidateNotNullOrEmpty]
    public string? PlanRunId { get; set; }

    /// <summary>Checks the journal's hash chain instead of listing entries.</summary>
    [Parameter(Mandatory = true, ParameterSetName = VerifySet)]
    public SwitchParameter Verify { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            if (Verify)
            {
                var verification = Engine.History.Verify();
                foreach (var warning in verification.Warnings)
                {
                    WriteWarning(warning);
                }

                if (!verification.IsValid)
                {
                    WriteWarning(string.Format(CultureInfo.CurrentCulture, CmdletStrings.JournalInvalid, verification.Path, verification.Message));
                }

                WriteObject(verification);
                return;
            }

            var entries = Engine.History.Get(new HistoryFilter
            {
                Target = Target,
                Action = Action,
                Status = Status,
                Since = Since is DateTime since ? new DateTimeOffset(since) : null,
                Last = Last,
                PlanRunId = PlanRunId,
            });
            WriteObject(entries, enumerateCollection: true);
        }
        catch (RollbackException ex)
        {
            // A journal that cannot be read cannot be listed at all.
            ThrowRollbackError(ex);
        }
    }
}
