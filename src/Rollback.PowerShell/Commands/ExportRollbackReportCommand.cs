using System;
using System.Globalization;
using System.Management.Automation;
using Rollback.Engine;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Writes an incident report as a self-contained HTML file and a Markdown file beside it: one run (a RollbackResult, a
/// target's or a plan's, from the pipeline) or a period of the journal.
/// </summary>
[Cmdlet(VerbsData.Export, "RollbackReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = RunSet)]
[OutputType(typeof(ReportFiles))]
public sealed class ExportRollbackReportCommand : RollbackCmdlet
{
    private const string RunSet = "Run";
    private const string PeriodSet = "Period";

    private bool _written;

    /// <summary>The HTML file to write; the Markdown goes beside it with the extension .md.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The result of the run (Invoke-Rollback's output).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = RunSet)]
    public RollbackResult? InputObject { get; set; }

    /// <summary>The readiness report the run was gated on, for its checks.</summary>
    [Parameter(ParameterSetName = RunSet)]
    public ReadinessReport? Readiness { get; set; }

    /// <summary>The decision that called for the rollback, for the thresholds that fired.</summary>
    [Parameter(ParameterSetName = RunSet)]
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
        if (ParameterSetName == RunSet && _written)
        {
            WriteRollbackError(new RollbackException(RollbackErrorId.InvalidReportArguments, RollbackErrorCategory.InvalidArgument,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.ReportOneRunPerPath, InputObject?.Target, path), InputObject));
            return;
        }

        if (!ShouldProcess(path, CmdletStrings.ActionExportReport))
        {
            return;
        }

        try
        {
            var files = ParameterSetName == RunSet
                ? Engine.Reports.ExportRun(InputObject!, Readiness, Decision, path)
                : Engine.Reports.ExportPeriod(new DateTimeOffset(Since.ToUniversalTime()), Until is { } until ? new DateTimeOffset(until.ToUniversalTime()) : null, Target, RecoveryTimeObjective, path);
            _written = true;
            WriteObject(files);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
