using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
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
    public IDisposable Acquire(string targetName, string purpose) =>
        TryAcquire(targetName, purpose)
            ?? throw new RollbackException(RollbackErrorId.RollbackInProgress, RollbackErrorCategory.ResourceBusy, InProgressMessage(targetName), targetName);

    /// <summary>Holds the target's lock until disposed, or returns null at once when another holds it.</summary>
    public IDisposable? TryAcquire(string targetName, string purpose)
    {
        var held = FileLock.TryAcquire(LockPath(targetName));
        if (held is null)
        {
            return null;
        }

        var holder = HolderPath(targetName);
        AtomicFile.WriteAllText(holder, string.Format(CultureInfo.InvariantCulture, "{0} (user {1}, process {2}, since {3:u})", purpose, _user, Process.GetCurrentProcess().Id, _time.GetUtcNow()));
        return new HeldLock(held, holder);
    }

    /// <summary>The readiness check: whether another change holds the target right now (the lock is let go at once).</summary>
    public CheckResult Probe(string targetName)
    {
        using var probe = FileLock.TryAcquire(LockPath(targetName));
        return probe is null
            ? CheckResult.Fail("NoRollbackInProgress", RollbackErrorId.RollbackInProgress, InProgressMessage(targetName))
            : CheckResult.Pass("NoRollbackInProgress", "No other rollback holds the target.");
    }

    private string InProgressMessage(string targetName)
    {
        var holder = HolderPath(targetName);
        var who = File.Exists(holder) ? File.ReadAllText(holder) : "another process";
        return $"A rollback or capture of target '{targetName}' is already in progress: {who}. Wait for it to finish; only one may change a target at a time.";
    }

    private string LockPath(string targetName) => _store.LockPath("target-" + targetName.ToLowerInvariant());

    private string HolderPath(string targetName) => Path.Combine(_store.LocksDirectory, "target-" + targetName.ToLowerInvariant() + ".holder");

    /// <summary>A held target lock and the file that tells others who holds it.</summary>
    private sealed class HeldLock : IDisposable
    {
        private readonly FileLock _lock;
        private readonly string _holderFile;

        public HeldLock(FileLock heldLock, string holderFile)
        {
            _lock = heldLock;
            _holderFile = holderFile;
        }

        public void Dispose()
        {
            File.Delete(_holderFile);
            _lock.Dispose();
        }
    }
}
