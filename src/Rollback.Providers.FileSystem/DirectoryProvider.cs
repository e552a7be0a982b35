using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;

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
        var folder = FolderOf(target);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        }

        // A fingerprint of every file is what makes "already current" exact for a folder without releases.
        var artifacts = FileTree.Hash(folder, NullReporter.Instance, default);
        return State(target, folder, artifacts);
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var folder = FolderOf(target);
        var artifacts = FileTree.Copy(folder, context.ArtifactsDirectory, context.Reporter, context.Cancellation);
        var state = State(target, folder, artifacts);
        return new CapturedState
        {
            Version = state.Version,
            Fingerprint = state.Fingerprint,
            Artifacts = artifacts,
            Metadata = new Dictionary<string, string> { ["Path"] = folder },
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) =>
        Path.Combine(point.Path, Store.PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var folder = FolderOf(target);
        var parent = Path.GetDirectoryName(folder)!;
        yield return FileSystemChecks.Writable(parent, "The folder holding the application folder");
        yield return FileSystemChecks.SpaceFor(parent, point.TotalSize);
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var folder = FolderOf(target);
        return new[]
        {
            new PlannedStep("StageCopy", $"Copy the point's {point.Artifacts.Count:N0} files beside '{folder}' and verify their SHA-256."),
            new PlannedStep("SwapFolders", $"Swap the staged copy with '{folder}' by rename (BeforeSwitch and AfterSwitch run around it)."),
            new PlannedStep("RemovePrevious", "Delete the swapped-out folder (the safety point holds a copy)."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var folder = FolderOf(target);
        var staged = Path.Combine(Path.GetDirectoryName(folder)!, "." + Path.GetFileName(folder) + ".rollback-" + point.Id);
        try
        {
            context.Step("StageCopy", () =>
            {
                var copied = FileTree.Copy(GetArtifactBase(target, point), staged, context.Reporter, context.Cancellation);
                if (FileTree.TreeFingerprint(copied) != point.Fingerprint)
                {
                    throw new RollbackException(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
                        $"The staged copy of point {point.Id} does not match its manifest; nothing was switched.", point.Id);
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

    private static string FolderOf(RollbackTarget target) => target.Settings.GetString(PathSetting)!;

    private static TargetState State(RollbackTarget target, string folder, IReadOnlyList<ArtifactEntry> artifacts)
    {
        var fingerprint = FileTree.TreeFingerprint(artifacts);
        var versionFile = target.Settings.GetString(VersionFileSetting);
        var versionPath = versionFile is null ? null : Store.SafePath.Resolve(folder, versionFile);
        var version = versionPath is not null && File.Exists(versionPath)
            ? File.ReadAllLines(versionPath).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? string.Empty
            : string.Empty;
        return new TargetState
        {
            Version = version.Length > 0 ? version : "sha256:" + fingerprint.Substring(0, 12),
            Fingerprint = fingerprint,
            Detail = $"{artifacts.Count:N0} files in '{folder}'",
        };
    }
}
