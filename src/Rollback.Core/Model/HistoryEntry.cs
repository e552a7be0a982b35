using System;
using System.Collections.Generic;

namespace Rollback;

/// <summary>One line of the journal: an attempt to change a target or the store, whatever its outcome.</summary>
public sealed record HistoryEntry
{
    public long Sequence { get; init; }

    public DateTimeOffset Time { get; init; }

    public string Target { get; init; } = string.Empty;

    public string Action { get; init; } = string.Empty;

    public string? PointId { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public string? Reason { get; init; }

    public string User { get; init; } = string.Empty;

    public IReadOnlyList<string> ApprovedBy { get; init; } = Array.Empty<string>();

    public TimeSpan Duration { get; init; }

    public string Status { get; init; } = string.Empty;

    public string? ErrorId { get; init; }

    public string? Message { get; init; }

    public string? SafetyPointId { get; init; }

    /// <summary>How long verification after the switch took. Null (and left out of the line, so older lines still hash the same) when none ran.</summary>
    public TimeSpan? VerificationDuration { get; init; }

    /// <summary>From the start of the rollback to verified health; null unless it Succeeded.</summary>
    public TimeSpan? RecoveryTime { get; init; }

    /// <summary>The incident severity the rollback was approved under (SEV-0 … SEV-4), when one was given.</summary>
    public string? Severity { get; init; }

    /// <summary>The automatic trigger that let the on-call proceed alone, when one fired.</summary>
    public string? Trigger { get; init; }

    /// <summary>Facts the target's system assigned (e.g. both CodeDeploy deployment ids). Null (and left out of the line) when there are none.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    /// <summary>
    /// The attempt an entry belongs to: its intent (Action Intent, written before anything on the target changes), its
    /// outcome, and a later command's recovery of it (Action RecoverAttempt). Null (and left out) on other entries.
    /// </summary>
    public string? AttemptId { get; init; }

    /// <summary>On an intent: what the switch moves into place, in order (the files still to move). Null (and left out) otherwise.</summary>
    public IReadOnlyList<string>? SwitchPaths { get; init; }

    /// <summary>True when the journal's last line was a write cut short when this entry was appended after it. Null (and left out of the line) otherwise.</summary>
    public bool? FollowsTornLine { get; init; }

    /// <summary>
    /// The sequence journal.head named when this entry was appended, when that was not the journal's last entry (lines
    /// were written outside the module, or it stopped between an entry and its head record). Null (and left out) otherwise.
    /// </summary>
    public long? HeadRecordedSequence { get; init; }

    /// <summary>
    /// The plan run an entry belongs to: every entry a rollback (or capture) of a plan writes, the plan's own and each
    /// member's, carries the same id. Null (and left out of the line) on entries outside a plan.
    /// </summary>
    public string? PlanRunId { get; init; }

    /// <summary>The plan stage (from 1) of a member's entry in a plan run; null (and left out) otherwise.</summary>
    public int? PlanStage { get; init; }

    public string Hash { get; init; } = string.Empty;

    public string PreviousHash { get; init; } = string.Empty;

    /// <summary>HMAC-SHA256 of <see cref="Hash"/> under the journal key, written after the hash; null (and left out) when no key was configured.</summary>
    public string? Mac { get; init; }
}

/// <summary>The outcome of checking the journal's hash chain.</summary>
public sealed class JournalVerification
{
    public bool IsValid { get; init; }

    public long EntryCount { get; init; }

    /// <summary>The sequence (or, for an unreadable line, the line number) of the first entry that breaks the chain.</summary>
    public long? FirstBrokenSequence { get; init; }

    public string Message { get; init; } = string.Empty;

    public string Path { get; init; } = string.Empty;

    /// <summary>How many point manifests recorded a journal position that was checked against the chain.</summary>
    public int AnchorsChecked { get; init; }

    /// <summary>With a journal key: the entries before the first one that carries a MAC (written before the key was configured), counted, not checked.</summary>
    public long UnkeyedCount { get; init; }

    /// <summary>How many entries' MACs were checked against the journal key (0 without a key).</summary>
    public long MacsChecked { get; init; }

    /// <summary>What is not a break but worth knowing: torn writes read past, point manifests that could not be read.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
}
