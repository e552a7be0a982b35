using System;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Testing;
using Rollback.Watching;
using Xunit;

namespace Rollback.Tests.Watching;

/// <summary>
/// The watcher against a real loopback health endpoint (health-only mode) on virtual time, so polls, holds and windows
/// are exact and take no real time: a trigger that holds rolls back once and is verified, a blip shorter than the
/// required time does not, the window ends, Ctrl+C ends it, and a declined or -WhatIf confirmation changes nothing.
/// One watch runs on real time end to end.
/// </summary>
public sealed class DeploymentWatcherTests : IDisposable
{
    private static readonly RollbackPolicy OneSecond = RollbackPolicyFile.Parse("""{ "availabilityFor": "00:00:01", "errorRateFor": "00:00:01" }""", "one-second.json");
    private static readonly RollbackPolicy TwoSeconds = RollbackPolicyFile.Parse("""{ "availabilityFor": "00:00:02" }""", "two-seconds.json");
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly WatchFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void TriggerThatHoldsRollsBackOnceAndIsVerified()
    {
        var point = _fixture.RegisterCaptureAndDeploy();

        var records = _fixture.WatchOnVirtualTime(WatchFixture.Request(point, OneSecond, Interval, TimeSpan.FromSeconds(20)));

        var final = records[^1];
        Assert.True(final.Action == WatchAction.RolledBack, final.Message);
        // Polls every 200 ms from 0 s: the breach seen at the first holds its second at the sixth, and not before.
        Assert.Equal(6, final.Poll);
        Assert.Equal(TimeSpan.FromSeconds(1), final.Elapsed);
        Assert.All(records.Take(5), r => Assert.Equal(WatchAction.Pending, r.Action));
        Assert.True(final.IsFinal);
        Assert.Equal(DecisionTrigger.AvailabilityBelow, final.Trigger);
        Assert.Single(records, r => r.IsFinal);
        Assert.Single(records, r => r.Rollback is not null);
        var rollback = final.Rollback!;
        Assert.True(rollback.Status == RollbackStatus.Succeeded, rollback.Message);
        Assert.Equal("v2.4.0", rollback.FromVersion);
        Assert.Equal("v2.3.1", rollback.ToVersion);
        Assert.True(Assert.Single(rollback.Health).Healthy);
        Assert.Equal("AvailabilityBelow", rollback.Trigger);
        Assert.Equal("v2.3.1", _fixture.CurrentRelease);

        // It waited for the hold: polls before the last saw the breach pending, and the last held it for the required second.
        Assert.Contains(records, r => r.Action == WatchAction.Pending && r.Health == WatchHealth.Unhealthy);
        var held = Assert.Single(final.Triggers, t => t.Name == DecisionTrigger.AvailabilityBelow);
        Assert.True(held.Held);
        Assert.Equal(TimeSpan.FromSeconds(1), held.Duration);
        Assert.Equal(TimeSpan.FromSeconds(1), final.Time - final.BreachSeenAt);

        var entry = Assert.Single(_fixture.Rollbacks());
        Assert.Equal("AvailabilityBelow", entry.Trigger);

        // The decision it rolled back on is journaled with the rollback, so a report from history shows what fired.
        Assert.Equal(RollbackAction.ImmediateRollback, entry.Decision!.Action);
        var journaled = Assert.Single(entry.Decision.FiredThresholds, t => t.Name == DecisionTrigger.AvailabilityBelow);
        Assert.Equal((held.Observed, held.Threshold, held.Duration), (journaled.Observed, journaled.Threshold, journaled.Duration));
        Assert.Contains(entry.Readiness!, c => c.Name == "PointExists" && c.Status == CheckStatus.Pass);
        Assert.Contains("automatic trigger AvailabilityBelow", entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BlipShorterThanTheRequiredTimeDoesNotRollBack()
    {
        _fixture.WriteHealth("v2.4.0", "healthy");
        var point = _fixture.RegisterCaptureAndDeploy();
        // The blip: the first three polls (0, 0.2 and 0.4 s) see the endpoint down, 0.6 s of the 2 s the trigger needs.
        var answered = 0;
        _fixture.Override = () => Interlocked.Increment(ref answered) <= 3 ? HealthAnswer.Unavailable() : null;

        var records = _fixture.WatchOnVirtualTime(WatchFixture.Request(point, TwoSeconds, Interval, TimeSpan.FromSeconds(3)));

        Assert.Equal(new[] { WatchAction.Pending, WatchAction.Pending, WatchAction.Pending, WatchAction.Monitor }, records.Take(4).Select(r => r.Action));
        Assert.Equal(16, records.Count);
        Assert.Equal(WatchAction.WindowEnded, records[^1].Action);
        Assert.Equal(WatchHealth.Healthy, records[^1].Health);
        Assert.DoesNotContain(records, r => r.Rollback is not null);
        Assert.Empty(_fixture.Rollbacks());
        Assert.Equal("v2.4.0", _fixture.CurrentRelease);
    }

    [Fact]
    public void WindowEndsHealthyWithOneFinalRecord()
    {
        _fixture.WriteHealth("v2.4.0", "healthy");
        var point = _fixture.RegisterCaptureAndDeploy();

        var records = _fixture.WatchOnVirtualTime(WatchFixture.Request(point, OneSecond, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1)));

        // Five polls on schedule (0, 0.25 ... 1 s), the last at the end of the window.
        Assert.Equal(Enumerable.Range(1, 5), records.Select(r => r.Poll));
        Assert.Equal(TimeSpan.FromSeconds(1), records[^1].Elapsed);
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromMilliseconds(250), 4), _fixture.Time.Waits);
        Assert.All(records, r => Assert.Equal(WatchHealth.Healthy, r.Health));
        Assert.All(records.Take(records.Count - 1), r => Assert.Equal(WatchAction.Monitor, r.Action));
        var final = records[^1];
        Assert.Equal(WatchAction.WindowEnded, final.Action);
        Assert.True(final.IsFinal && final.Changed);
        Assert.Contains("nothing was changed", final.Message, StringComparison.Ordinal);
        Assert.True(records[0].Changed);
        Assert.All(records.Skip(1).Take(records.Count - 2), r => Assert.False(r.Changed));
        Assert.Equal(1.0, final.Availability);
        Assert.Null(final.ErrorRate);
    }

    [Fact]
    public void CancellationEndsTheWatchWithoutRollingBack()
    {
        _fixture.WriteHealth("v2.4.0", "healthy");
        var point = _fixture.RegisterCaptureAndDeploy();

        // Ctrl+C once the watch is under way: after its first record, before the wait for the next poll.
        var records = WatchCancelledAfterTheFirstRecord(_fixture.VirtualTimeWatcher(), point, Interval, TimeSpan.FromMinutes(5), cancel => cancel.Cancel());

        // The cancel ended the watch instead of the wait for the next poll: no time passed in the 5-minute window.
        Assert.Empty(_fixture.Time.Waits);
        Assert.Equal(2, records.Count);
        var final = records[^1];
        Assert.Equal(WatchAction.Cancelled, final.Action);
        Assert.True(final.IsFinal);
        Assert.Equal(1, final.Poll);
        Assert.Contains("nothing was changed", final.Message, StringComparison.Ordinal);
        Assert.Empty(_fixture.Rollbacks());
        Assert.Equal("v2.4.0", _fixture.CurrentRelease);
    }

    [Theory]
    [InlineData(RollbackConsent.Declined, WatchAction.Declined)]
    [InlineData(RollbackConsent.WhatIf, WatchAction.WhatIf)]
    public void DeclinedOrWhatIfChangesNothing(RollbackConsent consent, WatchAction expected)
    {
        var point = _fixture.RegisterCaptureAndDeploy();
        var asked = 0;

        var records = _fixture.WatchOnVirtualTime(WatchFixture.Request(point, OneSecond, Interval, TimeSpan.FromSeconds(20), confirm: trigger =>
        {
            asked++;
            Assert.Equal(DecisionTrigger.AvailabilityBelow, trigger.Name);
            return consent;
        }));

        Assert.Equal(1, asked);
        var final = records[^1];
        Assert.Equal(expected, final.Action);
        Assert.True(final.IsFinal);
        Assert.Equal("v2.4.0", _fixture.CurrentRelease);
        Assert.Empty(_fixture.Rollbacks());
        if (expected == WatchAction.WhatIf)
        {
            Assert.Equal(RollbackStatus.WhatIf, final.Rollback!.Status);
            Assert.Equal("v2.3.1", final.Rollback.ToVersion);
        }
        else
        {
            Assert.Null(final.Rollback);
        }
    }

    [Theory]
    [InlineData(2000, 1000)]
    [InlineData(0, 1000)]
    [InlineData(200, -1)]
    public void NonsenseIntervalsAreRefusedBeforeAnyPoll(int intervalMs, int durationMs)
    {
        var point = _fixture.RegisterCaptureAndDeploy();

        var error = Assert.Throws<RollbackException>(() => _fixture.Watch(WatchFixture.Request(point, OneSecond, TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromMilliseconds(durationMs))));

        Assert.Equal(RollbackErrorId.InvalidWatchArguments, error.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, error.Category);
        Assert.Empty(_fixture.Server.Requests);
    }

    [Fact]
    public void TargetWithNothingToWatchIsRefused()
    {
        _fixture.Sandbox.Register("bare", "FileSystemRelease", ("Root", _fixture.Root));
        var point = _fixture.Engine.Points.Create("bare", null);

        var error = Assert.Throws<RollbackException>(() => new DeploymentWatcher(_fixture.Engine).Watch(new WatchRequest { Target = "bare", PointId = point.Id, Reason = "r" }));

        Assert.Equal(RollbackErrorId.NothingToWatch, error.ErrorId);
        Assert.Contains("HealthUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownPointIsRefusedBeforeAnyPoll()
    {
        _fixture.RegisterCaptureAndDeploy();
        _fixture.Sandbox.Register("other", "FileSystemRelease", ("Root", _fixture.Root));
        var otherPoint = _fixture.Engine.Points.Create("other", null);

        var error = Assert.Throws<RollbackException>(() => new DeploymentWatcher(_fixture.Engine).Watch(new WatchRequest { Target = "api", PointId = otherPoint.Id, Reason = "r" }));

        Assert.Equal(RollbackErrorId.PointNotFound, error.ErrorId);
    }

    [Fact]
    public void CancellationFromAnotherThreadEndsARealWait()
    {
        // Real time end to end: Ctrl+C arrives from another thread while the watch waits (for real) for its next poll.
        _fixture.WriteHealth("v2.4.0", "healthy");
        var point = _fixture.RegisterCaptureAndDeploy();

        var records = WatchCancelledAfterTheFirstRecord(new DeploymentWatcher(_fixture.Engine), point, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10),
            cancel => cancel.CancelAfter(TimeSpan.FromMilliseconds(100)));

        Assert.Equal(new[] { WatchAction.Monitor, WatchAction.Cancelled }, records.Select(r => r.Action));
        Assert.Equal(1, records[^1].Poll);
        Assert.Single(_fixture.Server.Requests);
    }

    /// <summary>Watches until the end, calling <paramref name="cancelAfterFirst"/> with the watch's cancellation once the first record is in.</summary>
    private static System.Collections.Generic.List<WatchRecord> WatchCancelledAfterTheFirstRecord(DeploymentWatcher watcher, RollbackPoint point, TimeSpan interval, TimeSpan duration,
        Action<CancellationTokenSource> cancelAfterFirst)
    {
        using var cancel = new CancellationTokenSource();
        var records = new System.Collections.Generic.List<WatchRecord>();
        foreach (var record in watcher.Watch(WatchFixture.Request(point, OneSecond, interval, duration, cancellation: cancel.Token)))
        {
            records.Add(record);
            if (records.Count == 1)
            {
                cancelAfterFirst(cancel);
            }
        }

        return records;
    }
}
