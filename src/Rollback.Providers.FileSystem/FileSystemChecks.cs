using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// What every file-system kind shares: readiness checks (can we write where the switch happens, is there room to stage,
/// can the recorded owners be set), the SpecialFiles setting, and the mode and owner of the captured folder itself.
/// </summary>
internal static class FileSystemChecks
{
    /// <summary>What to do with named pipes, sockets and devices in a captured folder: Refuse (the default) or Skip.</summary>
    public const string SpecialFilesSetting = "SpecialFiles";
    public const string RefuseSpecialFiles = "Refuse";
    public const string SkipSpecialFiles = "Skip";

    // The captured folder's own mode and owner: its entries are relative to it, so it has no entry of its own.
    private const string FolderModeKey = "FolderMode";
    private const string FolderOwnerKey = "FolderOwner";
    private const string FolderGroupKey = "FolderGroup";

    /// <summary>The SpecialFiles setting as Directory and FileSystemRelease declare it.</summary>
    public static SettingDefinition SpecialFilesDefinition { get; } = new()
    {
        Name = SpecialFilesSetting,
        Type = SettingType.Text,
        Default = RefuseSpecialFiles,
        AllowedValues = new[] { RefuseSpecialFiles, SkipSpecialFiles },
        Description = "Named pipes, sockets and devices in the folder (never opened): Refuse fails the capture naming them (SpecialFileRefused); Skip leaves them out and records them as skipped.",
    };

    public static bool SkipsSpecialFiles(RollbackTarget target) =>
        string.Equals(target.Settings.GetString(SpecialFilesSetting), SkipSpecialFiles, StringComparison.OrdinalIgnoreCase);

    /// <summary>Lists a captured folder by the target's SpecialFiles setting, warning about each special file it skips.</summary>
    public static IReadOnlyList<FileTree.Item> Scan(RollbackTarget target, string folder, IRollbackReporter reporter, System.Threading.CancellationToken cancellation)
    {
        var items = FileTree.Scan(folder, SkipsSpecialFiles(target), cancellation);
        var skipped = items.Where(i => i.IsSpecial).Select(i => $"'{i.RelativePath}' ({i.Type})").ToList();
        if (skipped.Count > 0)
        {
            reporter.Warning($"Skipped {skipped.Count} special file(s) in '{folder}' (SpecialFiles = Skip): {FileTree.NameSome(skipped)}. The point records them as skipped; a restore does not recreate them.");
        }

        return items;
    }

    /// <summary>The folder's own mode, owner and group as point metadata (nothing on Windows).</summary>
    public static IEnumerable<KeyValuePair<string, string>> FolderMetadata(string folder)
    {
        var status = NativeFileSystem.Stat(folder);
        if (status is null)
        {
            yield break;
        }

        yield return new(FolderModeKey, NativeFileSystem.FormatMode(status.Mode));
        yield return new(FolderOwnerKey, status.Owner.ToString(CultureInfo.InvariantCulture));
        yield return new(FolderGroupKey, status.Group.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The fingerprint line of the folder's own metadata, or empty for points and platforms without it.</summary>
    public static string FolderFingerprint(IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var values = metadata.Where(m => m.Key is FolderModeKey or FolderOwnerKey or FolderGroupKey).OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Value).ToList();
        return values.Count == 0 ? string.Empty : "\n.\0" + string.Join("\0", values);
    }

    /// <summary>Whether <paramref name="metadata"/> records the captured folder's own mode (points captured on Linux since modes were recorded).</summary>
    public static bool RecordsFolderMode(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(FolderModeKey, out var mode) && NativeFileSystem.ParseMode(mode) is not null;

    /// <summary>Gives a staged folder the recorded mode and owner of the captured folder; false when the owner was not permitted.</summary>
    public static bool ApplyFolderMetadata(string folder, IReadOnlyDictionary<string, string> metadata)
    {
        metadata.TryGetValue(FolderModeKey, out var mode);
        return FileTree.ApplyOne(folder, mode, UintOf(metadata, FolderOwnerKey), UintOf(metadata, FolderGroupKey), isLink: false);
    }

    /// <summary>Why <paramref name="folder"/>'s own mode (and owner) differ from the recorded ones, or null when they do not or none are recorded.</summary>
    public static string? FolderMetadataDifference(string folder, IReadOnlyDictionary<string, string> metadata, bool compareOwner)
    {
        var status = NativeFileSystem.Stat(folder);
        metadata.TryGetValue(FolderModeKey, out var mode);
        return status is null ? null : FileTree.MetadataDifference(mode, compareOwner ? UintOf(metadata, FolderOwnerKey) : null, compareOwner ? UintOf(metadata, FolderGroupKey) : null, status, isLink: false);
    }

    /// <summary>
    /// Fails when the point records owners other than this account and this account is not root: the restored files
    /// would belong to the wrong user, so the service could not read them, and verification would fail after the switch.
    /// </summary>
    public static CheckResult OwnersSettable(RollbackPoint point)
    {
        var me = NativeFileSystem.EffectiveUserId();
        var others = me is null or 0
            ? new List<uint>()
            : point.Artifacts.Where(a => a.Type is null or FileTree.DirectoryType).Select(a => a.Owner).OfType<uint>().Where(o => o != me).Distinct().ToList();
        return others.Count == 0
            ? CheckResult.Pass("OwnersRestorable", "Every recorded owner can be restored by this account.")
            : CheckResult.Fail("OwnersRestorable", RollbackErrorId.TargetReadOnly,
                $"Point {point.Id} records files owned by uid {string.Join(", ", others)}; this account (uid {me}) may not give files to another owner. Run the rollback as root.");
    }

    /// <summary>A manifest must list what its fingerprint was computed from: an emptied or edited artifact list is refused.</summary>
    public static CheckResult ManifestMatchesFingerprint(RollbackPoint point, string recomputed, Func<string> legacy) =>
        point.Fingerprint == recomputed || (!FileTree.HasMetadata(point.Artifacts) && point.Fingerprint == legacy())
            ? CheckResult.Pass("ManifestComplete", $"The manifest's {point.Artifacts.Count:N0} entries add up to the point's fingerprint.")
            : CheckResult.Fail("ManifestComplete", RollbackErrorId.ManifestIncomplete,
                $"The manifest of point {point.Id} lists {point.Artifacts.Count:N0} entries that do not add up to its fingerprint: entries were removed or edited after capture. Do not roll back to this point.");

    private static uint? UintOf(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>Proves a folder is writable by creating and removing a probe file, and reports read-only markers the OS would let root ignore.</summary>
    public static CheckResult Writable(string folder, string what)
    {
        if (!Directory.Exists(folder))
        {
            return CheckResult.Fail("TargetWritable", RollbackErrorId.TargetUnreachable, $"{what} '{folder}' does not exist.");
        }

        // Root bypasses permission bits, so a folder someone marked read-only on purpose is refused explicitly.
        if ((File.GetAttributes(folder) & FileAttributes.ReadOnly) != 0)
        {
            return CheckResult.Fail("TargetWritable", RollbackErrorId.TargetReadOnly, $"{what} '{folder}' is read-only. Make it writable for this account, then retry.");
        }

        var probe = Path.Combine(folder, ".rollback-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (File.Create(probe))
            {
            }

            File.Delete(probe);
            return CheckResult.Pass("TargetWritable", $"{what} '{folder}' is writable.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail("TargetWritable", RollbackErrorId.TargetReadOnly, $"{what} '{folder}' cannot be written: {ex.Message}");
        }
    }

    public static CheckResult FileNotReadOnly(string file)
    {
        return File.Exists(file) && (File.GetAttributes(file) & FileAttributes.ReadOnly) != 0
            ? CheckResult.Fail("TargetWritable", RollbackErrorId.TargetReadOnly, $"'{file}' is read-only. Make it writable for this account, then retry.")
            : CheckResult.Pass("TargetWritable", $"'{file}' can be replaced.");
    }

    public static CheckResult SpaceFor(string folder, long bytes)
    {
        try
        {
            var free = FreeSpaceOf(folder);
            return free >= bytes
                ? CheckResult.Pass("FreeSpace", $"{free / 1048576.0:N0} MiB free for {bytes / 1048576.0:N1} MiB to stage.")
                : CheckResult.Fail("FreeSpace", RollbackErrorId.InsufficientSpace, $"Staging needs {bytes / 1048576.0:N1} MiB beside '{folder}' but only {free / 1048576.0:N1} MiB are free.");
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return CheckResult.Warn("FreeSpace", $"Cannot tell the free space beside '{folder}': {ex.Message}");
        }
    }

    /// <summary>
    /// The bytes this account may still write on the file system holding <paramref name="folder"/>. On Unix that is the
    /// folder's own file system (statvfs of the folder): its path root is "/", which names another file system wherever
    /// the folder lies on a mount of its own (a data disk, a tmpfs). Windows takes drives by their root.
    /// </summary>
    internal static long FreeSpaceOf(string folder)
    {
        var full = Path.GetFullPath(folder);
        return new DriveInfo(RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Path.GetPathRoot(full)! : full).AvailableFreeSpace;
    }

    /// <summary>
    /// Removes every temporary name beside <paramref name="path"/> (<see cref="TemporaryNames"/>: a link, a staged file
    /// or copy, a swapped-out copy) without following links; returns those removed. Called only by the holder of the
    /// target's lock, so whoever made them no longer runs. One that cannot be removed is left and not returned.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftoversBeside(string path)
    {
        var removed = new List<string>();
        foreach (var leftover in TemporaryNames.FindAbandonedBeside(path))
        {
            try
            {
                StoreFiles.DeleteWithoutFollowingLinks(leftover);
                removed.Add(leftover);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for the next command; the engine's warning names only what was removed.
            }
        }

        return removed;
    }

    /// <summary>Deletes a staging folder or link left by a failed attempt; never throws over cleanup.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (Platform.NativeFileSystem.IsLink(path) || File.Exists(path))
            {
                File.Delete(path);
            }
            else if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leftover staging is hidden and named for the attempt; it must not mask the real outcome.
        }
    }
}
