using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed partial class JournalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(1));

    private readonly TempFolder _temp = new();
    private readonly RollbackStore _store;

    public JournalTests() => _store = new RollbackStore(_temp.Path);

    public void Dispose()
    {
        _temp.Dispose();
        _keys.Dispose();
    }

    private Journal Journal => _store.Journal;

    [Fact]
    public void EmptyJournalReadsNothingAndIsValid()
    {
        Assert.Empty(Journal.Read());
        var verification = Journal.Verify();
        Assert.True(verification.IsValid);
        Assert.Equal(0, verification.EntryCount);
        Assert.Null(verification.FirstBrokenSequence);
        Assert.Equal(_store.JournalFile, verification.Path);
    }

    [Fact]
    public void AppendNumbersFromOneAndChainsHashes()
    {
        var written = Enumerable.Range(1, 5).Select(i => Journal.Append(Entry(i))).ToList();

        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), written.Select(e => e.Sequence));
        Assert.Equal(Journal.GenesisHash, written[0].PreviousHash);
        for (var i = 1; i < written.Count; i++)
        {
            Assert.Equal(written[i - 1].Hash, written[i].PreviousHash);
        }

        Assert.All(written, e => Assert.Matches("^[0-9a-f]{64}$", e.Hash));
        Assert.Equal(5, written.Select(e => e.Hash).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void AppendIgnoresSequenceAndHashesTheCallerSupplies()
    {
        var first = Journal.Append(new HistoryEntry { Sequence = 42, Hash = "forged", PreviousHash = "forged", Target = "api", Action = HistoryAction.Capture });

        Assert.Equal(1, first.Sequence);
        Assert.Equal(Journal.GenesisHash, first.PreviousHash);
        Assert.NotEqual("forged", first.Hash);
        Assert.True(Journal.Verify().IsValid);
    }

    [Fact]
    public void ReadReturnsEveryFieldAsWritten()
    {
        var entry = new HistoryEntry
        {
            Time = Start,
            Target = "api",
            Action = HistoryAction.Rollback,
            PointId = "20260301-110000000-abcdef",
            From = "v2.3.2",
            To = "v2.3.1",
            Reason = "Error rate 12.3% > 10% \"quoted\" é",
            User = "oncall",
            ApprovedBy = ["alice", "bob"],
            Duration = TimeSpan.FromMilliseconds(1234.5),
            Status = "Succeeded",
            ErrorId = RollbackErrorId.RollbackFailed,
            Message = "line one\nline two",
            SafetyPointId = "20260301-115959000-123456",
        };

        var written = Journal.Append(entry);
        var read = Assert.Single(Journal.Read());

        Assert.Equal(written.Hash, read.Hash);
        Assert.Equal(entry.Time, read.Time);
        Assert.Equal(entry.Target, read.Target);
        Assert.Equal(entry.Action, read.Action);
        Assert.Equal(entry.PointId, read.PointId);
        Assert.Equal(entry.From, read.From);
        Assert.Equal(entry.To, read.To);
        Assert.Equal(entry.Reason, read.Reason);
        Assert.Equal(entry.User, read.User);
        Assert.Equal(entry.ApprovedBy, read.ApprovedBy);
        Assert.Equal(entry.Duration, read.Duration);
        Assert.Equal(entry.Status, read.Status);
        Assert.Equal(entry.ErrorId, read.ErrorId);
        Assert.Equal(entry.Message, read.Message);
        Assert.Equal(entry.SafetyPointId, read.SafetyPointId);
        Assert.True(Journal.Verify().IsValid);
    }

    [Fact]
    public void VerifyIsValidForAnIntactJournal()
    {
        AppendMany(6);

        var verification = new RollbackStore(_temp.Path).Journal.Verify();

        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(6, verification.EntryCount);
        Assert.Null(verification.FirstBrokenSequence);
    }

    [Fact]
    public void EditedReasonInAMiddleLineBreaksThatEntry()
    {
        AppendMany(5);
        var lines = File.ReadAllLines(Journal.Path);
        Assert.Contains("\"reason\":\"deploy 3\"", lines[2], StringComparison.Ordinal);
        lines[2] = lines[2].Replace("\"reason\":\"deploy 3\"", "\"reason\":\"deploy X\"", StringComparison.Ordinal);
        WriteLines(lines);

        var verification = Journal.Verify();

        Assert.False(verification.IsValid);
        Assert.Equal(3, verification.FirstBrokenSequence);
        Assert.Equal(2, verification.EntryCount);
    }

    [Fact]
    public void EditedEntryWithARecomputedHashBreaksTheNextEntry()
    {
        AppendMany(5);
        var lines = File.ReadAllLines(Journal.Path);
        var original = JsonSerializer.Deserialize<HistoryEntry>(lines[2], StoreJson.Compact)!;
        lines[2] = JournalForger.Seal(original with { Reason = "nothing to see" }).Line;
        WriteLines(lines);

        var verification = Journal.Verify();

        Assert.False(verification.IsValid);
        Assert.Equal(4, verification.FirstBrokenSequence);
        Assert.Equal(3, verification.EntryCount);
    }

    [Fact]
    public void DeletedMiddleLineBreaksAtTheNextEntry()
    {
        AppendMany(5);
        var lines = File.ReadAllLines(Journal.Path).ToList();
        lines.RemoveAt(2);
        WriteLines(lines);

        var verification = Journal.Verify();

        Assert.False(verification.IsValid);
        Assert.Equal(4, verification.FirstBrokenSequence);
        Assert.Equal(2, verification.EntryCount);
    }

    [Fact]
    public void SwappedLinesBreakTheChain()
    {
        AppendMany(4);
        var lines = File.ReadAllLines(Journal.Path);
        (lines[1], lines[2]) = (lines[2], lines[1]);
        WriteLines(lines);

        var verification = Journal.Verify();

        Assert.False(verification.IsValid);
        Assert.Equal(3, verification.FirstBrokenSequence);
    }

    [Fact]
    public void NonJsonLineBreaksTheChainAndReadIsCorrupt()
    {
        AppendMany(4);
        var lines = File.ReadAllLines(Journal.Path);
        lines[1] = "this is not json";
        WriteLines(lines);

        var verification = Journal.Verify();
        var ex = Assert.Throws<RollbackException>(() => Journal.Read().ToList());

        Assert.False(verification.IsValid);
        Assert.Equal(2, verification.FirstBrokenSequence);
        Assert.Equal(1, verification.EntryCount);
        Assert.Equal(RollbackErrorId.JournalCorrupt, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidData, ex.Category);
        Assert.Contains("Line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppendAfterADamagedLastLineStillRecordsTheEntry()
    {
        AppendMany(3);
        var lines = File.ReadAllLines(Journal.Path);
        lines[2] = "{ damaged";
        WriteLines(lines);

        var appended = Journal.Append(Entry(99));

        var onDisk = File.ReadAllLines(Journal.Path);
        Assert.Equal(4, onDisk.Length);
        Assert.Equal(4, appended.Sequence);
        Assert.Equal(Checksums.HashText("{ damaged"), appended.PreviousHash);
        var last = JsonSerializer.Deserialize<HistoryEntry>(onDisk[3], StoreJson.Compact)!;
        Assert.Equal(appended.Hash, last.Hash);
        Assert.Equal("deploy 99", last.Reason);
        var verification = Journal.Verify();
        Assert.False(verification.IsValid);
        Assert.Equal(3, verification.FirstBrokenSequence);
    }

    [Fact]
    public void AppendAfterATornLastLineStartsANewLine()
    {
        // A write cut short (power loss) leaves a partial last line without its newline.
        // The process died writing entry 3, so journal.head still names entry 2.
        AppendMany(2);
        var headAfterTwo = File.ReadAllText(Journal.HeadPath);
        Journal.Append(Entry(3));
        var third = File.ReadAllLines(Journal.Path)[^1];
        var content = File.ReadAllText(Journal.Path);
        File.WriteAllText(Journal.Path, string.Concat(content.AsSpan(0, content.Length - third.Length - 1), third.AsSpan(0, third.Length / 2)));
        File.WriteAllText(Journal.HeadPath, headAfterTwo);

        var appended = Journal.Append(Entry(4));

        var onDisk = File.ReadAllLines(Journal.Path);
        Assert.Equal(4, onDisk.Length);
        Assert.Equal(4, appended.Sequence);
        var last = JsonSerializer.Deserialize<HistoryEntry>(onDisk[3], StoreJson.Compact)!;
        Assert.Equal(appended.Hash, last.Hash);
        Assert.Equal("deploy 4", last.Reason);
        Assert.True(last.FollowsTornLine);

        // The torn line is a crash, not tampering: reported and read past, never a reason for every later read to fail.
        var verification = Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Contains(verification.Warnings, w => w.StartsWith("Line 3 ", StringComparison.Ordinal));
        var warnings = new System.Collections.Generic.List<string>();
        long[] readable = [1, 2, 4];
        Assert.Equal(readable, Journal.Read(warnings.Add).Select(e => e.Sequence));
        Assert.Contains("Line 3 ", Assert.Single(warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAppendIsOnDiskWhenAppendReturns()
    {
        for (var i = 1; i <= 10; i++)
        {
            var written = Journal.Append(Entry(i));

            var bytes = File.ReadAllBytes(Journal.Path);
            Assert.Equal((byte)'\n', bytes[^1]);
            var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(i, lines.Length);
            var last = JsonSerializer.Deserialize<HistoryEntry>(lines[^1], StoreJson.Compact)!;
            Assert.Equal(written.Sequence, last.Sequence);
            Assert.Equal(written.Hash, last.Hash);
            Assert.Equal(written.Reason, last.Reason);
        }
    }

    [Fact]
    public void ConcurrentAppendsFormOneValidChain()
    {
        const int Threads = 8;
        const int PerThread = 25;
        var sequences = new ConcurrentBag<long>();

        // Each writer has its own store object, as separate processes would.
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            var journal = new RollbackStore(_temp.Path).Journal;
            for (var i = 0; i < PerThread; i++)
            {
                sequences.Add(journal.Append(Entry((thread * 1000) + i)).Sequence);
            }
        });

        var verification = Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(Threads * PerThread, verification.EntryCount);
        Assert.Equal(Enumerable.Range(1, Threads * PerThread).Select(i => (long)i), sequences.OrderBy(s => s));
        Assert.Equal(Threads * PerThread, Journal.Read().Select(e => e.Reason).Distinct(StringComparer.Ordinal).Count());
    }

    private static HistoryEntry Entry(int n) => new()
    {
        Time = Start.AddMinutes(n),
        Target = "api",
        Action = HistoryAction.Rollback,
        From = "v" + (n + 1),
        To = "v" + n,
        Reason = "deploy " + n,
        User = "oncall",
        ApprovedBy = ["lead"],
        Duration = TimeSpan.FromSeconds(n),
        Status = HistoryStatus.Succeeded,
    };

    private void AppendMany(int count) => AppendMany(1, count);

    private void WriteLines(System.Collections.Generic.IEnumerable<string> lines) =>
        File.WriteAllText(Journal.Path, string.Join("\n", lines) + "\n");
}
