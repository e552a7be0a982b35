using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// Moving to the shared store: a folder store copied into this engine's store (Copy-RollbackStore). Targets with their
/// settings (a secret stays a reference; a value the store keeps is copied as a file, byte for byte), points with their
/// artifacts (each file's SHA-256 proven in the destination before the point is committed), and the journal (its chain
/// verified first; a broken one is refused before anything is written). Running it again copies only what is new: a
/// target, a point or a journal entry already there is counted as present, never written twice.
/// </summary>
public sealed class StoreCopyOperations : EnginePart
{
    /// <summary>The destination's lock a copy holds, so two copies into one store never append the same entries twice.</summary>
    public const string LockName = "store-copy";

    internal StoreCopyOperations(EngineServices engine)
        : base(engine)
    {
    }

    /// <summary>
    /// What copying the folder store at <paramref name="sourceFolder"/> would do, reading both stores and writing nothing.
    /// Refused as the copy itself would be: StoreCopySourceInvalid, JournalChainBroken, StoreCopyConflict.
    /// </summary>
    public StoreCopyResult Preview(string sourceFolder, bool replaceTargets, CancellationToken cancellation = default)
    {
        var plan = Plan(OpenSource(sourceFolder), replaceTargets, cancellation);
        return plan.Result(whatIf: true);
    }

    /// <summary>
    /// Copies the folder store at <paramref name="sourceFolder"/> into this store. Every refusal (source not a folder store,
    /// its journal's chain broken, a conflict without <paramref name="replaceTargets"/>) comes before the first write. A
    /// point whose artifacts do not match its manifest is not copied: it is handed to <paramref name="pointRefused"/> and
    /// the copy goes on. With <paramref name="replaceTargets"/>, a target of the same name with other settings is replaced
    /// by the source's (as Register-RollbackTarget -Force would).
    /// </summary>
    public StoreCopyResult Copy(string sourceFolder, bool replaceTargets, Action<RollbackException>? pointRefused = null, CancellationToken cancellation = default)
    {
        var source = OpenSource(sourceFolder);
        var holder = string.Format(CultureInfo.InvariantCulture, "a copy from '{0}' (user {1}, process {2} on {3}, since {4:u})",
            source.Root, Engine.User, Process.GetCurrentProcess().Id, Environment.MachineName, Engine.Now);
        using var held = Engine.Store.Backend.Locks.TryAcquire(LockName, holder)
            ?? throw Conflict($"Another copy into '{Engine.Store.Location}' is running: {Engine.Store.Backend.Locks.Holder(LockName) ?? "another process"}. Run this one again once it has finished.");
        var plan = Plan(source, replaceTargets, cancellation);
        return Execute(plan, pointRefused, cancellation);
    }

    private RollbackStore OpenSource(string sourceFolder)
    {
        if (StoreLocation.IsConnectionString(sourceFolder))
        {
            throw SourceInvalid(sourceFolder, "it is a connection string; the source is a folder store (its folder path). A shared store is copied from by pointing commands at it, not into another one.");
        }

        var source = RollbackStore.OpenExisting(sourceFolder)
            ?? throw SourceInvalid(sourceFolder, "no folder store is there (a store folder holds targets.json).");
        if (Engine.Store.Description.Kind == "Folder" && PathsEqual(source.Root, Engine.Store.Root))
        {
            throw SourceInvalid(sourceFolder, "it is the destination itself. Choose the shared store to copy into with -StorePath or ROLLBACK_STORE.");
        }

        return source;
    }

    private CopyPlan Plan(RollbackStore source, bool replaceTargets, CancellationToken cancellation)
    {
        var plan = new CopyPlan(source, Engine.Store.Location);

        // The chain first: a journal that does not verify is not carried into a store where it would look sound.
        var verification = source.Journal.Verify();
        if (!verification.IsValid)
        {
            throw new RollbackException(RollbackErrorId.JournalChainBroken, RollbackErrorCategory.InvalidData,
                $"The journal of the folder store '{source.Root}' does not verify, so nothing was copied: {verification.Message} Run Get-RollbackHistory -Verify -StorePath '{source.Root}' to see where the damage starts.",
                source.Root);
        }

        var conflicts = new List<string>();
        PlanTargets(plan, replaceTargets, conflicts);
        PlanJournal(plan, verification.EntryCount, conflicts);
        PlanPoints(plan, conflicts, cancellation);
        if (conflicts.Count > 0)
        {
            throw Conflict($"The store '{Engine.Store.Location}' already holds something else under names the folder store '{source.Root}' uses, so nothing was copied: {FileTree.NameSome(conflicts)}.");
        }

        return plan;
    }

    private void PlanTargets(CopyPlan plan, bool replaceTargets, List<string> conflicts)
    {
        var present = Engine.Store.Targets.GetAll();
        foreach (var target in plan.Source.Targets.GetAll())
        {
            var existing = present.FirstOrDefault(t => string.Equals(t.Name, target.Name, StringComparison.OrdinalIgnoreCase));
            if (existing is null)
            {
                plan.Targets.Add((target, TargetAction.Copy));
            }
            else if (SameDefinition(existing, target))
            {
                plan.Targets.Add((target, TargetAction.Present));
            }
            else if (replaceTargets)
            {
                plan.Targets.Add((target, TargetAction.Replace));
            }
            else
            {
                conflicts.Add($"target '{existing.Name}' is registered there as {existing.Kind} with other settings (use -Force to replace them with the source's)");
            }
        }
    }

    /// <summary>
    /// Which of the source's entries the destination already holds: those carrying an origin in the same source journal
    /// (named by its first entry's hash, whatever its folder is called now). One whose hash there differs from the
    /// source's is a source journal rewritten since it was copied: refused, since neither version can be chosen safely.
    /// </summary>
    private void PlanJournal(CopyPlan plan, long verifiedCount, List<string> conflicts)
    {
        // Only what was verified: an entry appended to the source since then waits for the next copy.
        var entries = plan.Source.Journal.Read().Where(e => e.Sequence <= verifiedCount).ToList();
        if (entries.Count == 0)
        {
            return;
        }

        plan.SourceJournal = entries[0].Hash;
        var copied = new Dictionary<long, HistoryEntry>();
        foreach (var entry in Engine.Store.Journal.Read())
        {
            if (entry.Origin is { } origin && origin.Journal == plan.SourceJournal)
            {
                copied[origin.Sequence] = entry;
            }
        }

        foreach (var entry in entries)
        {
            if (!copied.TryGetValue(entry.Sequence, out var there))
            {
                plan.Entries.Add(entry);
                continue;
            }

            if (there.Origin!.Hash != entry.Hash)
            {
                conflicts.Add($"journal entry {entry.Sequence} of the source was copied before as entry {there.Sequence}, but its hash has changed since (the source journal was rewritten)");
                continue;
            }

            plan.EntriesPresent++;
            plan.Sequences[entry.Sequence] = there.Sequence;
        }
    }

    private void PlanPoints(CopyPlan plan, List<string> conflicts, CancellationToken cancellation)
    {
        foreach (var target in plan.Source.Backend.Manifests.TargetNames())
        {
            cancellation.ThrowIfCancellationRequested();
            var there = new HashSet<string>(Engine.Store.Points.ListIds(target), StringComparer.Ordinal);
            foreach (var point in plan.Source.Points.List(target, skipped: plan.Damaged.Add))
            {
                if (!there.Contains(point.Id))
                {
                    plan.Points.Add(point);
                    continue;
                }

                var existing = Engine.Store.Points.Get(target, point.Id);
                if (existing.Fingerprint != point.Fingerprint || existing.Version != point.Version || !string.Equals(existing.Kind, point.Kind, StringComparison.OrdinalIgnoreCase))
                {
                    conflicts.Add($"point '{point.Id}' of '{target}' is there with other content");
                    continue;
                }

                plan.PointsPresent++;
            }
        }
    }

    private StoreCopyResult Execute(CopyPlan plan, Action<RollbackException>? pointRefused, CancellationToken cancellation)
    {
        // Targets first (each with the files of the secret values the store keeps), then the journal, then the points:
        // a copy cut short is finished by running it again, which finds what is there and copies the rest.
        foreach (var (target, action) in plan.Targets.Where(t => t.Action != TargetAction.Present))
        {
            cancellation.ThrowIfCancellationRequested();
            if (action == TargetAction.Replace)
            {
                Engine.Store.Secrets.RemoveAll(target.Name);
            }

            plan.SecretsCopied += CopySecretFiles(plan.Source, target);
            Engine.Store.Targets.Save(target, replace: action == TargetAction.Replace);
        }

        try
        {
            CopyJournal(plan, cancellation);
            CopyPoints(plan, pointRefused, cancellation);
        }
        finally
        {
            Engine.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.StoreCopy, Activity = plan.Activity, Completed = true });
        }

        var result = plan.Result(whatIf: false);
        if (result.TargetsCopied + result.TargetsReplaced + result.PointsCopied == 0 && result.JournalEntriesCopied == 0)
        {
            return result;
        }

        var summary = Engine.Attempt(HistoryAction.CopyStore, CopyStoreTarget).Note(e => e with
        {
            From = plan.Source.Root,
            To = Engine.Store.Location,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Source"] = plan.Source.Root,
                ["SourceHost"] = plan.Host,
                ["SourceJournal"] = plan.SourceJournal ?? string.Empty,
                ["JournalEntriesCopied"] = result.JournalEntriesCopied.ToString(CultureInfo.InvariantCulture),
                ["JournalEntriesPresent"] = result.JournalEntriesPresent.ToString(CultureInfo.InvariantCulture),
                ["TargetsCopied"] = (result.TargetsCopied + result.TargetsReplaced).ToString(CultureInfo.InvariantCulture),
                ["PointsCopied"] = result.PointsCopied.ToString(CultureInfo.InvariantCulture),
                ["PointsRefused"] = result.PointsRefused.ToString(CultureInfo.InvariantCulture),
            },
        }).Succeeded($"Copied from the folder store '{plan.Source.Root}' on {plan.Host}: {result.TargetsCopied + result.TargetsReplaced} target(s) ({result.TargetsReplaced} replaced), {result.PointsCopied} point(s), {result.JournalEntriesCopied} journal entries; {result.TargetsPresent} target(s), {result.PointsPresent} point(s) and {result.JournalEntriesPresent} entries were already here.");
        return plan.Result(whatIf: false, summary.Sequence);
    }

    /// <summary>The points not yet here, each copied, proven and committed, or refused (handed to <paramref name="pointRefused"/>) while the rest go on.</summary>
    private void CopyPoints(CopyPlan plan, Action<RollbackException>? pointRefused, CancellationToken cancellation)
    {
        foreach (var damaged in plan.Damaged)
        {
            plan.PointsRefused++;
            pointRefused?.Invoke(damaged);
        }

        foreach (var point in plan.Points)
        {
            cancellation.ThrowIfCancellationRequested();
            plan.Report(Engine.Reporter, $"Point {point.Id} of {point.Target}");
            try
            {
                plan.ArtifactsVerified += CopyPoint(point, cancellation);
                plan.PointsCopied++;
            }
            catch (RollbackException ex) when (ex.ErrorId is RollbackErrorId.ArtifactMissing or RollbackErrorId.ArtifactChecksumMismatch or RollbackErrorId.ArtifactUnexpected
                or RollbackErrorId.ArtifactPathEscapes or RollbackErrorId.SpecialFileRefused or RollbackErrorId.StoreLayoutInvalid)
            {
                plan.PointsRefused++;
                pointRefused?.Invoke(new RollbackException(ex.ErrorId, ex.Category,
                    $"Point '{point.Id}' of '{point.Target}' was not copied: {ex.Message} The rest of the copy went on; the point stays in '{plan.Source.Root}'.", point.Id, ex));
            }
            finally
            {
                plan.Done++;
            }
        }
    }

    /// <summary>What a CopyStore entry names as its target: the store itself, not one of its targets.</summary>
    public const string CopyStoreTarget = "(store)";

    /// <summary>
    /// Appends the source's entries not yet here, in their order, each sealed again into this store's chain and carrying
    /// its origin. Why sealed again rather than copied line for line: this store's journal is one chain (sequence 1..n,
    /// each entry hashing the one before), which may already hold its own entries; the source's lines chain to the
    /// source's own entries, and put here as they are they would break that chain at the first of them, so
    /// Get-RollbackHistory -Verify would fail on the shared store. Sealed again, every entry is checked by -Verify like
    /// any other, and its origin (source folder, host, sequence and hash there) still ties it to the original, which the
    /// source's own journal proves. The CopyStore entry after them records the copy itself.
    /// </summary>
    private void CopyJournal(CopyPlan plan, CancellationToken cancellation)
    {
        foreach (var entry in plan.Entries)
        {
            cancellation.ThrowIfCancellationRequested();
            var appended = Engine.Store.Journal.Append(entry with
            {
                // A MAC belongs to the source's key and chain; this store's key, if any, MACs the new hash.
                Mac = null,
                Origin = new HistoryOrigin { Store = plan.Source.Root, Host = plan.Host, Journal = plan.SourceJournal!, Sequence = entry.Sequence, Hash = entry.Hash },
                Members = entry.Members?.Select(m => m with { Sequence = m.Sequence is long s && plan.Sequences.TryGetValue(s, out var here) ? here : null }).ToList(),
            });
            plan.Sequences[entry.Sequence] = appended.Sequence;
            plan.EntriesCopied++;
            if (++plan.Done % 50 == 0)
            {
                plan.Report(Engine.Reporter, $"Journal entry {entry.Sequence} of {plan.Entries[plan.Entries.Count - 1].Sequence}");
            }
        }
    }

    /// <summary>
    /// Copies a point's artifacts folder into a staging folder here (files, folders and links, with their modes), proves
    /// the copy against the manifest (every file's size and SHA-256, nothing missing or added), then commits it; returns
    /// how many files were proven. A kind whose artifacts stay on the target's host (FileSystemRelease: its release
    /// folders) leaves the point's artifacts folder empty: there is nothing of the store's to copy or prove, and its
    /// readiness checks proves them where they are, as in the source.
    /// </summary>
    private int CopyPoint(RollbackPoint point, CancellationToken cancellation)
    {
        var final = Engine.Store.Points.PointDirectory(point.Target, point.Id);
        if (Directory.Exists(final))
        {
            // A folder without a manifest: left by a copy that stopped between moving it into place and keeping its manifest.
            StoreFiles.DeleteWithoutFollowingLinks(final);
        }

        var staging = Engine.Store.Points.CreateStaging(point.Target, point.Id);
        try
        {
            var from = Path.Combine(point.Path, PointStore.ArtifactsFolderName);
            var to = Path.Combine(staging, PointStore.ArtifactsFolderName);
            StoreFiles.EnsureNotLink(from, $"The artifacts folder of point '{point.Id}'");
            var items = Directory.Exists(from) ? FileTree.Scan(from, skipSpecialFiles: false, cancellation) : Array.Empty<FileTree.Item>();
            var verified = 0;
            if (items.Count > 0)
            {
                var copied = FileTree.CopyItems(items, to, $"Copying point {point.Id} of {point.Target}", Engine.Reporter, cancellation);
                FileTree.ApplyMetadata(to, copied, Engine.Reporter, cancellation);

                // The artifacts folder's own mode and owner too: a Directory point records its root's as '.'.
                if (Platform.NativeFileSystem.Stat(from) is { } root)
                {
                    FileTree.ApplyOne(to, Platform.NativeFileSystem.FormatMode(root.Mode), root.Owner, root.Group, isLink: false);
                }

                FileTree.Verify(to, point.Artifacts, Engine.Reporter, cancellation, contents: true);
                verified = point.Artifacts.Count(a => a.Type is null && a.LinkTarget is null);
            }

            // Committed as a capture is: its journal anchor is this store's journal as it stands now (after the copied
            // entries), since the source's anchor names a position in the source's chain.
            Engine.Store.Points.Commit(staging, point with { JournalSequence = null, JournalHash = null }, cancellation);
            return verified;
        }
        catch
        {
            PointStore.DiscardStaging(staging);
            throw;
        }
    }

    /// <summary>
    /// Copies the files of the secret values the source keeps for <paramref name="target"/> (store: references) to the
    /// same place here, as bytes (a file copy): never read as text, never in this process's strings. References to an
    /// environment variable or a file stay references and are copied with the settings. Returns how many were copied.
    /// </summary>
    private int CopySecretFiles(RollbackStore source, RollbackTarget target)
    {
        var copied = 0;
        foreach (var reference in target.Settings.Values.OfType<SecretReference>().Where(r => r.Locator.StartsWith(SecretReference.StorePrefix, StringComparison.Ordinal)))
        {
            var relative = reference.Locator.Substring(SecretReference.StorePrefix.Length);
            if (SafePath.RelativePathProblem(relative) is { } problem)
            {
                throw new RollbackException(RollbackErrorId.TargetRegistryCorrupt, RollbackErrorCategory.InvalidData,
                    $"Target '{target.Name}' of '{source.Root}' names a secret kept at '{relative}', outside the store's secrets: {problem}.", target.Name);
            }

            var from = Path.Combine(source.Secrets.Directory, relative);
            if (!File.Exists(from))
            {
                Engine.Reporter.Warning($"Target '{target.Name}' refers to a secret the folder store '{source.Root}' does not hold ({SecretReference.Mask}); it is copied as a reference, and needs its value registered again (Register-RollbackTarget -Force).");
                continue;
            }

            var to = Path.Combine(Engine.Store.Secrets.Directory, relative);
            StoreFiles.CreateOwnerOnlyDirectory(Engine.Store.Secrets.Directory);
            StoreFiles.CreateOwnerOnlyDirectory(Path.GetDirectoryName(to)!);
            AtomicFile.ReplaceWithCopyOf(from, to);
            StoreFiles.RestrictToOwner(to);
            copied++;
        }

        return copied;
    }

    /// <summary>The same kind and the same settings, as the store keeps them (secrets as their references).</summary>
    private static bool SameDefinition(RollbackTarget a, RollbackTarget b) =>
        string.Equals(a.Kind, b.Kind, StringComparison.OrdinalIgnoreCase)
        && JsonSerializer.Serialize(a.Settings, StoreJson.Compact) == JsonSerializer.Serialize(b.Settings, StoreJson.Compact);

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar),
            Platform.NativeFileSystem.IsWindows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static RollbackException SourceInvalid(string source, string problem) =>
        new(RollbackErrorId.StoreCopySourceInvalid, RollbackErrorCategory.InvalidArgument, $"'{source}' cannot be copied from: {problem}", source);

    private static RollbackException Conflict(string message) =>
        new(RollbackErrorId.StoreCopyConflict, RollbackErrorCategory.ResourceExists, message);

    private enum TargetAction
    {
        Copy,
        Present,
        Replace,
    }

    /// <summary>What one copy found and does: read from both stores before anything is written, counted as it is done.</summary>
    private sealed class CopyPlan
    {
        public CopyPlan(RollbackStore source, string destination)
        {
            Source = source;
            Destination = destination;
        }

        public RollbackStore Source { get; }

        public string Destination { get; }

        public string Host { get; } = Environment.MachineName;

        /// <summary>The hash of the source journal's first entry (null for an empty journal).</summary>
        public string? SourceJournal { get; set; }

        public List<(RollbackTarget Target, TargetAction Action)> Targets { get; } = new();

        public List<HistoryEntry> Entries { get; } = new();

        /// <summary>Source sequence to this store's sequence, for the entries copied now or before.</summary>
        public Dictionary<long, long> Sequences { get; } = new();

        public List<RollbackPoint> Points { get; } = new();

        /// <summary>Source points whose manifest cannot be read: refused, as a damaged artifact is.</summary>
        public List<RollbackException> Damaged { get; } = new();

        public long EntriesPresent { get; set; }

        public long EntriesCopied { get; set; }

        public int PointsPresent { get; set; }

        public int PointsCopied { get; set; }

        public int PointsRefused { get; set; }

        public int ArtifactsVerified { get; set; }

        public int SecretsCopied { get; set; }

        /// <summary>Entries and points done so far, for the progress bar.</summary>
        public int Done { get; set; }

        public string Activity => $"Copying the folder store '{Source.Root}' into '{Destination}'";

        public void Report(IRollbackReporter reporter, string status)
        {
            var total = Entries.Count + Points.Count;
            reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.StoreCopy, Activity = Activity, Status = status, PercentComplete = total == 0 ? 100 : Done * 100 / total });
        }

        public StoreCopyResult Result(bool whatIf, long? sequence = null) => new()
        {
            Source = Source.Root,
            SourceHost = Host,
            Destination = Destination,
            WhatIf = whatIf,
            TargetsCopied = Targets.Count(t => t.Action == TargetAction.Copy),
            TargetsPresent = Targets.Count(t => t.Action == TargetAction.Present),
            TargetsReplaced = Targets.Count(t => t.Action == TargetAction.Replace),
            SecretsCopied = SecretsCopied,
            PointsCopied = whatIf ? Points.Count : PointsCopied,
            PointsPresent = PointsPresent,
            PointsRefused = whatIf ? Damaged.Count : PointsRefused,
            ArtifactsVerified = ArtifactsVerified,
            JournalEntriesCopied = whatIf ? Entries.Count : EntriesCopied,
            JournalEntriesPresent = EntriesPresent,
            JournalSequence = sequence,
        };
    }
}
