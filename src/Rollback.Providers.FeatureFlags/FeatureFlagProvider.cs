using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.FeatureFlags;

/// <summary>
/// A feature flag of an Unleash server, through its admin API. A point records, for each environment the target covers,
/// whether the flag is on and its strategies with their parameters (the rollout percentage...), constraints, variants and
/// segments. A rollback puts that state back: a point taken before the flag was turned on is its kill switch. Readiness:
/// the server answers with the token, and the flag and every captured environment exist.
/// </summary>
/// <remarks>
/// Order of the changes, per environment: a flag the point has off is turned off first, before its strategies change, so
/// nobody gets a half-restored rollout; a flag the point has on gets its strategies first and is turned on last (and
/// Unleash's habit of adding a default strategy when an environment with none is turned on is undone). Strategies that
/// still exist are updated in place (their ids kept), missing ones re-created, added ones removed. Then the flag is read
/// again and must match the point.
/// </remarks>
public sealed class FeatureFlagProvider : IRollbackProvider
{
    public const string KindName = "FeatureFlag";
    public const string UrlSetting = "Url";
    public const string TokenSetting = "Token";
    public const string ProjectSetting = "Project";
    public const string FlagSetting = "Flag";
    public const string EnvironmentsSetting = "Environments";
    public const string TimeoutSecondsSetting = "TimeoutSeconds";

    // Keys of the result's and the journal's Details.
    public const string ChangesDetail = "FeatureFlag.Changes";
    public const string PreviousStateDetail = "FeatureFlag.PreviousState";

    private const string ArtifactFile = "feature-flag.json";
    private const string DefaultProject = "default";
    private const int DefaultTimeoutSeconds = 20;

    public string Kind => KindName;

    public string Description => "A feature flag of an Unleash server: each environment's on/off state and rollout strategies (parameters, constraints, variants), put back through the admin API.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = UrlSetting, Type = SettingType.Uri, Required = true, Description = "The Unleash server's address (http://unleash.internal:4242), with its base path if it has one." },
            new SettingDefinition
            {
                Name = TokenSetting, Type = SettingType.Text, Required = true, Secret = true,
                Description = "An admin API token (or personal access token) for the admin API: a SecureString or PSCredential (kept in a user-only store file), 'env:NAME' or 'file:/path' (a user-only file).",
            },
            new SettingDefinition { Name = ProjectSetting, Type = SettingType.Text, Default = DefaultProject, Description = "The project's id." },
            new SettingDefinition { Name = FlagSetting, Type = SettingType.Text, Required = true, Description = "The flag's name." },
            new SettingDefinition { Name = EnvironmentsSetting, Type = SettingType.Text, IsList = true, Description = "The environments the target covers (such as production); every environment of the flag when absent." },
            new SettingDefinition { Name = TimeoutSecondsSetting, Type = SettingType.WholeNumber, Default = DefaultTimeoutSeconds.ToString(CultureInfo.InvariantCulture), PerCall = true, Description = "How long one admin API call may take." },
        },
        new[]
        {
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagServerUnreachable, "Check the Url setting and that the Unleash server runs and answers /health from this machine."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagAccessDenied, "Give the target an admin API token (Unleash: Admin settings > API access, type Admin) or a personal access token of a user allowed in the project, then register it again."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagProjectNotFound, "Check the Project setting: it takes the project's id (default for the default project)."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagNotFound, "Check the Flag setting against the project's flags; an archived flag must be revived before it can be rolled back."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagEnvironmentNotFound, "Check the Environments setting against the flag's environments (the project must have the environment enabled)."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagAnswerMalformed, "Check that Url names the Unleash server itself, not a proxy, a login page or another service."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagRequestFailed, "Read Unleash's message in the error; the server's log says more. Get-RollbackHistory shows what was changed before the failure."),
            new ErrorIdInfo(FeatureFlagErrorId.FeatureFlagNotRestored, "Someone changed the flag during the rollback: read it in Unleash, then roll back again."),
        });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var flag = Required(settings, FlagSetting, "the flag's name");
        var project = settings.GetString(ProjectSetting) is { } given && given.Trim().Length > 0 ? given.Trim() : DefaultProject;
        if (settings.GetList(EnvironmentsSetting).Any(string.IsNullOrWhiteSpace))
        {
            throw Invalid(EnvironmentsSetting, "an empty environment name");
        }

        return settings.With(FlagSetting, flag).With(ProjectSetting, project);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = Client(target, context);
        var state = Read(client, target);
        return new TargetState { Version = state.Label, Fingerprint = state.Fingerprint, Detail = $"Flag '{state.Flag}' in project '{state.Project}': {state.Label}." };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = $"Capturing flag {Flag(target)}";
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "Reading the flag" });
        try
        {
            using var client = Client(target, context);
            var state = Read(client, target);
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, state);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ProjectSetting] = state.Project,
                [FlagSetting] = state.Flag,
            };
            foreach (var environment in state.Environments)
            {
                metadata["Enabled." + environment.Name] = environment.Enabled ? "true" : "false";
            }

            return new CapturedState { Version = state.Label, Fingerprint = state.Fingerprint, Artifacts = new[] { artifact }, Metadata = metadata };
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Completed = true });
        }
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        FlagState live;
        try
        {
            using var client = Client(target, context);
            live = FlagState.Parse(Project(target), Flag(target), client.GetFeature(Project(target), Flag(target)), Array.Empty<string>());
        }
        catch (RollbackException ex)
        {
            var name = ex.ErrorId is FeatureFlagErrorId.FeatureFlagServerUnreachable or FeatureFlagErrorId.FeatureFlagAccessDenied or FeatureFlagErrorId.FeatureFlagAnswerMalformed ? "ServerAnswers" : "FlagExists";
            return new[] { CheckResult.Fail(name, ex.ErrorId, ex.Message) };
        }

        var checks = new List<CheckResult>
        {
            CheckResult.Pass("ServerAnswers", $"Unleash at {Url(target)} answers the admin API with the target's token."),
            CheckResult.Pass("FlagExists", $"Flag '{Flag(target)}' exists in project '{Project(target)}'."),
        };
        var missing = captured.Environments.Where(e => live.Find(e.Name) is null).Select(e => e.Name).ToList();
        checks.Add(missing.Count == 0
            ? CheckResult.Pass("EnvironmentsExist", $"The flag has the point's environments: {string.Join(", ", captured.Environments.Select(e => e.Name))}.")
            : CheckResult.Fail("EnvironmentsExist", FeatureFlagErrorId.FeatureFlagEnvironmentNotFound, $"Flag '{Flag(target)}' no longer has environment {string.Join(", ", missing)}, which the point records. Enable it in the project again, or roll back to a point without it."));
        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        return captured.Environments
            .Select(e => new PlannedStep("RestoreFlag", $"Put flag '{captured.Flag}' in '{e.Name}' back to {(e.Enabled ? "on" : "off")} with {(e.Strategies.Count == 0 ? "no strategy" : string.Join(" + ", e.Ordered.Select(s => s.Label)))} ({(e.Enabled ? "strategies first, then on" : "off first, then the strategies")})."))
            .Concat(new[] { new PlannedStep("VerifyFlag", $"Read flag '{captured.Flag}' again: it must match the point ({captured.Label}).") })
            .ToList();
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var captured = ReadCaptured(target, point);
        using var client = Client(target, context);
        var before = Read(client, target, captured.Environments.Select(e => e.Name).ToList());
        context.Details[PreviousStateDetail] = before.Label;
        var changes = new List<string>();

        // One switch for every environment: a flag served to clients changes as soon as the first call lands.
        context.Switch("RestoreFlag", () =>
        {
            foreach (var wanted in captured.Environments)
            {
                changes.AddRange(RestoreEnvironment(client, target, wanted, before.Find(wanted.Name)!, context));
            }
        });

        context.Details[ChangesDetail] = changes.Count == 0 ? "none" : string.Join("; ", changes);
        context.Step("VerifyFlag", () =>
        {
            var after = Read(client, target, captured.Environments.Select(e => e.Name).ToList());
            if (after.Fingerprint != captured.Fingerprint)
            {
                throw new RollbackException(FeatureFlagErrorId.FeatureFlagNotRestored, RollbackErrorCategory.InvalidResult,
                    $"After the rollback flag '{captured.Flag}' reads {after.Label}, not the point's {captured.Label}. Someone may have changed it meanwhile: read it in Unleash, then roll back again.", captured.Flag);
            }
        });
    }

    private static List<string> RestoreEnvironment(UnleashClient client, RollbackTarget target, EnvironmentState wanted, EnvironmentState now, RestoreContext context)
    {
        var (project, flag, environment) = (Project(target), Flag(target), wanted.Name);
        var changes = new List<string>();
        if (!wanted.Enabled && now.Enabled)
        {
            client.SetEnabled(project, flag, environment, enabled: false);
            changes.Add($"{environment}: off");
        }

        changes.AddRange(ReconcileStrategies(client, project, flag, wanted, now.Strategies, context));
        if (wanted.Enabled && !now.Enabled)
        {
            client.SetEnabled(project, flag, environment, enabled: true);
            changes.Add($"{environment}: on");

            // Unleash gives an environment turned on without strategies a default one; the point's list stands.
            var added = FlagState.Parse(project, flag, client.GetFeature(project, flag), new[] { environment }).Find(environment)!;
            changes.AddRange(ReconcileStrategies(client, project, flag, wanted, added.Strategies, context));
        }

        return changes;
    }

    private static List<string> ReconcileStrategies(UnleashClient client, string project, string flag, EnvironmentState wanted, IReadOnlyList<StrategyState> current, OperationContext context)
    {
        var changes = new List<string>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var strategy in wanted.Ordered)
        {
            context.Cancellation.ThrowIfCancellationRequested();

            // The same strategy where it still exists (by id), else one with the same fields (re-created by an earlier rollback).
            var existing = current.FirstOrDefault(s => s.Id == strategy.Id && !kept.Contains(s.Id))
                ?? current.FirstOrDefault(s => s.Canonical == strategy.Canonical && !kept.Contains(s.Id) && wanted.Strategies.All(w => w.Id != s.Id));
            if (existing is null)
            {
                client.AddStrategy(project, flag, wanted.Name, strategy);
                changes.Add($"{wanted.Name}: added {strategy.Label}");
                continue;
            }

            kept.Add(existing.Id);
            if (existing.Canonical != strategy.Canonical || existing.SortOrder != strategy.SortOrder)
            {
                client.UpdateStrategy(project, flag, wanted.Name, strategy.WithId(existing.Id));
                changes.Add($"{wanted.Name}: {existing.Label} -> {strategy.Label}");
            }
        }

        foreach (var extra in current.Where(s => !kept.Contains(s.Id)))
        {
            context.Cancellation.ThrowIfCancellationRequested();
            client.DeleteStrategy(project, flag, wanted.Name, extra);
            changes.Add($"{wanted.Name}: removed {extra.Label}");
        }

        return changes;
    }

    private static FlagState Read(UnleashClient client, RollbackTarget target, IReadOnlyList<string>? environments = null) =>
        FlagState.Parse(Project(target), Flag(target), client.GetFeature(Project(target), Flag(target)), environments ?? target.Settings.GetList(EnvironmentsSetting));

    private static FlagState ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        StoreJson.ReadArtifact<FlagState>(target, point, ArtifactFile, state => state.Environments.Count == 0 ? "no environment" : null);

    private static UnleashClient Client(RollbackTarget target, OperationContext context)
    {
        var token = target.Settings.GetSecret(TokenSetting)
            ?? throw Invalid(TokenSetting, "no token reference (register the target again with Token as a SecureString, 'env:NAME' or 'file:/path')");
        var seconds = int.TryParse(target.Settings.GetString(TimeoutSecondsSetting), NumberStyles.Integer, CultureInfo.InvariantCulture, out var given) && given > 0 ? given : DefaultTimeoutSeconds;
        return new UnleashClient(Url(target), context.Reveal(token), TimeSpan.FromSeconds(seconds), context.Cancellation);
    }

    private static Uri Url(RollbackTarget target) => new(target.Settings.GetString(UrlSetting)!, UriKind.Absolute);

    private static string Project(RollbackTarget target) => target.Settings.GetString(ProjectSetting) ?? DefaultProject;

    private static string Flag(RollbackTarget target) => target.Settings.GetString(FlagSetting)!;

    private static string Required(SettingsDictionary settings, string key, string what)
    {
        var value = settings.GetString(key);
        return string.IsNullOrWhiteSpace(value) ? throw Invalid(key, $"no value: it names {what}") : value!.Trim();
    }

    private static RollbackException Invalid(string key, string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"The {KindName} setting '{key}' has {why}, e.g. @{{ {UrlSetting} = 'http://unleash:4242'; {TokenSetting} = 'env:UNLEASH_ADMIN_TOKEN'; {FlagSetting} = 'checkout.new-flow'; {EnvironmentsSetting} = 'production' }}.", key);
}
