using System;
using System.Diagnostics;
using System.Globalization;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// One change to a target at a time: a lock file per target that dies with its holder, and beside it a file that tells
/// others who holds it and why, for the RollbackInProgress message.
/// </summary>
internal sealed class TargetLocks
{
    private readonly RollbackStore _store;
    private readonly TimeProvider _time;
    private readonly string _user;

    public TargetLocks(RollbackStore store, TimeProvider time, string user)
    {
        _store = store;
        _time = time;
        _user = user;
    }

    /// <summary>Holds the target's lock until disposed; RollbackInProgress when another holds it.</summary>
    public IStoreLock Acquire(string targetName, string purpose) =>
        TryAcquire(targetName, purpose)
            ?? throw new RollbackException(RollbackErrorId.RollbackInProgress, RollbackErrorCategory.ResourceBusy, InProgressMessage(targetName), targetName);

    /// <summary>Holds the target's lock until disposed, or returns null at once when another holds it.</summary>
    public IStoreLock? TryAcquire(string targetName, string purpose) =>
        _store.Backend.Locks.TryAcquire(LockName(targetName),
            string.Format(CultureInfo.InvariantCulture, "{0} (user {1}, process {2} on {3}, since {4:u})", purpose, _user, Process.GetCurrentProcess().Id, Environment.MachineName, _time.GetUtcNow()));

    /// <summary>The readiness check: whether another change holds the target right now (the lock is let go at once).</summary>
    public CheckResult Probe(string targetName)
    {
        using var probe = _store.Backend.Locks.TryAcquire(LockName(targetName), "the readiness check");
        return probe is null
            ? CheckResult.Fail("NoRollbackInProgress", RollbackErrorId.RollbackInProgress, InProgressMessage(targetName))
            : CheckResult.Pass("NoRollbackInProgress", "No other rollback holds the target.");
    }

    private string InProgressMessage(string targetName)
    {
        var who = _store.Backend.Locks.Holder(LockName(targetName)) ?? "another process";
        return $"A rollback or capture of target '{targetName}' is already in progress: {who}. Wait for it to finish; only one may change a target at a time.";
    }

    private static string LockName(string targetName) => "target-" + targetName.ToLowerInvariant();
}
