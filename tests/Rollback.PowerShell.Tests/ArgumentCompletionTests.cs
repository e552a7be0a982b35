using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Tab completion as a user gets it: TabExpansion2 in a runspace that imported the module, over a real store with
/// targets api, apigw and web; api has two points (v1, v2) and the safety point of a rollback (v3, the state it replaced).
/// </summary>
public sealed class ArgumentCompletionTests : IDisposable
{
    private readonly RollbackSession _session = new();
    private readonly string _first;
    private readonly string _second;
    private readonly string _safety;

    public ArgumentCompletionTests()
    {
        var site = Path.Combine(_session.Root, "site");
        Directory.CreateDirectory(site);
        foreach (var name in new[] { "api", "apigw", "web" })
        {
            _session.Run($"Register-RollbackTarget -Name {name} -Kind Directory -Settings @{{ Path = \"$TestRoot/site\"; VersionFile = 'VERSION' }}").One("RollbackTarget");
        }

        File.WriteAllText(Path.Combine(site, "VERSION"), "v1");
        _first = _session.Run("New-RollbackPoint -Target api").One("RollbackPoint").GetString("Id")!;
        File.WriteAllText(Path.Combine(site, "VERSION"), "v2");
        _second = _session.Run("New-RollbackPoint -Target api").One("RollbackPoint").GetString("Id")!;
        File.WriteAllText(Path.Combine(site, "VERSION"), "v3");
        _safety = _session.Run("param($id) Invoke-Rollback -Target api -PointId $id -Reason 'bad v3' -Confirm:$false", new Hashtable { ["id"] = _first })
            .One("RollbackResult").GetString("SafetyPointId")!;
    }

    public void Dispose() => _session.Dispose();

    [Theory]
    [InlineData("Invoke-Rollback -Target ")]
    [InlineData("Get-RollbackTarget -Name ")]
    [InlineData("Get-RollbackTarget ")]
    [InlineData("Unregister-RollbackTarget -Name ")]
    [InlineData("New-RollbackPoint -Target ")]
    [InlineData("New-RollbackPoint -Name ")]
    [InlineData("Get-RollbackPoint -Target ")]
    [InlineData("Remove-RollbackPoint -Target ")]
    [InlineData("Test-RollbackReadiness -Target ")]
    [InlineData("Restore-Configuration -Target ")]
    [InlineData("Get-RollbackHistory -Target ")]
    [InlineData("Get-RollbackDecision -Target ")]
    [InlineData("Watch-Deployment -Target ")]
    [InlineData("Get-AutoRollbackConfiguration -StorePath $StorePath -Target ")]
    [InlineData("Set-AutoRollbackConfiguration -StorePath $StorePath -Target ")]
    public void TargetsCompleteFromTheRegistry(string line)
    {
        var matches = Complete(line);

        Assert.Equal(new[] { "api", "apigw", "web" }, matches.Select(m => m.CompletionText));
        Assert.All(matches, m => Assert.Equal(CompletionResultType.ParameterValue, m.ResultType));
        Assert.Contains("Directory", matches[0].ToolTip, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Invoke-Rollback -Target ap", "api", "apigw")]
    [InlineData("Invoke-Rollback -Target 'AP", "api", "apigw")]
    [InlineData("Get-RollbackTarget -Name w", "web")]
    [InlineData("Get-RollbackTarget -Name *gw", "apigw")]
    [InlineData("Get-RollbackHistory -Target zz")]
    public void APartialNameFilters(string line, params string[] expected)
    {
        Assert.Equal(expected, Complete(line).Select(m => m.CompletionText));
    }

    [Theory]
    [InlineData("Invoke-Rollback -Target api -PointId ")]
    [InlineData("Invoke-Rollback api ")]
    [InlineData("Invoke-Rollback -Target API -Id ")]
    [InlineData("Get-RollbackPoint -Target api -Id ")]
    [InlineData("Remove-RollbackPoint -Target api -Id ")]
    [InlineData("Test-RollbackReadiness -Target api -PointId ")]
    [InlineData("Restore-Configuration -Target api -PointId ")]
    [InlineData("Watch-Deployment -Target api -PointId ")]
    public void PointIdsCompleteNewestFirstWithVersionAgeAndSafety(string line)
    {
        var matches = Complete(line);

        Assert.Equal(new[] { _safety, _second, _first }, matches.Select(m => m.CompletionText));
        Assert.Contains("v3", matches[0].ToolTip, StringComparison.Ordinal);
        Assert.Contains("v2", matches[1].ToolTip, StringComparison.Ordinal);
        Assert.Contains("v1", matches[2].ToolTip, StringComparison.Ordinal);
        Assert.All(matches, m => Assert.Contains(" ago ", m.ToolTip, StringComparison.Ordinal));
        Assert.StartsWith("Safety point", matches[0].ToolTip, StringComparison.Ordinal);
        Assert.Contains("(safety point)", matches[0].ListItemText, StringComparison.Ordinal);
        Assert.All(matches.Skip(1), m => Assert.DoesNotContain("afety", m.ToolTip + m.ListItemText, StringComparison.Ordinal));
    }

    [Fact]
    public void APartialPointIdFilters()
    {
        var typed = _second.Substring(0, _second.Length - 3);

        var matches = Complete("Get-RollbackPoint -Target api -Id " + typed);

        Assert.Equal(_second, Assert.Single(matches).CompletionText);
    }

    [Theory]
    [InlineData("Invoke-Rollback -Target ghost -PointId ")]
    [InlineData("Invoke-Rollback -Target ../api -PointId ")]
    [InlineData("Get-RollbackPoint -Target web -Id ")]
    [InlineData("Invoke-Rollback -PointId ")]
    public void NoKnownTargetOrNoPointsCompletesNothing(string line)
    {
        Assert.Empty(Complete(line));
    }

    [Fact]
    public void TheStorePathOnTheCommandLineWinsOverTheDefaults()
    {
        var other = Path.Combine(_session.Root, "other-store");
        _session.Run("param($p) Register-RollbackTarget -StorePath $p -Name billing -Kind Directory -Settings @{ Path = \"$TestRoot/site\" }", new Hashtable { ["p"] = other })
            .One("RollbackTarget");

        Assert.Equal(new[] { "billing" }, Complete($"Invoke-Rollback -StorePath '{other}' -Target ").Select(m => m.CompletionText));
        Assert.Equal(new[] { "billing" }, Complete("$ExecutionContext.SessionState.Path.SetLocation($TestRoot) | Out-Null; Get-RollbackTarget -StorePath ./other-store -Name ").Select(m => m.CompletionText));
        Assert.Empty(Complete($"Invoke-Rollback -StorePath '{Path.Combine(_session.Root, "no-store-here")}' -Target "));
        Assert.False(Directory.Exists(Path.Combine(_session.Root, "no-store-here")), "completion creates no store");
    }

    [Fact]
    public void KindsCompleteFromTheCatalogue()
    {
        var all = Complete("Register-RollbackTarget -Name x -Kind ").Select(m => m.CompletionText).ToList();
        var filtered = Complete("Get-RollbackTarget -Kind conf").Select(m => m.CompletionText);

        Assert.Contains("Directory", all);
        Assert.Contains("FileSystemRelease", all);
        Assert.Contains("SecretsManagerSecret", all);
        Assert.Equal(new[] { "ConfigurationFile" }, filtered);
    }

    /// <summary>What Tab offers at the end of <paramref name="line"/> (after running anything before its last ';').</summary>
    private List<CompletionResult> Complete(string line)
    {
        var split = line.LastIndexOf("; ", StringComparison.Ordinal);
        if (split >= 0)
        {
            _session.Run(line.Substring(0, split)).AssertNoErrors();
            line = line.Substring(split + 2);
        }

        var run = _session.Run("param($line) (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches", new Hashtable { ["line"] = line });
        run.AssertNoErrors();
        return run.Output.Select(o => (CompletionResult)o.BaseObject).ToList();
    }
}

/// <summary>Completion from $env:ROLLBACK_STORE changes the process environment: alone, never beside other tests.</summary>
[Collection(ProcessEnvironmentGroup.Name)]
public sealed class EnvironmentStoreCompletionTests
{
    [Fact]
    public void WithoutAStorePathTargetsCompleteFromRollbackStore()
    {
        using var session = new RollbackSession();
        session.Run("Register-RollbackTarget -Name fromenv -Kind Directory -Settings @{ Path = $TestRoot }").One("RollbackTarget");

        var run = session.Run("""
            $PSDefaultParameterValues.Clear()
            $before = $env:ROLLBACK_STORE
            $env:ROLLBACK_STORE = $StorePath
            try { (TabExpansion2 -inputScript 'Get-RollbackPoint -Target ' -cursorColumn 26).CompletionMatches.CompletionText }
            finally { $env:ROLLBACK_STORE = $before }
            """);

        run.AssertNoErrors();
        Assert.Equal("fromenv", Assert.Single(run.Output).BaseObject);
    }
}
