using System;

namespace Rollback;

/// <summary>What happened to one member of a plan in a plan run.</summary>
public enum PlanMemberStatus
{
    /// <summary>Rolled back and verified.</summary>
    Succeeded,

    /// <summary>Already in the point's state: nothing changed.</summary>
    AlreadyCurrent,

    /// <summary>The member's rollback failed; its result says where it stands.</summary>
    Failed,

    /// <summary>Switched, but its verification (state or health) failed.</summary>
    VerificationFailed,

    /// <summary>Not started: an earlier stage failed, or Ctrl+C came first. Nothing changed on it.</summary>
    NotRun,

    /// <summary>Under -WhatIf: what would be done.</summary>
    WhatIf,
}

/// <summary>
/// One member of a plan in a plan run: its stage, its outcome and, when its stage or a later one failed under
/// -OnFailure Undo, the rollback that returned it to its safety point. <see cref="UndoCommand"/> says how to undo it by
/// hand when the plan stopped (-OnFailure Stop).
/// </summary>
public sealed record PlanMemberResult
{
    /// <summary>The stage, from 1.</summary>
    public int Stage { get; init; }

    public required string Target { get; init; }

    public required string Kind { get; init; }

    /// <summary>The member's point that the plan point names.</summary>
    public required string PointId { get; init; }

    public PlanMemberStatus Status { get; init; }

    public string? FromVersion { get; init; }

    public string? ToVersion { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public TimeSpan Duration { get; init; }

    public TimeSpan Downtime { get; init; }

    /// <summary>The safety point of the member's failed state, taken before it changed; null when nothing changed.</summary>
    public string? SafetyPointId { get; init; }

    public string? ErrorId { get; init; }

    public string? Message { get; init; }

    /// <summary>The member's journal entry for this run; 0 when it did not run.</summary>
    public long JournalSequence { get; init; }

    /// <summary>The member's own rollback result (a plan member's is itself a plan result); null when it did not run.</summary>
    public RollbackResult? Result { get; init; }

    /// <summary>The rollback that returned the member to its safety point under -OnFailure Undo; null when none ran.</summary>
    public RollbackResult? Undo { get; init; }

    /// <summary>When the plan stopped with this member changed: the command that returns it to its safety point.</summary>
    public string? UndoCommand { get; init; }

    public override string ToString() => $"{Target} ({Status})";
}
