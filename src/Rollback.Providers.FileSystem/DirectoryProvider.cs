using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Platform;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// A plain application folder (an IIS site folder, a service's install folder). A point is a full copy
/// with checksums. Restore stages the copy beside the live folder, verifies it, and only then swaps the two
/// by rename, with the optional BeforeSwitch/AfterSwitch scripts (stop and start what serves the folder)
/// around the swap: the downtime is the swap, not the copy.
/// </summary>
public sealed class DirectoryProvider : IRollbackProvider
{
    public const string KindName = "Directory";
    public const string PathSetting = "Path";
    public const string VersionFileSetting = "VersionFile";

    public string Kind => KindName;

    public string Description => "A plain application folder, restored by staging a copy beside it and swapping by rename.";

    public KindSchema Schema { get; } = new(new[]
    {
        new SettingDefinition { Name = PathSetting, Type = SettingType.Text, Required = true, Description = "The application folder." },
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
        var artifacts = FileTree.HashItems(items, $"Hashing {folder}", context.Reporter, context.Cancellation);
        return State(target, folder, artifacts, FileSystemChecks.FolderMetadata(folder).ToList());
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var folder = LiveFolder(target);
        var items = FileSystemChecks.Scan(target, folder, context.Reporter, context.Cancellation);
        var artifacts = FileTree.CopyItems(items, context.ArtifactsDirectory, $"Copying {folder}", context.Reporter, context.Cancellation);
        var metadata = FileSystemChecks.FolderMetadata(folder).ToList();
        var state = State(target, folder, artifacts, metadata);
        metadata.Add(new KeyValuePair<string, string>("Path", folder));
        return new CapturedState
        {
            Version = state.Version,
            Fingerprint = state.Fingerprint,
            Artifacts = artifacts,
            Metadata = metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal),
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) =>
        Path.Combine(point.Path, Store.PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var parent = Path.GetDirectoryName(LiveFolder(target))!;
        yield return FileSystemChecks.Writable(parent, "The folder holding the application folder");
        yield return FileSystemChecks.SpaceFor(parent, point.TotalSize);
        yield return FileSystemChecks.ManifestMatchesFingerprint(point, Fingerprint(point.Artifacts, point.Metadata), FileTree.ContentFingerprint(point.Artifacts));
        yield return FileSystemChecks.OwnersSettable(point);
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var folder = LiveFolder(target);
        return new[]
        {
            new PlannedStep("StageCopy", $"Copy the point's {point.Artifacts.Count:N0} entries beside '{folder}' with their modes and owners, and verify their SHA-256."),
            new PlannedStep("SwapFolders", $"Swap the staged copy with '{folder}' by rename (BeforeSwitch and AfterSwitch run around it)."),
            new PlannedStep("RemovePrevious", "Delete the swapped-out folder (the safety point holds a copy)."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        // Where Path is a link (app -> app-2.3), the folder it names is exchanged, so Path stays the same link.
        var folder = LiveFolder(target);
        var staged = Path.Combine(Path.GetDirectoryName(folder)!, "." + Path.GetFileName(folder) + ".rollback-" + point.Id);
        try
        {
            context.Step("StageCopy", () =>
            {
                var copied = FileTree.Copy(GetArtifactBase(target, point), staged, context.Reporter, context.Cancellation);
                if (FileTree.ContentFingerprint(copied) != FileTree.ContentFingerprint(point.Artifacts))
                {
                    throw new RollbackException(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
                        $"The staged copy of point {point.Id} does not match its manifest; nothing was switched.", point.Id);
                }

                if (FileTree.HasMetadata(point.Artifacts))
                {
                    FileTree.ApplyMetadata(staged, point.Artifacts, context.Reporter, context.Cancellation);
                    FileSystemChecks.ApplyFolderMetadata(staged, point.Metadata);
                }
                else
                {
                    context.Reporter.Verbose($"Point {point.Id} was captured before modes, owners and folders were recorded: its files are restored with the modes the copy gives them, as then.");
                }
            });
            context.Switch("SwapFolders", () => FolderSwap.Swap(staged, folder));
            context.Step("RemovePrevious", () => FileSystemChecks.TryDelete(staged));
        }
        finally
        {
            FileSystemChecks.TryDelete(staged);
        }
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
