using System;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Removes notification channels (and the webhook the store kept for them, if any).</summary>
[Cmdlet(VerbsLifecycle.Unregister, "RollbackNotification", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NotificationChannel))]
public sealed class UnregisterRollbackNotificationCommand : RollbackCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Skips the confirmation prompt (-WhatIf still applies).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes each channel removed to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                var channel = Engine.Notifications.Get(name);
                if (!ShouldProcessUnlessForced(channel.Name, CmdletStrings.ActionUnregisterNotification, Force))
                {
                    continue;
                }

                Engine.Notifications.Unregister(channel.Name);
                if (PassThru)
                {
                    WriteObject(channel);
                }
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
            }
        }
    }
}
