using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Rollback.Notifications;

/// <summary>
/// What one event says about one rollback, whatever the channel's format: what an incident channel needs. Values not
/// known at the event (a duration when it starts) are null. Never holds a secret: the engine's results never do.
/// </summary>
internal sealed record RollbackNotice
{
    public NotificationEvent Event { get; init; }

    public string Target { get; init; } = string.Empty;

    public string? Kind { get; init; }

    /// <summary>The result's status (Succeeded, AlreadyCurrent, Failed...), or Started / Refused / Cancelled.</summary>
    public string Status { get; init; } = string.Empty;

    public string? FromVersion { get; init; }

    public string? ToVersion { get; init; }

    public string? PointId { get; init; }

    public string? Reason { get; init; }

    public string User { get; init; } = string.Empty;

    public IReadOnlyList<string> ApprovedBy { get; init; } = Array.Empty<string>();

    public string? Severity { get; init; }

    public string? Trigger { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public TimeSpan? Duration { get; init; }

    public TimeSpan? Downtime { get; init; }

    /// <summary>Passed, or Failed with the first failed check; null before verification.</summary>
    public string? Verification { get; init; }

    public string? PlanRunId { get; init; }

    public int? PlanStage { get; init; }

    public long? JournalSequence { get; init; }

    public string? SafetyPointId { get; init; }

    public string? ErrorId { get; init; }

    public string? Message { get; init; }

    /// <summary>One line: what happened to which service.</summary>
    public string Headline
    {
        get
        {
            var versions = Versions is { } v ? $": {v}" : string.Empty;
            return Event switch
            {
                NotificationEvent.Started => $"Rollback of {Target} started{versions}",
                NotificationEvent.AutomaticRollback => $"Automatic rollback of {Target} started by Watch-Deployment ({Trigger}){versions}",
                NotificationEvent.Succeeded when Status == nameof(RollbackStatus.AlreadyCurrent) => $"Rollback of {Target}: already at {ToVersion}, nothing changed",
                NotificationEvent.Succeeded => $"Rollback of {Target} succeeded{versions}",
                NotificationEvent.VerificationFailed => $"Rollback of {Target} failed verification ({ErrorId}){versions}",
                NotificationEvent.ApprovalRequired => $"Rollback of {Target} refused: approval required",
                _ => $"Rollback of {Target} {(Status is "Refused" or "Cancelled" ? Status.ToLowerInvariant() : "failed")} ({ErrorId}){versions}",
            };
        }
    }

    /// <summary>"v2.4.0 → v2.3.1", or null when neither is known.</summary>
    public string? Versions => FromVersion is null && ToVersion is null ? null : $"{FromVersion ?? "?"} → {ToVersion ?? "?"}";

    /// <summary>The labelled facts, in the order a reader wants them; the ones not known are left out.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts()
    {
        var facts = new List<KeyValuePair<string, string>>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                facts.Add(new KeyValuePair<string, string>(name, value!));
            }
        }

        Add("Service", Kind is null ? Target : $"{Target} ({Kind})");
        Add("Versions", Versions);
        Add("Status", Status);
        Add("Reason", Reason);
        Add("Run by", User);
        Add("Approved by", ApprovedBy.Count == 0 ? null : string.Join(", ", ApprovedBy));
        Add("Severity", Severity);
        Add("Trigger", Trigger);
        Add("Started", StartedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Add("Duration", Duration is { } duration ? Durations.Describe(duration) : null);
        Add("Downtime", Downtime is { } downtime ? Durations.Describe(downtime) : null);
        Add("Verification", Verification);
        Add("Plan run", PlanRunId);
        Add("Plan stage", PlanStage?.ToString(CultureInfo.InvariantCulture));
        Add("Journal sequence", JournalSequence?.ToString(CultureInfo.InvariantCulture));
        Add("Safety point", SafetyPointId);
        Add("Error", ErrorId);
        return facts;
    }

    /// <summary>The verification outcome of a result: Passed, or Failed with the first failed check.</summary>
    public static string? VerificationOf(RollbackResult result)
    {
        if (result.Verification.Count == 0)
        {
            return null;
        }

        var failed = result.Verification.FirstOrDefault(c => c.Status == CheckStatus.Fail);
        return failed is null
            ? $"Passed ({result.Verification.Count} check(s){(result.Health.Count > 0 ? $", {result.Health.Count} health endpoint(s)" : string.Empty)})"
            : $"Failed: {failed.Name}: {failed.Message}";
    }

    /// <summary>The notice of a rollback past its readiness gate, about to change the target (AutomaticRollback when Watch-Deployment started it).</summary>
    public static RollbackNotice Starting(Engine.RollbackRequest request, RollbackTarget target, string? from, string? to, string user, DateTimeOffset startedAt, string? planRunId, int? planStage) => new()
    {
        Event = request.StartedByWatch ? NotificationEvent.AutomaticRollback : NotificationEvent.Started,
        Target = target.Name,
        Kind = target.Kind,
        Status = "Started",
        FromVersion = from,
        ToVersion = to,
        PointId = request.PointId,
        Reason = request.Reason,
        User = user,
        ApprovedBy = request.ApprovedBy,
        Severity = request.Severity is RollbackSeverity severity ? SeverityRule.LabelOf(severity) : null,
        Trigger = request.AutomaticTrigger?.ToString(),
        StartedAt = startedAt,
        PlanRunId = planRunId,
        PlanStage = planStage,
    };

    /// <summary>The notice of a rollback refused or cancelled before it changed anything, from its journal entry (ApprovalRequired for want of approvals).</summary>
    public static RollbackNotice Refused(HistoryEntry entry, string? kind, DateTimeOffset startedAt) => new()
    {
        Event = entry.ErrorId == Errors.RollbackErrorId.ApprovalRequired ? NotificationEvent.ApprovalRequired : NotificationEvent.Failed,
        Target = entry.Target,
        Kind = kind,
        Status = entry.Status,
        FromVersion = entry.From,
        ToVersion = entry.To,
        PointId = entry.PointId,
        Reason = entry.Reason,
        User = entry.User,
        ApprovedBy = entry.ApprovedBy,
        Severity = entry.Severity,
        Trigger = entry.Trigger,
        StartedAt = startedAt,
        Duration = entry.Duration,
        PlanRunId = entry.PlanRunId,
        PlanStage = entry.PlanStage,
        JournalSequence = entry.Sequence,
        ErrorId = entry.ErrorId,
        Message = entry.Message,
    };

    /// <summary>The notice of a finished rollback (a single target's or a plan's).</summary>
    public static RollbackNotice Of(RollbackResult result, string? planRunId, int? planStage) => new()
    {
        Event = result.Status switch
        {
            RollbackStatus.Succeeded or RollbackStatus.AlreadyCurrent => NotificationEvent.Succeeded,
            RollbackStatus.VerificationFailed => NotificationEvent.VerificationFailed,
            _ => NotificationEvent.Failed,
        },
        Target = result.Target,
        Kind = result.Kind,
        Status = result.Status.ToString(),
        FromVersion = result.FromVersion,
        ToVersion = result.ToVersion,
        PointId = result.PointId,
        Reason = result.Reason,
        User = result.User,
        ApprovedBy = result.ApprovedBy,
        Severity = result.Severity,
        Trigger = result.Trigger,
        StartedAt = result.StartedAt,
        Duration = result.Duration,
        Downtime = result.Downtime,
        Verification = VerificationOf(result),
        PlanRunId = result.PlanRunId ?? planRunId,
        PlanStage = planStage,
        JournalSequence = result.JournalSequence,
        SafetyPointId = result.SafetyPointId,
        ErrorId = result.ErrorId,
        Message = result.Message,
    };
}
