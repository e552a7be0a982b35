using System;
using System.Globalization;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Turns a target's own automatic rollback on (for the events given, by default the recommended DEPLOYMENT_FAILURE and
/// DEPLOYMENT_STOP_ON_ALARM) or off, e.g. a CodeDeploy group's autoRollbackConfiguration through UpdateDeploymentGroup.
/// Journaled; nothing is sent when the setting already is so.
/// </summary>
[Cmdlet(VerbsCommon.Set, "AutoRollbackConfiguration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = EnableSet)]
[OutputType(typeof(AutoRollbackConfiguration))]
public sealed class SetAutoRollbackConfigurationCommand : RollbackCmdlet
{
    private const string EnableSet = "Enable";
    private const string DisableSet = "Disable";
    private static readonly string[] RecommendedEvents = { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" };

    /// <summary>The target name; a RollbackTarget (Name) or a RollbackPoint (Target) binds by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string[] Target { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = EnableSet)]
    public SwitchParameter Enable { get; set; }

    /// <summary>The events to roll back on; replaces the current ones. Defaults to DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM.</summary>
    [Parameter(ParameterSetName = EnableSet)]
    [ValidateSet("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")]
    public string[] Event { get; set; } = RecommendedEvents;

    [Parameter(Mandatory = true, ParameterSetName = DisableSet)]
    public SwitchParameter Disable { get; set; }

    protected override void ProcessRecord()
    {
        var enabled = ParameterSetName == EnableSet;
        var events = enabled ? Event : Array.Empty<string>();
        var action = enabled
            ? string.Format(CultureInfo.CurrentCulture, CmdletStrings.ActionEnableAutoRollback, string.Join(", ", events))
            : CmdletStrings.ActionDisableAutoRollback;
        foreach (var name in Target)
        {
            if (!ShouldProcess(name, action))
            {
                continue;
            }

            try
            {
                WriteObject(Engine.AutoRollback.Set(name, enabled, events, Cancellation));
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
            }
        }
    }
}
