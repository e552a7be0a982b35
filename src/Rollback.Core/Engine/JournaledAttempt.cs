using System;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// One attempt to change a target or the store, journaled once whatever its outcome (refused and failed ones too).
/// What it is about is noted as it becomes known; its outcome closes it with the status, the time it took, the
/// ErrorId and the message, stamped with the time and the user. Every journal line the engine writes for an attempt
/// is written here and nowhere else, so a record added to each attempt (an intent before the switch) needs one place.
/// </summary>
internal sealed class JournaledAttempt
{
    private readonly Journal _journal;
    private readonly TimeProvider _time;
    private readonly string _user;
    private readonly long _started;
    private HistoryEntry _entry;

    public JournaledAttempt(Journal journal, TimeProvider time, string user, string action, string target)
    {
        _journal = journal;
        _time = time;
        _user = user;
        _started = time.GetTimestamp();
        _entry = new HistoryEntry { Action = action, Target = target };
    }

    /// <summary>The time since the attempt started.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>Adds what has become known about the attempt (the point, the versions, the reason...).</summary>
    public JournaledAttempt Note(Func<HistoryEntry, HistoryEntry> change)
    {
        _entry = change(_entry);
        return this;
    }

    public HistoryEntry Succeeded(string? message = null) => Close(HistoryStatus.Succeeded, null, message);

    /// <summary>Ends the attempt with a failure (<paramref name="status"/>: Failed, Refused or Cancelled), its ErrorId and message.</summary>
    public HistoryEntry Failed(RollbackException failure, string status = HistoryStatus.Failed) => Close(status, failure.ErrorId, failure.Message);

    /// <summary>Writes the one journal line of the attempt and returns it with its sequence and hash.</summary>
    public HistoryEntry Close(string status, string? errorId, string? message) =>
        _journal.Append(_entry with { Status = status, ErrorId = errorId, Message = message, Duration = Elapsed, Time = _time.GetUtcNow(), User = _user });
}
