using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;

namespace Rollback.Notifications;

/// <summary>
/// Sends an engine's notices to the channels subscribed to their target and event, beside the rollback rather than in
/// its way: each message is delivered on a worker (one channel's messages in the order they were posted), and
/// <see cref="Drain"/>, on the caller's thread at the end of the rollback, waits for them. A message that could not be
/// delivered is a warning and a journal entry (Notify, NotificationFailed), never a failure of the rollback. One per engine.
/// </summary>
internal sealed class Notifier
{
    private readonly EngineServices _engine;
    private readonly object _gate = new();
    private readonly Dictionary<string, Task> _tails = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Task<Delivery>> _pending = new();

    public Notifier(EngineServices engine) => _engine = engine;

    /// <summary>Starts delivering <paramref name="notice"/> to every channel that wants it; returns at once.</summary>
    public void Post(RollbackNotice notice)
    {
        IReadOnlyList<NotificationChannel> channels;
        try
        {
            channels = _engine.Store.Notifications.GetAll();
        }
        catch (RollbackException ex)
        {
            lock (_gate)
            {
                _pending.Add(Task.FromResult(new Delivery(null, notice, new DeliveryOutcome(false, 0, ex.Message))));
            }

            return;
        }

        foreach (var channel in channels.Where(c => Wants(c, notice)))
        {
            var body = NotificationBody.Write(channel.Format, notice);
            lock (_gate)
            {
                var previous = _tails.TryGetValue(channel.Name, out var tail) ? tail : Task.CompletedTask;
                var next = previous.ContinueWith(_ => Deliver(channel, notice, body), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                _tails[channel.Name] = next;
                _pending.Add(next);
            }
        }
    }

    /// <summary>
    /// Waits for every message posted so far, then reports each delivery: verbose when delivered, a warning and a journal
    /// entry when not. Call on the thread that may write to the reporter.
    /// </summary>
    public void Drain()
    {
        List<Task<Delivery>> pending;
        lock (_gate)
        {
            pending = _pending.ToList();
            _pending.Clear();
        }

        foreach (var task in pending)
        {
            var delivery = task.GetAwaiter().GetResult();
            var what = $"the {delivery.Notice.Event} event of '{delivery.Notice.Target}'" +
                (delivery.Notice.JournalSequence is { } sequence ? $" (journal sequence {sequence.ToString(CultureInfo.InvariantCulture)})" : string.Empty);
            if (delivery.Outcome.Delivered)
            {
                _engine.Reporter.Verbose($"Notification channel '{delivery.Channel!.Name}' ({delivery.Channel.Format}) was told {what}.");
                continue;
            }

            var channel = delivery.Channel is null ? "The notification channels" : $"Notification channel '{delivery.Channel.Name}' ({delivery.Channel.Format})";
            var message = $"{channel} could not be told {what}: {delivery.Outcome.Failure}" +
                (delivery.Outcome.Attempts > 0 ? $" after {delivery.Outcome.Attempts.ToString(CultureInfo.InvariantCulture)} attempt(s)" : string.Empty) +
                ". The rollback itself is not affected.";
            _engine.Reporter.Warning(message);
            try
            {
                _engine.Attempt(HistoryAction.Notify, delivery.Notice.Target).Note(e => e with
                {
                    Details = new Dictionary<string, string>
                    {
                        ["Channel"] = delivery.Channel?.Name ?? string.Empty,
                        ["Event"] = delivery.Notice.Event.ToString(),
                        ["Attempts"] = delivery.Outcome.Attempts.ToString(CultureInfo.InvariantCulture),
                    },
                }).Failed(new RollbackException(RollbackErrorId.NotificationFailed, RollbackErrorCategory.ResourceUnavailable, message, delivery.Notice.Target));
            }
            catch (RollbackException ex)
            {
                // A journal that cannot take the entry must not fail the rollback that is already journaled.
                _engine.Reporter.Warning(ex.Message);
            }
        }
    }

    /// <summary>The webhook a channel names, read where it is kept; SecretUnavailable or NotificationWebhookInvalid when it cannot be used.</summary>
    public static Uri Webhook(string channelName, string reference, string secretsDirectory)
    {
        if (!SecretReference.TryParse(reference, out var secret))
        {
            throw WebhookInvalid(channelName, $"its reference is not env:NAME, file:/path or a kept SecureString");
        }

        var text = secret!.Reveal(secretsDirectory).Trim();
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && !string.IsNullOrEmpty(uri.Host)
            ? uri
            : throw WebhookInvalid(channelName, $"the value kept at {secret.Locator} is not an absolute http:// or https:// address");
    }

    private static RollbackException WebhookInvalid(string channelName, string why) =>
        new(RollbackErrorId.NotificationWebhookInvalid, RollbackErrorCategory.InvalidArgument,
            $"The webhook of notification channel '{channelName}' cannot be used: {why}. Give the webhook's address (https://...) as the value.", channelName);

    private static bool Wants(NotificationChannel channel, RollbackNotice notice) =>
        channel.Events.Contains(notice.Event) &&
        channel.Targets.Any(t => t == NotificationChannel.AllTargets || string.Equals(t, notice.Target, StringComparison.OrdinalIgnoreCase));

    private Delivery Deliver(NotificationChannel channel, RollbackNotice notice, string body)
    {
        try
        {
            var webhook = Webhook(channel.Name, channel.Webhook, _engine.Store.Secrets.Directory);
            return new Delivery(channel, notice, WebhookDelivery.Post(webhook, body, channel.MaxAttempts, channel.Timeout, _engine.Time, CancellationToken.None));
        }
        catch (Exception ex) when (ex is RollbackException or IOException or InvalidOperationException or HttpRequestException or OperationCanceledException)
        {
            // Never ex.Message of the HTTP stack (it may hold the address); RollbackException messages here never do.
            return new Delivery(channel, notice, new DeliveryOutcome(false, 0, ex is RollbackException ? ex.Message.TrimEnd('.') : $"the message could not be sent ({ex.GetType().Name})"));
        }
    }

    private sealed record Delivery(NotificationChannel? Channel, RollbackNotice Notice, DeliveryOutcome Outcome);
}
