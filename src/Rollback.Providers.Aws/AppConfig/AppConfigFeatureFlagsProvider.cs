using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Aws.AppConfig;

/// <summary>
/// An AWS AppConfig feature-flag (or freeform) configuration profile as one environment serves it. A point records the
/// hosted configuration version the environment's latest COMPLETE deployment of the profile delivered, and that
/// version's content with its SHA-256. Readiness checks that the application, the profile and the environment exist,
/// that the version is still hosted with the captured content, and that no deployment to the environment is in
/// progress. Rolling back is one StartDeployment of the captured version with the DeploymentStrategy, followed with the
/// shared <see cref="RemoteOperationFollower"/> until COMPLETE (ROLLED_BACK or REVERTED: AppConfig rolled it back), then
/// verified by reading the environment's deployments again. Ctrl+C stops the deployment (StopDeployment: AppConfig
/// rolls the environment back to what it served before).
/// </summary>
public sealed class AppConfigFeatureFlagsProvider : IRollbackProvider
{
    public const string KindName = "AppConfigFeatureFlags";
    public const string ApplicationSetting = "Application";
    public const string ConfigurationProfileSetting = "ConfigurationProfile";
    public const string EnvironmentSetting = "Environment";
    public const string DeploymentStrategySetting = "DeploymentStrategy";
    public const string DefaultStrategy = "AppConfig.AllAtOnce";

    // Keys of the result's and the journal's Details.
    public const string DeploymentNumberDetail = "AppConfig.DeploymentNumber";
    public const string DeploymentStateDetail = "AppConfig.DeploymentState";
    public const string PreviousVersionDetail = "AppConfig.PreviousVersion";
    public const string StopStateDetail = "AppConfig.StopState";

    private const string ArtifactFile = "appconfig-deployment.json";
    private const string ContentFile = "configuration-content";
    private const int MaxPages = 20;

    private static readonly FollowSettings Following = new(KindName, pollSeconds: 5, followMinutes: 30, "the deployment", "AppConfig");

    private static readonly HashSet<string> InProgressStates = new(StringComparer.Ordinal) { "BAKING", "VALIDATING", "DEPLOYING", "ROLLING_BACK" };

    private readonly Func<RollbackTarget, IAppConfigClient> _clients;

    public AppConfigFeatureFlagsProvider()
        : this(target => new AppConfigClient(AwsClientOptions.FromSettings(target.Settings)))
    {
    }

    /// <summary>For tests: the AppConfig client for a target.</summary>
    internal AppConfigFeatureFlagsProvider(Func<RollbackTarget, IAppConfigClient> clients)
    {
        _clients = clients;
    }

    public string Kind => KindName;

    public string Description => "An AWS AppConfig feature-flag profile in one environment: the captured hosted version deployed again with StartDeployment, followed until COMPLETE.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = ApplicationSetting, Type = SettingType.Text, Required = true, Description = "The AppConfig application's id or name." },
            new SettingDefinition { Name = ConfigurationProfileSetting, Type = SettingType.Text, Required = true, Description = "The configuration profile's id or name (a hosted profile, such as a feature-flag profile)." },
            new SettingDefinition { Name = EnvironmentSetting, Type = SettingType.Text, Required = true, Description = "The environment's id or name." },
            new SettingDefinition { Name = DeploymentStrategySetting, Type = SettingType.Text, Default = DefaultStrategy, PerCall = true, Description = "The deployment strategy of the rollback's deployment (id or predefined name)." },
        }.Concat(Following.Definitions).Concat(AwsClientOptions.Settings),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.AppConfigNoCompleteDeployment, "The environment has no COMPLETE deployment of the profile, so nothing is known-good yet: deploy a version (aws appconfig start-deployment) and capture a point once it is COMPLETE."),
            new ErrorIdInfo(AwsErrorId.AppConfigProfileNotHosted, "The profile's versions live outside AppConfig (S3, SSM, CodePipeline): roll back its source instead, or use a hosted profile."),
            new ErrorIdInfo(AwsErrorId.AppConfigVersionMissing, "The point's hosted configuration version was deleted (or changed): create it again from the point's configuration-content artifact (aws appconfig create-hosted-configuration-version) and capture a new point, or roll back to another point."),
            new ErrorIdInfo(AwsErrorId.AppConfigDeploymentInProgress, "A deployment to the environment is in progress (AppConfig runs one at a time): wait for it, or stop it (aws appconfig stop-deployment), then try again. After a rollback gave up following, follow it with aws appconfig get-deployment."),
            new ErrorIdInfo(AwsErrorId.AppConfigDeploymentRolledBack, "AppConfig rolled the rollback's deployment back (an alarm of the environment, or a StopDeployment): read the deployment's event log (aws appconfig get-deployment); the environment serves what it served before."),
            new ErrorIdInfo(AwsErrorId.AppConfigVersionNotDeployed, "After the deployment the environment's latest COMPLETE deployment of the profile is not the captured version (another deployment?): read aws appconfig list-deployments and roll back again."),
        }));

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        const string example = "@{ Application = 'checkout'; ConfigurationProfile = 'flags'; Environment = 'production'; Region = 'eu-west-1' }";
        var application = AwsProviderSupport.RequiredSetting(settings, ApplicationSetting, "the application", KindName, example);
        var profile = AwsProviderSupport.RequiredSetting(settings, ConfigurationProfileSetting, "the configuration profile", KindName, example);
        var environment = AwsProviderSupport.RequiredSetting(settings, EnvironmentSetting, "the environment", KindName, example);
        _ = AwsClientOptions.FromSettings(settings);
        Following.Validate(settings);
        var strategy = settings.GetString(DeploymentStrategySetting);
        return settings.With(ApplicationSetting, application).With(ConfigurationProfileSetting, profile).With(EnvironmentSetting, environment)
            .With(DeploymentStrategySetting, string.IsNullOrWhiteSpace(strategy) ? DefaultStrategy : strategy!.Trim());
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var ids = Resolve(client, target, context.Cancellation);
        var deployed = Deployed(client, ids, context.Cancellation);
        return new TargetState
        {
            Version = deployed is null ? "(none)" : Version(deployed.ConfigurationVersion),
            Fingerprint = deployed is null ? "appconfig:none" : Fingerprint(ids, deployed.ConfigurationVersion),
            Detail = deployed is null
                ? $"{Resource(target)} has no COMPLETE deployment of the profile."
                : $"{Resource(target)} serves version {deployed.ConfigurationVersion} (deployment {deployed.DeploymentNumber}, {deployed.DeploymentStrategyId}).",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = "Capturing AppConfig " + Resource(target);
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "ListDeployments" });
        try
        {
            using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
            var ids = Resolve(client, target, context.Cancellation);
            if (!string.Equals(ids.LocationUri, "hosted", StringComparison.Ordinal))
            {
                throw new RollbackException(AwsErrorId.AppConfigProfileNotHosted, RollbackErrorCategory.InvalidArgument,
                    $"Configuration profile {ids.ProfileName} ({ids.ProfileId}) of {ids.ApplicationName} keeps its versions at {ids.LocationUri}, not in AppConfig: this kind rolls back hosted profiles only.", Resource(target));
            }

            var deployed = Deployed(client, ids, context.Cancellation) ?? throw new RollbackException(AwsErrorId.AppConfigNoCompleteDeployment, RollbackErrorCategory.ObjectNotFound,
                $"Environment {ids.EnvironmentName} ({ids.EnvironmentId}) has no COMPLETE deployment of configuration profile {ids.ProfileName} ({ids.ProfileId}): there is no deployed version to capture. Deploy one and capture once it is COMPLETE.", Resource(target));
            var version = deployed.ConfigurationVersion!;
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "GetHostedConfigurationVersion " + version });
            var content = AwsProviderSupport.Wait(client.GetHostedConfigurationVersionAsync(ids.ApplicationId, ids.ProfileId, version, context.Cancellation));
            var captured = new CapturedDeployment
            {
                ApplicationId = ids.ApplicationId,
                ConfigurationProfileId = ids.ProfileId,
                EnvironmentId = ids.EnvironmentId,
                ProfileType = ids.ProfileType,
                ConfigurationVersion = version,
                DeploymentNumber = deployed.DeploymentNumber,
                DeploymentStrategyId = deployed.DeploymentStrategyId,
                ContentSha256 = Checksums.HashText(content),
            };
            var artifacts = new[]
            {
                StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, captured),
                WriteContent(context.ArtifactsDirectory, content),
            };
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ApplicationSetting] = ids.ApplicationId,
                [ConfigurationProfileSetting] = ids.ProfileId,
                [EnvironmentSetting] = ids.EnvironmentId,
                ["ConfigurationVersion"] = version,
                ["ContentSha256"] = captured.ContentSha256,
            };
            return new CapturedState { Version = Version(version), Fingerprint = Fingerprint(ids, version), Artifacts = artifacts, Metadata = metadata };
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Completed = true });
        }
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var checks = new List<CheckResult>();
        var captured = ReadCaptured(target, point);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        checks.Add(AwsProviderSupport.Guard("ApplicationExists", () =>
        {
            var application = AwsProviderSupport.Wait(client.GetApplicationAsync(captured.ApplicationId!, context.Cancellation));
            return CheckResult.Pass("ApplicationExists", $"Application {application.Name} ({application.Id}) answers GetApplication with these credentials.");
        }));
        checks.Add(AwsProviderSupport.Guard("ConfigurationProfileExists", () =>
        {
            var profile = AwsProviderSupport.Wait(client.GetConfigurationProfileAsync(captured.ApplicationId!, captured.ConfigurationProfileId!, context.Cancellation));
            return CheckResult.Pass("ConfigurationProfileExists", $"Configuration profile {profile.Name} ({profile.Id}, {profile.Type}) exists.");
        }));
        checks.Add(AwsProviderSupport.Guard("EnvironmentExists", () =>
        {
            var environment = AwsProviderSupport.Wait(client.GetEnvironmentAsync(captured.ApplicationId!, captured.EnvironmentId!, context.Cancellation));
            return CheckResult.Pass("EnvironmentExists", $"Environment {environment.Name} ({environment.Id}) exists ({environment.State}).");
        }));
        checks.Add(AwsProviderSupport.Guard("HostedVersionIntact", () => CheckVersion(client, captured, context.Cancellation)));
        checks.Add(AwsProviderSupport.Guard("NoDeploymentInProgress", () =>
        {
            var running = Deployments(client, captured.ApplicationId!, captured.EnvironmentId!, context.Cancellation).Where(d => InProgressStates.Contains(d.State ?? string.Empty)).ToList();
            return running.Count == 0
                ? CheckResult.Pass("NoDeploymentInProgress", $"No deployment to {Resource(target)} is in progress.")
                : CheckResult.Fail("NoDeploymentInProgress", AwsErrorId.AppConfigDeploymentInProgress,
                    $"Deployment {string.Join(", ", running.Select(d => $"{d.DeploymentNumber} ({d.ConfigurationName} version {d.ConfigurationVersion}, {d.State}, {d.PercentageComplete:0.#}%)"))} to {Resource(target)} is in progress, and AppConfig runs one deployment per environment at a time. Wait for it, or stop it: aws appconfig stop-deployment --application-id {captured.ApplicationId} --environment-id {captured.EnvironmentId} --deployment-number {running[0].DeploymentNumber}.");
        }));
        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        return new[]
        {
            new PlannedStep("StartDeployment", $"StartDeployment of configuration profile {captured.ConfigurationProfileId} version {captured.ConfigurationVersion} to {Resource(target)} with strategy {Strategy(target)}."),
            new PlannedStep("FollowDeployment", "Follow the deployment (GetDeployment) until it is COMPLETE, or rolled back by AppConfig."),
            new PlannedStep("VerifyDeployment", $"Read the environment's deployments again: the latest COMPLETE one of the profile must be version {captured.ConfigurationVersion}."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var captured = ReadCaptured(target, point);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var ids = new Ids(captured.ApplicationId!, captured.ApplicationId!, captured.ConfigurationProfileId!, captured.ConfigurationProfileId!, "hosted", captured.ProfileType, captured.EnvironmentId!, captured.EnvironmentId!);
        var before = Deployed(client, ids, context.Cancellation);
        context.Details[PreviousVersionDetail] = before?.ConfigurationVersion ?? string.Empty;

        // Once sent, StartDeployment is not cancelled half-way: AppConfig has started the deployment or it has not, and
        // its number is what lets a Ctrl+C that arrives meanwhile stop it.
        AppConfigDeployment? started = null;
        context.Switch("StartDeployment", () => started = AwsProviderSupport.Wait(client.StartDeploymentAsync(ids.ApplicationId, ids.EnvironmentId, new StartDeploymentRequest
        {
            ConfigurationProfileId = ids.ProfileId,
            ConfigurationVersion = captured.ConfigurationVersion,
            DeploymentStrategyId = Strategy(target),
            Description = Truncate($"Rollback to point {point.Id}: {context.Reason}", 1024),
        }, CancellationToken.None)));
        var number = started!.DeploymentNumber;
        context.Details[DeploymentNumberDetail] = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Reporter.Verbose($"AppConfig deployment {number} of version {captured.ConfigurationVersion} to {Resource(target)} started ({started.State}, strategy {started.DeploymentStrategyId}).");

        var operation = Deployment(client, target, ids, number, context);
        if (context.Cancellation.IsCancellationRequested)
        {
            throw Cancelled(target, ids, number, RemoteOperationFollower.Cancelled(operation, context, null, operation.InitialStatus, TimeSpan.Zero,
                new OperationCanceledException(context.Cancellation)), context);
        }

        context.Step("FollowDeployment", () => Follow(target, ids, number, operation, context));
        context.Step("VerifyDeployment", () =>
        {
            var now = Deployed(client, ids, context.Cancellation);
            if (now?.ConfigurationVersion != captured.ConfigurationVersion)
            {
                throw new RollbackException(AwsErrorId.AppConfigVersionNotDeployed, RollbackErrorCategory.InvalidResult,
                    $"After deployment {number}, the latest COMPLETE deployment of profile {ids.ProfileId} to {Resource(target)} is {(now is null ? "none" : $"{now.DeploymentNumber} of version {now.ConfigurationVersion}")}, not version {captured.ConfigurationVersion}. Read aws appconfig list-deployments --application-id {ids.ApplicationId} --environment-id {ids.EnvironmentId}.", Resource(target));
            }
        });
    }

    private static RemoteOperation Deployment(IAppConfigClient client, RollbackTarget target, Ids ids, int number, RestoreContext context) => new()
    {
        Name = $"Deployment {number}",
        Activity = $"AppConfig deployment {number} to {Resource(target)}",
        Read = token =>
        {
            var deployment = AwsProviderSupport.Wait(client.GetDeploymentAsync(ids.ApplicationId, ids.EnvironmentId, number, token));
            var state = deployment.State ?? "(no state)";
            context.Details[DeploymentStateDetail] = state;
            return new RemoteOperationState
            {
                Status = state,
                Outcome = state switch
                {
                    "COMPLETE" => RemoteOutcome.Succeeded,
                    "ROLLED_BACK" or "REVERTED" => RemoteOutcome.Failed,
                    _ => RemoteOutcome.Running,
                },
                Summary = $"{deployment.PercentageComplete:0.#}% of version {deployment.ConfigurationVersion}",
                PercentComplete = (int)Math.Min(100, Math.Max(0, deployment.PercentageComplete)),
            };
        },
        Stop = budget =>
        {
            var stopped = AwsProviderSupport.Wait(client.StopDeploymentAsync(ids.ApplicationId, ids.EnvironmentId, number, budget));
            context.Details[StopStateDetail] = stopped.State ?? string.Empty;
            return stopped.State ?? "(no state)";
        },
        PollInterval = Following.PollInterval(target.Settings),
        Patience = Following.Patience(target.Settings),
        InitialStatus = "DEPLOYING",
    };

    private static void Follow(RollbackTarget target, Ids ids, int number, RemoteOperation operation, RestoreContext context)
    {
        var result = RemoteOperationFollower.Follow(operation, context);
        var summary = result.Last?.Summary;
        var getDeployment = $"aws appconfig get-deployment --application-id {ids.ApplicationId} --environment-id {ids.EnvironmentId} --deployment-number {number}";
        switch (result.Ending)
        {
            case FollowEnding.Succeeded:
                return;
            case FollowEnding.Failed or FollowEnding.Stopped:
                throw new RollbackException(AwsErrorId.AppConfigDeploymentRolledBack, RollbackErrorCategory.InvalidOperation,
                    $"AppConfig deployment {number} to {Resource(target)} was {result.LastStatus} ({summary}): AppConfig rolled it back, and the environment serves what it served before. Read its event log: {getDeployment}.", number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            case FollowEnding.OutOfPatience:
                throw new RollbackException(AwsErrorId.AppConfigDeploymentInProgress, RollbackErrorCategory.ResourceBusy,
                    $"AppConfig deployment {number} to {Resource(target)} is still {result.LastStatus} after {Following.Patience(target.Settings).TotalMinutes:0.#} minutes ({summary}); it goes on in AppConfig. Follow it with {getDeployment}.", number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            default:
                throw Cancelled(target, ids, number, result, context);
        }
    }

    /// <summary>Ctrl+C while the rollback's deployment runs: stopped in AppConfig (which rolls the environment back), or the stop failed; the warning and the journal say which.</summary>
    private static RollbackException Cancelled(RollbackTarget target, Ids ids, int number, FollowResult result, RestoreContext context)
    {
        var outcome = result.CancelAction == CancelAction.Stopped
            ? $"It was stopped in AppConfig (StopDeployment: {result.StopDetail}), which rolls the environment back to what it served before."
            : $"Stopping it failed ({result.StopDetail}); it may still be running. Stop it by hand: aws appconfig stop-deployment --application-id {ids.ApplicationId} --environment-id {ids.EnvironmentId} --deployment-number {number}.";
        if (result.CancelAction != CancelAction.Stopped)
        {
            context.Details[StopStateDetail] = "NotStopped";
        }

        var message = $"Cancelled while AppConfig deployment {number} to {Resource(target)} was {result.LastStatus}. {outcome}";
        context.Reporter.Warning(message);
        return new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, number.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Cancellation);
    }

    private static CheckResult CheckVersion(IAppConfigClient client, CapturedDeployment captured, CancellationToken cancellation)
    {
        string content;
        try
        {
            content = AwsProviderSupport.Wait(client.GetHostedConfigurationVersionAsync(captured.ApplicationId!, captured.ConfigurationProfileId!, captured.ConfigurationVersion!, cancellation));
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            return CheckResult.Fail("HostedVersionIntact", AwsErrorId.AppConfigVersionMissing,
                $"Hosted configuration version {captured.ConfigurationVersion} of profile {captured.ConfigurationProfileId} was deleted ({ex.Message}). Create it again from the point's {ContentFile} artifact and capture a new point, or roll back to another point.");
        }

        var sha = Checksums.HashText(content);
        return string.Equals(sha, captured.ContentSha256, StringComparison.Ordinal)
            ? CheckResult.Pass("HostedVersionIntact", $"Hosted configuration version {captured.ConfigurationVersion} of profile {captured.ConfigurationProfileId} holds the captured content (SHA-256 {sha}).")
            : CheckResult.Fail("HostedVersionIntact", AwsErrorId.AppConfigVersionMissing,
                $"Hosted configuration version {captured.ConfigurationVersion} of profile {captured.ConfigurationProfileId} now holds other content (SHA-256 {sha}, captured {captured.ContentSha256}): it was deleted and the number reused. Roll back to another point.");
    }

    /// <summary>The environment's latest COMPLETE deployment of the profile (GetDeployment of each COMPLETE summary, newest first, until one is of the profile), or null.</summary>
    private static AppConfigDeployment? Deployed(IAppConfigClient client, Ids ids, CancellationToken cancellation)
    {
        foreach (var summary in Deployments(client, ids.ApplicationId, ids.EnvironmentId, cancellation).Where(d => d.State == "COMPLETE").OrderByDescending(d => d.DeploymentNumber))
        {
            var deployment = AwsProviderSupport.Wait(client.GetDeploymentAsync(ids.ApplicationId, ids.EnvironmentId, summary.DeploymentNumber, cancellation));
            if (string.Equals(deployment.ConfigurationProfileId, ids.ProfileId, StringComparison.Ordinal) && !string.IsNullOrEmpty(deployment.ConfigurationVersion))
            {
                return deployment;
            }
        }

        return null;
    }

    private static List<AppConfigDeployment> Deployments(IAppConfigClient client, string application, string environment, CancellationToken cancellation) =>
        Pages(token => AwsProviderSupport.Wait(client.ListDeploymentsAsync(application, environment, token, cancellation)));

    private static List<T> Pages<T>(Func<string?, AppConfigList<T>> list)
    {
        var items = new List<T>();
        string? token = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var answer = list(token);
            items.AddRange(answer.Items ?? new List<T>());
            token = answer.NextToken;
            if (string.IsNullOrEmpty(token))
            {
                break;
            }
        }

        return items;
    }

    /// <summary>The target's application, profile and environment as ids (each given as an id or a name).</summary>
    private static Ids Resolve(IAppConfigClient client, RollbackTarget target, CancellationToken cancellation)
    {
        var application = Find(target.Settings.GetString(ApplicationSetting)!, "application",
            id => AwsProviderSupport.Wait(client.GetApplicationAsync(id, cancellation)),
            token => AwsProviderSupport.Wait(client.ListApplicationsAsync(token, cancellation)), a => a.Id, a => a.Name);
        var profile = Find(target.Settings.GetString(ConfigurationProfileSetting)!, "configuration profile",
            id => AwsProviderSupport.Wait(client.GetConfigurationProfileAsync(application.Id!, id, cancellation)),
            token => AwsProviderSupport.Wait(client.ListConfigurationProfilesAsync(application.Id!, token, cancellation)), p => p.Id, p => p.Name);
        if (profile.LocationUri is null)
        {
            // A list item carries the location too, but read the profile itself for its type.
            profile = AwsProviderSupport.Wait(client.GetConfigurationProfileAsync(application.Id!, profile.Id!, cancellation));
        }

        var environment = Find(target.Settings.GetString(EnvironmentSetting)!, "environment",
            id => AwsProviderSupport.Wait(client.GetEnvironmentAsync(application.Id!, id, cancellation)),
            token => AwsProviderSupport.Wait(client.ListEnvironmentsAsync(application.Id!, token, cancellation)), e => e.Id, e => e.Name);
        return new Ids(application.Id!, application.Name ?? application.Id!, profile.Id!, profile.Name ?? profile.Id!, profile.LocationUri, profile.Type, environment.Id!, environment.Name ?? environment.Id!);
    }

    /// <summary>
    /// By id first (Get); when AppConfig knows no such id, by name in the list. A list that cannot be read leaves the
    /// id's not-found as the answer (an emulator without the List operation); refusals of the list itself stand.
    /// </summary>
    private static T Find<T>(string idOrName, string what, Func<string, T> get, Func<string?, AppConfigList<T>> list, Func<T, string?> id, Func<T, string?> name)
    {
        try
        {
            return get(idOrName);
        }
        catch (RollbackException notFound) when (notFound.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            List<T> items;
            try
            {
                items = Pages(list);
            }
            catch (RollbackException ex) when (ex.ErrorId is not (AwsErrorId.AwsAccessDenied or AwsErrorId.AwsThrottled))
            {
                throw notFound;
            }

            var named = items.Where(i => string.Equals(name(i), idOrName, StringComparison.Ordinal)).ToList();
            return named.Count switch
            {
                1 when id(named[0]) is { Length: > 0 } => named[0],
                0 => throw new RollbackException(AwsErrorId.AwsResourceNotFound, RollbackErrorCategory.ObjectNotFound,
                    $"AppConfig has no {what} with the id or name '{idOrName}' ({notFound.Message}). Check the name or id, the region and the account the credentials belong to.", idOrName, notFound),
                _ => throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                    $"More than one AppConfig {what} is named '{idOrName}' ({string.Join(", ", named.Select(id))}): register the target with its id.", idOrName),
            };
        }
    }

    /// <summary>The captured content as AppConfig served it, so a deleted version can be created again by hand.</summary>
    private static ArtifactEntry WriteContent(string directory, string content)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, ContentFile);
        AtomicFile.WriteAllText(path, content);
        return new ArtifactEntry { RelativePath = ContentFile, Size = new FileInfo(path).Length, Sha256 = Checksums.HashFile(path) };
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text.Substring(0, length);

    private static string Version(string? version) => "v" + version;

    private static string Fingerprint(Ids ids, string? version) => $"appconfig:{ids.ApplicationId}/{ids.ProfileId}/{ids.EnvironmentId}@{version}";

    private static string Strategy(RollbackTarget target) => target.Settings.GetString(DeploymentStrategySetting) is { Length: > 0 } strategy ? strategy : DefaultStrategy;

    private static string Resource(RollbackTarget target) => $"{target.Settings.GetString(ApplicationSetting)}/{target.Settings.GetString(EnvironmentSetting)}";

    private static CapturedDeployment ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<CapturedDeployment>(target, point, ArtifactFile, c =>
            string.IsNullOrEmpty(c.ApplicationId) || string.IsNullOrEmpty(c.ConfigurationProfileId) || string.IsNullOrEmpty(c.EnvironmentId) || string.IsNullOrEmpty(c.ConfigurationVersion)
                ? "no application, profile, environment or version" : null);

    private sealed record Ids(string ApplicationId, string ApplicationName, string ProfileId, string ProfileName, string? LocationUri, string? ProfileType, string EnvironmentId, string EnvironmentName);

    /// <summary>The point's artifact: what the environment served, in AppConfig's ids, and the content's SHA-256.</summary>
    private sealed class CapturedDeployment
    {
        public string? ApplicationId { get; set; }

        public string? ConfigurationProfileId { get; set; }

        public string? EnvironmentId { get; set; }

        public string? ProfileType { get; set; }

        public string? ConfigurationVersion { get; set; }

        public int DeploymentNumber { get; set; }

        public string? DeploymentStrategyId { get; set; }

        public string ContentSha256 { get; set; } = string.Empty;
    }
}
