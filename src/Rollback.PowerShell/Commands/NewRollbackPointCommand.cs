using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Captures the target's current (known-good) state as a rollback point. Run it before each deployment.</summary>
[Cmdlet(VerbsCommon.New, "RollbackPoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(RollbackPoint))]
public sealed class NewRollbackPointCommand : RollbackCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    /// <summary>Why the point was captured (e.g. the deployment it precedes).</summary>
    [Parameter]
    public string? Note { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Target, CmdletStrings.ActionCapturePoint))
        {
            return;
        }

        try
        {
            WriteObject(Engine.Points.Create(Target, Note, Cancellation));
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
