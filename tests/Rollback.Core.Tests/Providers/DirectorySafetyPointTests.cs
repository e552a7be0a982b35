using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// A Directory rollback makes one copy, not three: the point is staged beside the live folder, the swap sets the failed
/// folder aside whole, and that folder (hashed after the switch, never copied) is the safety point, as complete and
/// verifiable as a captured one. Compared by stat(1) snapshots and device:inode, independent of the code under test.
/// </summary>
public sealed class DirectorySafetyPointTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly string _site;

    public DirectorySafetyPointTests()
    {
        _site = _sandbox.PathOf("srv", "api");
        Sandbox.WriteFile(Path.Combine(_site, "version.txt"), "v2.3.1\n");
        Sandbox.WriteFile(Path.Combine(_site, "bin", "start.sh"), "#!/bin/sh\nexec api\n");
        Directory.CreateDirectory(Path.Combine(_site, "logs"));
        _sandbox.Register("site", "Directory", ("Path", _site), ("VersionFile", "version.txt"));
    }

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void TheSafetyPointIsTheFolderTheSwapSetAsideAndUndoesTheRollbackExactly()
    {
        Skip.If(OperatingSystem.IsWindows(), "Modes and inodes are Unix facts.");
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        HostileTree.Run("chmod", "0700", Path.Combine(_site, "bin", "start.sh"));
        var failed = HostileTree.Snapshot(_site);
        var failedFolder = HostileTree.Output("stat", "-c", "%d:%i", _site);

        var result = _sandbox.Rollback("site", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(new[] { "StageCopy", "SwapFolders", "CaptureSafetyPoint" }, result.Steps.Select(s => s.Name));
        var safety = _sandbox.Engine.Points.Get("site", result.SafetyPointId!);
        Assert.True(safety.IsSafetyPoint);
        Assert.Equal("v2.4.0", safety.Version);

        // Not a copy: the very folder that was live is now the safety point's artifacts.
        var artifacts = Path.Combine(safety.Path, "artifacts");
        Assert.Equal(failedFolder, HostileTree.Output("stat", "-c", "%d:%i", artifacts));
        Assert.Equal(failed, HostileTree.Snapshot(artifacts));
        Assert.Equal(new[] { _site }, Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));

        var readiness = _sandbox.Engine.Readiness.Test("site", safety.Id);
        Assert.True(readiness.IsReady, string.Join(" ", readiness.Failures.Select(f => f.Message)));
        Assert.Contains(readiness.Checks, c => c.Name == "ArtifactsMetadata" && c.Status == CheckStatus.Pass);

        var undo = _sandbox.Rollback("site", safety.Id);
        Assert.Equal(RollbackStatus.Succeeded, undo.Status);
        Assert.Equal(failed, HostileTree.Snapshot(_site));
    }

    [SkippableFact]
    public void WorkBesideTheCallingThreadReportsOnlyThroughIt()
    {
        // A rollback proves the point's tree while it describes the target, and reads the target back while it keeps the
        // safety point: PowerShell takes stream writes from the pipeline thread alone, so every report must arrive there.
        Skip.If(OperatingSystem.IsWindows(), "Modes and inodes are Unix facts.");
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var caller = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        var reporter = new RecordingReporter { OnVerbose = _ => threads.Add(Environment.CurrentManagedThreadId) };
        reporter.OnProgress = _ => threads.Add(Environment.CurrentManagedThreadId);
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, null, "tester");

        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "test", ApprovedBy = new[] { "tester" } });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(new[] { caller }, threads);
        Assert.Contains(reporter.Progress, p => p.ActivityId == ProgressActivity.Verify && p.Completed);
        // The read-back counts its own reuses, not those of the safety capture running beside it: every staged file, no more.
        var readBack = reporter.Verbose.Last(v => v.StartsWith($"Hashed '{_site}'", StringComparison.Ordinal));
        Assert.Contains(": 2 of 2 files unchanged", readBack, StringComparison.Ordinal);
        Assert.Equal("v2.3.1", File.ReadAllText(Path.Combine(_site, "version.txt")).Trim());
        Assert.NotNull(result.SafetyPointId);
    }

    [SkippableFact]
    public void ReadinessRefusesAPointWhoseOwnCopyLostItsModes()
    {
        Skip.If(OperatingSystem.IsWindows(), "Modes are Unix facts.");
        HostileTree.Run("chmod", "0755", Path.Combine(_site, "bin", "start.sh"));
        var point = _sandbox.Engine.Points.Create("site", null);
        var copy = Path.Combine(point.Path, "artifacts", "bin", "start.sh");
        Assert.Equal("755", HostileTree.Output("stat", "-c", "%a", copy));
        DeployBadBuild();

        HostileTree.Run("chmod", "0644", copy);
        var report = _sandbox.Engine.Readiness.Test("site", point.Id);

        var failure = Assert.Single(report.Failures);
        Assert.Equal("ArtifactsMetadata", failure.Name);
        Assert.Equal(RollbackErrorId.ArtifactMetadataMismatch, failure.ErrorId);
        Assert.Contains("bin/start.sh", failure.Message, StringComparison.Ordinal);
        Assert.Contains("mode 0644, not 0755", failure.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AStateThatCannotBeHashedAfterTheSwitchIsKeptSaidSoAndAdoptedByTheNextRollback()
    {
        Skip.If(OperatingSystem.IsWindows(), "Named pipes are Unix files.");
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();
        var failed = HostileTree.Snapshot(_site);
        var reporter = new RecordingReporter();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, null, "tester");

        // A service that drops a named pipe into its folder while it is being stopped: the set-aside state cannot be hashed.
        var result = engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "site",
            PointId = point.Id,
            Reason = "test",
            BeforeSwitch = () => HostileTree.CreateSpecial(Path.Combine(_site, "control.fifo"), "NamedPipe"),
        });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.CaptureFailed, result.ErrorId);
        Assert.Null(result.SafetyPointId);
        Assert.Contains("reports v2.3.1, the point's state", result.Message, StringComparison.Ordinal);
        var kept = Assert.Single(Directory.GetDirectories(Path.GetDirectoryName(_site)!, ".api.rollback-*"));
        Assert.EndsWith(".previous", kept, StringComparison.Ordinal);
        Assert.Contains(kept, result.Message, StringComparison.Ordinal);
        Assert.Contains(reporter.Warnings, w => w.Contains(kept, StringComparison.Ordinal));
        Assert.Equal("v2.3.1", File.ReadAllText(Path.Combine(_site, "version.txt")).Trim());

        // Once the pipe is gone, the next rollback adopts the kept state as a safety point that undoes the first one.
        File.Delete(Path.Combine(kept, "control.fifo"));
        var rerun = engine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "test" });

        Assert.Equal(RollbackStatus.AlreadyCurrent, rerun.Status);
        Assert.Equal(new[] { _site }, Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));
        var adopted = Assert.Single(_sandbox.Engine.Points.GetAll("site"), p => p.IsSafetyPoint);
        Assert.Equal("v2.4.0", adopted.Version);
        Assert.Contains("interrupted rollback", adopted.Note, StringComparison.Ordinal);
        Assert.Contains(reporter.Warnings, w => w.Contains(adopted.Id, StringComparison.Ordinal));
        Assert.Equal(RollbackStatus.Succeeded, _sandbox.Rollback("site", adopted.Id).Status);
        Assert.Equal(failed, HostileTree.Snapshot(_site));
    }

    [SkippableFact]
    public void StagingClonesWhereTheFileSystemCanAndCopiesWhereItCannot()
    {
        Skip.If(!OperatingSystem.IsLinux(), "FICLONE is a Linux ioctl.");
        var point = _sandbox.Engine.Points.Create("site", null);
        DeployBadBuild();

        // cp --reflink=always fails exactly where the file system cannot share extents (ext4, tmpfs): the independent answer.
        var probe = Path.Combine(point.Path, "artifacts", "version.txt");
        var canClone = Succeeds("cp", "--reflink=always", probe, _sandbox.PathOf("reflink-probe"));
        var reporter = new RecordingReporter();
        var result = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, null, "tester")
            .Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "test" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var staged = Assert.Single(reporter.Verbose, v => v.StartsWith($"Staged point {point.Id}", StringComparison.Ordinal));
        Assert.Contains(canClone ? "files cloned" : "files copied (this file system cannot clone files)", staged, StringComparison.Ordinal);
        Assert.Equal("v2.3.1", File.ReadAllText(Path.Combine(_site, "version.txt")).Trim());
    }

    [SkippableFact]
    public void AStoreOnAnotherFileSystemGetsAVerifiedCopyOfTheStateSetAside()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Directory.Exists("/dev/shm"), "Needs a second file system (/dev/shm).");
        var device = HostileTree.Output("stat", "-c", "%d", _site);
        Skip.If(HostileTree.Output("stat", "-c", "%d", "/dev/shm") == device, "/dev/shm is on the same file system here.");
        var storePath = Path.Combine("/dev/shm", "rollback-tests-" + Guid.NewGuid().ToString("N"));
        try
        {
            var engine = new RollbackEngine(new Store.RollbackStore(storePath), _sandbox.Catalog, NullReporter.Instance, null, "tester");
            engine.Targets.Register("site", "Directory", new SettingsDictionary(new[]
            {
                new KeyValuePair<string, object?>("Path", _site),
                new KeyValuePair<string, object?>("VersionFile", "version.txt"),
            }), replace: false);
            var point = engine.Points.Create("site", null);
            DeployBadBuild();
            var failed = HostileTree.Snapshot(_site);

            var result = engine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "test" });

            Assert.Equal(RollbackStatus.Succeeded, result.Status);
            Assert.Equal(new[] { _site }, Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));
            var safety = engine.Points.Get("site", result.SafetyPointId!);
            Assert.Equal(failed, HostileTree.Snapshot(Path.Combine(safety.Path, "artifacts")));
            Assert.True(engine.Readiness.Test("site", safety.Id).IsReady);
        }
        finally
        {
            Directory.Delete(storePath, recursive: true);
        }
    }

    private void DeployBadBuild()
    {
        File.WriteAllText(Path.Combine(_site, "version.txt"), "v2.4.0\n");
        File.WriteAllText(Path.Combine(_site, "bin", "start.sh"), "#!/bin/sh\nexec api --broken\n");
        Sandbox.WriteFile(Path.Combine(_site, "bin", "New.dll"), "new dependency");
    }

    private static bool Succeeds(string program, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
