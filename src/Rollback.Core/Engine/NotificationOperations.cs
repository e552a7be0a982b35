using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Rollback.Errors;
using Rollback.Notifications;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// Notification channels: a webhook registered once with its format, subscribed to some targets' (or plans') events.
/// Registration reads the webhook where it is kept and refuses what is not an http(s) address, so a channel that is
/// registered can be delivered to; a webhook given as a SecureString is kept in a user-only store file. The registry and
/// the journal hold only where the webhook is kept.
/// </summary>
public sealed class NotificationOperations : EnginePart
{
    public const int MaxAttemptsLimit = 10;
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    // Not a valid target name (those start with a letter or digit), so never a target's secrets folder.
    private const string SecretsFolder = "_notifications";

    internal NotificationOperations(EngineServices engine)
        : base(engine)
    {
    }

    public NotificationChannel Register(NotificationRegistration registration, bool replace)
    {
        var name = registration.Name;
        if (!TargetRegistry.IsValidName(name))
        {
            throw new RollbackException(RollbackErrorId.InvalidNotificationName, RollbackErrorCategory.InvalidArgument,
                $"'{name}' is not a valid notification channel name. Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.", name);
        }

        var events = registration.Events.Count == 0 ? Enum.GetValues(typeof(NotificationEvent)).Cast<NotificationEvent>().ToList() : registration.Events.Distinct().ToList();
        if (registration.MaxAttempts is < 1 or > MaxAttemptsLimit)
        {
            throw InvalidSetting(name, $"-MaxAttempts must be from 1 to {MaxAttemptsLimit}, not {registration.MaxAttempts}");
        }

        if (registration.Timeout <= TimeSpan.Zero || registration.Timeout > MaxTimeout)
        {
            throw InvalidSetting(name, $"-Timeout must be more than zero and at most {MaxTimeout:g}, not {registration.Timeout:g}");
        }

        var targets = CheckTargets(name, registration.Targets);
        string reference;
        switch (registration.Webhook)
        {
            case string text when SecretReference.TryParse(text, out var secret):
                reference = secret!.Locator;
                Notifier.Webhook(name, reference, Engine.Store.Secrets.Directory);
                break;
            case SecretText kept:
                reference = SecretFiles.ReferenceFor(SecretsFolder, name.ToLowerInvariant()).Locator;
                CheckAddress(name, kept);
                break;
            default:
                throw new RollbackException(RollbackErrorId.NotificationWebhookInClear, RollbackErrorCategory.SecurityError,
                    $"The webhook of notification channel '{name}' was given as plain text. A webhook's address is its own credential: give it as 'env:NAME' " +
                    "(an environment variable), 'file:/path' (a file only its owner can read) or a SecureString (kept in a user-only store file); it is never stored in clear.", name);
        }

        var channel = new NotificationChannel
        {
            Name = name,
            Format = registration.Format,
            Webhook = reference,
            Targets = targets,
            Events = events,
            MaxAttempts = registration.MaxAttempts,
            Timeout = registration.Timeout,
            RegisteredAt = Engine.Now,
            RegisteredBy = Engine.User,
        };
        Engine.Store.Notifications.Save(channel, replace);
        Engine.Store.Secrets.Remove(SecretsFolder, name.ToLowerInvariant());
        if (registration.Webhook is SecretText value)
        {
            Engine.Store.Secrets.Keep(SecretsFolder, name.ToLowerInvariant(), value.Value);
        }

        Engine.Attempt(HistoryAction.RegisterNotification, name).Note(e => e with { To = channel.Format.ToString() })
            .Succeeded($"Events {string.Join(", ", events)} of {string.Join(", ", targets)}; webhook kept at {reference.Split(':')[0]}:.");
        return channel;
    }

    public IReadOnlyList<NotificationChannel> GetAll() => Engine.Store.Notifications.GetAll();

    public NotificationChannel Get(string name) => Engine.Store.Notifications.Get(name);

    public void Unregister(string name)
    {
        var channel = Get(name);
        Engine.Store.Notifications.Remove(channel.Name);
        Engine.Store.Secrets.Remove(SecretsFolder, channel.Name.ToLowerInvariant());
        Engine.Attempt(HistoryAction.UnregisterNotification, channel.Name).Succeeded();
    }

    private List<string> CheckTargets(string name, IReadOnlyList<string> targets)
    {
        if (targets.Count == 0)
        {
            throw InvalidSetting(name, "-Target must name at least one target or plan ('*' for every target)");
        }

        var registered = Engine.Store.Targets.GetAll();
        var checkedTargets = new List<string>();
        foreach (var target in targets.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (target == NotificationChannel.AllTargets)
            {
                checkedTargets.Add(target);
                continue;
            }

            // The registered spelling, so what is shown matches Get-RollbackTarget; an unknown name is refused (a typo would never notify).
            checkedTargets.Add(registered.FirstOrDefault(t => string.Equals(t.Name, target, StringComparison.OrdinalIgnoreCase))?.Name
                ?? Engine.Store.Targets.Get(target).Name);
        }

        return checkedTargets;
    }

    private static void CheckAddress(string name, SecretText value)
    {
        var pointer = IntPtr.Zero;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(value.Value);
            var text = (Marshal.PtrToStringUni(pointer) ?? string.Empty).Trim();
            if (!(Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && !string.IsNullOrEmpty(uri.Host)))
            {
                throw new RollbackException(RollbackErrorId.NotificationWebhookInvalid, RollbackErrorCategory.InvalidArgument,
                    $"The webhook of notification channel '{name}' cannot be used: the SecureString given is not an absolute http:// or https:// address. Give the webhook's address (https://...).", name);
            }
        }
        finally
        {
            if (pointer != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(pointer);
            }
        }
    }

    private static RollbackException InvalidSetting(string name, string why) =>
        new(RollbackErrorId.InvalidNotificationSetting, RollbackErrorCategory.InvalidArgument, $"Notification channel '{name}': {why}.", name);
}

/// <summary>What Register-RollbackNotification asks of the engine.</summary>
public sealed class NotificationRegistration
{
    public required string Name { get; init; }

    public NotificationFormat Format { get; init; } = NotificationFormat.Json;

    /// <summary>'env:NAME' or 'file:/path' (a string), or a <see cref="SecretText"/> to keep in the store; anything else is refused.</summary>
    public required object Webhook { get; init; }

    public IReadOnlyList<string> Targets { get; init; } = Array.Empty<string>();

    /// <summary>The events to send; empty means all of them.</summary>
    public IReadOnlyList<NotificationEvent> Events { get; init; } = Array.Empty<NotificationEvent>();

    public int MaxAttempts { get; init; } = 4;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
