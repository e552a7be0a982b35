using System;
using System.Linq;
using System.Management.Automation;

namespace Rollback.Runner;

/// <summary>
/// Sits between the user's script and <c>Out-Default</c>: records errors and failed rollback results,
/// then passes every object on unchanged.
/// </summary>
/// <remarks>
/// Why a cmdlet rather than the alternatives: a <c>ForEach-Object</c> wrapper would put runner logic in
/// script text that the user's script could shadow or break (a function named ForEach-Object, strict
/// mode); collecting output first and rendering it afterwards would hold every table back until the
/// script ends and lose the order with warnings and progress. A cmdlet streams, sees the real objects,
/// and is added to the pipeline by <see cref="CmdletInfo"/> rather than registered in the session, so
/// scripts never see it. It matches results by type name, not type, so the runner needs no reference
/// to the module assembly (which the module loads in its own way) and also counts deserialized results.
/// </remarks>
[Cmdlet(VerbsCommon.Watch, "RunnerOutput")]
[OutputType(typeof(PSObject))]
internal sealed class WatchRunnerOutputCommand : PSCmdlet
{
    private static readonly string[] ResultTypeNames = ["Rollback.RollbackResult", "Deserialized.Rollback.RollbackResult"];

    private static readonly string[] FailedStatuses = ["Failed", "VerificationFailed"];

    [Parameter(Mandatory = true)]
    public RunObservation Observer { get; set; } = null!;

    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            return;
        }

        if (InputObject.BaseObject is ErrorRecord)
        {
            Observer.ErrorRecords++;
        }
        else if (IsFailedRollback(InputObject))
        {
            Observer.FailedRollbacks++;
        }

        WriteObject(InputObject);
    }

    private static bool IsFailedRollback(PSObject item)
    {
        if (!item.TypeNames.Any(name => ResultTypeNames.Contains(name, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        var status = item.Properties["Status"]?.Value?.ToString();
        return status is not null && FailedStatuses.Contains(status, StringComparer.OrdinalIgnoreCase);
    }
}
