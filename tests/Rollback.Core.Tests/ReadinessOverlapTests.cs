using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Settings;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

/// <summary>
/// Readiness reads the point (manifest, artifacts, tree) on another thread while it reads the live target on the calling
/// thread; what the point's side reports still reaches the caller's thread, and as it comes, not only at the end.
/// </summary>
public sealed class ReadinessOverlapTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly HeldProvider _provider = new();
    private readonly RollbackStore _store;
    private readonly RollbackEngine _engine;

    public ReadinessOverlapTests()
    {
        _store = TestStores.Create(_temp["store"]);
        _engine = new RollbackEngine(_store, new ProviderCatalog(new IRollbackProvider[] { _provider }), NullReporter.Instance, null, "tester");
        _engine.Targets.Register("held", HeldProvider.KindName, SettingsDictionary.Empty, replace: false);
    }

    public void Dispose()
    {
        _provider.Dispose();
        _store.Backend.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void ThePointsTreeIsProvenWhileTheTargetIsRead()
    {
        var point = _engine.Points.Create("held", "known good");
        _provider.HoldDescribeUntilThePointIsRead();

        var report = _engine.Readiness.Test("held", point.Id);

        Assert.True(report.IsReady, string.Join(" ", report.Failures.Select(f => f.Message)));
        Assert.True(_provider.PointWasReadWhileDescribing, "the point's tree was not read while the target was being read");
        Assert.Equal("v1", report.CurrentVersion);
        Assert.Contains(report.Checks, c => c.Name == "ArtifactsIntact" && c.Status == CheckStatus.Pass);
    }

    [Fact]
    public void AMissingPointStopsTheTargetsReadAndOnlyThePointFails()
    {
        _provider.HoldDescribeUntilCancelled = true;

        var missing = _store.Points.NextId("held", DateTimeOffset.UtcNow);

        var report = _engine.Readiness.Test("held", missing);

        Assert.True(_provider.DescribeWasCancelled, "the target's read ran on although the point does not exist");
        var failure = Assert.Single(report.Failures);
        Assert.Equal("PointExists", failure.Name);
        Assert.Equal(RollbackErrorId.PointNotFound, failure.ErrorId);
        Assert.DoesNotContain(report.Checks, c => c.Name == "TargetReachable");
        Assert.Null(report.CurrentVersion);
    }

    [Fact]
    public void ReportsOfWorkBesideTheCallerArriveOnItsThreadWhileTheWorkRuns()
    {
        var caller = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        using var firstForwarded = new ManualResetEventSlim();
        var reporter = new RecordingReporter { OnVerbose = _ => { threads.Add(Environment.CurrentManagedThreadId); firstForwarded.Set(); } };
        var deferred = new DeferredReporter();
        var work = Task.Run(() =>
        {
            deferred.Verbose("first");
            var seenLive = firstForwarded.Wait(TimeSpan.FromSeconds(30));
            deferred.Verbose("second");
            return seenLive;
        });

        var forwardedWhileRunning = deferred.ForwardUntilDone(work, reporter);

        Assert.True(forwardedWhileRunning, "the first report reached the caller only after the work ended");
        Assert.Equal(new[] { "first", "second" }, reporter.Verbose);
        Assert.Equal(new[] { caller }, threads);
    }

    [Fact]
    public void AFailureOfWorkBesideTheCallerComesAfterEveryReportMadeBeforeIt()
    {
        var reporter = new RecordingReporter();
        var deferred = new DeferredReporter();
        Func<int> failing = () =>
        {
            deferred.Warning("before the failure");
            throw new IOException("the disk went away");
        };
        var work = Task.Run(failing);

        var error = Assert.Throws<IOException>(() => deferred.ForwardUntilDone(work, reporter));

        Assert.Equal("the disk went away", error.Message);
        Assert.Equal(new[] { "before the failure" }, reporter.Warnings);
    }

    /// <summary>
    /// A kind whose Describe can wait: for the point's tree to be read (its artifact base asked for), or for cancellation;
    /// each wait gives up after 30 seconds, so a readiness that does not overlap or does not cancel fails the test, not hangs it.
    /// </summary>
    private sealed class HeldProvider : IRollbackProvider, IDisposable
    {
        public const string KindName = "Held";

        private readonly ManualResetEventSlim _pointRead = new();

        // Set by HoldDescribeUntilThePointIsRead, which forgets reads of the point before it (a capture's).
        private bool _holdUntilPointRead;

        public bool HoldDescribeUntilCancelled { get; set; }

        public void Dispose() => _pointRead.Dispose();

        public void HoldDescribeUntilThePointIsRead()
        {
            _pointRead.Reset();
            _holdUntilPointRead = true;
        }

        public bool PointWasReadWhileDescribing { get; private set; }

        public bool DescribeWasCancelled { get; private set; }

        public string Kind => KindName;

        public string Description => "A test kind whose reads can be held.";

        public KindSchema Schema => KindSchema.Empty;

        public SettingsDictionary ValidateSettings(SettingsDictionary settings) => settings;

        public TargetState Describe(RollbackTarget target, OperationContext context)
        {
            if (_holdUntilPointRead)
            {
                PointWasReadWhileDescribing = _pointRead.Wait(TimeSpan.FromSeconds(30), context.Cancellation);
            }

            if (HoldDescribeUntilCancelled)
            {
                DescribeWasCancelled = context.Cancellation.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                context.Cancellation.ThrowIfCancellationRequested();
            }

            return new TargetState { Version = "v1", Fingerprint = "held-v1" };
        }

        public CapturedState Capture(RollbackTarget target, CaptureContext context) => new()
        {
            Version = "v0",
            Fingerprint = "held-v0",
            Artifacts = new[] { StoreJson.WriteArtifact(context.ArtifactsDirectory, "state.json", new { version = "v0" }) },
        };

        public string GetArtifactBase(RollbackTarget target, RollbackPoint point)
        {
            _pointRead.Set();
            return Path.Combine(point.Path, PointStore.ArtifactsFolderName);
        }

        public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context) => [];

        public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => [];

        public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => throw new NotSupportedException();
    }
}
