using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Providers;

public sealed class DirectoryTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly string _site;

    public DirectoryTests()
    {
        _site = _sandbox.PathOf("inetpub", "api");
        Sandbox.WriteFile(Path.Combine(_site, "version.txt"), "v2.3.1\n");
        Sandbox.WriteFile(Path.Combine(_site, "web.config"), "<configuration />");
        Sandbox.WriteFile(Path.Combine(_site, "bin", "Api.dll"), "good build");
        _sandbox.Register("site", "Directory", ("Path", _site), ("VersionFile", "version.txt"));
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void RollbackRestoresEveryFileAndRemovesNewOnes()
    {
        var before = Sandbox.Snapshot(_site);
        var point = _sandbox.Engine.Points.Create("site", null);
        Assert.Equal("v2.3.1", point.Version);
        DeployBadBuild();

        var result = _sandbox.Rollback("site", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v2.4.0", result.FromVersion);
        Assert.Equal("v2.3.1", result.ToVersion);
        Assert.Equal(before, Sandbox.Snapshot(_site));
        Assert.Equal(new[] { "StageCopy", "SwapFolders", "CaptureSafetyPoint" }, result.Steps.Select(s => s.Name));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));
    }

    [SkippableFact]
    public void ARollbackOfManyFoldersLeavesNothingOfTheTargetOrTheStoreOpen()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "/proc/self/fd says what this process holds open");
        for (var i = 0; i < 40; i++)
        {
            Sandbox.WriteFile(Path.Combine(_site, "modules", $"m{i:D2}", "lib", "module.js"), $"module {i}");
            Sandbox.WriteFile(Path.Combine(_site, "modules", $"m{i:D2}", "index.js"), $"index {i}");
        }

        var point = _sandbox.Engine.Points.Create("site", null);
        var before = Sandbox.Snapshot(_site);
        DeployBadBuild();

        var result = _sandbox.Rollback("site", point.Id);

        // The copy opens each file by its name in a folder it keeps open while it works there: every such folder is closed.
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(before, Sandbox.Snapshot(_site));
        var open = Directory.GetFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .Where(target => target is not null && target.StartsWith(_sandbox.Root, StringComparison.Ordinal))
            .ToList();
        Assert.Empty(open);
    }

    [Fact]
    public void SafetyPointKeepsTheFailedStateSoTheRollbackCanBeUndone()
    {
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var failed = Sandbox.Snapshot(_site);

        var result = _sandbox.Rollback("site", point.Id);
        var undo = _sandbox.Rollback("site", result.SafetyPointId!);

        Assert.Equal(RollbackStatus.Succeeded, undo.Status);
        Assert.Equal(failed, Sandbox.Snapshot(_site));
    }

    [Fact]
    public void SwitchHooksRunAroundTheSwapAndCountAsDowntime()
    {
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var seen = new List<string>();

        var result = _sandbox.Rollback(
            "site",
            point.Id,
            beforeSwitch: () =>
            {
                seen.Add("stop:" + File.ReadAllText(Path.Combine(_site, "version.txt")).Trim());
                System.Threading.Thread.Sleep(50);
            },
            afterSwitch: () => seen.Add("start:" + File.ReadAllText(Path.Combine(_site, "version.txt")).Trim()));

        Assert.Equal(new[] { "stop:v2.4.0", "start:v2.3.1" }, seen);
        Assert.Equal(new[] { "StageCopy", "BeforeSwitch", "SwapFolders", "AfterSwitch", "CaptureSafetyPoint" }, result.Steps.Select(s => s.Name));
        Assert.True(result.Downtime >= TimeSpan.FromMilliseconds(50));
        Assert.True(result.Downtime < result.Duration);
        var stage = result.Steps.Single(s => s.Name == "StageCopy").Duration;
        Assert.True(result.Downtime < stage + TimeSpan.FromMilliseconds(50) + result.Steps.Single(s => s.Name == "SwapFolders").Duration + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void FailingBeforeSwitchLeavesTheFolderUntouched()
    {
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var failed = Sandbox.Snapshot(_site);

        var result = _sandbox.Rollback("site", point.Id, beforeSwitch: () => throw new InvalidOperationException("app pool would not stop"));

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.SwitchHookFailed, result.ErrorId);
        Assert.Contains("app pool would not stop", result.Message, StringComparison.Ordinal);
        Assert.Equal(failed, Sandbox.Snapshot(_site));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));
        Assert.Equal("Failed", _sandbox.Engine.History.Get(new Engine.HistoryFilter { Action = HistoryAction.Rollback }).Single().Status);
    }

    [Fact]
    public void CtrlCDuringTheSwitchStillRestartsTheServiceAndChangesNothing()
    {
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var failed = Sandbox.Snapshot(_site);
        using var cancellation = new System.Threading.CancellationTokenSource();
        var restarted = false;

        var result = _sandbox.Engine.Rollbacks.Run(new Engine.RollbackRequest
        {
            Target = "site",
            PointId = point.Id,
            Reason = "test",
            BeforeSwitch = cancellation.Cancel,
            AfterSwitch = () => restarted = true,
            Cancellation = cancellation.Token,
        });

        Assert.True(restarted);
        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        Assert.Contains("reports v2.4.0", result.Message, StringComparison.Ordinal);
        Assert.Equal(failed, Sandbox.Snapshot(_site));
        Assert.Equal("Failed", _sandbox.Engine.History.Get(new Engine.HistoryFilter { Action = HistoryAction.Rollback }).Single().Status);
    }

    [Fact]
    public void TamperedPointArtifactIsRefused()
    {
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        File.WriteAllText(Path.Combine(point.Path, "artifacts", "bin", "Api.dll"), "trojan");

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Rollback("site", point.Id));

        Assert.Equal(RollbackErrorId.RollbackNotReady, ex.ErrorId);
        Assert.Contains(RollbackErrorId.ArtifactChecksumMismatch, ex.Message, StringComparison.Ordinal);
        Assert.Equal("v2.4.0", File.ReadAllText(Path.Combine(_site, "version.txt")).Trim());
    }

    [Fact]
    public void AnArtifactChangedWithoutChangingItsSizeIsRefusedWhileStagingWithNothingChanged()
    {
        // Within a rollback, readiness proves the point's tree without reading its files; staging reads each one and
        // proves its SHA-256 before the swap. A same-size change is found there, and refused as readiness refuses.
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var failed = Sandbox.Snapshot(_site);
        File.WriteAllText(Path.Combine(point.Path, "artifacts", "bin", "Api.dll"), "evil build");

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Rollback("site", point.Id));

        Assert.Equal(RollbackErrorId.RollbackNotReady, ex.ErrorId);
        Assert.Contains($"[ArtifactsIntact: {RollbackErrorId.ArtifactChecksumMismatch}]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'bin/Api.dll' changed (its SHA-256 differs from the manifest)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(failed, Sandbox.Snapshot(_site));
        Assert.Equal(new[] { _site }, Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));
        Assert.False(_sandbox.Store.Attempts.Exists("site"));
        Assert.DoesNotContain(_sandbox.Engine.Points.GetAll("site"), p => p.IsSafetyPoint);
        var journal = _sandbox.Engine.History.Get(new Engine.HistoryFilter { Target = "site" }).ToList();
        var intent = Assert.Single(journal, e => e.Action == HistoryAction.Intent);
        var outcome = Assert.Single(journal, e => e.Action == HistoryAction.Rollback);
        Assert.Equal(intent.AttemptId, outcome.AttemptId);
        Assert.Equal(HistoryStatus.Refused, outcome.Status);
        Assert.Equal(RollbackErrorId.RollbackNotReady, outcome.ErrorId);

        // Test-RollbackReadiness reads every file, so it names the same difference before any rollback is tried.
        var failure = Assert.Single(_sandbox.Engine.Readiness.Test("site", point.Id).Failures);
        Assert.Equal(RollbackErrorId.ArtifactChecksumMismatch, failure.ErrorId);
    }

    [Fact]
    public void ArtifactReplacedByLinkOutsideThePointIsRefused()
    {
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var secret = _sandbox.PathOf("secret.txt");
        File.WriteAllText(secret, "not yours");
        var artifact = Path.Combine(point.Path, "artifacts", "web.config");
        File.Delete(artifact);
        Platform.NativeFileSystem.CreateDirectoryLink(artifact, secret);

        var report = _sandbox.Engine.Readiness.Test("site", point.Id);

        Assert.Equal(RollbackErrorId.ArtifactPathEscapes, Assert.Single(report.Failures).ErrorId);
    }

    [Fact]
    public void VersionIsAContentHashWithoutVersionFile()
    {
        _sandbox.Register("plain", "Directory", ("Path", _site));
        var point = _sandbox.Engine.Points.Create("plain", null);

        Assert.StartsWith("sha256:", point.Version, StringComparison.Ordinal);
        Assert.Equal(RollbackStatus.AlreadyCurrent, _sandbox.Rollback("plain", point.Id).Status);
    }

    private void DeployBadBuild()
    {
        File.WriteAllText(Path.Combine(_site, "version.txt"), "v2.4.0\n");
        File.WriteAllText(Path.Combine(_site, "bin", "Api.dll"), "broken build");
        Sandbox.WriteFile(Path.Combine(_site, "bin", "New.dll"), "new dependency");
    }
}
