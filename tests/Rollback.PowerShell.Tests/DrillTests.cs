using System;
using System.IO;
using System.Management.Automation;
using Rollback.Runner;
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
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = ScriptRunner.Run(new RunnerOptions { File = DrillPath, ModulePath = RollbackSession.ManifestPath }, output, error, null);

        var text = output.ToString();
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        Assert.Contains("=== Rollback ===", text, StringComparison.Ordinal);
        Assert.Contains("Succeeded", text, StringComparison.Ordinal);
        Assert.Contains("Drill passed: api is back at v2.3.1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ERROR", error.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
