using System;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Shows a target's automatic rollback setting as its own system holds it (a CodeDeploy group's
/// autoRollbackConfiguration), with the recommended events that are missing.
/// </summary>
[Cmdlet(VerbsCommon.Get, "AutoRollbackConfiguration")]
[OutputType(typeof(AutoRollbackConfiguration))]
public sealed class GetAutoRollbackConfigurationCommand : RollbackCmdlet
{
    /// <summary>The target name; a RollbackTarget (Name) or a RollbackPoint (Target) binds by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string[] Target { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var name in Target)
        {
            try
            {
                WriteObject(Engine.AutoRollback.Get(name, Cancellation));
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
            }
        }
    }
}
