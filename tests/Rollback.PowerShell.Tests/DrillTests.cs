using System;
using System.IO;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>examples/drill.ps1, the README's drill: in a hosted runspace (its objects) and through the runner (what a person sees).</summary>
public sealed class DrillTests
{
    private static string DrillPath => Path.Combine(RollbackSession.RepoRoot, "examples", "drill.ps1");

    [Fact]
    public void DrillRollsBackToTheKnownGoodReleaseAndRestoresConfiguration()
    {
        using var session = new RollbackSession();

        var run = session.Run("param($drill, $sandbox) & $drill -Sandbox $sandbox -PassThru", new System.Collections.Hashtable
        {
            ["drill"] = DrillPath,
            ["sandbox"] = Path.Combine(session.Root, "drill"),
        });

        run.AssertNoErrors();
        var drill = Assert.Single(run.Output);
        Assert.Equal("v2.3.1", drill.GetString("Version"));
        var rollback = PSObject.AsPSObject(drill.Get("Rollback")!);
        RunResult.AssertIsRollbackType(rollback, "RollbackResult");
        Assert.Equal("Succeeded", rollback.GetString("Status"));
        Assert.Equal("v2.4.0", rollback.GetString("FromVersion"));
        Assert.Equal("v2.3.1", rollback.GetString("ToVersion"));
        var journal = PSObject.AsPSObject(drill.Get("Journal")!);
        Assert.Equal(true, journal.Get("IsValid"));
        Assert.False(Directory.Exists(Path.Combine(session.Root, "drill")), "the drill removes its sandbox");
    }

    [Fact]
    public void DrillThroughTheRunnerPrintsItsResultsAndExitsZero()
    {
        DrillThroughTheRunner.AssertPasses(DrillPath, "=== Rollback ===", "Succeeded", "Drill passed: api is back at v2.3.1");
    }
}

/// <summary>examples/watch-drill.ps1: Watch-Deployment rolls an unhealthy v2.4.0 back to v2.3.1 by itself, in a hosted runspace and through the runner.</summary>
public sealed class WatchDrillTests
{
    private static string DrillPath => Path.Combine(RollbackSession.RepoRoot, "examples", "watch-drill.ps1");

    [Fact]
    public void WatchDrillRollsBackOnceWhenTheTriggerHolds()
    {
        using var session = new RollbackSession();

        var run = session.Run("param($drill, $sandbox) & $drill -Sandbox $sandbox -HoldFor 00:00:01 -PassThru", new System.Collections.Hashtable
        {
            ["drill"] = DrillPath,
            ["sandbox"] = Path.Combine(session.Root, "watch-drill"),
        });

        run.AssertNoErrors();
        var drill = Assert.Single(run.Output);
        Assert.Equal("v2.3.1", drill.GetString("Version"));
        var final = PSObject.AsPSObject(drill.Get("Final")!);
        RunResult.AssertIsRollbackType(final, "WatchRecord");
        Assert.Equal("RolledBack", final.GetString("Action"));
        Assert.Equal("AvailabilityBelow", final.GetString("Trigger"));
        var rollback = PSObject.AsPSObject(drill.Get("Rollback")!);
        Assert.Equal("Succeeded", rollback.GetString("Status"));
        Assert.Equal("v2.4.0", rollback.GetString("FromVersion"));
        Assert.False(Directory.Exists(Path.Combine(session.Root, "watch-drill")), "the drill removes its sandbox");
    }

    [Fact]
    public void WatchDrillThroughTheRunnerPrintsItsRecordsAndExitsZero()
    {
        DrillThroughTheRunner.AssertPasses(DrillPath, "=== Watch ===", "Pending", "RolledBack", "Watch drill passed: api is back at v2.3.1");
    }
}

/// <summary>A drill run through the runner as a person runs it (-File): exit code 0, the expected text printed, no error text.</summary>
internal static class DrillThroughTheRunner
{
    public static void AssertPasses(string drillPath, params string[] expectedInOutput)
    {
        var run = RunnerProcess.Run(["--module", RollbackSession.ManifestPath, "-NoProfile", "-File", drillPath]);

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var expected in expectedInOutput)
        {
            Assert.Contains(expected, run.Output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("ERROR", run.Error, StringComparison.OrdinalIgnoreCase);
    }
}
