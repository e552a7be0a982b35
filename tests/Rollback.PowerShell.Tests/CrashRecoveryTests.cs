using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.Versioning;
using System.Management.Automation;
using System.Security.Cryptography;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// kill -9 at every rename and exchange of each file-system switch (and at the intent and the staging before it): the
/// command runs in the runner's own process and is killed with SIGKILL at the named step; then ONE next command on the
/// target, in a fresh session, must find the unfinished attempt (a warning naming it), leave the target byte for byte
/// in a whole state (the point's after a rerun of the same command; before the switch or after it, never in between,
/// after any other command), leave nothing temporary behind it or in the store, and journal the attempt's intent and
/// its outcome with the chain intact.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class CrashRecoveryTests
{
    // The crash points the module defines (src/Rollback.Core/Platform/CrashPoints.cs and the providers).
    private const string Intent = "Attempt.IntentJournaled";
    private const string LinkCreated = "FileSystemRelease.LinkCreated";
    private const string Staging = "FileSystemRelease.Staging";
    private const string Staged = "FileSystemRelease.Staged";
    private const string Switched = "FileSystemRelease.Switched";
    private const string FilesStaged = "ConfigurationFile.Staged";
    private const string Renamed1 = "ConfigurationFile.Renamed.1";
    private const string Renamed2 = "ConfigurationFile.Renamed.2";

    /// <summary>The kind of switch, the crash point, the next command, and whether the switch had (at least partly) happened when the process died.</summary>
    public static TheoryData<Switch, string, NextCommand, bool> Cases => new()
    {
        { Switch.ReleaseLink, Intent, NextCommand.Same, false },
        { Switch.ReleaseLink, LinkCreated, NextCommand.Same, false },
        { Switch.ReleaseLink, Switched, NextCommand.Same, true },
        { Switch.ReleaseLink, LinkCreated, NextCommand.GetTarget, false },
        { Switch.ReleaseLink, Switched, NextCommand.Readiness, true },
        { Switch.ReleaseCopy, Intent, NextCommand.Same, false },
        { Switch.ReleaseCopy, Staging, NextCommand.Same, false },
        { Switch.ReleaseCopy, Staged, NextCommand.Same, false },
        { Switch.ReleaseCopy, Switched, NextCommand.Same, true },
        { Switch.ReleaseCopy, Staging, NextCommand.NewPoint, false },
        { Switch.ConfigSingle, Intent, NextCommand.Same, false },
        { Switch.ConfigSingle, FilesStaged, NextCommand.Same, false },
        { Switch.ConfigSingle, Renamed1, NextCommand.Same, true },
        { Switch.ConfigMulti, Intent, NextCommand.Same, false },
        { Switch.ConfigMulti, FilesStaged, NextCommand.Same, false },
        { Switch.ConfigMulti, Renamed1, NextCommand.Same, true },
        { Switch.ConfigMulti, Renamed2, NextCommand.Same, true },
        { Switch.ConfigMulti, Renamed1, NextCommand.Readiness, true },
        { Switch.ConfigMulti, Renamed1, NextCommand.GetTarget, true },
        { Switch.ConfigMulti, Renamed1, NextCommand.NewPoint, true },
        { Switch.ConfigMultiRestore, Intent, NextCommand.Same, false },
        { Switch.ConfigMultiRestore, FilesStaged, NextCommand.Same, false },
        { Switch.ConfigMultiRestore, Renamed1, NextCommand.Same, true },
        { Switch.ConfigMultiRestore, Renamed2, NextCommand.Same, true },
        { Switch.ConfigMultiRestore, Renamed1, NextCommand.GetTarget, true },
    };

    public enum Switch
    {
        ReleaseLink,
        ReleaseCopy,
        ConfigSingle,
        ConfigMulti,
        ConfigMultiRestore,
    }

    public enum NextCommand
    {
        Same,
        Readiness,
        GetTarget,
        NewPoint,
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void AKilledSwitchConvergesInOneNextCommandWithItsIntentAndOutcomeJournaled(Switch kind, string crashPoint, NextCommand next, bool switchedBeforeKill)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "SIGKILL and the modes compared are Unix's; the crash points are exercised on Linux.");
        using var session = new RollbackSession();
        var setup = Arrange(session, kind);

        var killed = KilledProcess.RunAndKillAt(setup.Command, crashPoint, session.Root);

        var intent = Assert.Single(History(session, setup.Target), e => e.GetString("Action") == "Intent");
        var attemptId = intent.GetString("AttemptId")!;
        Assert.False(string.IsNullOrEmpty(attemptId), "The intent names its attempt.");
        Assert.Equal(setup.PointId, intent.GetString("PointId"));

        var rerun = session.Run(CommandFor(kind, next, setup));

        Assert.True(rerun.AllErrors.Count == 0, "The next command failed: " + string.Join(" | ", rerun.AllErrors));
        if (next == NextCommand.Same && kind != Switch.ConfigMultiRestore)
        {
            var status = rerun.Output.Single().GetString("Status");
            Assert.True(status is "Succeeded" or "AlreadyCurrent", $"The rerun ended {status}.");
        }

        // Byte for byte: the point's state after the same command again, else the whole state the attempt had reached.
        var expected = next == NextCommand.Same || switchedBeforeKill ? setup.AtPoint : setup.Deployed;
        Assert.Equal(expected, Snapshot(setup.Folder));
        AssertNothingLeft(setup);
        Assert.Contains(rerun.Warnings, w => w.Contains(attemptId, StringComparison.Ordinal) && w.Contains("process " + killed, StringComparison.Ordinal));

        var entries = History(session, setup.Target);
        var outcome = Assert.Single(entries, e => e.GetString("AttemptId") == attemptId && e.GetString("Action") != "Intent");
        Assert.Equal("RecoverAttempt", outcome.GetString("Action"));
        Assert.Equal(switchedBeforeKill ? "Completed" : "Reverted", outcome.GetString("Status"));
        foreach (var each in entries.Where(e => e.GetString("Action") == "Intent"))
        {
            Assert.Contains(entries, e => e.GetString("AttemptId") == each.GetString("AttemptId") && e.GetString("Action") != "Intent");
        }

        var verified = session.Run("Get-RollbackHistory -Verify").Output.Single();
        Assert.True((bool)verified.Get("IsValid")!, verified.GetString("Message"));
    }

    private static string CommandFor(Switch kind, NextCommand next, Setup setup) => next switch
    {
        NextCommand.Same => setup.Command.Replace(" -StorePath '" + setup.StorePath + "'", string.Empty, StringComparison.Ordinal),
        NextCommand.Readiness => $"Test-RollbackReadiness -Target {setup.Target} -PointId {setup.PointId} | Out-Null",
        NextCommand.GetTarget => $"Get-RollbackTarget -Name {setup.Target} | Out-Null",
        NextCommand.NewPoint => $"New-RollbackPoint -Target {setup.Target} | Out-Null",
        _ => throw new ArgumentOutOfRangeException(nameof(next), kind + " " + next),
    };

    /// <summary>Registers a target of the kind, captures the point at v1, deploys v2, and says what to run and what each state looks like.</summary>
    private static Setup Arrange(RollbackSession session, Switch kind)
    {
        var folder = Path.Combine(session.Root, "target");
        Directory.CreateDirectory(folder);
        string target;
        Action deploy;
        switch (kind)
        {
            case Switch.ReleaseLink:
            case Switch.ReleaseCopy:
                target = "api";
                foreach (var release in new[] { "v1", "v2" })
                {
                    Write(Path.Combine(folder, "releases", release, "app.dll"), "binary of " + release);
                    Write(Path.Combine(folder, "releases", release, "config", "app.conf"), "version=" + release);
                    Write(Path.Combine(folder, "releases", release, "run.sh"), "#!/bin/sh\necho " + release);
                    File.SetUnixFileMode(Path.Combine(folder, "releases", release, "run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
                }

                if (kind == Switch.ReleaseLink)
                {
                    File.CreateSymbolicLink(Path.Combine(folder, "current"), "releases/v1");
                    deploy = () =>
                    {
                        File.Delete(Path.Combine(folder, "current"));
                        File.CreateSymbolicLink(Path.Combine(folder, "current"), "releases/v2");
                    };
                    Register(session, target, "FileSystemRelease", $"@{{ Root = '{folder}' }}");
                }
                else
                {
                    CopyRelease(folder, "v1");
                    deploy = () => CopyRelease(folder, "v2");
                    Register(session, target, "FileSystemRelease", $"@{{ Root = '{folder}'; Strategy = 'Copy' }}");
                }

                break;
            default:
                target = "cfg";
                var files = kind == Switch.ConfigSingle ? new[] { "app.json" } : new[] { "app.json", "db.json" };
                foreach (var file in files)
                {
                    Write(Path.Combine(folder, file), "{ \"version\": 1, \"file\": \"" + file + "\" }");
                }

                deploy = () =>
                {
                    foreach (var file in files)
                    {
                        File.WriteAllText(Path.Combine(folder, file), "{ \"version\": 2, \"file\": \"" + file + "\" }");
                    }
                };
                Register(session, target, "ConfigurationFile", $"@{{ Path = @({string.Join(", ", files.Select(f => "'" + Path.Combine(folder, f) + "'"))}) }}");
                break;
        }

        var atPoint = Snapshot(folder);
        var point = session.Run($"New-RollbackPoint -Target {target}");
        Assert.True(point.AllErrors.Count == 0, string.Join(" | ", point.AllErrors));
        var pointId = point.Output.Single().GetString("Id")!;
        deploy();
        var deployed = Snapshot(folder);
        Assert.NotEqual(atPoint, deployed);

        var command = kind == Switch.ConfigMultiRestore
            ? $"Restore-Configuration -StorePath '{session.StorePath}' -Target {target} -PointId {pointId} -Reason 'crash drill' -Confirm:$false"
            : $"Invoke-Rollback -StorePath '{session.StorePath}' -Target {target} -PointId {pointId} -Reason 'crash drill' -Confirm:$false";
        return new Setup(target, folder, session.StorePath, pointId, command, atPoint, deployed);
    }

    private static void Register(RollbackSession session, string target, string kind, string settings)
    {
        var registered = session.Run($"Register-RollbackTarget -Name {target} -Kind {kind} -Settings {settings}");
        Assert.True(registered.AllErrors.Count == 0, string.Join(" | ", registered.AllErrors));
    }

    /// <summary>What a deploy tool without links does: 'current' becomes a real copy of the release, with the marker the module reads.</summary>
    private static void CopyRelease(string root, string release)
    {
        var current = Path.Combine(root, "current");
        if (Directory.Exists(current))
        {
            Directory.Delete(current, recursive: true);
        }

        var source = Path.Combine(root, "releases", release);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(current, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(file));
        }

        File.WriteAllText(Path.Combine(current, ".rollback-release"), release);
    }

    /// <summary>No temporary link, file or copy beside the target, no point staging, no attempt left open in the store.</summary>
    private static void AssertNothingLeft(Setup setup)
    {
        var temporary = Directory.GetFileSystemEntries(setup.Folder).Where(p => Path.GetFileName(p).Contains(".rollback-", StringComparison.Ordinal)).ToList();
        Assert.True(temporary.Count == 0, "Left beside the target: " + string.Join(", ", temporary));
        var staging = Directory.GetDirectories(Path.Combine(setup.StorePath, "points", setup.Target), ".staging-*");
        Assert.True(staging.Length == 0, "Left in the store: " + string.Join(", ", staging));
        var attempts = Directory.GetFiles(Path.Combine(setup.StorePath, "locks"), "*.attempt");
        Assert.True(attempts.Length == 0, "An attempt is still open: " + string.Join(", ", attempts));
    }

    /// <summary>The target's journal entries of attempts (intents and outcomes), oldest first.</summary>
    internal static List<PSObject> History(RollbackSession session, string target)
    {
        var history = session.Run($"Get-RollbackHistory -Target {target}");
        Assert.True(history.AllErrors.Count == 0, string.Join(" | ", history.AllErrors));
        return history.Output.Where(e => e.GetString("Action") is "Intent" or "Rollback" or "RestoreConfiguration" or "RecoverAttempt").ToList();
    }

    /// <summary>Every entry under <paramref name="root"/>, links not followed: its kind, mode, link text or content hash.</summary>
    private static string[] Snapshot(string root) =>
        Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !IsUnder(p, root, "current") || new FileInfo(Path.Combine(root, "current")).LinkTarget is null)
            .Select(p => Describe(root, p))
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static bool IsUnder(string path, string root, string folder) =>
        Path.GetRelativePath(Path.Combine(root, folder), path) is var relative && relative != "." && !relative.StartsWith("..", StringComparison.Ordinal);

    private static string Describe(string root, string path)
    {
        var info = new FileInfo(path);
        var relative = Path.GetRelativePath(root, path);
        var mode = Convert.ToString((int)File.GetUnixFileMode(path), 8);
        if (info.LinkTarget is { } link)
        {
            return $"{relative} -> {link}";
        }

        return Directory.Exists(path)
            ? $"{relative}/ {mode}"
            : $"{relative} {mode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))}";
    }

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private sealed record Setup(string Target, string Folder, string StorePath, string PointId, string Command, string[] AtPoint, string[] Deployed);
}
