using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>
/// journal.jsonl: one JSON entry per line, append-only, each entry's hash covering its content and the
/// previous entry's hash, so an edited, removed or reordered line breaks the chain. Every append is
/// flushed to disk before the call returns.
/// </summary>
public sealed class Journal
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly RollbackStore _store;

    internal Journal(RollbackStore store) => _store = store;

    public string Path => _store.JournalFile;

    /// <summary>Appends an entry, assigning its sequence and chain hashes, and returns what was written.</summary>
    public HistoryEntry Append(HistoryEntry entry)
    {
        using var journalLock = FileLock.Acquire(_store.LockPath("journal"), LockTimeout);
        var (lastSequence, lastHash) = ReadTail();
        var chained = Chain(entry, lastSequence + 1, lastHash);
        // After a torn write (a last line without its newline) start a new line, or this entry would be glued onto the damage.
        var line = (EndsInsideALine() ? "\n" : string.Empty) + JsonSerializer.Serialize(chained, StoreJson.Compact) + "\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        using (var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }

        return chained;
    }

    /// <summary>Reads every entry in order. A line that is not a valid entry raises JournalCorrupt with its line number.</summary>
    public IEnumerable<HistoryEntry> Read()
    {
        if (!File.Exists(Path))
        {
            yield break;
        }

        long lineNumber = 0;
        foreach (var line in File.ReadLines(Path))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            yield return Parse(line, lineNumber);
        }
    }

    /// <summary>Checks every line parses, sequences run 1..n, and each hash matches its content and predecessor.</summary>
    public JournalVerification Verify()
    {
        var previousHash = GenesisHash;
        long count = 0;
        if (File.Exists(Path))
        {
            long lineNumber = 0;
            foreach (var line in File.ReadLines(Path))
            {
                lineNumber++;
                HistoryEntry entry;
                try
                {
                    entry = Parse(line, lineNumber);
                }
                catch (RollbackException ex)
                {
                    return Broken(lineNumber, count, ex.Message);
                }

                if (entry.Sequence != count + 1)
                {
                    return Broken(entry.Sequence, count, $"Entry {entry.Sequence} follows entry {count}: an entry was removed, inserted or reordered.");
                }

                if (entry.PreviousHash != previousHash)
                {
                    return Broken(entry.Sequence, count, $"Entry {entry.Sequence} does not chain to the entry before it: an earlier entry was removed or changed.");
                }

                if (ComputeHash(entry) != entry.Hash)
                {
                    return Broken(entry.Sequence, count, $"Entry {entry.Sequence} has been altered: its content no longer matches its hash.");
                }

                previousHash = entry.Hash;
                count++;
            }
        }

        return new JournalVerification { IsValid = true, EntryCount = count, Message = $"All {count} entries chain correctly.", Path = Path };
    }

    private JournalVerification Broken(long sequence, long validCount, string message) =>
        new() { IsValid = false, EntryCount = validCount, FirstBrokenSequence = sequence, Message = message, Path = Path };

    private HistoryEntry Parse(string line, long lineNumber)
    {
        try
        {
            return JsonSerializer.Deserialize<HistoryEntry>(line, StoreJson.Compact) ?? throw new JsonException("The line holds null.");
        }
        catch (JsonException ex)
        {
            throw new RollbackException(RollbackErrorId.JournalCorrupt, RollbackErrorCategory.InvalidData,
                $"Line {lineNumber} of the journal '{Path}' is not a valid entry: {ex.Message} Run Get-RollbackHistory -Verify to see where the damage starts; the journal is never rewritten by the module.",
                Path, ex);
        }
    }

    /// <summary>The last sequence and hash, read from the end of the file so appends stay cheap on a long journal.</summary>
    private (long Sequence, string Hash) ReadTail()
    {
        var lastLine = ReadLastLine();
        if (lastLine is null)
        {
            return (0, GenesisHash);
        }

        try
        {
            var last = JsonSerializer.Deserialize<HistoryEntry>(lastLine, StoreJson.Compact);
            if (last is not null && last.Sequence > 0)
            {
                return (last.Sequence, last.Hash);
            }
        }
        catch (JsonException)
        {
            // A damaged last line must not stop rollbacks during an incident: chain to the damaged text
            // itself and number by line count; -Verify still reports the damage.
        }

        long lines = 0;
        foreach (var line in File.ReadLines(Path))
        {
            lines += line.Length > 0 ? 1 : 0;
        }

        return (lines, Checksums.HashText(lastLine));
    }

    private bool EndsInsideALine()
    {
        if (!File.Exists(Path))
        {
            return false;
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return false;
        }

        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() != '\n';
    }

    private string? ReadLastLine()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return null;
        }

        var chunk = 4096;
        while (true)
        {
            var start = Math.Max(0, stream.Length - chunk);
            var buffer = new byte[stream.Length - start];
            stream.Seek(start, SeekOrigin.Begin);
            var read = 0;
            while (read < buffer.Length)
            {
                read += stream.Read(buffer, read, buffer.Length - read);
            }

            var text = Encoding.UTF8.GetString(buffer).TrimEnd('\n', '\r');
            var newline = text.LastIndexOf('\n');
            if (newline >= 0 || start == 0)
            {
                return text.Substring(newline + 1);
            }

            chunk *= 4;
        }
    }

    private static HistoryEntry Chain(HistoryEntry entry, long sequence, string previousHash)
    {
        var unsealed = entry with { Sequence = sequence, PreviousHash = previousHash, Hash = string.Empty };
        return unsealed with { Hash = ComputeHash(unsealed) };
    }

    private static string ComputeHash(HistoryEntry entry) =>
        Checksums.HashText(JsonSerializer.Serialize(entry with { Hash = string.Empty }, StoreJson.Compact));
}
