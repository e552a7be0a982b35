using System;
using System.Collections;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Checks whether rolling a target back to a point is safe to start: the point exists and its artifacts verify,
/// the target is reachable and its preconditions hold, no other rollback holds it. Not ready is a report, not an error.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "RollbackReadiness")]
[OutputType(typeof(ReadinessReport))]
public sealed class TestRollbackReadinessCommand : PointCmdlet
{
    /// <summary>Points older than this get a warning check; defaults to the target's MaxPointAge setting or 7 days.</summary>
    [Parameter]
    public TimeSpan? MaxPointAge { get; set; }

    /// <summary>Per-call options, checked as Invoke-Rollback with the same -Option would check (Get-RollbackKind lists them).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable Option { get; set; } = new();

    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(Engine.Readiness.Test(Target, PointId, MaxPointAge, SettingsConverter.Convert(Option), Cancellation));
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
