using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// Capistrano-style releases: &lt;Root&gt;/releases/&lt;version&gt;/ and a 'current' link naming the live one.
/// A point records which release was current and its files' checksums; the release folder itself stays in
/// place. Restore points 'current' at the captured release by renaming a new link over the old one, so
/// 'current' always names a complete release. Where 'current' is a real folder (Windows without the link
/// privilege, or Strategy = Copy) the release is staged as a copy beside it and swapped in.
/// </summary>
public sealed class FileSystemReleaseProvider : IRollbackProvider, ISwitchRecovery
{
    public const string KindName = "FileSystemRelease";
    public const string RootSetting = "Root";
    public const string ReleasesFolderSetting = "ReleasesFolder";
    public const string CurrentLinkSetting = "CurrentLink";
    public const string StrategySetting = "Strategy";
    public const string LinkStrategy = "Link";
    public const string CopyStrategy = "Copy";

    // In a copied 'current' nothing on disk says which release it is, so the copy carries this marker.
    private const string ReleaseMarkerFile = ".rollback-release";

    // Test-only crash points (see CrashPoints): each rename and exchange of the switch, and the staging before it.
    private const string LinkCreatedPoint = "FileSystemRelease.LinkCreated";
    private const string StagingPoint = "FileSystemRelease.Staging";
    private const string StagedPoint = "FileSystemRelease.Staged";
    private const string SwitchedPoint = "FileSystemRelease.Switched";

    public string Kind => KindName;

    public string Description => "A releases/<version>/ folder per release and a 'current' link to the live one (Capistrano layout).";

    public KindSchema Schema { get; } = new(new[]
    {
        new SettingDefinition { Name = RootSetting, Type = SettingType.Text, IsPath = true, Required = true, Description = "The folder that holds the releases folder and the current link." },
        new SettingDefinition { Name = ReleasesFolderSetting, Type = SettingType.Text, Default = "releases", Description = "The folder under Root with one folder per release (a plain name)." },
        new SettingDefinition { Name = CurrentLinkSetting, Type = SettingType.Text, Default = "current", Description = "The link (or folder) under Root that names the live release (a plain name)." },
        new SettingDefinition
        {
            Name = StrategySetting, Type = SettingType.Text, AllowedValues = new[] { LinkStrategy, CopyStrategy },
            Description = "Link: rename a new link over current; Copy: stage a copy of the release and swap it in. When absent, what the deployment left: Copy where current is a real folder, else Link.",
        },
        FileSystemChecks.SpecialFilesDefinition,
    });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var root = ProviderSettings.RequiredDirectory(settings, RootSetting, Kind);
        var releases = ProviderSettings.PlainName(settings, ReleasesFolderSetting, "releases", Kind);
        var current = ProviderSettings.PlainName(settings, CurrentLinkSetting, "current", Kind);
        if (!Directory.Exists(Path.Combine(root, releases)))
        {
            throw ProviderSettings.Invalid(Kind, $"'{root}' has no '{releases}' folder");
        }

        return settings.With(RootSetting, root).With(ReleasesFolderSetting, releases).With(CurrentLinkSetting, current);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        var layout = new Layout(target);
        var release = CurrentRelease(layout);
        return release is null
            ? new TargetState { Version = "(none)", Fingerprint = "release:", Detail = $"'{layout.Current}' names no release" }
            : new TargetState { Version = release, Fingerprint = "release:" + release, Detail = $"{layout.Current} -> {layout.ReleaseFolder(release)}" };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var layout = new Layout(target);
        var release = CurrentRelease(layout);
        if (release is null)
        {
            var link = NativeFileSystem.ReadLink(layout.Current);
            if (!context.IsSafetyPoint)
            {
                throw new RollbackException(RollbackErrorId.ReleaseFolderMissing, RollbackErrorCategory.ObjectNotFound,
                    $"'{layout.Current}' does not name a release under '{layout.Releases}'{(link is null ? string.Empty : $" (it links to '{link}')")}, so there is nothing to capture.", target.Name);
            }

            // The live release is gone (deleted by a cleanup, or never there): that is when a rollback is needed most.
            context.Reporter.Warning($"'{layout.Current}' names no release that exists{(link is null ? string.Empty : $" (it links to '{link}')")}: the safety point records only that, and the rollback goes on.");
            return new CapturedState
            {
                Version = "(none)",
                Fingerprint = "release:",
                Artifacts = Array.Empty<ArtifactEntry>(),
                Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["CurrentLink"] = link ?? string.Empty },
            };
        }

        var folder = layout.ReleaseFolder(release);
        var items = FileSystemChecks.Scan(target, folder, context.Reporter, context.Cancellation);
        var artifacts = FileTree.HashItems(items, $"Hashing {folder}", context.Reporter, context.Cancellation);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["Release"] = release, ["ReleaseFolder"] = folder };
        foreach (var pair in FileSystemChecks.FolderMetadata(folder))
        {
            metadata[pair.Key] = pair.Value;
        }

        return new CapturedState
        {
            Version = release,
            Fingerprint = "release:" + release,
            Artifacts = artifacts,
            Metadata = metadata,
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point)
    {
        var layout = new Layout(target);
        var folder = layout.ReleaseFolder(point.Version);
        if (!Directory.Exists(folder))
        {
            throw new RollbackException(RollbackErrorId.ReleaseFolderMissing, RollbackErrorCategory.ObjectNotFound,
                $"The release folder '{folder}' of point {point.Id} no longer exists (a release cleanup may have removed it). Roll back to a point whose release is still on disk.",
                folder);
        }

        return folder;
    }

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var layout = new Layout(target);
        yield return FileSystemChecks.Writable(layout.Root, "The release root");
        var strategy = StrategyFor(target, layout);
        yield return CheckResult.Pass("SwitchStrategy", strategy == LinkStrategy
            ? $"'{layout.CurrentName}' will be pointed at {point.Version} by one atomic rename."
            : $"{point.Version} will be staged as a copy beside '{layout.CurrentName}' and swapped in.");
        if (strategy == CopyStrategy)
        {
            yield return FileSystemChecks.SpaceFor(layout.Root, point.TotalSize);
            yield return FileSystemChecks.OwnersSettable(point);
        }

        yield return ReleaseComplete(point);
        yield return ReleaseMetadataUnchanged(layout, point, context);
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var layout = new Layout(target);
        var release = layout.ReleaseFolder(point.Version);
        return StrategyFor(target, layout) == LinkStrategy
            ? new[]
            {
                new PlannedStep("CreateLink", $"Create a temporary link to '{release}' beside '{layout.Current}'."),
                new PlannedStep("SwitchCurrent", $"Rename the temporary link over '{layout.Current}' (atomic)."),
            }
            : new[]
            {
                new PlannedStep("StageRelease", $"Copy '{release}' beside '{layout.Current}' and verify it."),
                new PlannedStep("SwitchCurrent", $"Swap the staged copy with '{layout.Current}'."),
                new PlannedStep("RemovePrevious", "Delete the swapped-out copy (the safety point records it)."),
            };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var layout = new Layout(target);
        var release = layout.ReleaseFolder(point.Version);
        // Named after this process and attempt: what a killed attempt leaves is found by the next one (RemoveLeftovers).
        var temp = TemporaryNames.Beside(layout.Current, context.AttemptId);
        try
        {
            if (StrategyFor(target, layout) == LinkStrategy)
            {
                // Keep the link in the form the deploy tool wrote it (relative or absolute).
                var existing = NativeFileSystem.ReadLink(layout.Current);
                var linkText = existing is not null && !Path.IsPathRooted(existing)
                    ? layout.ReleasesName + "/" + point.Version
                    : release;
                context.Step("CreateLink", () => NativeFileSystem.CreateDirectoryLink(temp, linkText));
                CrashPoints.Reach(LinkCreatedPoint);
                context.Switch("SwitchCurrent", () =>
                {
                    NativeFileSystem.ReplaceByRename(temp, layout.Current);
                    CrashPoints.Reach(SwitchedPoint);
                });
            }
            else
            {
                context.Step("StageRelease", () =>
                {
                    var items = FileSystemChecks.Scan(target, release, context.Reporter, context.Cancellation);
                    var copied = FileTree.CopyItems(items, temp, $"Copying {release}", context.Reporter, context.Cancellation);
                    CrashPoints.Reach(StagingPoint);
                    EnsureSameContent(point, copied, temp);
                    File.WriteAllText(Path.Combine(temp, ReleaseMarkerFile), point.Version);
                    if (FileTree.HasMetadata(point.Artifacts))
                    {
                        // A copy is owned by whoever copies and gets default modes: give it the release's own.
                        FileTree.ApplyMetadata(temp, point.Artifacts, context.Reporter, context.Cancellation);
                        FileSystemChecks.ApplyFolderMetadata(temp, point.Metadata);
                    }
                    else
                    {
                        context.Reporter.Verbose($"Point {point.Id} was captured before modes and owners were recorded: the copy keeps the modes it gets, as then.");
                    }
                });
                CrashPoints.Reach(StagedPoint);
                context.Switch("SwitchCurrent", () =>
                {
                    if (Directory.Exists(layout.Current))
                    {
                        FolderSwap.Swap(temp, layout.Current);
                    }
                    else
                    {
                        Directory.Move(temp, layout.Current);
                    }

                    CrashPoints.Reach(SwitchedPoint);
                });
                context.Step("RemovePrevious", () => FileSystemChecks.TryDelete(temp));
            }
        }
        finally
        {
            FileSystemChecks.TryDelete(temp);
        }
    }

    public IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point) => new[] { new Layout(target).Current };

    /// <summary>
    /// A temporary link beside 'current' (killed between creating it and renaming it), a staging copy (killed while
    /// staging or before the swap) and a swapped-out copy (killed before deleting it) all carry 'current''s temporary
    /// prefix; the engine calls this holding the target's lock, so the process that made them no longer runs.
    /// </summary>
    public IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context) =>
        FileSystemChecks.RemoveLeftoversBeside(new Layout(target).Current);

    /// <summary>The release 'current' names: the link's last segment, or the marker in a copied folder.</summary>
    private static string? CurrentRelease(Layout layout)
    {
        var link = NativeFileSystem.ReadLink(layout.Current);
        if (link is not null)
        {
            // Compared as real paths: an absolute link names the releases folder by its real path, while Root may have
            // been given through a link to it (/srv/app -> /data/app).
            var resolved = Path.GetFullPath(Path.Combine(layout.Root, link));
            var folder = Path.GetDirectoryName(resolved);
            return folder is not null && Directory.Exists(resolved) &&
                string.Equals(NativeFileSystem.RealPath(folder) ?? folder, NativeFileSystem.RealPath(layout.Releases) ?? layout.Releases, StringComparison.Ordinal)
                ? Path.GetFileName(resolved)
                : null;
        }

        var marker = Path.Combine(layout.Current, ReleaseMarkerFile);
        return File.Exists(marker) ? File.ReadAllText(marker).Trim() : null;
    }

    private static string StrategyFor(RollbackTarget target, Layout layout)
    {
        var configured = target.Settings.GetString(StrategySetting);
        if (configured is not null)
        {
            return string.Equals(configured, CopyStrategy, StringComparison.OrdinalIgnoreCase) ? CopyStrategy : LinkStrategy;
        }

        // Follow what the deployment left: a real folder means links were not available there.
        return Directory.Exists(layout.Current) && !NativeFileSystem.IsLink(layout.Current) ? CopyStrategy : LinkStrategy;
    }

    /// <summary>A release always holds files: a manifest that lists none was emptied, and would verify anything.</summary>
    private static CheckResult ReleaseComplete(RollbackPoint point) =>
        point.Artifacts.Any(a => a.Type is null)
            ? CheckResult.Pass("ManifestComplete", $"The manifest lists {point.Artifacts.Count(a => a.Type is null):N0} files and links of {point.Version}.")
            : CheckResult.Fail("ManifestComplete", RollbackErrorId.ManifestIncomplete,
                $"The manifest of point {point.Id} lists no file of release {point.Version}: a release is never empty, so the manifest was emptied or the capture is broken. Do not roll back to this point.");

    /// <summary>The release folder is rolled onto in place: its modes and owners must still be the captured ones (stat only, nothing read).</summary>
    private static CheckResult ReleaseMetadataUnchanged(Layout layout, RollbackPoint point, OperationContext context)
    {
        var folder = layout.ReleaseFolder(point.Version);
        if (!Directory.Exists(folder))
        {
            return CheckResult.Pass("ReleaseMetadata", "The release folder is missing; ArtifactsIntact reports it.");
        }

        var error = FileTree.DifferencesError(folder, FileTree.MetadataDifferences(folder, point.Artifacts, context.Cancellation));
        return error is null
            ? CheckResult.Pass("ReleaseMetadata", $"The modes and owners in '{folder}' are the captured ones.")
            : CheckResult.Fail("ReleaseMetadata", error.ErrorId, error.Message);
    }

    private static void EnsureSameContent(RollbackPoint point, IReadOnlyList<ArtifactEntry> copied, string where)
    {
        // Modes and owners are compared too where the point records them (the copy's entries carry the source's own).
        var same = FileTree.HasMetadata(point.Artifacts)
            ? FileTree.TreeFingerprint(copied) == FileTree.TreeFingerprint(point.Artifacts)
            : FileTree.ContentFingerprint(copied) == FileTree.ContentFingerprint(point.Artifacts);
        if (!same)
        {
            throw new RollbackException(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
                $"The staged copy in '{where}' does not match point {point.Id}: the source changed while it was copied. Nothing was switched.", point.Id);
        }
    }

    /// <summary>The paths of one release target, from its validated settings.</summary>
    private sealed class Layout
    {
        public Layout(RollbackTarget target)
        {
            Root = target.Settings.GetString(RootSetting)!;
            ReleasesName = target.Settings.GetString(ReleasesFolderSetting) ?? "releases";
            CurrentName = target.Settings.GetString(CurrentLinkSetting) ?? "current";
            Releases = Path.Combine(Root, ReleasesName);
            Current = Path.Combine(Root, CurrentName);
        }

        public string Root { get; }

        public string ReleasesName { get; }

        public string CurrentName { get; }

        public string Releases { get; }

        public string Current { get; }

        /// <summary>The folder of a release; the name comes from a manifest, so it is proven to stay under releases/.</summary>
        public string ReleaseFolder(string release) => SafePath.Resolve(Releases, release);
    }
}
