using System;
using System.Collections.Generic;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// One attempt to change a target or the store, its outcome journaled once whatever it is (refused and failed ones too).
/// What it is about is noted as it becomes known; an attempt that switches a target journals its intent first
/// (<see cref="Intend"/>); its outcome closes it with the status, the time it took, the ErrorId and the message,
/// stamped with the time and the user. Every journal line the engine writes for an attempt is written here.
/// </summary>
internal sealed class JournaledAttempt
{
    private readonly Journal _journal;
    private readonly TimeProvider _time;
    private readonly string _user;
    private readonly long _started;
    private HistoryEntry _entry;
    private Action? _closed;

    public JournaledAttempt(Journal journal, TimeProvider time, string user, string action, string target, string? planRunId = null, int? planStage = null)
    {
        _journal = journal;
        _time = time;
        _user = user;
        _started = time.GetTimestamp();
        _entry = new HistoryEntry { Action = action, Target = target, PlanRunId = planRunId, PlanStage = planStage };
    }

    /// <summary>The time since the attempt started.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>Adds what has become known about the attempt (the point, the versions, the reason...).</summary>
    public JournaledAttempt Note(Func<HistoryEntry, HistoryEntry> change)
    {
        _entry = change(_entry);
        return this;
    }

    /// <summary>
    /// Journals the attempt's intent (Action Intent, Status Started) before anything on the target changes: what is noted
    /// so far, the attempt's id and what the switch moves. A journal that cannot take it throws JournalUnwritable, and the switch
    /// never starts. The outcome written by <see cref="Close"/> carries the same AttemptId; <paramref name="closed"/>
    /// runs once that outcome is in the journal (the attempt's record is forgotten then, not before).
    /// </summary>
    public HistoryEntry Intend(string attemptId, IReadOnlyList<string> switchPaths, string message, Action closed)
    {
        _entry = _entry with { AttemptId = attemptId };
        var intent = Append(_entry with
        {
            Action = HistoryAction.Intent, Status = HistoryStatus.Started, Message = _entry.Action + ": " + message, SwitchPaths = switchPaths.Count == 0 ? null : switchPaths,
            // What the gate checked and decided belongs to the outcome, which carries it once.
            Readiness = null, Decision = null,
        });
        _closed = closed;
        return intent;
    }

    public HistoryEntry Succeeded(string? message = null) => Close(HistoryStatus.Succeeded, null, message);

    /// <summary>Ends the attempt with a failure (<paramref name="status"/>: Failed, Refused or Cancelled), its ErrorId and message.</summary>
    public HistoryEntry Failed(RollbackException failure, string status = HistoryStatus.Failed) => Close(status, failure.ErrorId, failure.Message);

    /// <summary>Writes the one journal line of the attempt and returns it with its sequence and hash.</summary>
    public HistoryEntry Close(string status, string? errorId, string? message)
    {
        var outcome = Append(_entry with { Status = status, ErrorId = errorId, Message = message });
        _closed?.Invoke();
        _closed = null;
        return outcome;
    }

    private HistoryEntry Append(HistoryEntry entry) => _journal.Append(entry with { Duration = Elapsed, Time = _time.GetUtcNow(), User = _user });
}
