using System;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Registers a notification channel: a webhook (kept as a reference or a user-only store file, never in clear) with its
/// format, told about the given events of the given targets and plans.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "RollbackNotification", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NotificationChannel))]
public sealed class RegisterRollbackNotificationCommand : RollbackCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>'env:NAME', 'file:/path' or a SecureString holding the webhook's address; a plain address is refused.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public object Webhook { get; set; } = string.Empty;

    /// <summary>The targets and plans whose events are sent; '*' for every target.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string[] Target { get; set; } = Array.Empty<string>();

    [Parameter]
    public NotificationFormat Format { get; set; } = NotificationFormat.Json;

    /// <summary>The events to send; all of them when absent.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public NotificationEvent[] Event { get; set; } = Array.Empty<NotificationEvent>();

    [Parameter]
    public int MaxAttempts { get; set; } = 4;

    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Replaces a channel of the same name.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var action = string.Format(CultureInfo.CurrentCulture, Force ? CmdletStrings.ActionReplaceNotification : CmdletStrings.ActionRegisterNotification, Format, string.Join(", ", Target));
        if (!ShouldProcess(Name, action))
        {
            return;
        }

        try
        {
            WriteObject(Engine.Notifications.Register(new NotificationRegistration
            {
                Name = Name,
                Format = Format,
                Webhook = WebhookValue(Webhook is PSObject wrapped ? wrapped.BaseObject : Webhook),
                Targets = Target,
                Events = Event,
                MaxAttempts = MaxAttempts,
                Timeout = Timeout,
            }, Force));
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }

    /// <summary>A SecureString (or a credential's password) is handed on to be kept; a file: reference is made absolute against the PowerShell location.</summary>
    private object WebhookValue(object value) => value switch
    {
        SecureString secure => new SecretText(secure),
        PSCredential credential => new SecretText(credential.Password),
        string text when text.StartsWith(SecretReference.FilePrefix, StringComparison.OrdinalIgnoreCase) && text.Length > SecretReference.FilePrefix.Length =>
            SecretReference.FilePrefix + ResolveFileSystemPath(text.Substring(SecretReference.FilePrefix.Length)),
        _ => value,
    };
}
