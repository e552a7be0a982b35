using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Platform;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// A plain application folder (an IIS site folder, a service's install folder). A point is a full copy with checksums,
/// modes and owners. Restore stages the copy beside the live folder (cloned where the file system can, hashed as it is
/// written, flushed once), verifies it, and only then swaps the two by rename, with the optional BeforeSwitch/AfterSwitch
/// scripts (stop and start what serves the folder) around the swap: the downtime is the swap, not the copy. The swap
/// sets the replaced folder aside whole, so that folder, hashed after the switch, becomes the safety point: one copy
/// per rollback, not three. What an attempt that died left beside the folder (<see cref="AttemptFolders"/>) is finished by the
/// next command on the target through the engine's recovery of every switch (<see cref="ISwitchRecovery"/>).
/// </summary>
public sealed class DirectoryProvider : IRollbackProvider, ISwitchSafetyPointProvider, ISwitchRecovery
{
    public const string KindName = "Directory";
    public const string PathSetting = "Path";
    public const string VersionFileSetting = "VersionFile";

    // Point metadata: whether the point's own copy carries the recorded modes (and owners, when captured as root).
    private const string CopyKeepsMetadataKey = "CopyKeeps";
    private const string CopyKeepsModesAndOwners = "ModesAndOwners";
    private const string CopyKeepsModesOnly = "Modes";

    // How often the file system is asked to write what staging has written so far (see FileSystemFlush.Writeback).
    private static readonly TimeSpan WritebackInterval = TimeSpan.FromMilliseconds(100);

    public string Kind => KindName;

    public string Description => "A plain application folder, restored by staging a copy beside it and swapping by rename.";

    public KindSchema Schema { get; } = new(new[]
    {
        new SettingDefinition { Name = PathSetting, Type = SettingType.Text, IsPath = true, Required = true, Description = "The application folder." },
        new SettingDefinition { Name = VersionFileSetting, Type = SettingType.Text, Description = "A file under Path whose first line is the version; the folder's content hash when absent." },
        FileSystemChecks.SpecialFilesDefinition,
    });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var folder = ProviderSettings.RequiredDirectory(settings, PathSetting, Kind);
        if (Path.GetDirectoryName(folder) is null)
        {
            throw ProviderSettings.Invalid(Kind, "a file-system root cannot be swapped; give the application folder itself");
        }

        var versionFile = settings.GetString(VersionFileSetting);
        if (versionFile is not null)
        {
            Store.SafePath.Resolve(folder, versionFile);
        }

        return settings.With(PathSetting, folder);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        var folder = LiveFolder(target);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        }

        // A fingerprint of every file, folder, mode and owner is what makes "already current" exact for a folder without
        // releases. Skipped special files were reported when the point was captured, not again on every read.
        var items = FileSystemChecks.Scan(target, folder, NullReporter.Instance, context.Cancellation);

        // Files unchanged since a command hashed them (the copy the last rollback staged, most often) are not read again:
        // only a file whose path and whole change key are the ones kept is taken from the cache, so a written file is read.
        var cache = HashCache.Open(context.Hashes, target.Name, folder);
        if (cache?.Ignored is { } ignored)
        {
            context.Reporter.Verbose($"The hashes kept of '{folder}' were not used ({ignored}): its files are read, and the hashes kept again.");
        }

        cache?.Preload(items, context.Hashes);
        var artifacts = FileTree.HashItems(items, $"Hashing {folder}", context.Reporter, context.Hashes, out var reused, context.Cancellation);
        if (cache is not null)
        {
            context.Reporter.Verbose($"Hashed '{folder}': {reused:N0} of {items.Count(i => i.IsRegularFile):N0} files unchanged since this or an earlier command hashed them, not read again.");
            cache.Save(items, context.Hashes);
        }

        return State(target, folder, artifacts, FileSystemChecks.FolderMetadata(folder).ToList());
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var folder = LiveFolder(target);
        var items = FileSystemChecks.Scan(target, folder, context.Reporter, context.Cancellation);

        // Each file is hashed as it is copied, from what was read: that hash is kept for the live folder too (see Describe),
        // for every file nothing touched between the listing and the end of its read, so the next command does not read it.
        // The copy is made as staging makes one: cloned where the file system can, given its mode and owner through its
        // descriptor, written to disk behind the copy and flushed once, not file by file.
        var cache = HashCache.Open(context.Hashes, target.Name, folder);
        using var files = new FileClone();
        var (artifacts, flushes) = CopyWritingBehind(items, context.ArtifactsDirectory, $"Copying {folder}", context.Reporter,
            (FileTree.Item item, string copy, out long size) =>
            {
                long copied = 0;
                var hash = context.Hashes.Read(item.Status?.ChangeKey, () => (files.CopyAndHash(item, copy, out copied, out var read), read));
                size = copied;
                return hash;
            },
            hashes: null,
            context.Cancellation);
        cache?.Save(items, context.Hashes);
        context.Reporter.Verbose($"Copied '{folder}' into the point: {files.Describe()}{WrittenBehind(flushes)}");

        // The point's own copy carries the modes and owners it records, as a folder set aside by a swap does: readiness checks both.
        FileTree.ApplyMetadata(context.ArtifactsDirectory, NotGivenByTheCopy(artifacts), NullReporter.Instance, context.Cancellation, ownersRefusedBefore: files.OwnersRefused);
        var metadata = FileSystemChecks.FolderMetadata(folder).ToList();
        FileSystemChecks.ApplyFolderMetadata(context.ArtifactsDirectory, metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal));

        // One flush of the store's file system for the whole copy: the point is committed only once all of it is on disk.
        FileClone.SyncFileSystem(context.ArtifactsDirectory);
        return Captured(target, folder, folder, artifacts, metadata);
    }

    /// <summary>The switch exchanges the live folder (or, where Path is a link, the folder it names) with the staged copy.</summary>
    public IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point) => new[] { LiveFolder(target) };

    /// <summary>
    /// Finishes what attempts that died left beside the live folder: partial or unswapped copies of a point are removed, and
    /// a state a swap set aside (the only copy of what was live before that attempt) is adopted as a safety point. A leftover
    /// that cannot be removed or adopted is kept and named in a warning; it never fails the command.
    /// </summary>
    public IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context)
    {
        var folder = LiveFolder(target);
        var removed = new List<string>();
        foreach (var leftover in AttemptFolders.FindAbandoned(folder))
        {
            context.Cancellation.ThrowIfCancellationRequested();
            if (!leftover.HoldsSetAsideState)
            {
                FileSystemChecks.TryDelete(leftover.Path);
                if (!Directory.Exists(leftover.Path))
                {
                    removed.Add(leftover.Path);
                }

                continue;
            }

            try
            {
                var point = context.AdoptSetAside($"State set aside by an interrupted rollback (process {leftover.ProcessId}), adopted by the next command",
                    capture => CaptureSetAside(target, folder, leftover.Path, capture));
                context.Reporter.Warning($"An interrupted rollback (process {leftover.ProcessId}) had swapped '{folder}' and left the state it replaced in '{leftover.Path}': that state is now safety point {point.Id} ({point.Version}).");
            }
            catch (Exception ex) when (ex is RollbackException or IOException or UnauthorizedAccessException)
            {
                context.Reporter.Warning($"An interrupted rollback (process {leftover.ProcessId}) left the state it replaced in '{leftover.Path}', and it could not be made a safety point: {ex.Message} It is kept; move it away or delete it once it is not needed.");
            }
        }

        return removed;
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => GetArtifactBaseOf(point);

    /// <summary>Staging reads every file of the point and proves it against the manifest before the swap (see <see cref="Stage"/>).</summary>
    public bool VerifiesWhileStaging(RollbackPoint point) => true;

    private static string GetArtifactBaseOf(RollbackPoint point) => Path.Combine(point.Path, Store.PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var parent = Path.GetDirectoryName(LiveFolder(target))!;
        yield return FileSystemChecks.Writable(parent, "The folder holding the application folder");
        yield return FileSystemChecks.SpaceFor(parent, point.TotalSize);
        yield return FileSystemChecks.ManifestMatchesFingerprint(point, Fingerprint(point.Artifacts, point.Metadata), () => FileTree.ContentFingerprint(point.Artifacts));
        yield return FileSystemChecks.OwnersSettable(point);
        yield return CopyKeepsMetadata(point, context);
    }

    /// <summary>
    /// The point's own copy has the modes and owners its manifest records (points made since copies carry them; older
    /// copies were written with default modes and are not compared), so a copy whose modes were changed is not rolled onto.
    /// </summary>
    private static CheckResult CopyKeepsMetadata(RollbackPoint point, OperationContext context)
    {
        const string name = "ArtifactsMetadata";
        if (!point.Metadata.TryGetValue(CopyKeepsMetadataKey, out var kept))
        {
            return CheckResult.Pass(name, $"Point {point.Id}'s copy was made before copies kept modes and owners; the manifest's are applied when it is restored.");
        }

        var artifactBase = Path.Combine(point.Path, Store.PointStore.ArtifactsFolderName);
        // An entry replaced by a link or missing is a content difference, which ArtifactsIntact reports; this check is about modes.
        var links = new HashSet<string>(point.Artifacts.Where(a => a.LinkTarget is not null).Select(a => a.RelativePath), StringComparer.Ordinal);
        var differences = FileTree.MetadataDifferences(artifactBase, point.Artifacts, context.Cancellation, context.Listings, compareOwners: kept != CopyKeepsModesOnly)
            .Where(d => links.Contains(d.RelativePath) || !NativeFileSystem.IsLink(Path.Combine(artifactBase, d.RelativePath)))
            .ToList();
        var folder = FileSystemChecks.FolderMetadataDifference(artifactBase, point.Metadata, compareOwner: kept != CopyKeepsModesOnly);
        if (folder is not null)
        {
            differences.Insert(0, new FileTree.Difference(FileTree.DifferenceKind.Metadata, ".", folder));
        }

        var error = FileTree.DifferencesError(artifactBase, differences);
        return error is null
            ? CheckResult.Pass(name, $"Point {point.Id}'s copy has the modes{(kept == CopyKeepsModesOnly ? string.Empty : " and owners")} its manifest records.")
            : CheckResult.Fail(name, error.ErrorId, error.Message);
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var folder = LiveFolder(target);
        return new[]
        {
            new PlannedStep("StageCopy", $"Clone or copy the point's {point.Artifacts.Count:N0} entries beside '{folder}' with their modes and owners, verify their SHA-256 as they are written, and flush them to disk."),
            new PlannedStep("SwapFolders", $"Swap the staged copy with '{folder}' by rename (BeforeSwitch and AfterSwitch run around it)."),
            new PlannedStep("CaptureSafetyPoint", $"Hash the folder the swap set aside (the current state) and keep it as the safety point."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        // Where Path is a link (app -> app-2.3), the folder it names is exchanged, so Path stays the same link.
        var folder = LiveFolder(target);
        var attempt = AttemptFolders.For(folder, context.AttemptId);
        var staged = attempt.Staging;
        var switched = false;
        try
        {
            staged = context.Step("StageCopy", () => Stage(point, attempt, context));
            context.Switch("SwapFolders", () => FolderSwap.Swap(staged, folder));
            switched = true;
            TestPause.At(TestPause.Swapped);

            // The old live folder now lies under the staged name: give it the name that says so before anything else.
            Directory.Move(staged, attempt.Previous);
            TestPause.At(TestPause.SetAside);
            KeepAsSafetyPoint(target, folder, attempt.Previous, context);
        }
        finally
        {
            if (!switched)
            {
                FileSystemChecks.TryDelete(staged);
            }
        }
    }

    /// <summary>
    /// Copies (or clones) the point's entries into the attempt's staging folder, hashing as it writes (and with the disk
    /// writing behind it), gives them their modes and owners, flushes the file system once, and names the folder by its
    /// identity. Returns that name.
    /// </summary>
    private static string Stage(RollbackPoint point, AttemptFolders attempt, RestoreContext context)
    {
        // The manifest says what to stage (readiness has just proved the copy is exactly it): skipped special files are left out.
        var artifactBase = GetArtifactBaseOf(point);
        // Each item carries its recorded mode and owner, which the copy gets through its descriptor where it can (Linux).
        var items = point.Artifacts.Where(a => a.Type is null or FileTree.DirectoryType).Select(a => new FileTree.Item
        {
            RelativePath = a.RelativePath,
            FullPath = Path.Combine(artifactBase, a.RelativePath.Replace('/', Path.DirectorySeparatorChar)),
            Size = a.Size,
            LinkTarget = a.LinkTarget,
            Type = a.Type,
            Status = Recorded(a),
        }).ToList();
        // The staging folder is this account's alone (0700) until it is complete, and gets its recorded mode just before the
        // flush: nobody else can reach a copy half made, so each file is created with its recorded permission bits rather than
        // user-only and changed afterwards. Only where the point records the folder's own mode, which then replaces the 0700.
        var privateStaging = FileSystemChecks.RecordsFolderMode(point.Metadata) && FileTree.HasMetadata(point.Artifacts) && NativeFileSystem.CanStat;
        if (privateStaging)
        {
            NativeFileSystem.CreatePrivateDirectory(attempt.Staging);
        }

        using var files = new FileClone(context.Hashes, privateStaging);
        var (copied, flushes) = CopyWritingBehind(items, attempt.Staging, $"Staging {point.Id}", context.Reporter, files.CopyAndHash,
            FileClone.AppliesMetadata ? null : context.Hashes, context.Cancellation);
        context.Reporter.Verbose($"Staged point {point.Id} in '{attempt.Staging}': {files.Describe()}{WrittenBehind(flushes)}");
        TestPause.At(TestPause.Staging);

        // Each file as read while staging is proven against its manifest entry here (readiness proved the rest of the tree
        // without reading it): a point changed after capture is refused before the switch, as readiness would refuse it.
        var recorded = point.Artifacts.Where(a => a.Type is null && a.LinkTarget is null).ToDictionary(a => a.RelativePath, StringComparer.Ordinal);
        FileTree.ThrowIfAny(artifactBase, copied
            .Where(c => c.Type is null && c.LinkTarget is null && (c.Size != recorded[c.RelativePath].Size || c.Sha256 != recorded[c.RelativePath].Sha256))
            .Select(c => new FileTree.Difference(FileTree.DifferenceKind.Changed, c.RelativePath, c.Size != recorded[c.RelativePath].Size ? "its size differs from the manifest" : FileTree.ShaDiffers))
            .ToList());

        if (FileTree.HasMetadata(point.Artifacts))
        {
            // Files the copy already gave their mode and owner are left; folders (and links' owners) are given theirs here.
            FileTree.ApplyMetadata(attempt.Staging, NotGivenByTheCopy(point.Artifacts), context.Reporter, context.Cancellation, context.Hashes, files.OwnersRefused);
            FileSystemChecks.ApplyFolderMetadata(attempt.Staging, point.Metadata);
        }
        else
        {
            context.Reporter.Verbose($"Point {point.Id} was captured before modes, owners and folders were recorded: its files are restored with the modes the copy gives them, as then.");
        }

        // One flush of the file system for every staged file: the swap must never put a tree in place that a power cut could empty.
        FileClone.SyncFileSystem(attempt.Staging);
        var staged = attempt.Staged(FileIdentity.Of(attempt.Staging));
        Directory.Move(attempt.Staging, staged);
        return staged;
    }

    /// <summary>
    /// Copies <paramref name="items"/> into <paramref name="destination"/> through <paramref name="copy"/> while the file system
    /// writes what is copied so far: the one flush that makes the copy durable (the caller's) then waits for the last pages
    /// alone. Returns the entries copied, and how often the file system was asked to write.
    /// </summary>
    private static (IReadOnlyList<ArtifactEntry> Copied, int Flushes) CopyWritingBehind(IReadOnlyList<FileTree.Item> items, string destination,
        string activity, IRollbackReporter reporter, FileCopier copy, HashReuse? hashes, CancellationToken cancellation)
    {
        using var writeback = FileSystemFlush.StartWriteback(Path.GetDirectoryName(destination)!, WritebackInterval);
        var copied = FileTree.CopyItems(items, destination, activity, reporter, cancellation, copy, hashes);
        return (copied, writeback.Flushes);
    }

    private static string WrittenBehind(int flushes) =>
        flushes > 0 ? $", written to disk while copying ({flushes:N0} flushes of the file system)." : ".";

    /// <summary>
    /// The entries whose mode and owner the copy did not give through its descriptor (<see cref="FileClone.AppliesMetadata"/>):
    /// folders, links, and files that record not all three; every entry where the copy gives none.
    /// </summary>
    private static IReadOnlyList<ArtifactEntry> NotGivenByTheCopy(IReadOnlyList<ArtifactEntry> entries) =>
        FileClone.AppliesMetadata ? entries.Where(a => a.Type is not null || a.LinkTarget is not null || Recorded(a) is null).ToList() : entries;

    /// <summary>The mode, owner and group an entry records, or null when it records not all three (points captured without them).</summary>
    private static UnixFileStatus? Recorded(ArtifactEntry entry) =>
        NativeFileSystem.ParseMode(entry.Mode) is { } mode && entry.Owner is { } owner && entry.Group is { } group
            ? new UnixFileStatus(entry.Type == FileTree.DirectoryType ? UnixFileKind.Directory : UnixFileKind.RegularFile, mode, owner, group)
            : null;

    /// <summary>
    /// Makes the folder the swap set aside this rollback's safety point. When that fails (a file that cannot be read, a full
    /// store, Ctrl+C), the folder is kept where it is, named in a warning and in the error, and the next rollback adopts it.
    /// </summary>
    private static void KeepAsSafetyPoint(RollbackTarget target, string folder, string previous, RestoreContext context)
    {
        try
        {
            context.CommitSafetyPoint(capture => CaptureSetAside(target, folder, previous, capture));
        }
        catch (Exception ex) when (ex is RollbackException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            var kept = Directory.Exists(previous) ? previous : "the store (see the error)";
            context.Reporter.Warning($"'{folder}' was switched to the point, but the state it replaced could not be made a safety point: {ex.Message} That state is kept in '{kept}'.");
            throw new RollbackException(RollbackErrorId.CaptureFailed, RollbackErrorCategory.WriteError,
                $"The switch is done, but the state it replaced could not be made a safety point ({ex.Message}); it is kept in '{kept}'" +
                (Directory.Exists(previous) ? ", and the next rollback of this target adopts it." : "; move it away or delete it once it is not needed."), target.Name, ex);
        }
    }

    /// <summary>
    /// A point of a folder a swap set aside: hashed where it lies (so a failure leaves it there), then moved into the point's
    /// artifacts folder by rename, or copied there when the store is on another file system.
    /// </summary>
    private static CapturedState CaptureSetAside(RollbackTarget target, string folder, string setAside, CaptureContext context)
    {
        var items = FileSystemChecks.Scan(target, setAside, context.Reporter, context.Cancellation);
        var artifacts = FileTree.HashItems(items, $"Hashing the state set aside in {setAside}", context.Reporter, context.Cancellation, context.Hashes);
        var metadata = FileSystemChecks.FolderMetadata(setAside).ToList();
        var captured = Captured(target, folder, setAside, artifacts, metadata);

        // Skipped special files are recorded, never kept, as a capture does; nothing opens them.
        foreach (var special in items.Where(i => i.IsSpecial))
        {
            File.Delete(special.FullPath);
        }

        Directory.Delete(context.ArtifactsDirectory);
        try
        {
            Directory.Move(setAside, context.ArtifactsDirectory);
        }
        catch (IOException) when (Directory.Exists(setAside) && !Directory.Exists(context.ArtifactsDirectory))
        {
            // The store is on another file system: copy it there (verified against the hashes just taken), then let it go.
            var copied = FileTree.CopyItems(items, context.ArtifactsDirectory, $"Copying {setAside} into the store", context.Reporter, context.Cancellation);
            if (FileTree.TreeFingerprint(copied) != FileTree.TreeFingerprint(artifacts))
            {
                throw new IOException($"The copy of '{setAside}' in the store does not match it.");
            }

            FileTree.ApplyMetadata(context.ArtifactsDirectory, artifacts, NullReporter.Instance, context.Cancellation);
            FileSystemChecks.ApplyFolderMetadata(context.ArtifactsDirectory, metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal));
            FileSystemChecks.TryDelete(setAside);
        }

        return captured;
    }

    /// <summary>What a capture of <paramref name="folder"/> produced, read from <paramref name="content"/> (the folder itself, or the state a swap set aside).</summary>
    private static CapturedState Captured(RollbackTarget target, string folder, string content, IReadOnlyList<ArtifactEntry> artifacts, List<KeyValuePair<string, string>> metadata)
    {
        var state = State(target, content, artifacts, metadata);
        metadata.Add(new KeyValuePair<string, string>("Path", folder));
        metadata.Add(new KeyValuePair<string, string>(CopyKeepsMetadataKey, NativeFileSystem.EffectiveUserId() is 0 or null ? CopyKeepsModesAndOwners : CopyKeepsModesOnly));
        return new CapturedState
        {
            Version = state.Version,
            Fingerprint = state.Fingerprint,
            Artifacts = artifacts,
            Metadata = metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>The folder to read and swap: Path itself, or the folder it links to when Path is a symbolic link.</summary>
    private static string LiveFolder(RollbackTarget target)
    {
        var path = target.Settings.GetString(PathSetting)!;
        return NativeFileSystem.IsLink(path) ? NativeFileSystem.RealPath(path) ?? path : path;
    }

    /// <summary>The fingerprint of a tree with the folder's own mode and owner; for entries without metadata, the content fingerprint older points carry.</summary>
    private static string Fingerprint(IReadOnlyList<ArtifactEntry> artifacts, IEnumerable<KeyValuePair<string, string>> folderMetadata)
    {
        var folder = FileSystemChecks.FolderFingerprint(folderMetadata);
        var tree = FileTree.TreeFingerprint(artifacts);
        return folder.Length == 0 ? tree : Store.Checksums.HashText(tree + folder);
    }

    private static TargetState State(RollbackTarget target, string folder, IReadOnlyList<ArtifactEntry> artifacts, IEnumerable<KeyValuePair<string, string>> folderMetadata)
    {
        var fingerprint = Fingerprint(artifacts, folderMetadata);
        var versionFile = target.Settings.GetString(VersionFileSetting);
        var versionPath = versionFile is null ? null : Store.SafePath.Resolve(folder, versionFile);
        var version = versionPath is not null && File.Exists(versionPath)
            ? File.ReadAllLines(versionPath).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? string.Empty
            : string.Empty;
        return new TargetState
        {
            Version = version.Length > 0 ? version : "sha256:" + fingerprint.Substring(0, 12),
            Fingerprint = fingerprint,
            LegacyFingerprint = FileTree.ContentFingerprint(artifacts),
            Detail = $"{artifacts.Count(a => a.Type is null):N0} files in '{folder}'",
        };
    }
}
