using System;
using System.Collections.Generic;

namespace Rollback;

/// <summary>
/// A webhook that is told about rollbacks: registered once, subscribed to the events of some targets (a plan counts as
/// a target; "*" is every target). The webhook's address is a secret: only where it is kept (env:NAME, file:/path, or a
/// user-only store file) is stored, shown and journaled, never the address itself.
/// </summary>
public sealed class NotificationChannel
{
    /// <summary>Every target, present and future.</summary>
    public const string AllTargets = "*";

    public required string Name { get; init; }

    public NotificationFormat Format { get; init; }

    /// <summary>Where the webhook's address is: env:NAME, file:/path or store:notifications/NAME. Not the address.</summary>
    public required string Webhook { get; init; }

    /// <summary>The targets (and plans) whose events are sent; "*" for all.</summary>
    public IReadOnlyList<string> Targets { get; init; } = Array.Empty<string>();

    public IReadOnlyList<NotificationEvent> Events { get; init; } = Array.Empty<NotificationEvent>();

    /// <summary>How many times one message is tried before it counts as failed (1 or more).</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>How long one attempt may take before it is abandoned and retried.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    public DateTimeOffset RegisteredAt { get; init; }

    public string RegisteredBy { get; init; } = string.Empty;

    public override string ToString() => Name;
}

/// <summary>The body a channel's webhook receives.</summary>
public enum NotificationFormat
{
    /// <summary>A Slack incoming webhook (and Mattermost, Rocket.Chat, Discord's /slack endpoint): text and Block Kit blocks.</summary>
    Slack,

    /// <summary>A Microsoft Teams workflow webhook: a message with one Adaptive Card (a title, a summary, a fact set).</summary>
    Teams,

    /// <summary>Every field of the event as a flat JSON object, for any other receiver.</summary>
    Json,
}

/// <summary>What a channel can be told about.</summary>
public enum NotificationEvent
{
    /// <summary>A rollback passed its readiness gate and begins to change the target.</summary>
    Started,

    /// <summary>A rollback ended verified (or the target was already at the point).</summary>
    Succeeded,

    /// <summary>A rollback failed, or was refused (not ready, in progress, cancelled).</summary>
    Failed,

    /// <summary>A rollback switched the target, but its verification (state, health, traffic) failed.</summary>
    VerificationFailed,

    /// <summary>Watch-Deployment saw an automatic trigger hold and started a rollback on its own.</summary>
    AutomaticRollback,

    /// <summary>A rollback was refused for want of the approvals its severity requires.</summary>
    ApprovalRequired,
}
