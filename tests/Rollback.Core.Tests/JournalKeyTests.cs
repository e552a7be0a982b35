using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

/// <summary>
/// The optional journal key: with it, a forger who rewrites the journal, journal.head and the anchors consistently is
/// caught by the MACs they cannot compute; without it, the same forgery passes (the documented limit).
/// </summary>
public sealed partial class JournalTests
{
    private const string KeyText = "k3y-canary-6f1d2a9e0b7c4d3f8a5e";

    // Key files live outside the store, as the docs tell users to keep them.
    private readonly TempFolder _keys = new();

    [Fact]
    public void WithoutAKeyAConsistentRewriteIsNotDetected()
    {
        AppendMany(1, 3);

        RewriteEntryTwoConsistently();

        // The limit about_Rollback_Safety states: no secret, so a rewrite of everything agrees with itself.
        var verification = new RollbackStore(_temp.Path).Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(0, verification.MacsChecked);
    }

    [Fact]
    public void WithAKeyAConsistentRewriteIsDetectedAtTheForgedEntry()
    {
        _store.JournalKeyFile = WriteKeyFile(KeyText);
        AppendMany(1, 3);
        Assert.True(Journal.Verify().IsValid, Journal.Verify().Message);

        RewriteEntryTwoConsistently();

        var verification = Journal.Verify();
        Assert.False(verification.IsValid);
        Assert.Equal(2, verification.FirstBrokenSequence);
        Assert.Contains("MAC that does not match", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStrippedMacAfterAKeyedEntryIsDetected()
    {
        var verification = VerifyThreeKeyedEntriesAfter(lines => lines.Select((line, i) => i == 2 ? StripMac(line) : line));

        Assert.False(verification.IsValid);
        Assert.Equal(3, verification.FirstBrokenSequence);
        Assert.Contains("carries no MAC although entry 1", verification.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryMacStrippedPassesWithAWarningThatSaysTheKeyProvesNothingAboutThem()
    {
        var verification = VerifyThreeKeyedEntriesAfter(lines => lines.Select(StripMac));

        // Indistinguishable from a journal written before the key was set: the documented limit, said in a warning.
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(3, verification.UnkeyedCount);
        Assert.Contains(verification.Warnings, w => w.StartsWith("None of the 3 entries carries a MAC", StringComparison.Ordinal));
    }

    [Fact]
    public void AWrongKeyIsDetectedAtTheFirstKeyedEntry()
    {
        _store.JournalKeyFile = WriteKeyFile(KeyText);
        AppendMany(1, 2);

        var other = new RollbackStore(_temp.Path) { JournalKeyFile = WriteKeyFile("another-key-0123456789abcdef", "other.key") };
        var verification = other.Journal.Verify();

        Assert.False(verification.IsValid);
        Assert.Equal(1, verification.FirstBrokenSequence);
    }

    [Fact]
    public void EntriesBeforeTheKeyAreCountedAsUnkeyedAndTheKeyedOnesChecked()
    {
        AppendMany(1, 2);
        _store.JournalKeyFile = WriteKeyFile(KeyText);
        AppendMany(3, 2);

        var verification = Journal.Verify();

        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(2, verification.UnkeyedCount);
        Assert.Equal(2, verification.MacsChecked);
        Assert.Empty(verification.Warnings);
        Assert.Equal(new string?[] { null, null }, Journal.Read().Take(2).Select(e => e.Mac));
        Assert.All(Journal.Read().Skip(2), e => Assert.Matches("^[0-9a-f]{64}$", e.Mac!));
    }

    [Fact]
    public void AKeyedJournalReadWithoutTheKeyIsValidAndSaysTheMacsWereNotChecked()
    {
        _store.JournalKeyFile = WriteKeyFile(KeyText);
        AppendMany(1, 2);

        var verification = new RollbackStore(_temp.Path) { JournalKeyFile = null }.Journal.Verify();

        Assert.True(verification.IsValid, verification.Message);
        Assert.Contains(verification.Warnings, w => w.StartsWith("2 entries carry a MAC that was not checked", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData(0x1A0)] // 0640
    [InlineData(0x184)] // 0604
    public void AKeyFileOthersMayReadIsRefusedAndNothingIsWritten(int mode)
    {
        Skip.If(NativeFileSystem.IsWindows, "Unix modes.");
        Journal.Append(Entry(1));
        var before = File.ReadAllBytes(Journal.Path);
        var keyFile = WriteKeyFile(KeyText);
        NativeFileSystem.SetMode(keyFile, mode);
        _store.JournalKeyFile = keyFile;

        var append = Assert.Throws<RollbackException>(() => Journal.Append(Entry(2)));
        var writable = Assert.Throws<RollbackException>(Journal.EnsureWritable);
        var verify = Assert.Throws<RollbackException>(() => Journal.Verify());

        Assert.All(new[] { append, writable, verify }, ex => Assert.Equal(RollbackErrorId.JournalKeyUnprotected, ex.ErrorId));
        Assert.Contains("chmod 600", append.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyText, append.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Journal.Path));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("too short")]
    [InlineData("a folder")]
    public void AKeyFileThatCannotBeUsedIsJournalKeyInvalid(string problem)
    {
        var keyFile = Path.Combine(_keys.Path, "journal.key");
        if (problem == "too short")
        {
            File.WriteAllText(keyFile, "short\n");
            NativeFileSystem.SetMode(keyFile, StoreFiles.OwnerOnlyFileMode);
        }
        else if (problem == "a folder")
        {
            Directory.CreateDirectory(keyFile);
        }

        _store.JournalKeyFile = keyFile;

        var ex = Assert.Throws<RollbackException>(() => Journal.Append(Entry(1)));

        Assert.Equal(RollbackErrorId.JournalKeyInvalid, ex.ErrorId);
        Assert.False(File.Exists(Journal.Path));
    }

    [Fact]
    public void TheKeyAppearsInNoStoreFileAndNoVerificationOutput()
    {
        _store.JournalKeyFile = WriteKeyFile(KeyText);
        AppendMany(1, 3);
        var lines = File.ReadAllLines(Journal.Path);
        lines[1] = lines[1].Replace("deploy 2", "deploy X", StringComparison.Ordinal);
        WriteLines(lines);

        var broken = Journal.Verify();

        var storeFiles = Directory.EnumerateFiles(_temp.Path, "*", SearchOption.AllDirectories).Select(File.ReadAllText);
        var shown = new[] { broken.Message }.Concat(broken.Warnings).Concat(storeFiles).Append(JsonSerializer.Serialize(broken));
        Assert.All(shown, text => Assert.DoesNotContain(KeyText, text, StringComparison.Ordinal));
    }

    [Fact]
    public void ARollbackWithAKeyIsJournaledWithMacsListedByHistoryAndVerifies()
    {
        using var sandbox = new Providers.Sandbox();
        sandbox.Store.JournalKeyFile = WriteKeyFile(KeyText);
        var root = sandbox.CreateReleaseRoot("api", "v1", "v1", "v2");
        sandbox.Register("api", "FileSystemRelease", ("Root", root));
        var point = sandbox.Engine.Points.Create("api", null);
        Providers.Sandbox.Deploy(root, "v2");

        var result = sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var history = sandbox.Engine.History.Get(new HistoryFilter { Target = "api" }).ToList();
        Assert.Contains(history, e => e.Action == HistoryAction.Rollback && e.Status == nameof(RollbackStatus.Succeeded));
        Assert.All(sandbox.Store.Journal.Read(), e => Assert.Matches("^[0-9a-f]{64}$", e.Mac!));
        var verification = sandbox.Engine.History.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(verification.EntryCount, verification.MacsChecked);
        Assert.Equal(0, verification.UnkeyedCount);
        Assert.Equal(result.JournalSequence, verification.EntryCount);
    }

    private JournalVerification VerifyThreeKeyedEntriesAfter(Func<string[], System.Collections.Generic.IEnumerable<string>> tamper)
    {
        _store.JournalKeyFile = WriteKeyFile(KeyText);
        AppendMany(1, 3);
        WriteLines(tamper(File.ReadAllLines(Journal.Path)));
        return Journal.Verify();
    }

    /// <summary>What a forger with write access to the store can do: edit entry 2, re-seal it and the rest, and rewrite journal.head.</summary>
    private void RewriteEntryTwoConsistently()
    {
        var lines = File.ReadAllLines(Journal.Path);
        lines[1] = lines[1].Replace("deploy 2", "deploy X", StringComparison.Ordinal);
        var head = JournalForger.Rechain(lines, 1);
        WriteLines(lines);
        File.WriteAllText(Journal.HeadPath, JsonSerializer.Serialize(new JournalHead(lines.Length, head), StoreJson.Compact));
    }

    private static string StripMac(string line)
    {
        var at = line.IndexOf(",\"mac\":\"", StringComparison.Ordinal);
        return at < 0 ? line : line[..at] + "}";
    }

    /// <summary>A user-only key file outside the store.</summary>
    private string WriteKeyFile(string key, string name = "journal.key")
    {
        var path = Path.Combine(_keys.Path, name);
        File.WriteAllText(path, key + "\n");
        NativeFileSystem.SetMode(path, StoreFiles.OwnerOnlyFileMode);
        return path;
    }
}
