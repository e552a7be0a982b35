using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>What the cmdlets do before any provider is involved: an empty store, bad input, a damaged or unusable store.</summary>
public sealed class StoreAndErrorTests
{
    private static readonly string[] UnknownNames = { "ghost", "phantom" };

    [Fact]
    public void GetRollbackTargetOnAnEmptyStoreReturnsNothing()
    {
        using var session = new RollbackSession();

        var result = session.Run("Get-RollbackTarget; Get-RollbackTarget -Name 'a*'");

        result.AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.True(Directory.Exists(session.StorePath), "The store folder is created on first use.");
    }

    [Fact]
    public void GetRollbackTargetByAnExactNameThatIsNotRegisteredWritesTargetNotFoundAndGoesOn()
    {
        using var session = new RollbackSession();

        var result = session.Run("Get-RollbackTarget -Name ghost, 'api*', phantom");

        Assert.Null(result.Terminating);
        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.StartsWith("TargetNotFound,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.Equal(UnknownNames, result.Errors.Select(e => e.TargetObject));
        Assert.Equal(ErrorCategory.ObjectNotFound, result.Errors[0].CategoryInfo.Category);
        Assert.False(string.IsNullOrEmpty(result.Errors[0].ErrorDetails?.RecommendedAction));
    }

    [Fact]
    public void RegisterWithAnUnknownKindWritesUnknownTargetKindAndRegistersNothing()
    {
        using var session = new RollbackSession();

        var result = session.Run("Register-RollbackTarget -Name api -Kind NoSuchKind -Settings @{ Root = '/opt/api' }");

        var error = result.SingleError("UnknownTargetKind");
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal("NoSuchKind", error.TargetObject);
        Assert.Empty(result.Output);
        Assert.Empty(session.Run("Get-RollbackTarget").Output);
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("../escape")]
    [InlineData("-leading-dash")]
    public void RegisterWithABadNameWritesInvalidTargetName(string name)
    {
        using var session = new RollbackSession();

        var result = session.Run("param($n) Register-RollbackTarget -Name $n -Kind FileSystemRelease -Settings @{ Root = '/opt/api' }", new System.Collections.Hashtable { ["n"] = name });

        var error = result.SingleError("InvalidTargetName");
        Assert.Equal(name, error.TargetObject);
        Assert.False(File.Exists(Path.Combine(session.StorePath, "targets.json")));
    }

    [Fact]
    public void SettingsThatAreNotScalarsOrArraysAreRefusedWithInvalidSettingsDictionary()
    {
        using var session = new RollbackSession();

        var result = session.Run("Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = @{ Nested = 1 } }");

        result.SingleError("InvalidSettingsDictionary");
    }

    [Fact]
    public void AMalformedTargetRegistryIsTargetRegistryCorrupt()
    {
        using var session = new RollbackSession();
        Directory.CreateDirectory(session.StorePath);
        var registry = Path.Combine(session.StorePath, "targets.json");
        File.WriteAllText(registry, "{ this is not json");

        var error = session.RunExpectingTerminatingError("Get-RollbackTarget");

        Assert.StartsWith("TargetRegistryCorrupt,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Equal(registry, error.TargetObject);
        Assert.Equal("{ this is not json", File.ReadAllText(registry));
    }

    [Fact]
    public void AStorePathThatCannotBeCreatedIsStorePathUnavailable()
    {
        using var session = new RollbackSession();
        var file = Path.Combine(session.Root, "a-file");
        File.WriteAllText(file, "not a folder");

        var error = session.RunExpectingTerminatingError("param($p) Get-RollbackTarget -StorePath $p", new System.Collections.Hashtable { ["p"] = Path.Combine(file, "store") });

        Assert.StartsWith("StorePathUnavailable,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Contains("-StorePath", error.ErrorDetails?.RecommendedAction ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void ARelativeStorePathResolvesAgainstThePowerShellLocation()
    {
        using var session = new RollbackSession();

        var result = session.Run("$null = $ExecutionContext.SessionState.Path.SetLocation($TestRoot); Get-RollbackHistory -Verify -StorePath relative-store");

        var verification = result.One("JournalVerification");
        Assert.Equal(Path.Combine(session.Root, "relative-store", "journal.jsonl"), verification.GetString("Path"));
        Assert.True(Directory.Exists(Path.Combine(session.Root, "relative-store")));
    }

    [Fact]
    public void VerifyOnAnEmptyJournalIsValid()
    {
        using var session = new RollbackSession();

        var result = session.Run("Get-RollbackHistory -Verify");

        var verification = result.One("JournalVerification");
        Assert.Equal(true, verification.Get("IsValid"));
        Assert.Equal(0L, verification.Get("EntryCount"));
        Assert.Empty(result.Warnings);
        Assert.Empty(session.Run("Get-RollbackHistory").All("HistoryEntry"));
    }

    [Fact]
    public void VerifyOnADamagedJournalReportsWhereAndWarns()
    {
        using var session = new RollbackSession();
        Directory.CreateDirectory(session.StorePath);
        File.WriteAllText(Path.Combine(session.StorePath, "journal.jsonl"), "{\"Sequence\":1,\"Target\":\"api\"\n");

        var verify = session.Run("Get-RollbackHistory -Verify");

        var verification = verify.One("JournalVerification");
        Assert.Equal(false, verification.Get("IsValid"));
        Assert.Equal(1L, verification.Get("FirstBrokenSequence"));
        Assert.Contains(verify.Warnings, w => w.Contains("journal", StringComparison.OrdinalIgnoreCase));

        var error = session.RunExpectingTerminatingError("Get-RollbackHistory");
        Assert.StartsWith("JournalCorrupt,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
    }

    [Fact]
    public void ReadingCmdletsOnAnUnknownTargetWriteTargetNotFound()
    {
        using var session = new RollbackSession();

        var result = session.Run(
            "Get-RollbackPoint -Target ghost; " +
            "Test-RollbackReadiness -Target ghost -PointId 20260101-000000000-abcdef; " +
            "New-RollbackPoint -Target ghost; " +
            "Unregister-RollbackTarget -Name ghost -Force");

        Assert.Null(result.Terminating);
        Assert.Equal(4, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.StartsWith("TargetNotFound,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.Empty(result.Output);
    }

    [Fact]
    public void RemoveRollbackPointKeepLastRefusesZero()
    {
        using var session = new RollbackSession();

        var result = session.Run("Remove-RollbackPoint -Target api -KeepLast 0 -Force");

        var error = Assert.Single(result.AllErrors);
        Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId, StringComparison.Ordinal);
    }
}
