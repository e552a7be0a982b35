using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// A store edited from outside the module, as a user sees it: each bad file ends in a clean ErrorId, and nothing in the
/// store or outside it changes (every file hashed before and after).
/// </summary>
public sealed class HostileStoreTests
{
    private const string EscapingRegistry = "[{\"name\":\"x/../../../victim\",\"kind\":\"Directory\",\"settings\":{\"Path\":\"/tmp/nowhere\"}}]";

    [Theory]
    [InlineData("Unregister-RollbackTarget -Name 'x/../../../victim' -RemovePoints -Force")]
    [InlineData("New-RollbackPoint -Target 'x/../../../victim'")]
    [InlineData("Get-RollbackPoint -Target 'x/../../../victim'")]
    [InlineData("Get-RollbackTarget")]
    public void ATargetNameInTheRegistryThatWalksOutOfTheStoreIsCorruptAndTouchesNothing(string command)
    {
        using var session = new RollbackSession();
        OpenStore(session);
        File.WriteAllText(Path.Combine(session.StorePath, "targets.json"), EscapingRegistry);

        // points/x/../../../victim is $TestRoot/victim.
        var victim = Path.Combine(session.Root, "victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "precious.txt"), "do not delete");
        var before = Snapshot(session.Root);

        var result = session.Run(command);

        var error = result.SingleError("TargetRegistryCorrupt");
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Contains("x/../../../victim", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(session.Root));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"Directory\",\"settings\":null}]")]
    [InlineData("{ not json")]
    public void ADamagedRegistryIsTargetRegistryCorruptNeverNotFoundOrACrash(string content)
    {
        using var session = new RollbackSession();
        OpenStore(session);
        var registry = Path.Combine(session.StorePath, "targets.json");
        if (content == "folder")
        {
            Directory.CreateDirectory(registry);
        }
        else
        {
            File.WriteAllText(registry, content);
        }

        var before = Snapshot(session.Root);

        var result = session.Run("Get-RollbackTarget -Name api; Get-RollbackPoint -Target api -Latest; Test-RollbackReadiness -Target api -PointId 20260101-000000000-abcdef");

        Assert.Null(result.Terminating);
        Assert.Equal(3, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.StartsWith("TargetRegistryCorrupt,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.All(result.Errors, e => Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category));
        Assert.Equal(before, Snapshot(session.Root));
    }

    [Theory]
    [InlineData("\"artifacts\": null")]
    [InlineData("\"artifacts\": [null]")]
    [InlineData("\"metadata\": null")]
    [InlineData("\"artifacts\": [{\"relativePath\": \"../../../../victim.txt\", \"size\": 1, \"sha256\": \"00\"}]")]
    public void ADamagedManifestIsManifestCorruptForEveryCmdletThatReadsIt(string replacement)
    {
        using var session = new RollbackSession();
        var point = CaptureTwoPoints(session).Older;
        var manifest = Path.Combine(session.StorePath, "points", "site", point, "manifest.json");
        var property = replacement.Substring(0, replacement.IndexOf(':', StringComparison.Ordinal));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        json[property.Trim('"')] = System.Text.Json.Nodes.JsonNode.Parse(replacement.Substring(replacement.IndexOf(':', StringComparison.Ordinal) + 1));
        File.WriteAllText(manifest, json.ToJsonString());
        var before = Snapshot(session.Root);

        var result = session.Run($"Get-RollbackPoint -Target site -Id {point}; Test-RollbackReadiness -Target site -PointId {point}; Invoke-Rollback -Target site -PointId {point} -Reason test -Confirm:$false");

        // Get-RollbackPoint names the damage; readiness fails its PointExists check with it, so Invoke-Rollback refuses.
        Assert.Equal(2, result.AllErrors.Count);
        Assert.StartsWith("ManifestCorrupt,", result.AllErrors[0].FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("RollbackNotReady,", result.AllErrors[1].FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("ManifestCorrupt", result.AllErrors[1].Exception.Message, StringComparison.Ordinal);
        var report = Assert.Single(result.Output);
        Assert.Equal(false, report.Get("IsReady"));
        Assert.Equal(before.Where(f => !f.StartsWith("store/journal", StringComparison.Ordinal)), Snapshot(session.Root).Where(f => !f.StartsWith("store/journal", StringComparison.Ordinal)));
    }

    [Fact]
    public void OneDamagedOldManifestDoesNotBreakLatestAndCanBeRemovedAsTheErrorSays()
    {
        using var session = new RollbackSession();
        var (older, newer) = CaptureTwoPoints(session);
        File.WriteAllText(Path.Combine(session.StorePath, "points", "site", older, "manifest.json"), "{ \"id\": ");

        var latest = session.Run("Get-RollbackPoint -Target site -Latest");
        var listed = session.Run("Get-RollbackPoint -Target site");
        var byId = session.Run($"Get-RollbackPoint -Target site -Id {older}");
        var removed = session.Run($"Remove-RollbackPoint -Target site -Id {older} -Force");

        Assert.Equal(newer, latest.One("RollbackPoint").GetString("Id"));
        Assert.Contains(latest.Warnings, w => w.Contains(older, StringComparison.Ordinal));
        Assert.Equal(newer, Assert.Single(listed.Output).GetString("Id"));
        Assert.Contains(listed.Warnings, w => w.Contains(older, StringComparison.Ordinal));
        var error = byId.SingleError("ManifestCorrupt");
        Assert.Contains("Remove-RollbackPoint", error.Exception.Message, StringComparison.Ordinal);
        removed.AssertNoErrors();
        Assert.False(Directory.Exists(Path.Combine(session.StorePath, "points", "site", older)));
        var after = session.Run("Get-RollbackPoint -Target site -Latest");
        Assert.Empty(after.Warnings);
        Assert.Contains(session.Run("Get-RollbackHistory -Target site -Action RemovePoint").Output, e => e.GetString("PointId") == older);
    }

    [Fact]
    public void AUncStorePathOffWindowsIsRefusedAndCreatesNothing()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var session = new RollbackSession();
        var before = Snapshot(session.Root);

        var error = session.RunExpectingTerminatingError("$ExecutionContext.SessionState.Path.SetLocation($TestRoot) | Out-Null; Get-RollbackTarget -StorePath '\\\\server\\share\\store'");

        Assert.StartsWith("StorePathInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(before, Snapshot(session.Root));
    }

    [Fact]
    public void ARelativeStorePathResolvesAgainstThePowerShellLocation()
    {
        using var session = new RollbackSession();
        Directory.CreateDirectory(Path.Combine(session.Root, "here"));

        session.Run("$ExecutionContext.SessionState.Path.SetLocation(\"$TestRoot/here\") | Out-Null; Get-RollbackTarget -StorePath 'relative-store'").AssertNoErrors();

        Assert.True(Directory.Exists(Path.Combine(session.Root, "here", "relative-store", "points")));
    }

    [Fact]
    public void VerifyReportsEntriesRemovedFromTheEndOfTheJournal()
    {
        using var session = new RollbackSession();
        CaptureTwoPoints(session);
        var journal = Path.Combine(session.StorePath, "journal.jsonl");
        var lines = File.ReadAllLines(journal);
        File.WriteAllLines(journal, lines.Take(lines.Length - 1));

        var result = session.Run("Get-RollbackHistory -Verify");

        Assert.Equal(false, Assert.Single(result.Output).Get("IsValid"));
        Assert.Contains(result.Warnings, w => w.Contains("removed from its end", StringComparison.Ordinal));
    }

    [Fact]
    public void AJournalThatCannotBeWrittenStopsTheRollbackBeforeTheSwitch()
    {
        using var session = new RollbackSession();
        var (older, _) = CaptureTwoPoints(session);
        var journal = Path.Combine(session.StorePath, "journal.jsonl");
        File.Delete(journal);
        Directory.CreateDirectory(journal);
        var before = Snapshot(session.Root);

        var readiness = session.Run($"Test-RollbackReadiness -Target site -PointId {older}");
        var rollback = session.Run($"Invoke-Rollback -Target site -PointId {older} -Reason test -Confirm:$false");

        var report = readiness.One("ReadinessReport");
        Assert.Equal(false, report.Get("IsReady"));
        var error = rollback.SingleError("JournalUnwritable");
        Assert.Equal(ErrorCategory.WriteError, error.CategoryInfo.Category);
        Assert.Empty(rollback.Output);
        Assert.Equal("v2", File.ReadAllText(Path.Combine(session.Root, "site", "index.html")));
        Assert.Equal(before, Snapshot(session.Root));
    }

    [Fact]
    public void ATornLastJournalLineIsAWarningAndNeverBreaksLaterReads()
    {
        using var session = new RollbackSession();
        CaptureTwoPoints(session);
        var journal = Path.Combine(session.StorePath, "journal.jsonl");
        var entries = File.ReadAllLines(journal).Length;
        File.AppendAllText(journal, "{\"sequence\":99,\"tar");

        var history = session.Run("Get-RollbackHistory");
        var verify = session.Run("Get-RollbackHistory -Verify");
        session.Run("New-RollbackPoint -Target site").AssertNoErrors();
        var later = session.Run("Get-RollbackHistory");

        Assert.Equal(entries, history.Output.Count);
        Assert.Contains(history.Warnings, w => w.Contains($"Line {entries + 1} ", StringComparison.Ordinal));
        Assert.Equal(true, Assert.Single(verify.Output).Get("IsValid"));
        Assert.Contains(verify.Warnings, w => w.Contains($"Line {entries + 1} ", StringComparison.Ordinal));
        Assert.Equal(entries + 1, later.Output.Count);
        later.AssertNoErrors();
    }

    private static (string Older, string Newer) CaptureTwoPoints(RollbackSession session)
    {
        var site = Path.Combine(session.Root, "site");
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "index.html"), "v1");
        session.Run("Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = \"$TestRoot/site\" } -Confirm:$false").AssertNoErrors();
        var older = session.Run("New-RollbackPoint -Target site").One("RollbackPoint").GetString("Id")!;
        File.WriteAllText(Path.Combine(site, "index.html"), "v2");
        var newer = session.Run("New-RollbackPoint -Target site").One("RollbackPoint").GetString("Id")!;
        return (older, newer);
    }

    /// <summary>Creates the empty store (its folders) as any first command does, so a snapshot after it shows only what a command changed.</summary>
    private static void OpenStore(RollbackSession session) => session.Run("Get-RollbackTarget").AssertNoErrors();

    private static string[] Snapshot(string root) => HostileInputTests.Snapshot(root);
}
