using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// Every switch is journaled before it happens: an Intent entry (target, point, attempt, what the switch moves) is in the
/// journal when the switch starts, the outcome carries the same attempt, and a journal that refuses the intent stops
/// the rollback with nothing switched. What a dead process left beside the target is removed by the next command;
/// what a running one is using is left alone. (The kill -9 cases run in CrashRecoveryTests, through the runner.)
/// </summary>
public sealed class AttemptJournalTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    [Fact]
    public void TheIntentIsInTheJournalWhenTheSwitchStartsAndTheOutcomeNamesTheSameAttempt()
    {
        var (root, point) = ReleaseRolledForward();
        HistoryEntry? lastBeforeSwitch = null;

        var result = _sandbox.Rollback("api", point.Id, beforeSwitch: () => lastBeforeSwitch = _sandbox.Store.Journal.Read().Last());

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.NotNull(lastBeforeSwitch);
        Assert.Equal(HistoryAction.Intent, lastBeforeSwitch!.Action);
        Assert.Equal(HistoryStatus.Started, lastBeforeSwitch.Status);
        Assert.StartsWith(HistoryAction.Rollback + ":", lastBeforeSwitch.Message, StringComparison.Ordinal);
        Assert.Equal(point.Id, lastBeforeSwitch.PointId);
        Assert.Equal(result.SafetyPointId, lastBeforeSwitch.SafetyPointId);
        Assert.Equal(new[] { Path.Combine(root, "current") }, lastBeforeSwitch.SwitchPaths);
        var outcome = _sandbox.Store.Journal.Read().Last();
        Assert.Equal(nameof(RollbackStatus.Succeeded), outcome.Status);
        Assert.Equal(HistoryAction.Rollback, outcome.Action);
        Assert.Equal(lastBeforeSwitch.AttemptId, outcome.AttemptId);
        Assert.False(_sandbox.Store.Attempts.Exists("api"));
        Assert.True(_sandbox.Store.Journal.Verify().IsValid);
    }

    [Fact]
    public void ARestoreOfSeveralFilesNamesEveryFileToMoveInItsIntent()
    {
        var first = _sandbox.PathOf("etc", "app.json");
        var second = _sandbox.PathOf("etc", "db.json");
        Sandbox.WriteFile(first, "{\"v\":1}");
        Sandbox.WriteFile(second, "{\"v\":1}");
        _sandbox.Register("cfg", "ConfigurationFile", ("Path", new[] { first, second }));
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(first, "{\"v\":2}");
        File.WriteAllText(second, "{\"v\":2}");

        _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, Reason = "test" });

        var entries = _sandbox.Store.Journal.Read().Where(e => e.Action is HistoryAction.RestoreConfiguration or HistoryAction.Intent).ToList();
        Assert.Equal(new[] { HistoryAction.Intent, HistoryAction.RestoreConfiguration }, entries.Select(e => e.Action));
        Assert.Equal(new[] { HistoryStatus.Started, HistoryStatus.Succeeded }, entries.Select(e => e.Status));
        Assert.Equal(new[] { first, second }, entries[0].SwitchPaths);
        Assert.Equal(entries[0].AttemptId, entries[1].AttemptId);
        Assert.Equal("{\"v\":1}", File.ReadAllText(second));
    }

    [SkippableFact]
    public void AJournalThatRefusesTheIntentStopsTheRollbackWithNothingSwitched()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var (root, point) = ReleaseRolledForward();

        // Writable when readiness checks it, then a folder in its place: the write of the intent itself is the gate.
        var journal = _sandbox.Store.Journal.Path;
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, new OnPhase("Capturing a safety point", () =>
        {
            File.Move(journal, journal + ".aside");
            Directory.CreateDirectory(journal);
        }), user: "tester");

        var error = Assert.Throws<RollbackException>(() => engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = point.Id, Reason = "test" }));

        Assert.Equal(RollbackErrorId.JournalUnwritable, error.ErrorId);
        Assert.Equal("v2", Sandbox.CurrentRelease(root));
        Assert.Empty(TemporaryNames.FindBeside(Path.Combine(root, "current")));
        Assert.False(_sandbox.Store.Attempts.Exists("api"));
    }

    [Fact]
    public void WhatADeadProcessLeftBesideTheTargetIsRemovedAndWhatARunningOneUsesIsLeft()
    {
        var (root, point) = ReleaseRolledForward();
        var current = Path.Combine(root, "current");
        var ofDeadProcess = Path.Combine(root, ".current.rollback-" + DeadProcessId() + "-0123456789ab.tmp");
        var ofOlderVersion = Path.Combine(root, ".current.rollback-" + point.Id);
        var ofRunningProcess = Path.Combine(root, ".current.rollback-1-0123456789ab.tmp");
        NativeFileSystem.CreateDirectoryLink(ofDeadProcess, "releases/v1");
        NativeFileSystem.CreateDirectoryLink(ofOlderVersion, "releases/v1");
        Sandbox.WriteFile(Path.Combine(ofRunningProcess, "app.dll"), "a copy being staged");
        var warnings = new List<string>();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, new OnPhase("never", () => { }, warnings), user: "tester");

        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = point.Id, Reason = "test" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v1", Sandbox.CurrentRelease(root));
        Assert.Equal(new[] { ofRunningProcess }, TemporaryNames.FindBeside(current));
        var warning = Assert.Single(warnings);
        Assert.Contains(ofDeadProcess, warning, StringComparison.Ordinal);
        Assert.Contains(ofOlderVersion, warning, StringComparison.Ordinal);
        var recovered = Assert.Single(_sandbox.Store.Journal.Read(), e => e.Action == HistoryAction.RecoverAttempt);
        Assert.Equal(HistoryStatus.Reverted, recovered.Status);
    }

    [Fact]
    public void UnderWhatIfAnUnfinishedAttemptIsOnlyNamedAndNothingChanges()
    {
        var file = _sandbox.PathOf("etc", "app.json");
        Sandbox.WriteFile(file, "{\"v\":1}");
        _sandbox.Register("cfg", "ConfigurationFile", ("Path", new[] { file }));
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(file, "{\"v\":2}");
        _sandbox.Store.Attempts.Begin(new AttemptRecord { Id = "0123456789ab", Target = "cfg", Action = HistoryAction.RestoreConfiguration, PointId = point.Id, ProcessId = DeadProcessId() });
        var warnings = new List<string>();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, new OnPhase("never", () => { }, warnings), user: "tester");

        engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, WhatIf = true });

        Assert.Contains(warnings, w => w.Contains("0123456789ab", StringComparison.Ordinal));
        Assert.True(_sandbox.Store.Attempts.Exists("cfg"));
        Assert.Equal("{\"v\":2}", File.ReadAllText(file));
        Assert.DoesNotContain(_sandbox.Store.Journal.Read(), e => e.Action == HistoryAction.RecoverAttempt);
    }

    [Theory]
    [InlineData(false, HistoryStatus.Completed, "the switch had finished")]
    [InlineData(true, HistoryStatus.Interrupted, "neither the point's state nor the one before")]
    public void ADeadDirectoryAttemptIsSettledByTheStateItLeftWithOneOutcome(bool changedSince, string status, string message)
    {
        // A Directory switch is one exchange: the folder is either as before or at the point. One that is neither changed
        // after the attempt (another deployment), and is left as found rather than rolled onto the point with no safety point.
        var site = _sandbox.PathOf("site");
        Sandbox.WriteFile(Path.Combine(site, "index.html"), "v1");
        _sandbox.Register("site", "Directory", ("Path", site));
        var point = _sandbox.Engine.Points.Create("site", null);
        if (changedSince)
        {
            File.WriteAllText(Path.Combine(site, "index.html"), "v3, deployed after the attempt died");
        }

        var before = Sandbox.Snapshot(site);
        _sandbox.Store.Attempts.Begin(new AttemptRecord
        {
            Id = "0123456789ab", Target = "site", Action = HistoryAction.Rollback, PointId = point.Id, FromVersion = "v0", FromFingerprint = "another state",
            ToVersion = point.Version, ToFingerprint = point.Fingerprint, ProcessId = DeadProcessId(),
        });

        _sandbox.Engine.Points.Create("site", null);

        var recovered = Assert.Single(_sandbox.Store.Journal.Read(), e => e.Action == HistoryAction.RecoverAttempt);
        Assert.Equal(status, recovered.Status);
        Assert.Equal("0123456789ab", recovered.AttemptId);
        Assert.Contains(message, recovered.Message, StringComparison.Ordinal);
        Assert.False(_sandbox.Store.Attempts.Exists("site"));
        Assert.Equal(before, Sandbox.Snapshot(site));
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>A release target 'api' with a point at v1, then v2 deployed: a rollback has something to switch.</summary>
    private (string Root, RollbackPoint Point) ReleaseRolledForward()
    {
        var root = _sandbox.CreateReleaseRoot("api", "v1", "v1", "v2");
        _sandbox.Register("api", "FileSystemRelease", ("Root", root));
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(root, "v2");
        return (root, point);
    }

    /// <summary>A process id no process has now: one that was started and has ended.</summary>
    private static int DeadProcessId()
    {
        using var ended = System.Diagnostics.Process.Start("true")!;
        ended.WaitForExit();
        return ended.Id;
    }

    /// <summary>A reporter that runs <paramref name="action"/> when the engine reports a phase starting with <paramref name="phase"/>, and keeps warnings.</summary>
    private sealed class OnPhase(string phase, Action action, List<string>? warnings = null) : IRollbackReporter
    {
        public void Progress(ProgressUpdate update)
        {
            if (update.Status.StartsWith(phase, StringComparison.Ordinal))
            {
                action();
            }
        }

        public void Verbose(string message)
        {
        }

        public void Warning(string message) => warnings?.Add(message);
    }
}
