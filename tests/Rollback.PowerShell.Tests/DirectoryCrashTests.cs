using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// A Directory rollback killed with kill -9 at each of its steps, in a real process (the runner running Invoke-Rollback),
/// then ONE rerun in another process: it recognises what the dead attempt left beside the folder by its name (the dead
/// process's id, the attempt's id, the role), removes a partial copy or adopts the state a swap set aside as a safety point,
/// settles the attempt with one journaled outcome (the engine's recovery of every switch), and converges.
/// The step is chosen by the test-only ROLLBACK_TEST_PAUSE_AT (the process writes its id into ROLLBACK_TEST_PAUSE_FILE
/// and waits there); a kill at a random moment could not show every step. The child is killed by that id.
/// </summary>
public sealed class DirectoryCrashTests : IDisposable
{
    private readonly RollbackSession _session = new();
    private readonly string _site;

    public DirectoryCrashTests()
    {
        _site = Path.Combine(_session.Root, "srv", "api");
        Write("version.txt", "v2.3.1\n");
        Write(Path.Combine("bin", "start.sh"), "#!/bin/sh\nexec api\n");
        Write(Path.Combine("config", "secret.key"), "key of v2.3.1");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(_site, "bin", "start.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
            File.SetUnixFileMode(Path.Combine(_site, "config", "secret.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Directory.CreateDirectory(Path.Combine(_site, "logs"));
        _session.Run($"Register-RollbackTarget -Name site -Kind Directory -Settings @{{ Path = '{_site}'; VersionFile = 'version.txt' }}").One("RollbackTarget");
    }

    public void Dispose() => _session.Dispose();

    [SkippableTheory]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    [InlineData("staging", "Succeeded")]
    [InlineData("swapped", "AlreadyCurrent")]
    [InlineData("set-aside", "AlreadyCurrent")]
    public void OneRerunFinishesWhatARollbackKilledAtThisStepLeft(string step, string rerunStatus)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The folder swap without a window, and kill -9, are Linux's.");
        var pointId = _session.Run("New-RollbackPoint -Target site").One("RollbackPoint").GetString("Id")!;
        var good = Snapshot(_site);
        Write("version.txt", "v2.4.0\n");
        Write(Path.Combine("bin", "start.sh"), "#!/bin/sh\nexec api --broken\n");
        Write(Path.Combine("bin", "New.dll"), "new dependency");
        var failed = Snapshot(_site);

        var killed = KilledProcess.RunAndKillAt(
            $"Invoke-Rollback -Target site -PointId {pointId} -Reason crash -Confirm:$false -StorePath '{_session.StorePath}'", step, _session.Root);

        var attemptId = Assert.Single(CrashRecoveryTests.History(_session, "site"), e => e.GetString("Action") == "Intent").GetString("AttemptId")!;
        var left = Directory.GetDirectories(Path.GetDirectoryName(_site)!, ".api.rollback-" + killed.ToString(CultureInfo.InvariantCulture) + "-" + attemptId + ".*");
        Assert.True(left.Length == 1, $"The kill at '{step}' left {left.Length} folders named for attempt {attemptId}.");
        if (step == "staging")
        {
            // Until the staged copy is complete it is this account's alone: nobody else can reach a file half made.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(left[0]));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(left[0], "config", "secret.key")));
        }

        var rerun = _session.Run($"Invoke-Rollback -Target site -PointId {pointId} -Reason rerun -Confirm:$false");
        var result = rerun.One("RollbackResult");

        Assert.Equal(rerunStatus, result.GetString("Status"));
        Assert.Equal(good, Snapshot(_site));
        Assert.Equal(new[] { _site }, Directory.GetFileSystemEntries(Path.GetDirectoryName(_site)!));
        Assert.Contains(rerun.Warnings, w => w.Contains(attemptId, StringComparison.Ordinal) && w.Contains("process " + killed, StringComparison.Ordinal));

        // One outcome for the dead attempt: Reverted when it died before its swap, Completed after it; never Interrupted.
        var entries = CrashRecoveryTests.History(_session, "site");
        var outcome = Assert.Single(entries, e => e.GetString("AttemptId") == attemptId && e.GetString("Action") != "Intent");
        Assert.Equal("RecoverAttempt", outcome.GetString("Action"));
        Assert.Equal(step == "staging" ? "Reverted" : "Completed", outcome.GetString("Status"));
        Assert.DoesNotContain(entries, e => e.GetString("Status") == "Interrupted");
        var verified = _session.Run("Get-RollbackHistory -Verify").Output.Single();
        Assert.True((bool)verified.Get("IsValid")!, verified.GetString("Message"));
        var safetyPoints = _session.Run("Get-RollbackPoint -Target site -IncludeSafetyPoints").All("RollbackPoint")
            .Where(p => (bool)p.Get("IsSafetyPoint")!).ToList();
        if (step == "staging")
        {
            // Killed before the swap: the folder was never changed, so the partial copy went and the rerun did the rollback.
            Assert.Equal(result.GetString("SafetyPointId"), Assert.Single(safetyPoints).GetString("Id"));
            Assert.Null(outcome.GetString("SafetyPointId"));
            return;
        }

        // Killed after the swap: the state it set aside is the only copy of what was live, adopted as a safety point that undoes it.
        var adopted = Assert.Single(safetyPoints);
        Assert.Equal("v2.4.0", adopted.GetString("Version"));
        Assert.Contains(rerun.Warnings, w => w.Contains(adopted.GetString("Id")!, StringComparison.Ordinal));
        Assert.Equal(adopted.GetString("Id"), outcome.GetString("SafetyPointId"));
        var readiness = _session.Run($"Test-RollbackReadiness -Target site -PointId {adopted.GetString("Id")}").One("ReadinessReport");
        Assert.True((bool)readiness.Get("IsReady")!, string.Join(" ", ((System.Collections.IEnumerable)readiness.Get("Checks")!).Cast<object>()));
        var undo = _session.Run($"Invoke-Rollback -Target site -PointId {adopted.GetString("Id")} -Reason undo -Confirm:$false").One("RollbackResult");
        Assert.Equal("Succeeded", undo.GetString("Status"));
        Assert.Equal(failed, Snapshot(_site));
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_site, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>Every entry under <paramref name="folder"/> with its mode and, for files, its content.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static SortedDictionary<string, string> Snapshot(string folder)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["."] = File.GetUnixFileMode(folder).ToString() };
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(folder, entry.FullName);
            entries[relative] = entry.UnixFileMode + (entry is FileInfo file ? " " + File.ReadAllText(file.FullName) : " folder");
        }

        return entries;
    }
}
