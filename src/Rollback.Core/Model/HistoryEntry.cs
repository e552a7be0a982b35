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

    // What an incident report of the run is made of (Export-RollbackReport from history), recorded on a rollback's entries.
    // Each is null, and left out of the line, on entries written before it was recorded: their lines still hash the same.

    /// <summary>The kind of the target rolled back (Plan for a plan).</summary>
    public string? Kind { get; init; }

    /// <summary>When the attempt started (the result's StartedAt); <see cref="Time"/> is when its entry was written.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>How long the target was down (the switch); for a plan, each stage's longest member downtime, summed.</summary>
    public TimeSpan? Downtime { get; init; }

    /// <summary>The steps as they ran, each with its start and duration (a plan's: its stages).</summary>
    public IReadOnlyList<RollbackStep>? Steps { get; init; }

    /// <summary>When verification after the switch started (it took <see cref="VerificationDuration"/>).</summary>
    public DateTimeOffset? VerificationStartedAt { get; init; }

    /// <summary>The readiness checks the attempt was gated on (a plan's: its own and every member's, named after the member).</summary>
    public IReadOnlyList<CheckResult>? Readiness { get; init; }

    /// <summary>The verification checks after the switch, each health endpoint's answer among them (named "Health" and its address).</summary>
    public IReadOnlyList<CheckResult>? Verification { get; init; }

    /// <summary>The decision that called for the rollback (Watch-Deployment's automatic rollbacks): its action, severity and the thresholds that fired.</summary>
    public HistoryDecision? Decision { get; init; }

    /// <summary>On a plan's entry: each member, its stage, its outcome and the sequence of its own entry of the run.</summary>
    public IReadOnlyList<HistoryMember>? Members { get; init; }

    /// <summary>
    /// On an entry copied from a folder store by Copy-RollbackStore: where it was first written (that store, its host, its
    /// sequence and hash there). Null (and left out of the line) on entries written in this store.
    /// </summary>
    public HistoryOrigin? Origin { get; init; }

    public string Hash { get; init; } = string.Empty;

    public string PreviousHash { get; init; } = string.Empty;

    /// <summary>HMAC-SHA256 of <see cref="Hash"/> under the journal key, written after the hash; null (and left out) when no key was configured.</summary>
    public string? Mac { get; init; }
}

/// <summary>The decision a rollback was started on, as its journal entry records it.</summary>
public sealed record HistoryDecision
{
    public RollbackAction Action { get; init; }

    /// <summary>"SEV-0" ... "SEV-4".</summary>
    public string Severity { get; init; } = string.Empty;

    public int RequiredApprovals { get; init; }

    public IReadOnlyList<string> Reasons { get; init; } = Array.Empty<string>();

    /// <summary>The thresholds that fired (held for their required time).</summary>
    public IReadOnlyList<FiredThreshold> FiredThresholds { get; init; } = Array.Empty<FiredThreshold>();

    public static HistoryDecision Of(RollbackDecision decision) => new()
    {
        Action = decision.Action,
        Severity = decision.SeverityLabel,
        RequiredApprovals = decision.RequiredApprovals,
        Reasons = decision.Reasons,
        FiredThresholds = decision.FiredThresholds,
    };

    public override string ToString() => $"{Action} ({Severity})";
}

/// <summary>
/// Where a copied journal entry was first written. The entry is sealed again in the store it was copied into (its own
/// sequence and hash there); this keeps the link back to the original, which the source's journal still proves.
/// </summary>
public sealed record HistoryOrigin
{
    /// <summary>The folder store the entry was copied from.</summary>
    public string Store { get; init; } = string.Empty;

    /// <summary>The machine that folder store was on.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The hash of the source journal's first entry: which journal it was, whatever its folder is called now.</summary>
    public string Journal { get; init; } = string.Empty;

    /// <summary>The entry's sequence in the source journal.</summary>
    public long Sequence { get; init; }

    /// <summary>The entry's hash in the source journal.</summary>
    public string Hash { get; init; } = string.Empty;

    public override string ToString() => $"{Store}#{Sequence} ({Host})";
}

/// <summary>One member of a plan run, as the plan's journal entry records it.</summary>
public sealed record HistoryMember
{
    /// <summary>The stage, from 1.</summary>
    public int Stage { get; init; }

    public string Target { get; init; } = string.Empty;

    public PlanMemberStatus Status { get; init; }

    /// <summary>The member's own journal entry of the run; null when it did not run.</summary>
    public long? Sequence { get; init; }

    public override string ToString() => $"{Target} ({Status})";
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
