using System;
using System.Globalization;
using System.Management.Automation;
using Rollback.Engine;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Writes an incident report as a self-contained HTML file and a Markdown file beside it: one run (a RollbackResult, a
/// target's or a plan's, from the pipeline; or from history, by its journal entry's sequence or its plan run id) or a
/// period of the journal. A run's report is made from its journal entries, so it is the same now and the day after.
/// </summary>
[Cmdlet(VerbsData.Export, "RollbackReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = RunSet)]
[OutputType(typeof(ReportFiles))]
public sealed class ExportRollbackReportCommand : RollbackCmdlet
{
    private const string RunSet = "Run";
    private const string SequenceSet = "Sequence";
    private const string PlanRunSet = "PlanRun";
    private const string PeriodSet = "Period";

    private bool _written;

    /// <summary>The HTML file to write; the Markdown goes beside it with the extension .md.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The result of the run (Invoke-Rollback's output).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = RunSet)]
    public RollbackResult? InputObject { get; set; }

    /// <summary>The journal entry of the run (a HistoryEntry's Sequence, a result's JournalSequence): a rollback's, or its intent's.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SequenceSet)]
    [ValidateRange(1, long.MaxValue)]
    public long Sequence { get; set; }

    /// <summary>The id every journal entry of a plan run carries (the plan result's PlanRunId).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PlanRunSet)]
    [ValidateNotNullOrEmpty]
    public string PlanRunId { get; set; } = string.Empty;

    /// <summary>In place of the readiness checks journaled with the run.</summary>
    [Parameter(ParameterSetName = RunSet)]
    [Parameter(ParameterSetName = SequenceSet)]
    [Parameter(ParameterSetName = PlanRunSet)]
    public ReadinessReport? Readiness { get; set; }

    /// <summary>In place of the decision journaled with the run (Watch-Deployment's), for the thresholds that fired.</summary>
    [Parameter(ParameterSetName = RunSet)]
    [Parameter(ParameterSetName = SequenceSet)]
    [Parameter(ParameterSetName = PlanRunSet)]
    public RollbackDecision? Decision { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PeriodSet)]
    public DateTime Since { get; set; }

    [Parameter(ParameterSetName = PeriodSet)]
    public DateTime? Until { get; set; }

    /// <summary>Only these targets' rollbacks (all when absent).</summary>
    [Parameter(ParameterSetName = PeriodSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string[] Target { get; set; } = Array.Empty<string>();

    /// <summary>The recovery-time objective the recoveries are measured against.</summary>
    [Parameter(ParameterSetName = PeriodSet)]
    public TimeSpan RecoveryTimeObjective { get; set; } = ReportOperations.DefaultRecoveryTimeObjective;

    protected override void ProcessRecord()
    {
        var path = ResolveFileSystemPath(Path);
        if (ParameterSetName != PeriodSet && _written)
        {
            object run = InputObject?.Target ?? (ParameterSetName == SequenceSet ? Sequence.ToString(CultureInfo.InvariantCulture) : PlanRunId);
            WriteRollbackError(new RollbackException(RollbackErrorId.InvalidReportArguments, RollbackErrorCategory.InvalidArgument,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.ReportOneRunPerPath, run, path), run));
            return;
        }

        if (!ShouldProcess(path, CmdletStrings.ActionExportReport))
        {
            return;
        }

        try
        {
            var files = ParameterSetName switch
            {
                RunSet => Engine.Reports.ExportRun(InputObject!, Readiness, Decision, path),
                SequenceSet => Engine.Reports.ExportEntry(Sequence, Readiness, Decision, path),
                PlanRunSet => Engine.Reports.ExportPlanRun(PlanRunId, Readiness, Decision, path),
                _ => Engine.Reports.ExportPeriod(new DateTimeOffset(Since.ToUniversalTime()), Until is { } until ? new DateTimeOffset(until.ToUniversalTime()) : null, Target, RecoveryTimeObjective, path),
            };
            _written = true;
            WriteObject(files);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
