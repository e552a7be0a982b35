using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.S3;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Aws.CodeDeploy;

/// <summary>
/// An AWS CodeDeploy deployment group (rolled back by redeploying the previous revision). A point records the group's last
/// successful deployment and its revision (S3 bundle with version/ETag, GitHub commit, or AppSpec content), the
/// deployment config and the automatic rollback configuration. Readiness also reads an S3 bundle's metadata (HEAD
/// Object of the captured version, or the object compared by ETag). Rolling back creates a deployment of that revision,
/// described with the reason and the point, and follows it instance by instance (with the shared
/// <see cref="RemoteOperationFollower"/>, on the operation's time: PollSeconds apart, for FollowMinutes at most) until it
/// Succeeded, Failed or was Stopped; Ctrl+C stops the AWS deployment (with automatic rollback, within 30 seconds of its
/// own), or with StopDeploymentOnCancel = $false leaves it running, and says which. The group's current state is the
/// revision of its last attempted deployment when that one succeeded, else that deployment and its status, which
/// no point matches.
/// </summary>
public sealed class CodeDeployDeploymentGroupProvider : IRollbackProvider, IAutoRollbackProvider
{
    public const string KindName = "CodeDeployDeploymentGroup";
    public const string ApplicationNameSetting = "ApplicationName";
    public const string DeploymentGroupNameSetting = "DeploymentGroupName";

    /// <summary>True: a deployment in progress is no readiness failure; the rollback stops it (StopDeployment with automatic rollback) first.</summary>
    public const string StopInProgressSetting = "StopInProgress";

    /// <summary>Seconds between two reads of a deployment being followed (default 5).</summary>
    public const string PollSecondsSetting = FollowSettings.PollSecondsSetting;

    /// <summary>How long to follow a deployment before giving up on it (default 60 minutes); it goes on in AWS.</summary>
    public const string FollowMinutesSetting = FollowSettings.FollowMinutesSetting;

    private static readonly FollowSettings Following = new(KindName, pollSeconds: 5, followMinutes: 60, "a deployment", "AWS");

    /// <summary>The S3 endpoint for the revision bundle check (moto, a VPC endpoint); falls back to EndpointUrl.</summary>
    public const string S3EndpointUrlSetting = "S3EndpointUrl";

    /// <summary>True (default): readiness reads the captured S3 bundle (HEAD Object); false skips that check and says so.</summary>
    public const string CheckRevisionBundleSetting = "CheckRevisionBundle";

    /// <summary>True (default): Ctrl+C during the redeployment stops it in AWS with automatic rollback; false leaves it running and says how to follow it.</summary>
    public const string StopDeploymentOnCancelSetting = "StopDeploymentOnCancel";

    public const string FailureEvent = "DEPLOYMENT_FAILURE";
    public const string AlarmEvent = "DEPLOYMENT_STOP_ON_ALARM";
    public const string RequestEvent = "DEPLOYMENT_STOP_ON_REQUEST";

    // Keys of the result's and the journal's Details.
    public const string DeploymentIdDetail = "CodeDeploy.DeploymentId";
    public const string CapturedDeploymentIdDetail = "CodeDeploy.CapturedDeploymentId";
    public const string StatusDetail = "CodeDeploy.Status";
    public const string StoppedDeploymentIdDetail = "CodeDeploy.StoppedDeploymentId";
    public const string StopStatusDetail = "CodeDeploy.StopStatus";
    public const string InstancesDetailPrefix = "CodeDeploy.Instances.";

    private const string ArtifactFile = "codedeploy-deployment.json";
    private const string DeploymentIdKey = "DeploymentId";
    private const string RevisionTypeKey = "RevisionType";
    private const string DeploymentConfigKey = "DeploymentConfigName";
    private const string AutoRollbackKey = "AutoRollback";
    private const string LastAttemptedKey = "LastAttemptedDeployment";
    private const int DescriptionLimit = 1024;
    private const string BundleCheck = "RevisionBundlePresent";

    /// <summary>The StopStatus detail when Ctrl+C left the deployment running (StopDeploymentOnCancel = $false).</summary>
    public const string LeftRunning = "LeftRunning";

    private static readonly string[] AllEvents = { FailureEvent, AlarmEvent, RequestEvent };
    private static readonly string[] Recommended = { FailureEvent, AlarmEvent };

    private readonly Func<RollbackTarget, ICodeDeployClient> _clients;
    private readonly Func<RollbackTarget, IS3Client> _s3Clients;

    public CodeDeployDeploymentGroupProvider()
        : this(target => new CodeDeployClient(AwsClientOptions.FromSettings(target.Settings)))
    {
    }

    /// <summary>For tests: the CodeDeploy client for a target (an endpoint and credentials of their own); S3 as the settings say.</summary>
    internal CodeDeployDeploymentGroupProvider(Func<RollbackTarget, ICodeDeployClient> clients)
        : this(clients, target => new S3Client(S3Options(target.Settings)))
    {
    }

    /// <summary>For tests: the CodeDeploy and the S3 client for a target.</summary>
    internal CodeDeployDeploymentGroupProvider(Func<RollbackTarget, ICodeDeployClient> clients, Func<RollbackTarget, IS3Client> s3Clients)
    {
        _clients = clients;
        _s3Clients = s3Clients;
    }

    public string Kind => KindName;

    public string Description => "An AWS CodeDeploy deployment group: redeploys the revision of a captured successful deployment and follows it per instance.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = ApplicationNameSetting, Type = SettingType.Text, Required = true, Description = "The CodeDeploy application." },
            new SettingDefinition { Name = DeploymentGroupNameSetting, Type = SettingType.Text, Required = true, Description = "The deployment group." },
            new SettingDefinition { Name = S3EndpointUrlSetting, Type = SettingType.Uri, Description = "The S3 endpoint for the revision bundle check; EndpointUrl when absent." },
            new SettingDefinition { Name = CheckRevisionBundleSetting, Type = SettingType.Boolean, Default = "True", PerCall = true, Description = "Readiness reads the captured S3 bundle (HEAD Object); $false skips that check, with a warning." },
            new SettingDefinition { Name = StopInProgressSetting, Type = SettingType.Boolean, Default = "False", PerCall = true, Description = "$true: a deployment in progress is stopped first (with automatic rollback) instead of failing readiness." },
            new SettingDefinition { Name = StopDeploymentOnCancelSetting, Type = SettingType.Boolean, Default = "True", PerCall = true, Description = "Ctrl+C during the redeployment stops it in AWS; $false leaves it running and says how to follow it." },
        }.Concat(Following.Definitions).Concat(AwsClientOptions.Settings),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.CodeDeployNoSuccessfulDeployment, "Capture a point after the group's first successful deployment: there is nothing to redeploy before it."),
            new ErrorIdInfo(AwsErrorId.CodeDeployDeploymentInProgress, "Wait for the deployment to end, stop it (aws deploy stop-deployment), or let the rollback stop it first with -Option @{ StopInProgress = $true } (or the target setting StopInProgress = $true)."),
            new ErrorIdInfo(AwsErrorId.CodeDeployRevisionMissing, "Register the revision again (aws deploy register-application-revision), or roll back to a point whose revision is still registered."),
            new ErrorIdInfo(AwsErrorId.RevisionBundleMissing, "The S3 bundle the point would redeploy is gone: restore that object version (or remove the delete marker over it), or roll back to a point whose bundle still exists. aws s3api list-object-versions --bucket BUCKET --prefix KEY shows what is left."),
            new ErrorIdInfo(AwsErrorId.RevisionBundleChanged, "The object at the bundle's key was overwritten since the point was captured, so redeploying would ship other content: put the captured bundle back, or capture versioned bundles (enable versioning on the bucket) and roll back to another point."),
            new ErrorIdInfo(AwsErrorId.CodeDeployDeploymentFailed, "Read the failed instances' lifecycle events (aws deploy list-deployment-targets, batch-get-deployment-targets); the safety point holds the state before the rollback."),
            new ErrorIdInfo(AwsErrorId.CodeDeployDeploymentStopped, "The redeployment was stopped (Ctrl+C, or someone else): the message says whether AWS rolled it back; the safety point holds the state before the rollback."),
        }));

    public IReadOnlyList<string> AutoRollbackEvents => AllEvents;

    public IReadOnlyList<string> RecommendedAutoRollbackEvents => Recommended;

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var application = Required(settings, ApplicationNameSetting, "the CodeDeploy application");
        var group = Required(settings, DeploymentGroupNameSetting, "the deployment group");
        _ = AwsClientOptions.FromSettings(settings);
        _ = S3Options(settings);
        Following.Validate(settings);
        return settings.With(ApplicationNameSetting, application).With(DeploymentGroupNameSetting, group);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var group = GetGroup(client, target, context.Cancellation);
        var attempted = group.LastAttemptedDeployment;
        if (attempted?.DeploymentId is null)
        {
            return new TargetState { Version = "(no deployment)", Fingerprint = "codedeploy:none", Detail = $"{Resource(target)} has had no deployment." };
        }

        // The deployment's own revision, read the way Capture reads it, so a point and the state it produced compare equal.
        var revision = AwsProviderSupport.Wait(client.GetDeploymentAsync(new GetDeploymentRequest { DeploymentId = attempted.DeploymentId }, context.Cancellation)).DeploymentInfo?.Revision
            ?? group.TargetRevision;
        var label = revision is null ? "(unknown revision)" : CodeDeployRevision.Label(revision);
        if (attempted.DeploymentId == group.LastSuccessfulDeployment?.DeploymentId && revision is not null)
        {
            return new TargetState { Version = label, Fingerprint = CodeDeployRevision.Fingerprint(revision), Detail = $"Deployment {attempted.DeploymentId} Succeeded." };
        }

        return new TargetState
        {
            Version = $"{label} ({attempted.Status})",
            Fingerprint = $"codedeploy:deployment:{attempted.DeploymentId}:{attempted.Status}",
            Detail = $"The last deployment, {attempted.DeploymentId}, is {attempted.Status}; the last successful one is {group.LastSuccessfulDeployment?.DeploymentId ?? "(none)"}.",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = "Capturing CodeDeploy deployment group " + Resource(target);
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "GetDeploymentGroup" });
        try
        {
            using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
            var group = GetGroup(client, target, context.Cancellation);
            var succeeded = group.LastSuccessfulDeployment?.DeploymentId ?? throw new RollbackException(AwsErrorId.CodeDeployNoSuccessfulDeployment, RollbackErrorCategory.ObjectNotFound,
                $"Deployment group {Resource(target)} has no successful deployment to capture. Capture after a deployment has succeeded.", Resource(target));
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "GetDeployment " + succeeded });
            var deployment = AwsProviderSupport.Wait(client.GetDeploymentAsync(new GetDeploymentRequest { DeploymentId = succeeded }, context.Cancellation)).DeploymentInfo;
            var revision = deployment?.Revision ?? throw new RollbackException(RollbackErrorId.CaptureFailed, RollbackErrorCategory.InvalidData,
                $"Deployment {succeeded} of {Resource(target)} reports no revision, so there is nothing to redeploy.", succeeded);

            var captured = new CapturedDeployment
            {
                ApplicationName = Application(target),
                DeploymentGroupName = Group(target),
                DeploymentId = succeeded,
                DeploymentConfigName = deployment.DeploymentConfigName ?? group.DeploymentConfigName,
                Revision = revision,
                AutoRollbackConfiguration = group.AutoRollbackConfiguration,
                CompleteTime = deployment.CompleteTime,
            };
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, captured);

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ApplicationNameSetting] = Application(target),
                [DeploymentGroupNameSetting] = Group(target),
                [DeploymentIdKey] = succeeded,
                [RevisionTypeKey] = revision.RevisionType ?? string.Empty,
                [DeploymentConfigKey] = captured.DeploymentConfigName ?? string.Empty,
                [AutoRollbackKey] = AutoRollbackLabel(group.AutoRollbackConfiguration),
            };
            if (group.LastAttemptedDeployment is { DeploymentId: { } attempted } last && attempted != succeeded)
            {
                // A safety point taken during an incident records the failed deployment it was taken after.
                metadata[LastAttemptedKey] = $"{attempted} ({last.Status})";
            }

            return new CapturedState
            {
                Version = CodeDeployRevision.Label(revision),
                Fingerprint = CodeDeployRevision.Fingerprint(revision),
                Artifacts = new[] { artifact },
                Metadata = metadata,
            };
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
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var captured = ReadCaptured(target, point);

        DeploymentGroupInfo? group = null;
        checks.Add(AwsProviderSupport.Guard("DeploymentGroupReachable", () =>
        {
            group = GetGroup(client, target, context.Cancellation);
            return CheckResult.Pass("DeploymentGroupReachable",
                $"{Resource(target)} answers GetDeploymentGroup with these credentials (config {group.DeploymentConfigName}, {group.ComputePlatform ?? "Server"}).");
        }));

        checks.Add(AwsProviderSupport.Guard("RevisionRegistered", () =>
        {
            try
            {
                var found = AwsProviderSupport.Wait(client.GetApplicationRevisionAsync(new GetApplicationRevisionRequest { ApplicationName = Application(target), Revision = captured.Revision }, context.Cancellation));
                return CheckResult.Pass("RevisionRegistered",
                    $"Revision {CodeDeployRevision.Label(captured.Revision!)} of deployment {captured.DeploymentId} is registered with {Application(target)}"
                    + (found.RevisionInfo?.RegisterTime is { } registered ? $" (since {registered.ToString("u", CultureInfo.InvariantCulture)})." : "."));
            }
            catch (RollbackException ex) when (AwsErrors.CodeOf(ex) == "RevisionDoesNotExistException")
            {
                return CheckResult.Fail("RevisionRegistered", AwsErrorId.CodeDeployRevisionMissing,
                    $"Revision {CodeDeployRevision.Label(captured.Revision!)} of deployment {captured.DeploymentId} is no longer registered with {Application(target)}: {ex.Message} Register it again (aws deploy register-application-revision) or roll back to another point.");
            }
        }));

        if (captured.Revision!.RevisionType == CodeDeployRevision.S3 && captured.Revision.S3Location is { } bundle)
        {
            checks.Add(target.Settings.GetBoolean(CheckRevisionBundleSetting, true)
                ? CheckBundle(target, captured, bundle, context)
                : CheckResult.Warn(BundleCheck, $"The bundle {S3Client.Describe(BundleRequest(bundle))} was not checked: the target's {CheckRevisionBundleSetting} setting is $false."));
        }

        checks.Add(AwsProviderSupport.Guard("NoDeploymentInProgress", () =>
        {
            var active = ActiveDeployments(client, target, context.Cancellation);
            if (active.Count == 0)
            {
                return CheckResult.Pass("NoDeploymentInProgress", $"No deployment of {Resource(target)} is in progress.");
            }

            return StopInProgress(target)
                ? CheckResult.Warn("NoDeploymentInProgress", $"Deployment {string.Join(", ", active)} of {Resource(target)} is in progress; the rollback will stop it first (StopDeployment with automatic rollback), as the option or the target's {StopInProgressSetting} setting asks.")
                : CheckResult.Fail("NoDeploymentInProgress", AwsErrorId.CodeDeployDeploymentInProgress,
                    $"Deployment {string.Join(", ", active)} of {Resource(target)} is in progress, and CodeDeploy runs one deployment per group at a time. Wait for it, stop it (aws deploy stop-deployment --deployment-id {active[0]}), or let the rollback stop it first: Invoke-Rollback -Option @{{ {StopInProgressSetting} = $true }} (Test-RollbackReadiness with the same -Option to check), or the target's {StopInProgressSetting} setting.");
        }));

        if (group is not null)
        {
            var missing = MissingRecommended(group.AutoRollbackConfiguration);
            checks.Add(missing.Count == 0
                ? CheckResult.Pass("AutoRollbackEnabled", $"CodeDeploy rolls {Resource(target)} back by itself on {string.Join(", ", group.AutoRollbackConfiguration!.Events!)}.")
                : CheckResult.Warn("AutoRollbackEnabled",
                    $"Automatic rollback of {Resource(target)} is not enabled for {string.Join(" and ", missing)} (it is {AutoRollbackLabel(group.AutoRollbackConfiguration)}); roll back on both, so a failed or alarmed deployment undoes itself. Turn it on with Set-AutoRollbackConfiguration -Target {target.Name} -Enable."));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        var steps = new List<PlannedStep>();
        if (StopInProgress(target))
        {
            steps.Add(new PlannedStep("StopInProgressDeployment", $"Stop any deployment of {Resource(target)} in progress (StopDeployment with automatic rollback) and wait until it has stopped."));
        }

        steps.Add(new PlannedStep("CreateDeployment",
            $"Create a deployment of {CodeDeployRevision.Label(captured.Revision!)} (the revision of {captured.DeploymentId}) to {Resource(target)} with config {captured.DeploymentConfigName ?? "(the group's)"}, described with the reason and point {point.Id}."));
        steps.Add(new PlannedStep("FollowDeployment", "Follow the deployment per instance (GetDeployment) until it Succeeded, Failed or was Stopped."));
        return steps;
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var captured = ReadCaptured(target, point);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        context.Details[CapturedDeploymentIdDetail] = captured.DeploymentId ?? string.Empty;

        if (StopInProgress(target))
        {
            context.Step("StopInProgressDeployment", () =>
            {
                foreach (var active in ActiveDeployments(client, target, context.Cancellation))
                {
                    var stop = AwsProviderSupport.Wait(client.StopDeploymentAsync(new StopDeploymentRequest { DeploymentId = active, AutoRollbackEnabled = true }, context.Cancellation));
                    context.Reporter.Warning($"Stopped CodeDeploy deployment {active} of {Resource(target)} before the rollback (StopDeployment with automatic rollback: {stop.Status}).");
                    context.Details[StoppedDeploymentIdDetail] = active;
                }

                // A stop with automatic rollback makes CodeDeploy start a rollback deployment of its own: CodeDeploy
                // runs one deployment per group, so wait until the group is idle.
                WaitUntilIdle(client, target, context);
            });
        }

        // Once sent, CreateDeployment is not cancelled half-way: AWS may have created the deployment, and its id is what
        // lets a Ctrl+C that arrives meanwhile stop it (the follow step sees the cancellation first thing).
        var description = Describe(point, context.Reason);
        var deploymentId = context.Step("CreateDeployment", () => AwsProviderSupport.Wait(client.CreateDeploymentAsync(new CreateDeploymentRequest
        {
            ApplicationName = Application(target),
            DeploymentGroupName = Group(target),
            Revision = captured.Revision,
            DeploymentConfigName = captured.DeploymentConfigName,
            Description = description,
        }, CancellationToken.None)).DeploymentId ?? throw new RollbackException(AwsErrorId.AwsResponseInvalid, RollbackErrorCategory.InvalidData,
            $"CreateDeployment for {Resource(target)} answered without a deployment id.", Resource(target)));
        context.Details[DeploymentIdDetail] = deploymentId;
        context.Reporter.Verbose($"CodeDeploy deployment {deploymentId} of {CodeDeployRevision.Label(captured.Revision!)} to {Resource(target)} created: {description}");

        if (context.Cancellation.IsCancellationRequested)
        {
            // Ctrl+C arrived while CreateDeployment was on its way: the deployment exists, so stop it and say so.
            var operation = Deployment(client, target, new DeploymentReader(client, deploymentId, context), context);
            throw Cancelled(target, deploymentId, RemoteOperationFollower.Cancelled(operation, context, null, operation.InitialStatus, TimeSpan.Zero,
                new OperationCanceledException(context.Cancellation)), context);
        }

        context.Step("FollowDeployment", () => Follow(client, target, deploymentId, context));
    }

    public AutoRollbackState GetAutoRollback(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var configuration = GetGroup(client, target, context.Cancellation).AutoRollbackConfiguration;
        return new AutoRollbackState(Resource(target), configuration?.Enabled == true, (IReadOnlyList<string>?)configuration?.Events ?? Array.Empty<string>());
    }

    public void SetAutoRollback(RollbackTarget target, bool enabled, IReadOnlyList<string> events, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        _ = AwsProviderSupport.Wait(client.UpdateDeploymentGroupAsync(new UpdateDeploymentGroupRequest
        {
            ApplicationName = Application(target),
            CurrentDeploymentGroupName = Group(target),
            AutoRollbackConfiguration = new AutoRollbackConfiguration { Enabled = enabled, Events = events.ToList() },
        }, context.Cancellation));
    }

    // ---- following a deployment ---------------------------------------------------------------------------------

    /// <summary>Follows the deployment until it ends, reporting per-instance progress. Ctrl+C stops the AWS deployment and says so.</summary>
    private static void Follow(ICodeDeployClient client, RollbackTarget target, string deploymentId, RestoreContext context)
    {
        var reader = new DeploymentReader(client, deploymentId, context);
        var result = RemoteOperationFollower.Follow(Deployment(client, target, reader, context), context);
        var info = reader.Last;
        var summary = result.Last?.Summary;
        switch (result.Ending)
        {
            case FollowEnding.Succeeded:
                return;
            case FollowEnding.Failed:
                throw new RollbackException(AwsErrorId.CodeDeployDeploymentFailed, RollbackErrorCategory.InvalidOperation,
                    $"CodeDeploy deployment {deploymentId} to {Resource(target)} Failed ({summary})"
                    + (info?.ErrorInformation is { } error ? $": {error.Code}: {error.Message}" : ".")
                    + $" See its instance events: aws deploy list-deployment-targets --deployment-id {deploymentId}.", deploymentId);
            case FollowEnding.Stopped:
                throw new RollbackException(AwsErrorId.CodeDeployDeploymentStopped, RollbackErrorCategory.OperationStopped,
                    $"CodeDeploy deployment {deploymentId} to {Resource(target)} was Stopped ({summary})"
                    + (info?.RollbackInfo?.RollbackDeploymentId is { } rollback ? $"; CodeDeploy rolled it back with {rollback}." : "."), deploymentId);
            case FollowEnding.OutOfPatience:
                throw new RollbackException(AwsErrorId.CodeDeployDeploymentInProgress, RollbackErrorCategory.ResourceBusy,
                    $"CodeDeploy deployment {deploymentId} to {Resource(target)} is still {result.LastStatus} after {Patience(target).TotalMinutes:0.#} minutes ({summary}); it goes on in AWS. Follow it with aws deploy get-deployment --deployment-id {deploymentId}.", deploymentId);
            default:
                throw Cancelled(target, deploymentId, result, context);
        }
    }

    /// <summary>
    /// The rollback's deployment as the shared follower sees it: read by <paramref name="reader"/>, and on Ctrl+C stopped
    /// in AWS with automatic rollback (StopDeployment), or with StopDeploymentOnCancel = $false left running.
    /// </summary>
    private static RemoteOperation Deployment(ICodeDeployClient client, RollbackTarget target, DeploymentReader reader, RestoreContext context)
    {
        var deploymentId = reader.DeploymentId;
        return new RemoteOperation
        {
            Name = "Deployment " + deploymentId,
            Activity = $"CodeDeploy deployment {deploymentId} to {Resource(target)}",
            Read = reader.Read,
            Stop = !target.Settings.GetBoolean(StopDeploymentOnCancelSetting, true) ? null : budget =>
            {
                var stop = AwsProviderSupport.Wait(client.StopDeploymentAsync(new StopDeploymentRequest { DeploymentId = deploymentId, AutoRollbackEnabled = true }, budget));
                context.Details[StopStatusDetail] = stop.Status ?? string.Empty;
                return $"{stop.Status}{(string.IsNullOrEmpty(stop.StatusMessage) ? string.Empty : ", " + stop.StatusMessage)}";
            },
            PollInterval = PollInterval(target),
            Patience = Patience(target),
            InitialStatus = "Created",
        };
    }

    /// <summary>
    /// Ctrl+C while a rollback deployment runs: it was stopped in AWS (with automatic rollback), or left running; the
    /// warning, the error and the journal say which, with the deployment id.
    /// </summary>
    private static RollbackException Cancelled(RollbackTarget target, string deploymentId, FollowResult result, RestoreContext context)
    {
        string outcome;
        switch (result.CancelAction)
        {
            case CancelAction.Stopped:
                outcome = $"It was stopped in AWS (StopDeployment with automatic rollback: {result.StopDetail}).";
                break;
            case CancelAction.StopFailed:
                context.Details[StopStatusDetail] = "NotStopped";
                outcome = $"Stopping it failed ({result.StopDetail}); it may still be running. Stop it by hand: aws deploy stop-deployment --deployment-id {deploymentId} --auto-rollback-enabled.";
                break;
            default:
                context.Details[StopStatusDetail] = LeftRunning;
                outcome = $"It was left running in AWS, as the target's {StopDeploymentOnCancelSetting} setting is $false: follow it with aws deploy get-deployment --deployment-id {deploymentId}, and stop it if need be with aws deploy stop-deployment --deployment-id {deploymentId} --auto-rollback-enabled.";
                break;
        }

        var message = $"Cancelled while CodeDeploy deployment {deploymentId} to {Resource(target)} was {result.LastStatus}. {outcome}";
        context.Reporter.Warning(message);
        return new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, deploymentId, result.Cancellation);
    }

    /// <summary>After stopping deployments in progress: waits, with the follower, until CodeDeploy runs none in the group (it starts a rollback deployment of its own).</summary>
    private static void WaitUntilIdle(ICodeDeployClient client, RollbackTarget target, RestoreContext context)
    {
        var active = new List<string>();
        var result = RemoteOperationFollower.Follow(new RemoteOperation
        {
            Name = "Deployments of " + Resource(target),
            Activity = $"Waiting for the deployments of {Resource(target)} to end",
            Read = token =>
            {
                active = ActiveDeployments(client, target, token);
                foreach (var id in active)
                {
                    var info = AwsProviderSupport.Wait(client.GetDeploymentAsync(new GetDeploymentRequest { DeploymentId = id }, token)).DeploymentInfo;
                    context.Reporter.Verbose($"Waiting for deployment {id} of {Resource(target)} ({info?.Creator}) to end: {info?.Status}.");
                }

                return new RemoteOperationState
                {
                    Status = active.Count == 0 ? "Idle" : "InProgress",
                    Outcome = active.Count == 0 ? RemoteOutcome.Succeeded : RemoteOutcome.Running,
                    Summary = active.Count == 0 ? string.Empty : string.Join(", ", active),
                };
            },
            PollInterval = PollInterval(target),
            Patience = Patience(target),
        }, context);

        switch (result.Ending)
        {
            case FollowEnding.OutOfPatience:
                throw new RollbackException(AwsErrorId.CodeDeployDeploymentInProgress, RollbackErrorCategory.ResourceBusy,
                    $"Deployment {string.Join(", ", active)} of {Resource(target)} is still running {Patience(target).TotalMinutes:0.#} minutes after the stop; nothing was deployed.", active[0]);
            case FollowEnding.Cancelled:
                // Nothing of the rollback's own runs yet: Ctrl+C ends the rollback before it deploys anything.
                throw result.Cancellation!;
        }
    }

    private static TimeSpan PollInterval(RollbackTarget target) => Following.PollInterval(target.Settings);

    private static TimeSpan Patience(RollbackTarget target) => Following.Patience(target.Settings);

    private static void Record(RestoreContext context, string status, DeploymentOverview overview)
    {
        context.Details[StatusDetail] = status;
        context.Details[InstancesDetailPrefix + "Pending"] = overview.Pending.ToString(CultureInfo.InvariantCulture);
        context.Details[InstancesDetailPrefix + "InProgress"] = overview.InProgress.ToString(CultureInfo.InvariantCulture);
        context.Details[InstancesDetailPrefix + "Succeeded"] = overview.Succeeded.ToString(CultureInfo.InvariantCulture);
        context.Details[InstancesDetailPrefix + "Failed"] = overview.Failed.ToString(CultureInfo.InvariantCulture);
        context.Details[InstancesDetailPrefix + "Skipped"] = overview.Skipped.ToString(CultureInfo.InvariantCulture);
    }

    private static string Summary(DeploymentOverview o) =>
        $"{o.Succeeded} succeeded, {o.InProgress} in progress, {o.Pending} pending, {o.Failed} failed, {o.Skipped} skipped";

    // ---- helpers --------------------------------------------------------------------------------------------------

    /// <summary>The new deployment's description: the point and the reason, within CodeDeploy's 1,024 characters.</summary>
    private static string Describe(RollbackPoint point, string reason)
    {
        var text = $"Rollback to point {point.Id} ({point.Version}, deployment {(point.Metadata.TryGetValue(DeploymentIdKey, out var id) ? id : "?")})"
            + (string.IsNullOrWhiteSpace(reason) ? "." : ": " + reason.Trim());
        return text.Length <= DescriptionLimit ? text : text.Substring(0, DescriptionLimit - 3) + "...";
    }

    /// <summary>
    /// The captured S3 bundle is still there: HEAD of the captured version (or of the object, compared by ETag). Gone is
    /// a failure; access denied is a warning, since CodeDeploy reads the bundle with its own role, which may still be
    /// allowed to; any other error fails the check with its ErrorId.
    /// </summary>
    private CheckResult CheckBundle(RollbackTarget target, CapturedDeployment captured, S3Location bundle, OperationContext context) => AwsProviderSupport.Guard(BundleCheck, () =>
    {
        var request = BundleRequest(bundle);
        var label = S3Client.Describe(request);
        var capturedETag = Unquote(bundle.ETag);
        try
        {
            using var s3 = _s3Clients(target);
            var head = AwsProviderSupport.Wait(s3.GetObjectMetadataAsync(request, context.Cancellation));
            if (string.Equals(head.DeleteMarker, "true", StringComparison.OrdinalIgnoreCase))
            {
                return CheckResult.Fail(BundleCheck, AwsErrorId.RevisionBundleMissing,
                    $"The bundle {label} of deployment {captured.DeploymentId} is a delete marker in S3, so CodeDeploy has nothing to deploy. Restore the object version, or roll back to another point.");
            }

            var found = Unquote(head.ETag);
            if (capturedETag.Length > 0 && !string.Equals(found, capturedETag, StringComparison.Ordinal))
            {
                return CheckResult.Fail(BundleCheck, AwsErrorId.RevisionBundleChanged,
                    $"The bundle {label} of deployment {captured.DeploymentId} has ETag {found} in S3, not the captured {capturedETag}: the object was overwritten, and CodeDeploy would refuse it (or deploy other content). Put the captured bundle back, or roll back to another point.");
            }

            return CheckResult.Pass(BundleCheck,
                $"The bundle {label} of deployment {captured.DeploymentId} is in S3 ({head.ContentLength.ToString(CultureInfo.InvariantCulture)} bytes, ETag {found}"
                + (head.LastModified is { } modified ? $", written {modified.ToString("u", CultureInfo.InvariantCulture)}" : string.Empty) + ").");
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            return CheckResult.Fail(BundleCheck, AwsErrorId.RevisionBundleMissing,
                $"The bundle {label} of deployment {captured.DeploymentId} is gone from S3 (deleted version or object, delete marker, or no such bucket): {ex.Message} Restore it, or roll back to another point.");
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsAccessDenied)
        {
            return CheckResult.Warn(BundleCheck,
                $"The bundle {label} of deployment {captured.DeploymentId} could not be checked: these credentials may not read it ({ex.Message}). CodeDeploy reads it with the deployment's own role, which may still be allowed to; the rollback would go on without this check.");
        }
    });

    /// <summary>The HEAD Object request for a captured bundle: its version when one was captured, else the current object.</summary>
    private static GetObjectMetadataRequest BundleRequest(S3Location bundle) => new()
    {
        BucketName = bundle.Bucket,
        Key = bundle.Key,
        VersionId = string.IsNullOrEmpty(bundle.Version) ? null : bundle.Version,
    };

    private static string Unquote(string? eTag) => (eTag ?? string.Empty).Trim().Trim('"');

    /// <summary>The S3 client's options: the target's, with S3EndpointUrl (when set) in place of EndpointUrl.</summary>
    private static AwsClientOptions S3Options(SettingsDictionary settings) =>
        AwsClientOptions.FromSettings(settings, endpointOverride: settings.GetString(S3EndpointUrlSetting));

    private static List<string> ActiveDeployments(ICodeDeployClient client, RollbackTarget target, CancellationToken cancellation)
    {
        var ids = new List<string>();
        string? next = null;
        do
        {
            var page = AwsProviderSupport.Wait(client.ListDeploymentsAsync(new ListDeploymentsRequest
            {
                ApplicationName = Application(target),
                DeploymentGroupName = Group(target),
                IncludeOnlyStatuses = DeploymentStatus.Active.ToList(),
                NextToken = next,
            }, cancellation));
            ids.AddRange(page.Deployments ?? new List<string>());
            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next) && ids.Count < 1000);

        return ids;
    }

    private static DeploymentGroupInfo GetGroup(ICodeDeployClient client, RollbackTarget target, CancellationToken cancellation) =>
        AwsProviderSupport.Wait(client.GetDeploymentGroupAsync(new GetDeploymentGroupRequest { ApplicationName = Application(target), DeploymentGroupName = Group(target) }, cancellation)).DeploymentGroupInfo
        ?? throw new RollbackException(AwsErrorId.AwsResponseInvalid, RollbackErrorCategory.InvalidData, $"GetDeploymentGroup for {Resource(target)} answered without deploymentGroupInfo.", Resource(target));

    private static CapturedDeployment ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<CapturedDeployment>(target, point, ArtifactFile, c => c.Revision is null ? "no revision" : null);

    private static List<string> MissingRecommended(AutoRollbackConfiguration? configuration) =>
        Recommended.Where(e => configuration?.Enabled != true || configuration.Events?.Contains(e) != true).ToList();

    private static string AutoRollbackLabel(AutoRollbackConfiguration? configuration) =>
        configuration?.Enabled == true ? "enabled for " + string.Join(", ", configuration.Events ?? new List<string>()) : "disabled";

    private static bool StopInProgress(RollbackTarget target) => target.Settings.GetBoolean(StopInProgressSetting, false);

    private static string Application(RollbackTarget target) => target.Settings.GetString(ApplicationNameSetting)!;

    private static string Group(RollbackTarget target) => target.Settings.GetString(DeploymentGroupNameSetting)!;

    private static string Resource(RollbackTarget target) => $"{Application(target)}/{Group(target)}";

    private static string Required(SettingsDictionary settings, string key, string what) =>
        AwsProviderSupport.RequiredSetting(settings, key, what, KindName, $"@{{ {ApplicationNameSetting} = 'Chargeworx'; {DeploymentGroupNameSetting} = 'Production'; Region = 'eu-west-1' }}");

    /// <summary>Reads the rollback's deployment for the follower, recording its status and instance counts into the result's details.</summary>
    private sealed class DeploymentReader
    {
        private readonly ICodeDeployClient _client;
        private readonly RestoreContext _context;

        public DeploymentReader(ICodeDeployClient client, string deploymentId, RestoreContext context)
        {
            _client = client;
            DeploymentId = deploymentId;
            _context = context;
        }

        public string DeploymentId { get; }

        /// <summary>The last answer (its error or rollback information says why a deployment failed or stopped).</summary>
        public DeploymentInfo? Last { get; private set; }

        public RemoteOperationState Read(CancellationToken cancellation)
        {
            var info = AwsProviderSupport.Wait(_client.GetDeploymentAsync(new GetDeploymentRequest { DeploymentId = DeploymentId }, cancellation)).DeploymentInfo
                ?? throw new RollbackException(AwsErrorId.AwsResponseInvalid, RollbackErrorCategory.InvalidData, $"GetDeployment {DeploymentId} answered without deploymentInfo.", DeploymentId);
            Last = info;
            var status = info.Status ?? "(unknown)";
            var overview = info.DeploymentOverview ?? new DeploymentOverview();
            Record(_context, status, overview);
            var total = overview.Pending + overview.InProgress + overview.Succeeded + overview.Failed + overview.Skipped;
            var done = overview.Succeeded + overview.Failed + overview.Skipped;
            return new RemoteOperationState
            {
                Status = status,
                Outcome = status switch
                {
                    DeploymentStatus.Succeeded => RemoteOutcome.Succeeded,
                    DeploymentStatus.Failed => RemoteOutcome.Failed,
                    DeploymentStatus.Stopped => RemoteOutcome.Stopped,
                    _ => RemoteOutcome.Running,
                },
                Summary = Summary(overview),
                PercentComplete = total == 0 ? 0 : (int)(done * 100 / total),
            };
        }
    }

    /// <summary>The point's one artifact: what was captured, in CodeDeploy's own spelling.</summary>
    private sealed class CapturedDeployment
    {
        public string? ApplicationName { get; set; }

        public string? DeploymentGroupName { get; set; }

        public string? DeploymentId { get; set; }

        public string? DeploymentConfigName { get; set; }

        public RevisionLocation? Revision { get; set; }

        public AutoRollbackConfiguration? AutoRollbackConfiguration { get; set; }

        public DateTime? CompleteTime { get; set; }
    }
}
