using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Lists the notification channels, by name (wildcards allowed) or by a target they follow. Never shows a webhook, only where it is kept.</summary>
[Cmdlet(VerbsCommon.Get, "RollbackNotification")]
[OutputType(typeof(NotificationChannel))]
public sealed class GetRollbackNotificationCommand : RollbackCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Only the channels told about this target (by name, or through '*').</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string? Target { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<NotificationChannel> all;
        try
        {
            all = Engine.Notifications.GetAll();
        }
        catch (RollbackException ex)
        {
            ThrowRollbackError(ex);
            return;
        }

        var following = all.Where(c => Target is null || c.Targets.Any(t => t == NotificationChannel.AllTargets || string.Equals(t, Target, StringComparison.OrdinalIgnoreCase))).ToList();
        WriteObject(SelectByName(all, following, Name, c => c.Name, NotFound), enumerateCollection: true);
    }

    private void NotFound(string name)
    {
        try
        {
            Engine.Notifications.Get(name);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
