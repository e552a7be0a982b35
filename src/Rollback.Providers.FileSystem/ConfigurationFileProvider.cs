using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// One or more configuration files (appsettings.Production.json, app.conf, database.yml, nginx.conf).
/// A point holds a copy of each. Restoring validates every file first (JSON, XML, YAML by real parsers,
/// others through the target's validator command or the caller's), writes nothing unless all pass, then
/// replaces each changed file atomically with its permissions kept, between the caller's BeforeSwitch and
/// AfterSwitch (that switch is the downtime), and finally runs the target's ReloadCommand so what reads the
/// files takes them up; the safety point holds what was there.
/// </summary>
public sealed class ConfigurationFileProvider : IRollbackProvider, IConfigurationProvider, ISwitchRecovery
{
    public const string KindName = "ConfigurationFile";
    public const string PathSetting = "Path";
    public const string ValidatorSetting = "Validator";
    public const string ReloadCommandSetting = "ReloadCommand";
    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(60);
    private const string ItemKeyPrefix = "Item.";
    private const string ReloadStep = "Reload";

    // Test-only crash points (see CrashPoints): every file staged and checked, then after each rename ("...Renamed.1", ...).
    private const string StagedPoint = "ConfigurationFile.Staged";
    private const string RenamedPoint = "ConfigurationFile.Renamed.";

    public string Kind => KindName;

    public string Description => "Configuration files, validated before they are written and replaced atomically.";

    public KindSchema Schema { get; } = new(new[]
    {
        new SettingDefinition { Name = PathSetting, Type = SettingType.Text, IsList = true, IsPath = true, Required = true, Description = "The configuration files (one or more); their folders must exist." },
        new SettingDefinition { Name = ValidatorSetting, Type = SettingType.Text, Description = "A command that checks a file before it is written, {0} standing for the file (e.g. 'nginx -t -c {0}')." },
        new SettingDefinition { Name = ReloadCommandSetting, Type = SettingType.Text, Description = "A command run once after a changed write so what reads the files takes them up, {0} standing for the first file (e.g. 'nginx -s reload -c {0}', 'systemctl reload app'); a failure is ReloadFailed." },
    });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var paths = settings.GetList(PathSetting);
        if (paths.Count == 0)
        {
            throw ProviderSettings.Invalid(Kind, $"the setting '{PathSetting}' must list at least one file");
        }

        var full = paths.Select(p => ProviderSettings.FullPath(p, PathSetting, Kind)).ToArray();
        foreach (var path in full)
        {
            if (Directory.Exists(path))
            {
                throw ProviderSettings.Invalid(Kind, $"'{path}' given as {PathSetting} is a folder; list the configuration files in it instead");
            }

            if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                throw ProviderSettings.Invalid(Kind, $"the folder of '{path}' does not exist");
            }
        }

        if (full.Distinct(StringComparer.OrdinalIgnoreCase).Count() != full.Length)
        {
            throw ProviderSettings.Invalid(Kind, "a file is listed twice");
        }

        var validator = settings.GetString(ValidatorSetting);
        if (validator is not null && validator.IndexOf("{0}", StringComparison.Ordinal) < 0)
        {
            throw ProviderSettings.Invalid(Kind, $"the {ValidatorSetting} command must contain {{0}} where the file to check goes, e.g. 'nginx -t -c {{0}}'");
        }

        if (settings.ContainsKey(ReloadCommandSetting) && string.IsNullOrWhiteSpace(settings.GetString(ReloadCommandSetting)))
        {
            throw ProviderSettings.Invalid(Kind, $"the {ReloadCommandSetting} must be a command such as 'systemctl reload app' or 'nginx -s reload -c {{0}}' ({{0}} is the target's first file)");
        }

        return settings.With(PathSetting, full);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        var paths = PathsOf(target);
        var files = paths.Select(p => File.Exists(p) ? new FileState(Checksums.HashFile(p), ModeOf(p)) : null).ToList();
        return State(paths, files);
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var paths = PathsOf(target);
        var present = paths.Select((path, index) => (path, index)).Where(p => File.Exists(p.path)).ToList();
        var artifacts = FileTree.CopyItems(
            present.Select(p => new FileTree.Item { RelativePath = ArtifactPath(p.index, p.path), FullPath = p.path, Size = new FileInfo(p.path).Length, Status = NativeFileSystem.Stat(p.path) }).ToList(),
            context.ArtifactsDirectory,
            "Copying configuration files",
            context.Reporter,
            context.Cancellation);

        // The copies hold what the files hold, passwords included: user-only whatever the source's mode, which the
        // manifest keeps and a restore writes.
        StoreFiles.RestrictTreeToOwner(context.ArtifactsDirectory);
        var files = paths.Select((path, index) => artifacts.FirstOrDefault(a => a.RelativePath == ArtifactPath(index, path)) is { } a ? new FileState(a.Sha256, a.Mode) : null).ToList();
        var state = State(paths, files);
        return new CapturedState
        {
            Version = state.Version,
            Fingerprint = state.Fingerprint,
            Artifacts = artifacts,
            Metadata = paths.Select((path, index) => (path, index)).ToDictionary(p => ItemKeyPrefix + p.index.ToString(CultureInfo.InvariantCulture), p => p.path),
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context) => WritableChecks(Items(target, point));

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var items = Items(target, point);
        var steps = items.Select(i => new PlannedStep("Validate " + Path.GetFileName(i.Path), $"Check the captured '{i.Path}' with {ValidatorName(target, i.Path, null)}."))
            .Concat(items.Select(i => new PlannedStep("Write " + Path.GetFileName(i.Path), $"Replace '{i.Path}' atomically if its content differs.")))
            .ToList();
        if (ReloadCommandOf(target) is { } reload)
        {
            steps.Add(new PlannedStep(ReloadStep, $"Run '{reload}' if a file changed."));
        }

        return steps;
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) =>
        context.ConfigurationItems.AddRange(Apply(target, point, Items(target, point), context, whatIf: false));

    public void CheckItems(RollbackTarget target, RollbackPoint point, IReadOnlyList<string> items)
    {
        var held = Items(target, point);
        var unknown = items.Where(wanted => !held.Any(i => Matches(i.Path, wanted))).ToList();
        if (unknown.Count > 0)
        {
            throw new RollbackException(RollbackErrorId.ConfigurationItemNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Point {point.Id} of '{target.Name}' holds no configuration item '{string.Join("', '", unknown.Select(u => u.Replace("\0", "\\0")))}'. It holds: {string.Join(", ", held.Select(i => i.Path))}.",
                unknown[0]);
        }
    }

    public IReadOnlyList<ConfigurationRestoreResult> RestoreConfiguration(RollbackTarget target, RollbackPoint point, ConfigurationRestoreContext context)
    {
        CheckItems(target, point, context.Items);
        var items = Items(target, point);
        if (context.Items.Count > 0)
        {
            items = items.Where(i => context.Items.Any(wanted => Matches(i.Path, wanted))).ToList();
        }

        return Apply(target, point, items, context, context.WhatIf);
    }

    private List<ConfigurationRestoreResult> Apply(RollbackTarget target, RollbackPoint point, IReadOnlyList<Item> items, RestoreContext context, bool whatIf)
    {
        var readOnly = WritableChecks(items).FirstOrDefault(c => c.Status == CheckStatus.Fail);
        if (readOnly is not null)
        {
            throw new RollbackException(readOnly.ErrorId!, RollbackErrorCategory.PermissionDenied, readOnly.Message, target.Name);
        }

        // Stage and validate every file before writing any: a bad file among several leaves all of them untouched.
        var staged = new List<(Item Item, string Candidate, string Validator)>();
        try
        {
            foreach (var item in items.Where(i => i.Artifact is not null))
            {
                var candidate = AtomicFile.StageCopyBeside(SafePath.Resolve(GetArtifactBase(target, point), item.Artifact!.RelativePath), item.Path);

                // The captured mode and owner, not the live file's: a deploy that rewrote a 0600 file as 0644 must not keep it so.
                FileTree.ApplyOne(candidate, item.Artifact.Mode, item.Artifact.Owner, item.Artifact.Group, isLink: false);
                staged.Add((item, candidate, ValidatorName(target, item.Path, context.Validator)));
                context.Step("Validate " + Path.GetFileName(item.Path), () => Validate(target, item.Path, candidate, context));
            }

            var results = staged.Select(s => Result(target, point, s.Item, s.Validator, whatIf, context.SafetyPoint)).ToList();
            var writes = staged.Where(s => results.Single(r => r.Item == s.Item.Path).Changed).ToList();
            if (writes.Count > 0 && !whatIf)
            {
                // One switch for all the files: the caller's hooks stop and start what reads them once, around the renames.
                CrashPoints.Reach(StagedPoint);
                context.Switch("Write " + string.Join(", ", writes.Select(w => Path.GetFileName(w.Item.Path))), () =>
                {
                    // Each rename is atomic, the set is not: the attempt's intent names every file, so a process killed
                    // between two renames leaves the next command what it needs to finish the set (see ISwitchRecovery).
                    var renamed = 0;
                    foreach (var (item, candidate, _) in writes)
                    {
                        AtomicFile.Commit(candidate, item.Path);
                        CrashPoints.Reach(RenamedPoint + (++renamed).ToString(CultureInfo.InvariantCulture));
                    }
                });
                Reload(target, writes.Select(w => w.Item.Path).ToList(), context);
            }

            return results;
        }
        finally
        {
            foreach (var (_, candidate, _) in staged)
            {
                FileSystemChecks.TryDelete(candidate);
            }
        }
    }

    public IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point) => Items(target, point).Select(i => i.Path).ToList();

    /// <summary>The staged copies beside each file (a process killed before or between the renames leaves them).</summary>
    public IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context) =>
        PathsOf(target).SelectMany(FileSystemChecks.RemoveLeftoversBeside).ToList();

    private static ConfigurationRestoreResult Result(RollbackTarget target, RollbackPoint point, Item item, string validator, bool whatIf, RollbackPoint? safety)
    {
        var before = File.Exists(item.Path) ? Checksums.HashFile(item.Path) : null;
        var live = before is null ? null : NativeFileSystem.Stat(item.Path);

        // A mode or owner that differs from the captured one is a change too: the write puts the captured ones back.
        var changed = before != item.Artifact!.Sha256 ||
            (live is not null && FileTree.MetadataDifference(item.Artifact.Mode, item.Artifact.Owner, item.Artifact.Group, live, isLink: false) is not null);
        return new ConfigurationRestoreResult
        {
            Target = target.Name,
            PointId = point.Id,
            Item = item.Path,
            From = before,
            To = item.Artifact.Sha256,
            Validated = validator != "None",
            Validator = validator,
            Changed = changed,
            SafetyCopy = changed && !whatIf ? SafetyCopyOf(safety, item) : null,
            WhatIf = whatIf,
        };
    }

    /// <summary>
    /// Runs the target's ReloadCommand after files changed, so what reads them takes them up; nothing to run when none
    /// is set. Its output may hold secrets (a dumped configuration, a token in an error), so it goes to verbose only,
    /// never into the message that the result and the journal keep.
    /// </summary>
    private static void Reload(RollbackTarget target, IReadOnlyList<string> written, RestoreContext context)
    {
        if (ReloadCommandOf(target) is not { } commandLine)
        {
            return;
        }

        context.Step(ReloadStep, () =>
        {
            var outcome = ShellCommand.Run(commandLine, Path.GetDirectoryName(PathsOf(target)[0])!, ReloadTimeout, context.Cancellation);
            if (outcome.Output.Length > 0)
            {
                context.Reporter.Verbose($"{ReloadCommandSetting} of '{target.Name}': {ShellCommand.Truncate(Redaction.Redact(outcome.Output), 4000)}");
            }

            if (outcome.ExitCode != 0)
            {
                var how = outcome.ExitCode is { } code ? $"exited with {code}" : $"did not finish within {ReloadTimeout.TotalSeconds:N0} s and was stopped";
                var safety = context.SafetyPoint is null ? string.Empty : $" The configuration it replaced is in safety point {context.SafetyPoint.Id}.";
                throw new RollbackException(RollbackErrorId.ReloadFailed, RollbackErrorCategory.InvalidOperation,
                    $"The restored '{string.Join("', '", written)}' is in place, but the {ReloadCommandSetting} '{commandLine}' {how} (its output is in the verbose stream), so what reads it may still run the configuration it replaced. Reload it by hand once the cause is fixed.{safety}",
                    target.Name);
            }
        });
    }

    /// <summary>The ReloadCommand as it runs: {0} is the target's first file (its main configuration file), quoted.</summary>
    private static string? ReloadCommandOf(RollbackTarget target) =>
        target.Settings.GetString(ReloadCommandSetting) is { } template && !string.IsNullOrWhiteSpace(template)
            ? ShellCommand.CommandLine(template, PathsOf(target)[0])
            : null;

    /// <summary>
    /// Checks one staged file by its parser, the target's Validator command and the caller's script block. A refusal names
    /// the file and the line; what the parser or validator printed goes to verbose, masked, and nowhere else: a validator
    /// quotes the line it rejects, and that line may hold a password that the journal would then keep for good.
    /// </summary>
    private static void Validate(RollbackTarget target, string itemPath, string candidate, RestoreContext context)
    {
        var parser = ConfigurationValidation.ParserFor(itemPath);
        var complaint = parser is null ? null : ConfigurationValidation.Parse(parser, candidate);
        if (complaint is not null)
        {
            ReportDetail(context, itemPath, parser!, complaint.Detail);
            throw new RollbackException(RollbackErrorId.ConfigurationInvalid, RollbackErrorCategory.InvalidData,
                $"The captured '{itemPath}' is not valid {parser}{complaint.Position}{(complaint.Summary is null ? string.Empty : ": " + complaint.Summary)}.{DetailHint(complaint.Detail)} Nothing was written.", itemPath);
        }

        var command = target.Settings.GetString(ValidatorSetting);
        if (command is not null)
        {
            complaint = ConfigurationValidation.RunCommand(command, candidate, context.Cancellation);
            if (complaint is not null)
            {
                ReportDetail(context, itemPath, ValidatorSetting, complaint.Detail);
                throw ValidatorFailed(itemPath, complaint.Summary + complaint.Position, complaint.Detail);
            }
        }

        if (context.Validator is not null)
        {
            var outcome = context.Validator(candidate, itemPath);
            if (!outcome.IsValid)
            {
                ReportDetail(context, itemPath, "-Validator", outcome.Message);
                throw ValidatorFailed(itemPath, "the -Validator script block rejected it" + ConfigurationValidation.PositionText(ConfigurationValidation.LineIn(outcome.Message, candidate), null), outcome.Message);
            }
        }
    }

    private static void ReportDetail(RestoreContext context, string itemPath, string checker, string? detail)
    {
        if (!string.IsNullOrWhiteSpace(detail))
        {
            context.Reporter.Verbose($"{checker} on '{itemPath}': {ShellCommand.Truncate(Redaction.Redact(detail!), 4000)}");
        }
    }

    private static string DetailHint(string? detail) => string.IsNullOrWhiteSpace(detail) ? string.Empty : " What it printed is in the verbose stream (-Verbose).";

    private static RollbackException ValidatorFailed(string itemPath, string how, string? detail) =>
        new(RollbackErrorId.ValidatorFailed, RollbackErrorCategory.InvalidData, $"The captured '{itemPath}' failed validation: {how}.{DetailHint(detail)} Nothing was written.", itemPath);

    private static string ValidatorName(RollbackTarget target, string itemPath, ConfigurationValidator? callerValidator)
    {
        var names = new List<string>();
        var parser = ConfigurationValidation.ParserFor(itemPath);
        if (parser is not null)
        {
            names.Add(parser);
        }

        if (target.Settings.GetString(ValidatorSetting) is not null)
        {
            names.Add("Command");
        }

        if (callerValidator is not null)
        {
            names.Add("ScriptBlock");
        }

        return names.Count == 0 ? "None" : string.Join("+", names);
    }

    private static IEnumerable<CheckResult> WritableChecks(IEnumerable<Item> items)
    {
        foreach (var item in items)
        {
            yield return FileSystemChecks.Writable(Path.GetDirectoryName(item.Path)!, "The folder of " + Path.GetFileName(item.Path));
            yield return FileSystemChecks.FileNotReadOnly(item.Path);
        }
    }

    private static string? SafetyCopyOf(RollbackPoint? safety, Item item)
    {
        var artifact = safety?.Artifacts.FirstOrDefault(a => a.RelativePath == ArtifactPath(item.Index, item.Path));
        return artifact is null ? null : Path.Combine(safety!.Path, PointStore.ArtifactsFolderName, artifact.RelativePath.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>The items of a point, from its manifest; each path must still be one the target lists, so a tampered manifest cannot aim a write elsewhere.</summary>
    private static List<Item> Items(RollbackTarget target, RollbackPoint point)
    {
        var configured = PathsOf(target);
        var items = new List<Item>();
        foreach (var pair in point.Metadata.Where(m => m.Key.StartsWith(ItemKeyPrefix, StringComparison.Ordinal)))
        {
            if (!int.TryParse(pair.Key.Substring(ItemKeyPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ||
                !configured.Contains(pair.Value, StringComparer.Ordinal))
            {
                throw new RollbackException(RollbackErrorId.ArtifactPathEscapes, RollbackErrorCategory.SecurityError,
                    $"Point {point.Id} names '{pair.Value}', which is not a file of target '{target.Name}'. The point may have been tampered with; do not use it.", pair.Value);
            }

            items.Add(new Item(index, pair.Value, point.Artifacts.FirstOrDefault(a => a.RelativePath == ArtifactPath(index, pair.Value))));
        }

        return items.OrderBy(i => i.Index).ToList();
    }

    /// <summary>
    /// The files' state: content and mode, since a restore writes the captured mode and a mode-only change (a 0600 file
    /// made 0644) is a change to roll back. The legacy form (content only) is what points captured before modes were
    /// compared recorded; the version label stays the content's, as those points show it.
    /// </summary>
    private static TargetState State(IReadOnlyList<string> paths, List<FileState?> files)
    {
        var content = Checksums.HashText(string.Join("\n", paths.Select((p, i) => p + "\0" + (files[i]?.Sha256 ?? "missing"))));
        var withModes = Checksums.HashText(string.Join("\n", paths.Select((p, i) => p + "\0" + (files[i] is { } f ? f.Sha256 + "\0" + f.Mode : "missing"))));
        return new TargetState
        {
            Version = "sha256:" + content.Substring(0, 12),
            Fingerprint = withModes,
            LegacyFingerprint = content,
            Detail = $"{files.Count(f => f is not null)} of {paths.Count} files present",
        };
    }

    private static string? ModeOf(string path) => Platform.NativeFileSystem.Stat(path) is { } status ? Platform.NativeFileSystem.FormatMode(status.Mode) : null;

    private static IReadOnlyList<string> PathsOf(RollbackTarget target) => target.Settings.GetList(PathSetting);

    private static string ArtifactPath(int index, string path) => index.ToString(CultureInfo.InvariantCulture) + "/" + Path.GetFileName(path);

    /// <summary>An item is named by its path as the target lists it, its file name, or a path that resolves to it (one that cannot name a file names none).</summary>
    private static bool Matches(string itemPath, string wanted) =>
        string.Equals(itemPath, wanted, StringComparison.Ordinal) ||
        string.Equals(Path.GetFileName(itemPath), wanted, StringComparison.OrdinalIgnoreCase) ||
        (!string.IsNullOrWhiteSpace(wanted) && wanted.IndexOf('\0') < 0 && string.Equals(itemPath, Path.GetFullPath(wanted), StringComparison.Ordinal));

    private sealed record Item(int Index, string Path, ArtifactEntry? Artifact);

    private sealed record FileState(string Sha256, string? Mode);
}
