using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>The cmdlets end to end over the file-system providers: register, capture, readiness, rollback, configuration, journal.</summary>
public sealed class ProviderPipelineTests
{
    [Fact]
    public void RegisterCaptureAndListAFileSystemRelease()
    {
        using var session = new RollbackSession();
        var root = NewReleaseRoot(session, "v1", "v2");
        Deploy(root, "v1");

        var target = session.Run("param($value) Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $value }", Args(root)).One("RollbackTarget");
        var point = session.Run("Get-RollbackTarget api | New-RollbackPoint -Note 'before v2'").One("RollbackPoint");
        var listed = session.Run("Get-RollbackPoint -Target api").All("RollbackPoint");

        Assert.Equal("FileSystemRelease", target.GetString("Kind"));
        Assert.Equal("v1", point.GetString("Version"));
        Assert.Equal("before v2", point.GetString("Note"));
        Assert.Equal(point.GetString("Id"), Assert.Single(listed).GetString("Id"));
    }

    [Fact]
    public void TheLatestPointPipelineRollsBackAndNeverPicksTheSafetyPoint()
    {
        using var session = new RollbackSession();
        var root = RegisterRelease(session);
        var good = session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2");

        var run = session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'error rate' -ApprovedBy oncall -Confirm:$false");

        var result = run.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal("v2", result.GetString("FromVersion"));
        Assert.Equal("v1", result.GetString("ToVersion"));
        Assert.Equal("error rate", result.GetString("Reason"));
        Assert.Equal("v1", CurrentRelease(root));
        Assert.NotNull(result.GetString("SafetyPointId"));
        Assert.Contains(run.Progress, p => p.RecordType == ProgressRecordType.Completed);

        // The safety point (the failed v2) exists, but "latest" still means the known-good point.
        var latest = session.Run("Get-RollbackPoint -Target api -Latest").One("RollbackPoint");
        Assert.Equal(good.GetString("Id"), latest.GetString("Id"));
        var all = session.Run("Get-RollbackPoint -Target api -IncludeSafetyPoints").All("RollbackPoint");
        Assert.Contains(all, p => p.GetString("Id") == result.GetString("SafetyPointId") && Equals(p.Get("IsSafetyPoint"), true));

        var history = session.Run("Get-RollbackHistory -Target api -Action Rollback -Last 1").One("HistoryEntry");
        Assert.Equal("Succeeded", history.GetString("Status"));
        Assert.Equal(true, session.Run("Get-RollbackHistory -Verify").One("JournalVerification").Get("IsValid"));
    }

    [Fact]
    public void WhatIfOutputsThePlanAndChangesNothing()
    {
        using var session = new RollbackSession();
        var root = RegisterRelease(session);
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2");
        var journalBefore = File.ReadAllText(Path.Combine(session.StorePath, "journal.jsonl"));

        var plan = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason r -WhatIf").One("RollbackResult");

        Assert.Equal("WhatIf", plan.GetString("Status"));
        Assert.NotEmpty((System.Collections.IEnumerable)plan.Get("Steps")!);
        Assert.Equal("v2", CurrentRelease(root));
        Assert.Equal(journalBefore, File.ReadAllText(Path.Combine(session.StorePath, "journal.jsonl")));
        Assert.Single(session.Run("Get-RollbackPoint -Target api -IncludeSafetyPoints").All("RollbackPoint"));
    }

    [Fact]
    public void RollingBackToTheCurrentStateIsAlreadyCurrentWithAWarning()
    {
        using var session = new RollbackSession();
        var root = RegisterRelease(session);
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");

        var run = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason r -Confirm:$false");

        Assert.Equal("AlreadyCurrent", run.One("RollbackResult").GetString("Status"));
        Assert.NotEmpty(run.Warnings);
        Assert.Equal("v1", CurrentRelease(root));
    }

    [Fact]
    public void ANotReadyReportFromTheRealPipelineIsRefusedAndTheNextObjectGoesOn()
    {
        using var session = new RollbackSession();
        var root = RegisterRelease(session);
        var point = session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2");
        Directory.Delete(Path.Combine(root, "releases", "v1"), recursive: true);
        session.Run("param($value) Register-RollbackTarget -Name web -Kind FileSystemRelease -Settings @{ Root = $value }", Args(NewReleaseRoot(session, "w1"))).One("RollbackTarget");

        var run = session.Run("param($value) [pscustomobject]@{ Target = 'api'; Id = $value }, [pscustomobject]@{ Target = 'web'; Id = $value } | Test-RollbackReadiness | Invoke-Rollback -Reason r -Confirm:$false",
            Args(point.GetString("Id")!));

        Assert.StartsWith("RollbackNotReady,", run.Errors[0].FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.True(run.Errors.Count == 2, "The second object was processed after the refusal: " + string.Join(" | ", run.Errors));
        Assert.Equal("v2", CurrentRelease(root));
    }

    [Fact]
    public async Task ASecondRollbackOfTheSameTargetIsRollbackInProgress()
    {
        using var session = new RollbackSession();
        using var other = new RollbackSession();
        var root = RegisterRelease(session);
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2");
        using var inSwitch = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        session.SetVariable("inSwitch", inSwitch);
        session.SetVariable("release", release);

        var first = Task.Run(() => session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason first -Confirm:$false -BeforeSwitch { $inSwitch.Set(); $null = $release.Wait(30000) }"));
        Assert.True(inSwitch.Wait(TimeSpan.FromSeconds(30)), "The first rollback never reached its switch.");
        var second = other.Run("param($value) Get-RollbackPoint -Target api -Latest -StorePath $value | Invoke-Rollback -Reason second -Confirm:$false -StorePath $value", Args(session.StorePath));
        release.Set();

        var error = second.SingleError("RollbackInProgress");
        Assert.Equal(ErrorCategory.ResourceBusy, error.CategoryInfo.Category);
        Assert.Equal("Succeeded", (await first).One("RollbackResult").GetString("Status"));
        Assert.Contains(session.Run("Get-RollbackHistory -Status Refused").All("HistoryEntry"), e => e.GetString("Reason") == "second");
    }

    [Fact]
    public void RestoreConfigurationWhatIfValidatesAndWritesNothingThenRestores()
    {
        using var session = new RollbackSession();
        var file = Path.Combine(session.Root, "app.json");
        File.WriteAllText(file, "{ \"upstream\": \"good\" }");
        session.Run("param($value) Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $value }", Args(file)).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target cfg").One("RollbackPoint");
        File.WriteAllText(file, "{ \"upstream\": \"bad\" }");

        var preview = session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Reason r -WhatIf").All("ConfigurationRestoreResult");
        Assert.Equal(true, Assert.Single(preview).Get("WhatIf"));
        Assert.Contains("bad", File.ReadAllText(file), StringComparison.Ordinal);

        var restored = session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Reason 'bad upstream' -Validator { param($candidate, $item) $true } -Confirm:$false").All("ConfigurationRestoreResult");
        var item = Assert.Single(restored);
        Assert.Equal(true, item.Get("Changed"));
        Assert.Equal(true, item.Get("Validated"));
        Assert.Contains("good", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    public void AValidatorScriptBlockThatReturnsFalseRefusesTheRestore()
    {
        using var session = new RollbackSession();
        var file = Path.Combine(session.Root, "app.json");
        File.WriteAllText(file, "{ \"upstream\": \"good\" }");
        session.Run("param($value) Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $value }", Args(file)).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target cfg").One("RollbackPoint");
        File.WriteAllText(file, "{ \"upstream\": \"bad\" }");

        var run = session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Reason r -Validator { 'upstream unreachable'; $false } -Confirm:$false -Verbose");

        // What the script block said goes to verbose only: a validator may quote the file it refuses.
        var error = Assert.Single(run.Errors);
        Assert.StartsWith("ValidatorFailed,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(file, error.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("upstream unreachable", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(run.Verbose, v => v.Contains("upstream unreachable", StringComparison.Ordinal));
        Assert.Contains("bad", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAlteredJournalEntryBreaksTheChain()
    {
        using var session = new RollbackSession();
        RegisterRelease(session);
        session.Run("New-RollbackPoint -Target api -Note first").One("RollbackPoint");
        var journal = Path.Combine(session.StorePath, "journal.jsonl");
        var lines = File.ReadAllLines(journal);
        lines[0] = lines[0].Replace("\"api\"", "\"apx\"", StringComparison.Ordinal);
        File.WriteAllLines(journal, lines);

        var run = session.Run("Get-RollbackHistory -Verify");

        var verification = run.One("JournalVerification");
        Assert.Equal(false, verification.Get("IsValid"));
        Assert.Equal(1L, verification.Get("FirstBrokenSequence"));
        Assert.Single(run.Warnings);
    }

    [Fact]
    public void RemoveRollbackPointKeepLastKeepsTheNewestAndTheirSafetyPoints()
    {
        using var session = new RollbackSession();
        RegisterRelease(session);
        var ids = Enumerable.Range(0, 4).Select(_ => session.Run("New-RollbackPoint -Target api").One("RollbackPoint").GetString("Id")).ToList();

        var removed = session.Run("Remove-RollbackPoint -Target api -KeepLast 2 -Force -PassThru").All("RollbackPoint");

        Assert.Equal(ids.Take(2), removed.Select(p => p.GetString("Id")));
        Assert.Equal(ids.Skip(2), session.Run("Get-RollbackPoint -Target api").All("RollbackPoint").Select(p => p.GetString("Id")));
    }

    [Fact]
    public void UnregisterWithForceAndRemovePointsNeedsNoPromptAndDeletesThePoints()
    {
        using var session = new RollbackSession();
        RegisterRelease(session);
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");

        var run = session.Run("Get-RollbackTarget api | Unregister-RollbackTarget -RemovePoints -Force -PassThru");

        Assert.Equal("api", run.One("RollbackTarget").GetString("Name"));
        Assert.Empty(session.Run("Get-RollbackTarget").All("RollbackTarget"));
        Assert.False(Directory.Exists(Path.Combine(session.StorePath, "points", "api")));
    }

    /// <summary>The one script parameter, $value.</summary>
    private static System.Collections.Hashtable Args(string value) => new() { ["value"] = value };

    /// <summary>Registers 'api' over a release root with v1 and v2, v1 live.</summary>
    [Fact]
    public void SeverityApprovalsAreEnforcedAndAnAutomaticTriggerLetsTheOnCallProceedAlone()
    {
        using var session = new RollbackSession();
        var root = RegisterRelease(session);
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2");

        var refused = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'p95 up 60%' -Severity SEV-1 -Confirm:$false");
        refused.SingleError("ApprovalRequired");
        Assert.Empty(refused.Output);
        Assert.Equal(Path.Combine(root, "releases", "v2"), Directory.ResolveLinkTarget(Path.Combine(root, "current"), false)!.FullName);

        var automatic = session.Run(
            "$decision = Get-RollbackDecision -ErrorRate 0.23 -ErrorRateMinutes 4; " +
            "Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'error rate 23%' -Decision $decision -Confirm:$false");
        automatic.AssertNoErrors();
        var result = automatic.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal("ErrorRateAbove", result.GetString("Trigger"));

        var journal = session.Run("Get-RollbackHistory -Action Rollback").All("HistoryEntry");
        Assert.Equal(new[] { "Refused", "Succeeded" }, journal.Select(e => e.GetString("Status")));
        Assert.Equal("SEV-1", journal[0].GetString("Severity"));
        Assert.Equal("ErrorRateAbove", journal[1].GetString("Trigger"));
    }

    private static string RegisterRelease(RollbackSession session)
    {
        var root = NewReleaseRoot(session, "v1", "v2");
        Deploy(root, "v1");
        session.Run("param($value) Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $value }", Args(root)).One("RollbackTarget");
        return root;
    }

    private static string NewReleaseRoot(RollbackSession session, params string[] releases)
    {
        var root = Path.Combine(session.Root, "app-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var release in releases)
        {
            var folder = Path.Combine(root, "releases", release);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "app.txt"), "release " + release);
        }

        Deploy(root, releases[0]);
        return root;
    }

    /// <summary>What a deployment tool does: point 'current' at another release.</summary>
    private static void Deploy(string root, string release)
    {
        var current = Path.Combine(root, "current");
        if (File.Exists(current) || Directory.Exists(current))
        {
            File.Delete(current);
        }

        Directory.CreateSymbolicLink(current, Path.Combine("releases", release));
    }

    private static string CurrentRelease(string root) =>
        Path.GetFileName(new DirectoryInfo(Path.Combine(root, "current")).LinkTarget!.TrimEnd('/'));
}
