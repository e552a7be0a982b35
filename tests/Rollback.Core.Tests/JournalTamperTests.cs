using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

/// <summary>
/// Tampering that -Verify must catch: each case edits the files as an attacker with write access to the store but
/// without the module would, and the verification must say the journal is not intact.
/// </summary>
public sealed partial class JournalTests
{
    public static TheoryData<string> Tampers() => new()
    {
        "delete the last two entries",
        "empty the journal",
        "delete the journal",
        "delete the journal and its head record",
        "edit an entry and re-chain the rest",
        "edit an entry, re-chain the rest and rewrite the head record",
        "append a correctly chained forgery",
        "append a correctly chained forgery that the module then appends after",
        "add a field inside an entry",
        "add a field after an entry's hash",
        "put an entry in the old format after current ones",
        "replace the last entry with a re-sealed one",
    };

    [Theory]
    [MemberData(nameof(Tampers))]
    public void TamperingIsDetected(string tamper)
    {
        // Three entries, a point that anchors entry 3, then three more entries.
        AppendMany(1, 3);
        CapturePoint();
        AppendMany(4, 3);
        Assert.True(Journal.Verify().IsValid, Journal.Verify().Message);

        Tamper(tamper);

        var verification = new RollbackStore(_temp.Path).Journal.Verify();
        Assert.False(verification.IsValid, $"Not detected: {tamper}. {verification.Message}");
        Assert.NotNull(verification.FirstBrokenSequence);
        Assert.False(string.IsNullOrWhiteSpace(verification.Message));
    }

    [Fact]
    public void AnIntactJournalWithAnchorsIsValidAndCountsThem()
    {
        AppendMany(1, 2);
        var first = CapturePoint();
        AppendMany(3, 2);
        var second = CapturePoint();

        var verification = Journal.Verify();

        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(4, verification.EntryCount);
        Assert.Equal(2, verification.AnchorsChecked);
        Assert.Equal(2, first.JournalSequence);
        Assert.Equal(4, second.JournalSequence);
        Assert.Equal(Journal.Read().Single(e => e.Sequence == 4).Hash, second.JournalHash);
        Assert.Empty(verification.Warnings);
    }

    [Fact]
    public void TheHashCoversTheBytesAsWritten()
    {
        var entry = Journal.Append(Entry(1));
        var line = File.ReadAllLines(Journal.Path).Single();

        Assert.EndsWith(",\"hash\":\"" + entry.Hash + "\"}", line, StringComparison.Ordinal);
        Assert.Equal(entry.Hash, Checksums.HashText(line[..^(entry.Hash.Length + 2)]));
    }

    [Fact]
    public void AJournalInTheOldFormatStaysVerifiableAndNewEntriesChainToIt()
    {
        File.WriteAllText(Journal.Path, string.Join("\n", JournalForger.LegacyLines(Entry(1), Entry(2))) + "\n");
        Assert.True(Journal.Verify().IsValid, Journal.Verify().Message);

        var appended = Journal.Append(Entry(3));

        var verification = Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(3, verification.EntryCount);
        Assert.Equal(3, appended.Sequence);
    }

    [Theory]
    [InlineData("a field added to an entry in the old format", 1)]
    [InlineData("a damaged last line that still has its newline", 3)]
    public void DamageIsReportedWhereItIs(string damage, long brokenAt)
    {
        string[] lines;
        if (damage.Contains("old format", StringComparison.Ordinal))
        {
            lines = JournalForger.LegacyLines(Entry(1), Entry(2));
            lines[0] = lines[0].Replace("{\"sequence\"", "{\"note\":\"hi\",\"sequence\"", StringComparison.Ordinal);
        }
        else
        {
            AppendMany(1, 3);
            lines = File.ReadAllLines(Journal.Path);
            lines[2] = lines[2][..20];
        }

        WriteLines(lines);
        var verification = Journal.Verify();

        Assert.False(verification.IsValid, damage);
        Assert.Equal(brokenAt, verification.FirstBrokenSequence);
    }

    [Fact]
    public void ATornLastLineIsAWarningAndTheHeadRecordStillAgrees()
    {
        AppendMany(1, 3);
        var content = File.ReadAllText(Journal.Path);
        File.WriteAllText(Journal.Path, content + File.ReadAllLines(Journal.Path)[0][..30]);

        var verification = Journal.Verify();
        var warnings = new List<string>();
        var read = Journal.Read(warnings.Add).ToList();

        Assert.True(verification.IsValid, verification.Message);
        Assert.Contains(verification.Warnings, w => w.StartsWith("Line 4 ", StringComparison.Ordinal));
        Assert.Equal(3, read.Count);
        Assert.Single(warnings);

        // The next command appends after the torn line, and the journal stays valid for good.
        Journal.Append(Entry(5));
        var after = Journal.Verify();
        Assert.True(after.IsValid, after.Message);
        Assert.Equal(5, after.EntryCount);
        Assert.Equal(4, Journal.Read().Count());
    }

    private void Tamper(string tamper)
    {
        var lines = File.ReadAllLines(Journal.Path);
        switch (tamper)
        {
            case "delete the last two entries":
                WriteLines(lines[..^2]);
                break;
            case "empty the journal":
                File.WriteAllText(Journal.Path, string.Empty);
                break;
            case "delete the journal":
                File.Delete(Journal.Path);
                break;
            case "delete the journal and its head record":
                File.Delete(Journal.Path);
                File.Delete(Journal.HeadPath);
                break;
            case "edit an entry and re-chain the rest":
                lines[1] = lines[1].Replace("deploy 2", "deploy X", StringComparison.Ordinal);
                JournalForger.Rechain(lines, 1);
                WriteLines(lines);
                break;
            case "edit an entry, re-chain the rest and rewrite the head record":
                lines[1] = lines[1].Replace("deploy 2", "deploy X", StringComparison.Ordinal);
                var head = JournalForger.Rechain(lines, 1);
                WriteLines(lines);
                File.WriteAllText(Journal.HeadPath, JsonSerializer.Serialize(new JournalHead(lines.Length, head), StoreJson.Compact));
                break;
            case "append a correctly chained forgery":
                var last = JsonSerializer.Deserialize<HistoryEntry>(lines[^1], StoreJson.Compact)!;
                var forged = JournalForger.Seal(Entry(99) with { Sequence = last.Sequence + 1, PreviousHash = last.Hash });
                WriteLines([.. lines, forged.Line]);
                break;
            case "append a correctly chained forgery that the module then appends after":
                var tail = JsonSerializer.Deserialize<HistoryEntry>(lines[^1], StoreJson.Compact)!;
                WriteLines([.. lines, JournalForger.Seal(Entry(99) with { Sequence = tail.Sequence + 1, PreviousHash = tail.Hash }).Line]);
                Journal.Append(Entry(100));
                break;
            case "add a field inside an entry":
                lines[4] = lines[4].Replace("\"reason\":", "\"extra\":1,\"reason\":", StringComparison.Ordinal);
                WriteLines(lines);
                break;
            case "add a field after an entry's hash":
                lines[4] = lines[4][..^1] + ",\"extra\":1}";
                WriteLines(lines);
                break;
            case "put an entry in the old format after current ones":
                var entry = JsonSerializer.Deserialize<HistoryEntry>(lines[4], StoreJson.Compact)!;
                var unsealed = entry with { Reason = "rewritten", Hash = string.Empty };
                lines[4] = JsonSerializer.Serialize(unsealed with { Hash = Checksums.HashText(JsonSerializer.Serialize(unsealed, StoreJson.Compact)) }, StoreJson.Compact);
                WriteLines(lines);
                break;
            case "replace the last entry with a re-sealed one":
                var lastEntry = JsonSerializer.Deserialize<HistoryEntry>(lines[^1], StoreJson.Compact)!;
                lines[^1] = JournalForger.Seal(lastEntry with { Reason = "rewritten" }).Line;
                WriteLines(lines);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tamper), tamper, "Unknown tamper case.");
        }
    }

    private void AppendMany(int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            Journal.Append(Entry(i));
        }
    }

    private RollbackPoint CapturePoint()
    {
        var id = _store.Points.NextId("api", DateTimeOffset.UnixEpoch);
        var staging = _store.Points.CreateStaging("api", id);
        return _store.Points.Commit(staging, new RollbackPoint { Id = id, Target = "api", Kind = "Directory", Version = "v1", Fingerprint = "fp", CreatedAt = DateTimeOffset.UnixEpoch });
    }
}
