using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>
/// journal.jsonl: one JSON entry per line, append-only, each entry's hash covering the exact bytes of its line (up to
/// the hash itself) and so the previous entry's hash, so an edited, added-to, removed or reordered line breaks the chain.
/// Every append is flushed to disk before the call returns, and the new head (last sequence and hash) is recorded
/// outside the file too: in journal.head, and in every point manifest written afterwards.
/// </summary>
public sealed class Journal
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";
    public const string HeadFileName = "journal.head";
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    // The current line format ends with the hash, which covers every byte before it: {...,"hash":"<sha256 hex>"}.
    // Lines written before it (hash, then previousHash, last) are "legacy": their hash covers the re-serialised entry,
    // so they are also required to be exactly that serialisation, byte for byte. With a journal key the hash is followed
    // by the MAC of the hash, outside what the hash covers: {...,"hash":"<sha256 hex>","mac":"<hmac-sha256 hex>"}.
    private const string HashPropertyPrefix = ",\"hash\":\"";
    private const string MacPropertyPrefix = "\",\"mac\":\"";
    private static readonly Regex SealedLine = new("^(?<signed>\\{.*,\"hash\":\")(?<hash>[0-9a-f]{64})\"(,\"mac\":\"(?<mac>[^\"\\\\]*)\")?\\}\\z", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    private readonly RollbackStore _store;

    internal Journal(RollbackStore store) => _store = store;

    /// <summary>Where the journal is: the folder store's journal.jsonl, or the shared store's table.</summary>
    public string Path => Log.Location;

    /// <summary>journal.head: the sequence and hash of the last entry the module wrote, kept outside the journal's lines.</summary>
    public string HeadPath => Log.HeadLocation;

    private IJournalLog Log => _store.Backend.JournalLog;

    /// <summary>The last sequence and hash now (sequence 0 and <see cref="GenesisHash"/> for an empty journal): what a new point records as its anchor.</summary>
    public JournalHead Head()
    {
        var (sequence, hash, _) = ReadTail(Log.LockedTail());
        return new JournalHead(sequence, hash);
    }

    /// <summary>
    /// Throws JournalUnwritable unless an entry could be appended now: checked before anything that must be journaled
    /// starts, so a rollback never switches a target it then cannot record.
    /// </summary>
    public void EnsureWritable()
    {
        try
        {
            // A configured key that cannot be used stops the attempt here too, before anything changes.
            JournalKey.Load(_store.JournalKeyFile);
            Log.EnsureWritable();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(ex);
        }
    }

    /// <summary>Appends an entry, assigning its sequence and chain hashes, and returns what was written.</summary>
    public HistoryEntry Append(HistoryEntry entry)
    {
        try
        {
            var key = JournalKey.Load(_store.JournalKeyFile);
            return Log.Append((tail, head, torn) =>
            {
                var (lastSequence, lastHash, lastIsDamaged) = ReadTail(tail);

                // After a torn write (a last line without its newline) the log starts a new line; the entry says so, and
                // -Verify and Read then know the damaged line was torn, not tampered with.
                var unsealed = entry with
                {
                    Sequence = lastSequence + 1,
                    PreviousHash = lastHash,
                    Hash = string.Empty,
                    FollowsTornLine = torn && lastIsDamaged ? true : null,
                    HeadRecordedSequence = UnexpectedHead(head, lastSequence, lastHash, torn && lastIsDamaged),
                };
                var (line, hash, mac) = Seal(unsealed, key);
                var sealedEntry = unsealed with { Hash = hash, Mac = mac };
                return new JournalAppend<HistoryEntry>(line, new JournalHead(sealedEntry.Sequence, hash), sealedEntry);
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(ex);
        }
    }

    /// <summary>
    /// The sequence journal.head names when it is not the journal's last entry, else null. An entry appended from outside
    /// the module leaves the head behind; recording that in the next entry keeps it detectable after the head moves on.
    /// </summary>
    private static long? UnexpectedHead(JournalHead? head, long lastSequence, string lastHash, bool lastIsTorn)
    {
        if (head is null || head.Sequence == lastSequence && head.Hash == lastHash)
        {
            return null;
        }

        // A torn last line is the write that never finished: the head rightly names the entry before it.
        return lastIsTorn && head.Sequence == lastSequence - 1 ? null : head.Sequence;
    }

    /// <summary>Reads every entry in order. A line torn by a crash is skipped with a warning; any other damaged line raises JournalCorrupt with its line number.</summary>
    public IEnumerable<HistoryEntry> Read() => Read(warning: null);

    /// <summary>As <see cref="Read()"/>, handing the warning about each torn line to <paramref name="warning"/>.</summary>
    public IEnumerable<HistoryEntry> Read(Action<string>? warning)
    {
        foreach (var line in ReadLines())
        {
            switch (line.Kind)
            {
                case LineKind.Entry:
                    yield return line.Entry!;
                    break;
                case LineKind.Torn:
                    warning?.Invoke(TornMessage(line.Number));
                    break;
                default:
                    throw new RollbackException(RollbackErrorId.JournalCorrupt, RollbackErrorCategory.InvalidData,
                        $"Line {line.Number} of the journal '{Path}' is not a valid entry: {line.Problem} Run Get-RollbackHistory -Verify to see where the damage starts; the journal is never rewritten by the module.",
                        Path);
            }
        }
    }

    /// <summary>
    /// Checks the chain: every line is a sealed entry (or a torn line that the next entry recorded as such), sequences run
    /// 1..n, each hash matches the bytes of its line and the line before; then the anchors kept outside the file: the
    /// head record, and the journal position every point manifest recorded when it was written.
    /// </summary>
    public JournalVerification Verify()
    {
        var macs = new MacCheck(JournalKey.Load(_store.JournalKeyFile));
        var warnings = new List<string>();
        var hashes = new Dictionary<long, string>();
        var previousHash = GenesisHash;
        long count = 0;
        var sawSealed = false;
        var endsTorn = false;
        foreach (var line in ReadLines())
        {
            endsTorn = line.Kind == LineKind.Torn;
            if (line.Kind == LineKind.Damaged)
            {
                return Broken(line.Number, count, $"Line {line.Number} is not a valid entry: {line.Problem}");
            }

            if (line.Kind == LineKind.Torn)
            {
                // A torn line took a sequence number: the entry after it (if any) chains to the hash of its text.
                warnings.Add(TornMessage(line.Number));
                previousHash = Checksums.HashText(line.Text);
                hashes[++count] = previousHash;
                continue;
            }

            var entry = line.Entry!;
            if (entry.Sequence != count + 1)
            {
                return Broken(entry.Sequence, count, $"Entry {entry.Sequence} follows entry {count}: an entry was removed, inserted or reordered.");
            }

            if (entry.PreviousHash != previousHash)
            {
                return Broken(entry.Sequence, count, $"Entry {entry.Sequence} does not chain to the entry before it: an earlier entry was removed or changed.");
            }

            if (line.IsSealed)
            {
                sawSealed = true;
            }
            else if (sawSealed)
            {
                return Broken(entry.Sequence, count, $"Entry {entry.Sequence} is in the old line format after entries in the current one: it was written from outside the module.");
            }

            if (!line.HashMatches)
            {
                return Broken(entry.Sequence, count, $"Entry {entry.Sequence} has been altered: its line no longer matches its hash.");
            }

            if (entry.HeadRecordedSequence is long recorded)
            {
                return Broken(entry.Sequence, count,
                    $"Entry {entry.Sequence} was appended when journal.head named entry {recorded}, not entry {count}: the entries after {recorded} were written outside the module (or it stopped between writing an entry and its head record, or journal.head was edited).");
            }

            if (macs.Check(entry, line.Mac) is { } macProblem)
            {
                return Broken(entry.Sequence, count, macProblem);
            }

            previousHash = entry.Hash;
            hashes[++count] = previousHash;
        }

        // A torn last line is the write that never finished: the head record still names the entry before it.
        var headSequence = endsTorn ? count - 1 : count;
        var headHash = headSequence == 0 ? GenesisHash : hashes[headSequence];
        var anchors = 0;
        var anchorProblem = CheckHeadRecord(headSequence, headHash, sawSealed) ?? CheckPointAnchors(hashes, count, warnings, out anchors);
        warnings.AddRange(macs.Warnings(count));
        if (anchorProblem is not null)
        {
            return new JournalVerification
            {
                IsValid = false,
                EntryCount = count,
                FirstBrokenSequence = count + 1,
                Message = anchorProblem,
                Path = Path,
                Warnings = warnings,
                UnkeyedCount = macs.Unkeyed,
                MacsChecked = macs.Checked,
            };
        }

        return new JournalVerification
        {
            IsValid = true,
            EntryCount = count,
            Message = $"All {count} entries chain correctly, and agree with journal.head and the {anchors} point manifest(s) that recorded a journal position." + macs.Summary(),
            Path = Path,
            Warnings = warnings,
            AnchorsChecked = anchors,
            UnkeyedCount = macs.Unkeyed,
            MacsChecked = macs.Checked,
        };
    }

    private string? CheckHeadRecord(long count, string lastHash, bool sawSealed)
    {
        var headText = Log.ReadHeadText();
        if (headText is null)
        {
            // Journals written before the head record existed have none; once sealed entries exist, every append wrote one.
            return sawSealed
                ? "journal.head, the record of the last entry written, is missing beside the journal: it was removed from outside the module."
                : null;
        }

        JournalHead? head;
        try
        {
            head = JsonSerializer.Deserialize<JournalHead>(headText, StoreJson.Compact);
        }
        catch (JsonException ex)
        {
            return $"journal.head is not valid: {ex.Message}";
        }

        if (head is null || head.Sequence == count && head.Hash == lastHash)
        {
            return head is null ? "journal.head holds null." : null;
        }

        if (head.Sequence > count)
        {
            return count == 0
                ? $"The journal is empty or missing, but the module last wrote entry {head.Sequence}: the journal was emptied or deleted."
                : $"The journal ends at entry {count}, but the module last wrote entry {head.Sequence}: entries were removed from its end.";
        }

        return head.Sequence < count
            ? $"The journal holds {count} entries, but the module last wrote entry {head.Sequence}: entries after it were appended from outside the module (or the process stopped between writing an entry and its head record)."
            : $"Entry {count} is not the entry the module wrote last (its hash differs from journal.head): it was replaced.";
    }

    private string? CheckPointAnchors(Dictionary<long, string> hashes, long count, List<string> warnings, out int anchors)
    {
        anchors = 0;
        foreach (var point in AnchoredPoints(warnings))
        {
            anchors++;
            var sequence = point.JournalSequence!.Value;
            var expected = sequence == 0 ? GenesisHash : hashes.TryGetValue(sequence, out var hash) ? hash : null;
            if (expected is null)
            {
                return $"Point '{point.Id}' of '{point.Target}' was captured when the journal had {sequence} entries, but it now has {count}: entries were removed.";
            }

            if (!string.Equals(expected, point.JournalHash, StringComparison.Ordinal))
            {
                return $"Entry {sequence} is not the entry point '{point.Id}' of '{point.Target}' saw when it was captured: the journal was edited and re-chained.";
            }
        }

        return null;
    }

    /// <summary>Every readable point manifest that recorded a journal position; damaged ones are named in the warnings and skipped.</summary>
    private List<RollbackPoint> AnchoredPoints(List<string> warnings)
    {
        var points = new List<RollbackPoint>();
        foreach (var target in _store.Backend.Manifests.TargetNames())
        {
            try
            {
                points.AddRange(_store.Points.List(target, skipped: ex => warnings.Add(ex.Message)).Where(point => point.JournalSequence is not null));
            }
            catch (RollbackException ex)
            {
                warnings.Add(ex.Message);
            }
        }

        return points;
    }

    /// <summary>
    /// The MAC rules of -Verify. With a key: every entry from the first one that carries a MAC on must carry the right one
    /// (a wrong MAC is a forgery or another key; a missing one was stripped); the entries before it were written before the
    /// key was configured and are counted as unkeyed. Without a key, MACs cannot be checked and are only counted.
    /// </summary>
    private sealed class MacCheck
    {
        private readonly JournalKey? _key;
        private long _firstKeyedSequence;
        private long _macsUnchecked;

        public MacCheck(JournalKey? key) => _key = key;

        public long Unkeyed { get; private set; }

        public long Checked { get; private set; }

        public string? Check(HistoryEntry entry, string? mac)
        {
            if (_key is null)
            {
                _macsUnchecked += mac is null ? 0 : 1;
                return null;
            }

            if (mac is null)
            {
                if (_firstKeyedSequence == 0)
                {
                    Unkeyed++;
                    return null;
                }

                return $"Entry {entry.Sequence} carries no MAC although entry {_firstKeyedSequence} before it did: its MAC was stripped, or it was written from outside the module.";
            }

            if (!_key.Matches(entry.Hash, mac))
            {
                return $"Entry {entry.Sequence} carries a MAC that does not match the journal key ({_key.Path}): it was forged or re-chained by someone without the key, or the key is not the one the journal was written with.";
            }

            _firstKeyedSequence = _firstKeyedSequence == 0 ? entry.Sequence : _firstKeyedSequence;
            Checked++;
            return null;
        }

        public IEnumerable<string> Warnings(long count)
        {
            if (_key is null && _macsUnchecked > 0)
            {
                yield return $"{_macsUnchecked} entries carry a MAC that was not checked: no journal key is configured ({JournalKey.EnvironmentVariable}).";
            }

            if (_key is not null && _firstKeyedSequence == 0 && count > 0)
            {
                // Indistinguishable from every MAC being stripped: only the next entry, written with the key, settles it.
                yield return $"None of the {count} entries carries a MAC: either none was written since the journal key was configured, or every MAC was stripped. The key proves nothing about them.";
            }
        }

        public string Summary() => _key is null
            ? " No journal key is configured: a consistent rewrite of the journal, journal.head and the manifests would not be detected."
            : $" {Checked} MAC(s) match the journal key; {Unkeyed} earlier entries were written before it was configured.";
    }

    private JournalVerification Broken(long sequence, long validCount, string message) =>
        new() { IsValid = false, EntryCount = validCount, FirstBrokenSequence = sequence, Message = message, Path = Path };

    private string TornMessage(long lineNumber) =>
        $"Line {lineNumber} of the journal '{Path}' is a write cut short (the process or machine stopped while writing it); it is skipped. The entries after it are intact.";

    private RollbackException Unwritable(Exception ex) =>
        new(RollbackErrorId.JournalUnwritable, ex is UnauthorizedAccessException || ex.InnerException is UnauthorizedAccessException ? RollbackErrorCategory.PermissionDenied : RollbackErrorCategory.WriteError,
            $"The journal '{Path}' cannot be written: {ex.Message} Nothing that must be journaled is done until it can: make it a writable file of the store's owner, or choose another store with -StorePath.",
            Path, ex);

    /// <summary>
    /// The line for an entry whose sequence and previous hash are set: its JSON without the hash, then the hash of every
    /// byte before it. What is hashed is exactly what is written, so a field added to the line is caught as an edit.
    /// </summary>
    private static (string Line, string Hash, string? Mac) Seal(HistoryEntry unsealed, JournalKey? key)
    {
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(unsealed, StoreJson.Compact));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = StoreJson.Compact.Encoder }))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject().Where(p => !p.NameEquals("hash")))
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        var content = Utf8NoBom.GetString(buffer.ToArray());
        var signed = content.Substring(0, content.Length - 1) + HashPropertyPrefix;
        var hash = Checksums.HashText(signed);
        if (key is null)
        {
            return (signed + hash + "\"}", hash, null);
        }

        var mac = key.Mac(hash);
        return (signed + hash + MacPropertyPrefix + mac + "\"}", hash, mac);
    }

    private static string LegacyHash(HistoryEntry entry) =>
        Checksums.HashText(JsonSerializer.Serialize(entry with { Hash = string.Empty }, StoreJson.Compact));

    /// <summary>Every non-empty line, classified: an entry (with whether its hash matches its bytes), a torn write, or damage.</summary>
    private IEnumerable<JournalLine> ReadLines()
    {
        var endsInsideALine = Log.EndsInsideALine();
        JournalLine? pendingDamage = null;
        long lineNumber = 0;
        foreach (var text in Log.Lines())
        {
            lineNumber++;
            if (text.Length == 0)
            {
                continue;
            }

            var line = Classify(text, lineNumber);
            if (pendingDamage is not null)
            {
                // A damaged line is a torn write only if the next entry, appended after it, said it found it torn.
                yield return pendingDamage with { Kind = line.Entry?.FollowsTornLine == true ? LineKind.Torn : LineKind.Damaged };
                pendingDamage = null;
            }

            if (line.Kind == LineKind.Damaged)
            {
                pendingDamage = line;
                continue;
            }

            yield return line;
        }

        if (pendingDamage is not null)
        {
            yield return pendingDamage with { Kind = endsInsideALine ? LineKind.Torn : LineKind.Damaged };
        }
    }

    private static JournalLine Classify(string text, long lineNumber)
    {
        HistoryEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize<HistoryEntry>(text, StoreJson.Compact);
        }
        catch (JsonException ex)
        {
            return new JournalLine(LineKind.Damaged, lineNumber, text, ex.Message);
        }

        if (entry is null)
        {
            return new JournalLine(LineKind.Damaged, lineNumber, text, "The line holds null.");
        }

        var sealedLine = SealedLine.Match(text);
        var hashMatches = sealedLine.Success
            ? sealedLine.Groups["hash"].Value == entry.Hash && Checksums.HashText(sealedLine.Groups["signed"].Value) == entry.Hash
            : LegacyHash(entry) == entry.Hash && JsonSerializer.Serialize(entry, StoreJson.Compact) == text;
        var mac = sealedLine.Success && sealedLine.Groups["mac"].Success ? sealedLine.Groups["mac"].Value : null;
        return new JournalLine(LineKind.Entry, lineNumber, text, null) { Entry = entry, IsSealed = sealedLine.Success, HashMatches = hashMatches, Mac = mac };
    }

    /// <summary>The last sequence and hash, read from the end of the journal so appends stay cheap on a long journal.</summary>
    private static (long Sequence, string Hash, bool IsDamaged) ReadTail(JournalTail tail)
    {
        var lastLine = tail.LastLine;
        if (lastLine is null)
        {
            return (0, GenesisHash, false);
        }

        try
        {
            var last = JsonSerializer.Deserialize<HistoryEntry>(lastLine, StoreJson.Compact);
            if (last is not null && last.Sequence > 0)
            {
                return (last.Sequence, last.Hash, false);
            }
        }
        catch (JsonException)
        {
            // A damaged last line must not stop rollbacks during an incident: chain to the damaged text
            // itself and number by line count; -Verify still reports the damage.
        }

        return (tail.CountLines(), Checksums.HashText(lastLine), true);
    }

    private enum LineKind
    {
        Entry,
        Torn,
        Damaged,
    }

    private sealed record JournalLine(LineKind Kind, long Number, string Text, string? Problem)
    {
        public HistoryEntry? Entry { get; init; }

        public bool IsSealed { get; init; }

        public bool HashMatches { get; init; }

        /// <summary>The "mac" field of a sealed line, null when it has none.</summary>
        public string? Mac { get; init; }
    }
}

/// <summary>Where the journal stood: the last entry's sequence and hash (0 and the genesis hash when empty).</summary>
public sealed record JournalHead(long Sequence, string Hash);
