using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Plans through the cmdlets, unchanged: Register-RollbackTarget -Kind Plan, New-RollbackPoint, Test-RollbackReadiness,
/// Invoke-Rollback (-ThrottleLimit, -OnFailure, -WhatIf), Get-RollbackHistory -PlanRunId and completion, over three real
/// FileSystemRelease "servers" and their ConfigurationFile in the test's temp folder.
/// </summary>
public sealed class PlanCmdletTests : IDisposable
{
    private const int PlanActivityId = 4208; // Rollback.Engine.ProgressActivity.Plan
    private const string GoodJson = "{ \"Pool\": 20 }";
    private const string BadJson = "{ \"Pool\": 0 }";
    private readonly RollbackSession _session = new();
    private readonly string _config;

    public PlanCmdletTests()
    {
        foreach (var server in new[] { "web1", "web2", "web3" })
        {
            var root = Path.Combine(_session.Root, server);
            foreach (var release in new[] { "v2.3.1", "v2.4.0" })
            {
                Directory.CreateDirectory(Path.Combine(root, "releases", release));
                File.WriteAllText(Path.Combine(root, "releases", release, "app.dll"), "build " + release);
            }

            Directory.CreateSymbolicLink(Path.Combine(root, "current"), Path.Combine(root, "releases", "v2.3.1"));
        }

        _config = Path.Combine(_session.Root, "appsettings.json");
        File.WriteAllText(_config, GoodJson);
        _session.Run("""
            'web1', 'web2', 'web3' | ForEach-Object { Register-RollbackTarget -Name $_ -Kind FileSystemRelease -Settings @{ Root = (Join-Path $TestRoot $_) } }
            Register-RollbackTarget -Name config -Kind ConfigurationFile -Settings @{ Path = (Join-Path $TestRoot 'appsettings.json') }
            Register-RollbackTarget -Name release -Kind Plan -Settings @{ Stages = 'web1, web2, web3', 'config'; ThrottleLimit = 2 }
            """).AssertNoErrors();
    }

    public void Dispose() => _session.Dispose();

    [Fact]
    public void APlanIsCapturedCheckedAndRolledBackThroughTheUsualPipeline()
    {
        var point = _session.Run("New-RollbackPoint -Target release -Note 'before 2.4.0'").One("RollbackPoint");
        Assert.Equal("Plan", point.GetString("Kind"));
        DeployBad();

        var run = _session.Run("Get-RollbackPoint -Target release -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'error rate' -ApprovedBy oncall -Confirm:$false");

        run.AssertNoErrors();
        var result = run.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal("Plan", result.GetString("Kind"));
        var members = ((IEnumerable<object>)result.Get("Members")!).Select(PSObject.AsPSObject).ToList();
        Assert.Equal(new[] { "web1", "web2", "web3", "config" }, members.Select(m => m.GetString("Target")));
        Assert.All(members, m => Assert.Equal("Succeeded", m.GetString("Status")));
        Assert.All(new[] { "web1", "web2", "web3" }, s => Assert.Equal("v2.3.1", CurrentRelease(s)));
        Assert.Equal(GoodJson, File.ReadAllText(_config));

        // Progress: the plan's bar, and a bar per member under it; every bar closed.
        Assert.Contains(run.Progress, p => p.ActivityId == PlanActivityId && p.StatusDescription.StartsWith("Stage 2 of 2: config", StringComparison.Ordinal));
        var children = run.Progress.Where(p => p.ParentActivityId == PlanActivityId).ToList();
        Assert.Contains(children, p => p.Activity == "Stage 1: web3");
        Assert.All(children.GroupBy(p => p.ActivityId), g => Assert.Equal(ProgressRecordType.Completed, g.Last().RecordType));

        var history = _session.Run($"Get-RollbackHistory -PlanRunId '{result.GetString("PlanRunId")}' -Action Rollback").All("HistoryEntry");
        Assert.Equal(new[] { "config", "release", "web1", "web2", "web3" }, history.Select(e => e.GetString("Target")).OrderBy(t => t, StringComparer.Ordinal));
    }

    [Fact]
    public void AFailedStageIsAnErrorWithPlanStageFailedAndUndoReturnsTheServers()
    {
        File.WriteAllText(_config, "{ \"Pool\": ");
        _session.Run("New-RollbackPoint -Target release").AssertNoErrors();
        DeployBad();

        var stopped = _session.Run("Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason r -Confirm:$false");
        var error = stopped.SingleError("PlanStageFailed");
        Assert.Contains("Invoke-Rollback -Target web1 -PointId", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("Failed", Assert.Single(stopped.Output).GetString("Status"));
        Assert.All(new[] { "web1", "web2", "web3" }, s => Assert.Equal("v2.3.1", CurrentRelease(s)));

        DeployBad();
        var undone = _session.Run("Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason r -OnFailure Undo -ThrottleLimit 3 -Confirm:$false");
        undone.SingleError("PlanStageFailed");
        Assert.Contains("Undone, back at their safety points", Assert.Single(undone.Output).GetString("Message"), StringComparison.Ordinal);
        Assert.All(new[] { "web1", "web2", "web3" }, s => Assert.Equal("v2.4.0", CurrentRelease(s)));

        var stop = _session.RunExpectingTerminatingError("Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason r -Confirm:$false -ErrorAction Stop | Out-Null");
        Assert.StartsWith("PlanStageFailed,", stop.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPlansAndAThrottleOfZeroGetTheirErrorIdsAndChangeNothing()
    {
        _session.Run("New-RollbackPoint -Target release").AssertNoErrors();
        DeployBad();

        var result = _session.Run("""
            Register-RollbackTarget -Name p1 -Kind Plan -Settings @{ Stages = 'web1, ghost' }
            Register-RollbackTarget -Name p2 -Kind Plan -Settings @{ Stages = 'web1', 'web1, web2' }
            Register-RollbackTarget -Name p3 -Kind Plan -Settings @{ Stages = 'web1', ' , ' }
            Register-RollbackTarget -Name p4 -Kind Plan -Settings @{ Stages = 'release' }
            Register-RollbackTarget -Name release -Kind Plan -Settings @{ Stages = 'p4' } -Force
            Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason r -ThrottleLimit 0 -Confirm:$false
            Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason r -BeforeSwitch { 'stop' } -Confirm:$false
            """);

        Assert.Equal(
            new[] { "PlanMemberNotFound", "PlanMemberInTwoStages", "PlanStageEmpty", "PlanCycle", "InvalidThrottleLimit", "PlanArgumentNotSupported" },
            result.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.All(result.Errors, e => Assert.False(string.IsNullOrEmpty(e.ErrorDetails?.RecommendedAction)));
        Assert.All(new[] { "web1", "web2", "web3" }, s => Assert.Equal("v2.4.0", CurrentRelease(s)));
        Assert.Equal(BadJson, File.ReadAllText(_config));
    }

    [Fact]
    public void WhatIfPrintsThePlanStageByStage()
    {
        _session.Run("New-RollbackPoint -Target release").AssertNoErrors();
        DeployBad();

        var outcome = RunnerProcess.Run(
            new[] { "-NoProfile", "-Command", "Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason r -WhatIf | Out-Null" },
            environment: new Dictionary<string, string?> { ["ROLLBACK_STORE"] = _session.StorePath });

        var lines = outcome.Output.Split('\n').Where(l => l.StartsWith("What if: ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 5, outcome.ToString());
        Assert.Contains("Stage 1 of 2 of plan 'release'", lines[1], StringComparison.Ordinal);
        Assert.Contains("web1 (FileSystemRelease, v2.4.0 -> v2.3.1", lines[1], StringComparison.Ordinal);
        Assert.Contains("Stage 2 of 2", lines[4], StringComparison.Ordinal);
        Assert.Contains("config (ConfigurationFile", lines[4], StringComparison.Ordinal);
        Assert.All(new[] { "web1", "web2", "web3" }, s => Assert.Equal("v2.4.0", CurrentRelease(s)));
    }

    [Fact]
    public void APlanCompletesAsATarget()
    {
        foreach (var line in new[] { "Invoke-Rollback -Target rel", "New-RollbackPoint -Target rel", "Get-RollbackHistory -Target rel" })
        {
            var run = _session.Run("param($line) (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText", new System.Collections.Hashtable { ["line"] = line });
            run.AssertNoErrors();
            Assert.Equal("release", Assert.Single(run.Output).BaseObject);
        }
    }

    private void DeployBad()
    {
        foreach (var server in new[] { "web1", "web2", "web3" })
        {
            var current = Path.Combine(_session.Root, server, "current");
            File.Delete(current);
            Directory.CreateSymbolicLink(current, Path.Combine(_session.Root, server, "releases", "v2.4.0"));
        }

        File.WriteAllText(_config, BadJson);
    }

    private string CurrentRelease(string server) => Path.GetFileName(new DirectoryInfo(Path.Combine(_session.Root, server, "current")).LinkTarget!);
}
