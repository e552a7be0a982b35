using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Removes a target from the registry, optionally deleting its points.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "RollbackTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(RollbackTarget))]
public sealed class UnregisterRollbackTargetCommand : RollbackCmdlet
{
    private const string ByNameSet = "ByName";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByNameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string[] Name { get; set; } = System.Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public RollbackTarget[] InputObject { get; set; } = System.Array.Empty<RollbackTarget>();

    /// <summary>Also deletes the target's points from the store.</summary>
    [Parameter]
    public SwitchParameter RemovePoints { get; set; }

    /// <summary>Skips the confirmation prompt (-WhatIf still applies).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes each unregistered target to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet)
        {
            foreach (var target in InputObject)
            {
                Unregister(target.Name);
            }

            return;
        }

        foreach (var name in Name)
        {
            Unregister(name);
        }
    }

    private void Unregister(string name)
    {
        try
        {
            var target = Engine.Targets.Get(name);
            var action = RemovePoints ? CmdletStrings.ActionUnregisterTargetAndPoints : CmdletStrings.ActionUnregisterTarget;
            if (!ShouldProcessUnlessForced(target.Name, action, Force))
            {
                return;
            }

            Engine.Targets.Unregister(target.Name, RemovePoints);
            if (PassThru)
            {
                WriteObject(target);
            }
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
