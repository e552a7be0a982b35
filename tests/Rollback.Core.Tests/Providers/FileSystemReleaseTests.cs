using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Providers.FileSystem;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

public sealed class FileSystemReleaseTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly string _root;

    public FileSystemReleaseTests()
    {
        _root = _sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0");
        _sandbox.Register("api", "FileSystemRelease", ("Root", _root));
    }

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void CaptureRecordsCurrentReleaseAndChecksums()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var point = _sandbox.Engine.Points.Create("api", "before 2.4.0");

        Assert.Equal("v2.3.1", point.Version);
        Assert.False(point.IsSafetyPoint);
        Assert.Equal(new[] { "app.dll", "config", "config/app.conf", "public", "public/index.html" }, point.Artifacts.Select(a => a.RelativePath));
        Assert.Equal(new[] { "config", "public" }, point.Artifacts.Where(a => a.Type == "Directory").Select(a => a.RelativePath));
        var expected = Checksums.HashFile(Path.Combine(_root, "releases", "v2.3.1", "app.dll"));
        Assert.Equal(expected, point.Artifacts[0].Sha256);
        Assert.True(File.Exists(Path.Combine(point.Path, PointStore.ManifestFileName)));
    }

    [Fact]
    public void RollbackPointsCurrentBackAtCapturedRelease()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_root));
        Assert.Equal("v2.4.0", result.FromVersion);
        Assert.Equal("v2.3.1", result.ToVersion);
        Assert.Equal(new[] { "CaptureSafetyPoint", "CreateLink", "SwitchCurrent" }, result.Steps.Select(s => s.Name));
        Assert.All(result.Verification, v => Assert.Equal(CheckStatus.Pass, v.Status));
        Assert.True(result.Downtime < TimeSpan.FromSeconds(1));
        Assert.True(NativeFileSystem.IsLink(Path.Combine(_root, "current")));
        Assert.Empty(Directory.GetFileSystemEntries(_root, ".current.rollback-*"));

        var safety = _sandbox.Engine.Points.Get("api", result.SafetyPointId!);
        Assert.True(safety.IsSafetyPoint);
        Assert.Equal("v2.4.0", safety.Version);

        var entry = _sandbox.Engine.History.Get(new Engine.HistoryFilter { Target = "api", Action = HistoryAction.Rollback }).Single();
        Assert.Equal(result.JournalSequence, entry.Sequence);
        Assert.Equal("Succeeded", entry.Status);
        Assert.Equal(new[] { "oncall" }, entry.ApprovedBy);
        Assert.Equal(result.SafetyPointId, entry.SafetyPointId);
    }

    [Theory]
    [InlineData(0)] // two captures in the same millisecond
    [InlineData(-3600)] // the clock stepped back an hour between them (NTP)
    public void LatestIsTheLastCapturedEvenWhenTheClockDoesNotMoveOn(int secondsBetween)
    {
        var clock = new SetClock(new DateTimeOffset(2026, 11, 30, 5, 0, 0, TimeSpan.Zero));
        var engine = _sandbox.NewEngine(clock);
        var first = engine.Points.Create("api", "first");
        clock.Now = clock.Now.AddSeconds(secondsBetween);
        Sandbox.Deploy(_root, "v2.4.0");

        var second = engine.Points.Create("api", "second");
        var rollback = engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = first.Id, Reason = "test", ApprovedBy = new[] { "oncall" } });

        Assert.True(string.CompareOrdinal(second.Id, first.Id) > 0, $"{second.Id} sorts before {first.Id}");
        Assert.True(string.CompareOrdinal(rollback.SafetyPointId, second.Id) > 0, $"{rollback.SafetyPointId} sorts before {second.Id}");
        Assert.Equal(new[] { first.Id, second.Id, rollback.SafetyPointId }, engine.Points.GetAll("api").Select(p => p.Id));
        Assert.Equal("v2.4.0", engine.Points.GetLatestKnownGood("api").Version);
        Assert.Equal(new[] { first.Id }, engine.Points.GetPrunable("api", keepLast: 1).Select(p => p.Id));
    }

    [Fact]
    public void RelativeLinkStaysRelative()
    {
        var current = Path.Combine(_root, "current");
        File.Delete(current);
        NativeFileSystem.CreateDirectoryLink(current, "releases/v2.3.1");
        var point = _sandbox.Engine.Points.Create("api", null);
        File.Delete(current);
        NativeFileSystem.CreateDirectoryLink(current, "releases/v2.4.0");

        _sandbox.Rollback("api", point.Id);

        Assert.Equal("releases/v2.3.1", NativeFileSystem.ReadLink(current));
    }

    [Fact]
    public void RollbackToCurrentVersionIsAlreadyCurrentAndChangesNothing()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        var linkBefore = NativeFileSystem.ReadLink(Path.Combine(_root, "current"));

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.AlreadyCurrent, result.Status);
        Assert.Null(result.SafetyPointId);
        Assert.Equal(linkBefore, NativeFileSystem.ReadLink(Path.Combine(_root, "current")));
        Assert.Single(_sandbox.Engine.Points.GetAll("api"));
        Assert.Equal("AlreadyCurrent", _sandbox.Engine.History.Get(new Engine.HistoryFilter { Action = HistoryAction.Rollback }).Single().Status);
    }

    [Fact]
    public void MissingReleaseFolderIsNotReadyAndRefusedWithoutChange()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        Directory.Delete(Path.Combine(_root, "releases", "v2.3.1"), recursive: true);

        var report = _sandbox.Engine.Readiness.Test("api", point.Id);
        var failure = Assert.Single(report.Failures);
        Assert.Equal(RollbackErrorId.ReleaseFolderMissing, failure.ErrorId);
        Assert.False(report.IsReady);

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Rollback("api", point.Id));
        Assert.Equal(RollbackErrorId.RollbackNotReady, ex.ErrorId);
        Assert.Contains(RollbackErrorId.ReleaseFolderMissing, ex.Message, StringComparison.Ordinal);
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_root));
        var entry = _sandbox.Engine.History.Get(new Engine.HistoryFilter { Action = HistoryAction.Rollback }).Single();
        Assert.Equal(HistoryStatus.Refused, entry.Status);
        Assert.Equal(RollbackErrorId.RollbackNotReady, entry.ErrorId);
    }

    [Fact]
    public void ChangedReleaseFileFailsChecksumAndBlocksRollback()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        File.AppendAllText(Path.Combine(_root, "releases", "v2.3.1", "app.dll"), "patched by hand");

        var report = _sandbox.Engine.Readiness.Test("api", point.Id);

        Assert.Equal(RollbackErrorId.ArtifactChecksumMismatch, Assert.Single(report.Failures).ErrorId);
        Assert.Throws<RollbackException>(() => _sandbox.Rollback("api", point.Id));
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_root));
    }

    [SkippableFact]
    public void ManifestVersionThatEscapesReleasesIsRefused()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        var manifest = Path.Combine(point.Path, PointStore.ManifestFileName);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"version\": \"v2.3.1\"", "\"version\": \"../../etc\"", StringComparison.Ordinal));

        var report = _sandbox.Engine.Readiness.Test("api", point.Id);

        Assert.Contains(report.Failures, f => f.ErrorId == RollbackErrorId.ArtifactPathEscapes);
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_root));
    }

    [Fact]
    public void UnknownPointIsAFailedReadinessCheckAndARefusal()
    {
        var report = _sandbox.Engine.Readiness.Test("api", "20200101-000000000-abcdef");
        Assert.Equal(RollbackErrorId.PointNotFound, Assert.Single(report.Failures).ErrorId);

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Rollback("api", "20200101-000000000-abcdef"));
        Assert.Equal(RollbackErrorId.RollbackNotReady, ex.ErrorId);
    }

    [Fact]
    public void UnknownTargetIsRefusedAndJournaled()
    {
        var ex = Assert.Throws<RollbackException>(() => _sandbox.Rollback("nope", "20200101-000000000-abcdef"));

        Assert.Equal(RollbackErrorId.TargetNotFound, ex.ErrorId);
        Assert.Equal(RollbackErrorId.TargetNotFound, _sandbox.Engine.History.Get(new Engine.HistoryFilter { Target = "nope" }).Single().ErrorId);
    }

    [Fact]
    public void ReadinessWarnsForOldPointAndSameVersion()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        var later = _sandbox.NewEngine(new SetClock(DateTimeOffset.UtcNow.AddDays(30)));

        var report = later.Readiness.Test("api", point.Id);

        Assert.True(report.IsReady);
        Assert.Contains(report.Warnings, w => w.Name == "PointAge");
        Assert.Contains(report.Warnings, w => w.Name == "VersionDiffers");
    }

    [Fact]
    public async Task SecondConcurrentRollbackGetsRollbackInProgress()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        using var inSwitch = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        var first = Task.Run(() => _sandbox.Rollback("api", point.Id, beforeSwitch: () =>
        {
            inSwitch.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        }));
        Assert.True(inSwitch.Wait(TimeSpan.FromSeconds(30)));

        var second = Assert.Throws<RollbackException>(() => _sandbox.NewEngine().Rollbacks.Run(new Engine.RollbackRequest { Target = "api", PointId = point.Id, Reason = "second" }));
        var readiness = _sandbox.Engine.Readiness.Test("api", point.Id);
        release.Set();

        Assert.Equal(RollbackErrorId.RollbackInProgress, second.ErrorId);
        Assert.Contains(readiness.Failures, f => f.ErrorId == RollbackErrorId.RollbackInProgress);
        Assert.Equal(RollbackStatus.Succeeded, (await first).Status);
        Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_root));
        var statuses = _sandbox.Engine.History.Get(new Engine.HistoryFilter { Action = HistoryAction.Rollback }).Select(e => e.Status).ToList();
        Assert.Equal(new[] { HistoryStatus.Refused, "Succeeded" }, statuses);
    }

    [Fact]
    public void CurrentAlwaysNamesAReleaseDuringTheSwitch()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        var current = Path.Combine(_root, "current");
        var missing = 0;
        using var observer = new BackgroundObserver(() =>
        {
            if (!File.Exists(Path.Combine(current, "app.dll")))
            {
                Interlocked.Increment(ref missing);
            }
        });

        for (var i = 0; i < 20; i++)
        {
            Sandbox.Deploy(_root, "v2.4.0");
            Assert.Equal(RollbackStatus.Succeeded, _sandbox.Rollback("api", point.Id).Status);
        }

        var observations = observer.Stop();
        Assert.Equal(0, missing);
        Assert.True(observations > 1, $"{observations} observations");
    }

    [Fact]
    public void CopyStrategyStagesAndSwapsWhenCurrentIsAFolder()
    {
        var root = _sandbox.PathOf("copyapp");
        foreach (var release in new[] { "v1", "v2" })
        {
            Sandbox.WriteFile(Path.Combine(root, "releases", release, "app.txt"), release);
        }

        CopyDirectory(Path.Combine(root, "releases", "v1"), Path.Combine(root, "current"));
        File.WriteAllText(Path.Combine(root, "current", ".rollback-release"), "v1");
        _sandbox.Register("copyapp", "FileSystemRelease", ("Root", root));
        var point = _sandbox.Engine.Points.Create("copyapp", null);
        Assert.Equal("v1", point.Version);

        Directory.Delete(Path.Combine(root, "current"), recursive: true);
        CopyDirectory(Path.Combine(root, "releases", "v2"), Path.Combine(root, "current"));
        File.WriteAllText(Path.Combine(root, "current", ".rollback-release"), "v2");

        var result = _sandbox.Rollback("copyapp", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(root, "current", "app.txt")));
        Assert.False(NativeFileSystem.IsLink(Path.Combine(root, "current")));
        Assert.Equal(new[] { "CaptureSafetyPoint", "StageRelease", "SwitchCurrent", "RemovePrevious" }, result.Steps.Select(s => s.Name));
        Assert.Single(Directory.GetDirectories(root, "*", SearchOption.TopDirectoryOnly), d => Path.GetFileName(d) == "current");
    }

    [Fact]
    public void ReadOnlyRootIsNotReady()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        File.SetAttributes(_root, File.GetAttributes(_root) | FileAttributes.ReadOnly);

        var report = _sandbox.Engine.Readiness.Test("api", point.Id);

        Assert.Contains(report.Failures, f => f.ErrorId == RollbackErrorId.TargetReadOnly);
        Assert.Throws<RollbackException>(() => _sandbox.Rollback("api", point.Id));
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_root));
    }

    [Fact]
    public void RegistrationValidatesSettings()
    {
        var noRoot = Assert.Throws<RollbackException>(() => _sandbox.Register("bad1", "FileSystemRelease"));
        var missingRoot = Assert.Throws<RollbackException>(() => _sandbox.Register("bad2", "FileSystemRelease", ("Root", _sandbox.PathOf("nowhere"))));
        var badStrategy = Assert.Throws<RollbackException>(() => _sandbox.Register("bad3", "FileSystemRelease", ("Root", _root), ("Strategy", "Teleport")));
        var escapingName = Assert.Throws<RollbackException>(() => _sandbox.Register("bad4", "FileSystemRelease", ("Root", _root), ("CurrentLink", "../x")));

        Assert.All(new[] { noRoot, missingRoot, escapingName }, ex => Assert.Equal(RollbackErrorId.InvalidTargetSettings, ex.ErrorId));
        Assert.Equal(RollbackErrorId.InvalidSetting, badStrategy.ErrorId);
        Assert.Contains("must be one of Link, Copy, not 'Teleport'", badStrategy.Message, StringComparison.Ordinal);
        Assert.Single(_sandbox.Store.Targets.GetAll());
    }

    [SkippableFact]
    public void ManifestIsPlainJsonWithoutThePointPath()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var point = _sandbox.Engine.Points.Create("api", null);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(point.Path, PointStore.ManifestFileName)));

        Assert.Equal(point.Id, manifest.RootElement.GetProperty("id").GetString());
        Assert.False(manifest.RootElement.TryGetProperty("path", out _));
        Assert.Equal(FileSystemReleaseProvider.KindName, manifest.RootElement.GetProperty("kind").GetString());
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>A clock the test sets, backwards too (a fake time source only moves forward, an NTP step need not).</summary>
    private sealed class SetClock : TimeProvider
    {
        public SetClock(DateTimeOffset now) => Now = now;

        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
