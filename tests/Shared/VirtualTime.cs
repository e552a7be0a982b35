using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Time.Testing;

namespace Rollback.Testing;

/// <summary>
/// Fake time on which waiting takes no real time: a wait (a Task.Delay on this provider) moves the clock forward by its
/// length at once, firing every timer due by then. A deadline (a timer whose state is the CancellationTokenSource it
/// cancels, as TimeProviderWaits.Deadline makes them) does not move the clock: it fires when a wait moves the clock past
/// it, or when the test advances it. Code that retries, holds and polls on it runs its whole schedule at once, the same
/// way every time, and the test can assert exact times and counts.
/// </summary>
public sealed class VirtualTime : FakeTimeProvider
{
    private readonly List<TimeSpan> _waits = new();

    /// <summary>Starts at the real time now, so what was stored on real time (points' CreatedAt) is not in its future.</summary>
    public VirtualTime()
        : base(DateTimeOffset.UtcNow)
    {
    }

    /// <summary>Every wait made on this time, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_waits)
            {
                return _waits.ToArray();
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        var isWait = state is not CancellationTokenSource && period == Timeout.InfiniteTimeSpan && dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan;
        if (isWait)
        {
            lock (_waits)
            {
                _waits.Add(dueTime);
            }

            Advance(dueTime);
        }

        return timer;
    }
}
