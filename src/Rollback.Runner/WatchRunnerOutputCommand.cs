using System;
using System.Linq;
using System.Management.Automation;

namespace Rollback.Runner;

/// <summary>
/// Sits in front of the real <c>Out-Default</c> (see <see cref="RunnerSession"/>): records errors and failed
/// rollback results that reach the output, then passes every object on unchanged.
/// </summary>
/// <remarks>
/// A cmdlet streams and sees the real objects, so tables are not held back and the order with warnings and
/// progress is kept. It is private to the session: scripts cannot call it, only the session's Out-Default.
/// It matches results by type name, not type, so the runner needs no reference to the module assembly (which
/// the module loads in its own way) and also counts deserialized results (from jobs and remoting).
/// </remarks>
[Cmdlet(VerbsCommon.Watch, CommandNoun)]
[OutputType(typeof(PSObject))]
internal sealed class WatchRunnerOutputCommand : PSCmdlet
{
    public const string CommandNoun = "RunnerOutput";

    public const string CommandName = "Watch-" + CommandNoun;

    private static readonly string[] ResultTypeNames = ["Rollback.RollbackResult", "Deserialized.Rollback.RollbackResult"];

    private static readonly string[] FailedStatuses = ["Failed", "VerificationFailed"];

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
            RunObservation.Current.CountErrorRecord();
        }
        else if (IsFailedRollback(InputObject))
        {
            RunObservation.Current.CountFailedRollback();
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
