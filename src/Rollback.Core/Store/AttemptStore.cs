using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Rollback.Store;

/// <summary>
/// An attempt to switch a target that has started and not yet journaled its outcome: what the next command needs to
/// complete or revert it should its process die (kill -9, a power cut). The journal holds the same facts as the
/// attempt's intent entry; this record is the index that lets every command find an unfinished one without reading
/// the journal.
/// </summary>
public sealed record AttemptRecord
{
    public string Id { get; init; } = string.Empty;

    public string Target { get; init; } = string.Empty;

    /// <summary>The journal action of the attempt (Rollback, RestoreConfiguration).</summary>
    public string Action { get; init; } = string.Empty;

    public string PointId { get; init; } = string.Empty;

    public string? FromVersion { get; init; }

    /// <summary>The target's state before the attempt (its safety point's fingerprint): still there means nothing was switched.</summary>
    public string FromFingerprint { get; init; } = string.Empty;

    public string? ToVersion { get; init; }

    public string ToFingerprint { get; init; } = string.Empty;

    public string? SafetyPointId { get; init; }

    /// <summary>What the switch moves into place, in order (files, links); all of it, as nothing had moved when this was written.</summary>
    public IReadOnlyList<string> SwitchPaths { get; init; } = Array.Empty<string>();

    /// <summary>The configuration items a Restore-Configuration asked for (empty: all).</summary>
    public IReadOnlyList<string> Items { get; init; } = Array.Empty<string>();

    /// <summary>Restore-Configuration -Previous: the system's own previous version, so there is no point content to finish with.</summary>
    public bool Previous { get; init; }

    public int ProcessId { get; init; }

    public string User { get; init; } = string.Empty;

    public DateTimeOffset StartedAt { get; init; }
}

/// <summary>
/// locks/target-&lt;name&gt;.attempt, a document of the store's backend (a file in the folder store, a row in the shared
/// one, where a command on another machine finds it): at most one unfinished attempt per target, as the target's lock
/// allows one at a time.
/// </summary>
public sealed class AttemptStore
{
    private readonly RollbackStore _store;

    internal AttemptStore(RollbackStore store) => _store = store;

    /// <summary>Where the target's attempt record is, for messages.</summary>
    public string Describe(string target) => _store.Backend.Documents.Describe(NameOf(target));

    public bool Exists(string target) => _store.Backend.Documents.Read(NameOf(target)) is not null;

    /// <summary>The target's unfinished attempt, or null. A record that does not parse was not written by the module (writes are atomic) and is reported by <paramref name="damaged"/>.</summary>
    public AttemptRecord? Find(string target, Action<string> damaged)
    {
        var text = _store.Backend.Documents.Read(NameOf(target));
        if (text is null)
        {
            return null;
        }

        try
        {
            var record = JsonSerializer.Deserialize<AttemptRecord>(text, StoreJson.Compact);
            if (record is not null && record.Id.Length > 0)
            {
                return record;
            }
        }
        catch (JsonException)
        {
            // Reported below, like a record that holds null or no id.
        }

        damaged($"The record of an unfinished attempt on '{target}' ('{Describe(target)}') is not valid and was removed; Get-RollbackHistory -Target {target} shows the attempt's intent.");
        End(target);
        return null;
    }

    /// <summary>Records an attempt before its intent is journaled (atomically).</summary>
    public void Begin(AttemptRecord record) => _store.Backend.Documents.Write(NameOf(record.Target), JsonSerializer.Serialize(record, StoreJson.Compact));

    /// <summary>Forgets the attempt once its outcome is journaled.</summary>
    public void End(string target) => _store.Backend.Documents.Delete(NameOf(target));

    private static string NameOf(string target)
    {
        TargetRegistry.ValidateName(target);
        return "locks/target-" + target.ToLowerInvariant() + ".attempt";
    }
}
