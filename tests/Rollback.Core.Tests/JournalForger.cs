using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rollback.Store;

namespace Rollback.Tests;

/// <summary>What an attacker who read the source can do: write a journal line exactly as the module seals one.</summary>
internal static class JournalForger
{
    /// <summary>
    /// The line and hash the module would write for <paramref name="entry"/> (its sequence and previous hash as given).
    /// The forger has no journal key: the entry's MAC, if it had one, is copied after the new hash unchanged.
    /// </summary>
    public static (string Line, string Hash) Seal(HistoryEntry entry)
    {
        var node = JsonNode.Parse(JsonSerializer.Serialize(entry with { FollowsTornLine = null, Mac = null }, StoreJson.Compact))!.AsObject();
        node.Remove("hash");
        var content = node.ToJsonString();
        var signed = content[..^1] + ",\"hash\":\"";
        var hash = Checksums.HashText(signed);
        return (signed + hash + (entry.Mac is null ? "\"}" : "\",\"mac\":\"" + entry.Mac + "\"}"), hash);
    }

    /// <summary>Lines as the module wrote them before lines were sealed: the hash covered the re-serialised entry.</summary>
    public static string[] LegacyLines(params HistoryEntry[] entries)
    {
        var previous = Journal.GenesisHash;
        var lines = new string[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var unsealed = entries[i] with { Sequence = i + 1, PreviousHash = previous, Hash = string.Empty };
            previous = Checksums.HashText(JsonSerializer.Serialize(unsealed, StoreJson.Compact));
            lines[i] = JsonSerializer.Serialize(unsealed with { Hash = previous }, StoreJson.Compact);
        }

        return lines;
    }

    /// <summary>Re-seals every line from <paramref name="from"/> (0-based) on so the chain is whole again, and returns the new last hash.</summary>
    public static string Rechain(string[] lines, int from)
    {
        var previous = from == 0 ? Journal.GenesisHash : JsonSerializer.Deserialize<HistoryEntry>(lines[from - 1], StoreJson.Compact)!.Hash;
        foreach (var index in Enumerable.Range(from, lines.Length - from))
        {
            var entry = JsonSerializer.Deserialize<HistoryEntry>(lines[index], StoreJson.Compact)!;
            (lines[index], previous) = Seal(entry with { PreviousHash = previous });
        }

        return previous;
    }
}
