using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Aws.Ecs;

/// <summary>
/// An Amazon ECS service (what "aws ecs update-service --task-definition" does by hand). A point records the service's
/// task definition ARN, its desired count, its deployment configuration and circuit breaker. Readiness checks that the
/// cluster and the service exist, that the task definition is still registered and ACTIVE, that no deployment is
/// stuck, and warns when the circuit breaker would not roll a failed deployment back by itself. Rolling back is one
/// UpdateService to the captured task definition (and deployment configuration; the desired count only when asked,
/// since autoscaling owns it), then the new primary deployment is followed with the shared
/// <see cref="RemoteOperationFollower"/> until its rollout is COMPLETED with every task running, or FAILED. Ctrl+C stops
/// the following, not the deployment (ECS has no call that stops one): the warning says how to follow it.
/// </summary>
public sealed class EcsServiceProvider : IRollbackProvider
{
    public const string KindName = "EcsService";
    public const string ClusterSetting = "Cluster";
    public const string ServiceNameSetting = "ServiceName";

    /// <summary>True: the rollback also sets the captured desired count (default false: autoscaling and operators own it).</summary>
    public const string RestoreDesiredCountSetting = "RestoreDesiredCount";

    /// <summary>Minutes after which a deployment still IN_PROGRESS counts as stuck (default 30).</summary>
    public const string StuckMinutesSetting = "StuckMinutes";

    /// <summary>True: a stuck deployment is a readiness warning, and the rollback's UpdateService replaces it.</summary>
    public const string ReplaceStuckDeploymentSetting = "ReplaceStuckDeployment";

    private static readonly FollowSettings Following = new(KindName, pollSeconds: 15, followMinutes: 30, "the deployment", "ECS");

    // Keys of the result's and the journal's Details.
    public const string DeploymentIdDetail = "Ecs.DeploymentId";
    public const string RolloutStateDetail = "Ecs.RolloutState";
    public const string RunningCountDetail = "Ecs.RunningCount";
    public const string PreviousTaskDefinitionDetail = "Ecs.PreviousTaskDefinition";

    private const string ArtifactFile = "ecs-service.json";
    private const string TaskDefinitionKey = "TaskDefinition";
    private const string DesiredCountKey = "DesiredCount";
    private const string CircuitBreakerKey = "CircuitBreaker";
    private const string InProgress = "IN_PROGRESS";
    private const string Completed = "COMPLETED";
    private const string Failed = "FAILED";
    private const string Primary = "PRIMARY";

    private readonly Func<RollbackTarget, IEcsClient> _clients;

    public EcsServiceProvider()
        : this(target => new EcsClient(AwsClientOptions.FromSettings(target.Settings)))
    {
    }

    /// <summary>For tests: the ECS client for a target.</summary>
    internal EcsServiceProvider(Func<RollbackTarget, IEcsClient> clients)
    {
        _clients = clients;
    }

    public string Kind => KindName;

    public string Description => "An Amazon ECS service: put back on its captured task definition with UpdateService, and the deployment followed until it is steady or fails.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = ClusterSetting, Type = SettingType.Text, Default = "default", Description = "The cluster's name or ARN." },
            new SettingDefinition { Name = ServiceNameSetting, Type = SettingType.Text, Required = true, Description = "The service's name or ARN." },
            new SettingDefinition { Name = RestoreDesiredCountSetting, Type = SettingType.Boolean, Default = "False", PerCall = true, Description = "$true: the rollback also sets the captured desired count; by default autoscaling and operators keep theirs." },
            new SettingDefinition { Name = StuckMinutesSetting, Type = SettingType.Number, Default = "30", PerCall = true, Description = "Minutes after which a deployment still in progress counts as stuck." },
            new SettingDefinition { Name = ReplaceStuckDeploymentSetting, Type = SettingType.Boolean, Default = "False", PerCall = true, Description = "$true: a stuck deployment is a warning, and the rollback replaces it." },
        }.Concat(Following.Definitions).Concat(AwsClientOptions.Settings),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.EcsTaskDefinitionInactive, "The task definition the point names was deregistered (INACTIVE) or deleted: ECS starts no new task from it. Roll back to a point whose revision is ACTIVE (aws ecs list-task-definitions --family-prefix FAMILY), or register the known-good definition again and capture a new point."),
            new ErrorIdInfo(AwsErrorId.EcsDeploymentStuck, "A deployment of the service has been in progress for longer than StuckMinutes: read its events (aws ecs describe-services), or let the rollback replace it with -Option @{ ReplaceStuckDeployment = $true }."),
            new ErrorIdInfo(AwsErrorId.EcsDeploymentFailed, "The rollback's deployment failed (its tasks did not start or stay healthy, or the circuit breaker rolled it back): read the service's events (aws ecs describe-services); the safety point holds the state before the rollback."),
            new ErrorIdInfo(AwsErrorId.EcsDeploymentInProgress, "The rollback's deployment was still in progress when following stopped (FollowMinutes, or Ctrl+C): it goes on in ECS. Follow it with aws ecs describe-services."),
        }));

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var service = AwsProviderSupport.RequiredSetting(settings, ServiceNameSetting, "the service", KindName,
            $"@{{ {ClusterSetting} = 'production'; {ServiceNameSetting} = 'checkout'; Region = 'eu-west-1' }}");

        _ = AwsClientOptions.FromSettings(settings);
        _ = Positive(settings, StuckMinutesSetting, 30);
        Following.Validate(settings);
        var cluster = settings.GetString(ClusterSetting);
        return settings.With(ServiceNameSetting, service).With(ClusterSetting, string.IsNullOrWhiteSpace(cluster) ? "default" : cluster!.Trim());
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var service = GetService(client, target, context.Cancellation);
        var taskDefinition = service.TaskDefinition ?? "(none)";
        return new TargetState
        {
            Version = Revision(taskDefinition),
            Fingerprint = "ecs:" + taskDefinition,
            Detail = $"{service.ServiceArn} runs {taskDefinition} ({service.RunningCount} of {service.DesiredCount} tasks running, {(service.Deployments ?? new List<EcsDeployment>()).Count} deployment(s)).",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = "Capturing ECS service " + Resource(target);
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "DescribeServices" });
        try
        {
            using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
            var service = GetService(client, target, context.Cancellation);
            var taskDefinition = service.TaskDefinition ?? throw new RollbackException(RollbackErrorId.CaptureFailed, RollbackErrorCategory.InvalidData,
                $"Service {Resource(target)} reports no task definition, so there is nothing to roll back to.", Resource(target));
            var captured = new CapturedService
            {
                Cluster = Cluster(target),
                ServiceName = ServiceName(target),
                ServiceArn = service.ServiceArn,
                TaskDefinition = taskDefinition,
                DesiredCount = service.DesiredCount,
                DeploymentConfiguration = service.DeploymentConfiguration,
            };
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, captured);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ClusterSetting] = Cluster(target),
                [ServiceNameSetting] = ServiceName(target),
                [TaskDefinitionKey] = taskDefinition,
                [DesiredCountKey] = service.DesiredCount.ToString(CultureInfo.InvariantCulture),
                [CircuitBreakerKey] = BreakerLabel(service.DeploymentConfiguration),
            };
            return new CapturedState { Version = Revision(taskDefinition), Fingerprint = "ecs:" + taskDefinition, Artifacts = new[] { artifact }, Metadata = metadata };
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
        EcsService? service = null;
        checks.Add(AwsProviderSupport.Guard("ServiceExists", () =>
        {
            service = GetService(client, target, context.Cancellation);
            return CheckResult.Pass("ServiceExists", $"{service.ServiceArn} answers DescribeServices with these credentials ({service.RunningCount} of {service.DesiredCount} tasks running).");
        }));

        checks.Add(AwsProviderSupport.Guard("TaskDefinitionActive", () => CheckTaskDefinition(client, captured.TaskDefinition!, context.Cancellation)));

        if (service is not null)
        {
            checks.Add(CheckDeployments(target, service, context));
            checks.Add(BreakerRollsBack(service.DeploymentConfiguration)
                ? CheckResult.Pass("CircuitBreakerRollback", $"The deployment circuit breaker of {Resource(target)} rolls a failed deployment back by itself.")
                : CheckResult.Warn("CircuitBreakerRollback",
                    $"The deployment circuit breaker's automatic rollback of {Resource(target)} is off ({BreakerLabel(service.DeploymentConfiguration)}): a deployment whose tasks fail keeps trying instead of going back by itself. Turn it on: aws ecs update-service --cluster {Cluster(target)} --service {ServiceName(target)} --deployment-configuration \"deploymentCircuitBreaker={{enable=true,rollback=true}}\"."));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        var count = target.Settings.GetBoolean(RestoreDesiredCountSetting, false) ? $", desired count {captured.DesiredCount}" : string.Empty;
        return new[]
        {
            new PlannedStep("UpdateService", $"UpdateService {Resource(target)} to task definition {captured.TaskDefinition}{count}{(captured.DeploymentConfiguration is null ? string.Empty : " and the captured deployment configuration")}."),
            new PlannedStep("FollowDeployment", "Follow the new primary deployment (DescribeServices) until its rollout is COMPLETED with every task running, or FAILED."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var captured = ReadCaptured(target, point);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var before = GetService(client, target, context.Cancellation);
        context.Details[PreviousTaskDefinitionDetail] = before.TaskDefinition ?? string.Empty;

        // Once sent, UpdateService is not cancelled half-way: ECS has started the deployment or it has not.
        EcsService? updated = null;
        context.Switch("UpdateService", () =>
        {
            updated = AwsProviderSupport.Wait(client.UpdateServiceAsync(new UpdateServiceRequest
            {
                Cluster = Cluster(target),
                Service = ServiceName(target),
                TaskDefinition = captured.TaskDefinition,
                DesiredCount = target.Settings.GetBoolean(RestoreDesiredCountSetting, false) ? captured.DesiredCount : null,
                DeploymentConfiguration = captured.DeploymentConfiguration,
            }, CancellationToken.None)).Service;
        });

        var deployment = updated?.Deployments?.FirstOrDefault(d => d.Status == Primary);
        var deploymentId = deployment?.Id ?? string.Empty;
        context.Details[DeploymentIdDetail] = deploymentId;
        context.Reporter.Verbose($"UpdateService {Resource(target)}: from {before.TaskDefinition} to {captured.TaskDefinition}; deployment {deploymentId}.");
        context.Step("FollowDeployment", () => Follow(client, target, captured.TaskDefinition!, deploymentId, context));
    }

    private static void Follow(IEcsClient client, RollbackTarget target, string taskDefinition, string deploymentId, RestoreContext context)
    {
        EcsDeployment? last = null;
        var result = RemoteOperationFollower.Follow(new RemoteOperation
        {
            Name = "Deployment " + deploymentId,
            Activity = $"ECS deployment {deploymentId} of {Resource(target)} to {Revision(taskDefinition)}",
            Read = token =>
            {
                var service = GetService(client, target, token);
                var deployments = service.Deployments ?? new List<EcsDeployment>();
                var ours = deployments.FirstOrDefault(d => d.Id == deploymentId && deploymentId.Length > 0)
                    ?? deployments.FirstOrDefault(d => d.Status == Primary && SameTaskDefinition(d.TaskDefinition, taskDefinition));
                if (ours is null)
                {
                    // Gone: the circuit breaker rolled it back (a new primary on another task definition), or it was replaced.
                    return new RemoteOperationState { Status = "REPLACED", Outcome = RemoteOutcome.Failed, Summary = $"now on {service.TaskDefinition}" };
                }

                last = ours;
                context.Details[RolloutStateDetail] = ours.RolloutState ?? string.Empty;
                context.Details[RunningCountDetail] = ours.RunningCount.ToString(CultureInfo.InvariantCulture);
                var steady = ours.RunningCount >= ours.DesiredCount && deployments.Count == 1;
                var outcome = ours.RolloutState switch
                {
                    Failed => RemoteOutcome.Failed,
                    Completed when ours.RunningCount >= ours.DesiredCount => RemoteOutcome.Succeeded,
                    null or "" when steady => RemoteOutcome.Succeeded,
                    _ => RemoteOutcome.Running,
                };
                return new RemoteOperationState
                {
                    Status = ours.RolloutState is { Length: > 0 } state ? state : "(no rollout state)",
                    Outcome = outcome,
                    Summary = $"{ours.RunningCount} of {ours.DesiredCount} running, {ours.PendingCount} pending, {ours.FailedTasks} failed, {deployments.Count - 1} older deployment(s) draining",
                    PercentComplete = ours.DesiredCount == 0 ? 100 : Math.Min(100, ours.RunningCount * 100 / ours.DesiredCount),
                };
            },
            PollInterval = Following.PollInterval(target.Settings),
            Patience = Following.Patience(target.Settings),
            InitialStatus = InProgress,
        }, context);

        var summary = result.Last?.Summary;
        switch (result.Ending)
        {
            case FollowEnding.Succeeded:
                return;
            case FollowEnding.Failed or FollowEnding.Stopped:
                throw new RollbackException(AwsErrorId.EcsDeploymentFailed, RollbackErrorCategory.InvalidOperation,
                    $"ECS deployment {deploymentId} of {Resource(target)} to {taskDefinition} {(result.LastStatus == "REPLACED" ? "was replaced" : "failed")} ({summary})"
                    + (last?.RolloutStateReason is { Length: > 0 } reason ? $": {reason}" : ".")
                    + $" Read the service's events: aws ecs describe-services --cluster {Cluster(target)} --services {ServiceName(target)}.", deploymentId);
            case FollowEnding.OutOfPatience:
                throw new RollbackException(AwsErrorId.EcsDeploymentInProgress, RollbackErrorCategory.ResourceBusy,
                    $"ECS deployment {deploymentId} of {Resource(target)} is still {result.LastStatus} after {Following.Patience(target.Settings).TotalMinutes:0.#} minutes ({summary}); it goes on in ECS. Follow it with aws ecs describe-services --cluster {Cluster(target)} --services {ServiceName(target)}.", deploymentId);
            default:
                var message = $"Cancelled while ECS deployment {deploymentId} of {Resource(target)} to {taskDefinition} was {result.LastStatus}{(summary is null ? string.Empty : $" ({summary})")}. ECS has no call that stops a deployment, so it goes on: follow it with aws ecs describe-services --cluster {Cluster(target)} --services {ServiceName(target)}, and roll back again from the safety point if need be.";
                context.Reporter.Warning(message);
                throw new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, deploymentId, result.Cancellation);
        }
    }

    private static CheckResult CheckTaskDefinition(IEcsClient client, string taskDefinition, CancellationToken cancellation)
    {
        TaskDefinition? found;
        try
        {
            found = AwsProviderSupport.Wait(client.DescribeTaskDefinitionAsync(new DescribeTaskDefinitionRequest { TaskDefinition = taskDefinition }, cancellation)).TaskDefinition;
        }
        catch (RollbackException ex) when (AwsErrors.CodeOf(ex) == "ClientException" || ex.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            // ECS answers a task definition it does not know with a ClientException ("Unable to describe task definition").
            return CheckResult.Fail("TaskDefinitionActive", AwsErrorId.EcsTaskDefinitionInactive,
                $"Task definition {taskDefinition} is no longer registered: {ex.Message} Roll back to a point whose revision is ACTIVE.");
        }

        return string.Equals(found?.Status, "ACTIVE", StringComparison.Ordinal)
            ? CheckResult.Pass("TaskDefinitionActive", $"Task definition {found!.TaskDefinitionArn} is registered and ACTIVE.")
            : CheckResult.Fail("TaskDefinitionActive", AwsErrorId.EcsTaskDefinitionInactive,
                $"Task definition {taskDefinition} is {found?.Status ?? "(no status)"}: it was deregistered, and ECS starts no new task from it. Roll back to a point whose revision is ACTIVE, or register the known-good definition again and capture a new point.");
    }

    private static CheckResult CheckDeployments(RollbackTarget target, EcsService service, OperationContext context)
    {
        var deployments = service.Deployments ?? new List<EcsDeployment>();
        var limit = TimeSpan.FromMinutes(Positive(target.Settings, StuckMinutesSetting, 30));
        var running = deployments.Where(d => d.RolloutState == InProgress || (d.RolloutState is null && d.Status == Primary && deployments.Count > 1)).ToList();
        if (running.Count == 0)
        {
            return CheckResult.Pass("NoDeploymentStuck", $"No deployment of {Resource(target)} is in progress.");
        }

        var stuck = running.Where(d => d.UpdatedAt is { } updated && context.Now - new DateTimeOffset(DateTime.SpecifyKind(updated, DateTimeKind.Utc)) > limit).ToList();
        var names = string.Join(", ", running.Select(d => $"{d.Id} ({Revision(d.TaskDefinition ?? "?")}, {d.RunningCount} of {d.DesiredCount} running)"));
        if (stuck.Count == 0)
        {
            return CheckResult.Warn("NoDeploymentStuck", $"Deployment {names} of {Resource(target)} is in progress; the rollback's UpdateService replaces it.");
        }

        return target.Settings.GetBoolean(ReplaceStuckDeploymentSetting, false)
            ? CheckResult.Warn("NoDeploymentStuck", $"Deployment {names} of {Resource(target)} has been in progress for more than {limit.TotalMinutes:0.#} minutes; the rollback replaces it, as {ReplaceStuckDeploymentSetting} asks.")
            : CheckResult.Fail("NoDeploymentStuck", AwsErrorId.EcsDeploymentStuck,
                $"Deployment {names} of {Resource(target)} has been in progress for more than {limit.TotalMinutes:0.#} minutes without finishing: something keeps its tasks from starting (capacity, image pull, health checks), which may stop the rollback's tasks too. Read the events (aws ecs describe-services), or replace it anyway with -Option @{{ {ReplaceStuckDeploymentSetting} = $true }}.");
    }

    private static EcsService GetService(IEcsClient client, RollbackTarget target, CancellationToken cancellation)
    {
        var answer = AwsProviderSupport.Wait(client.DescribeServicesAsync(new DescribeServicesRequest { Cluster = Cluster(target), Services = new List<string> { ServiceName(target) } }, cancellation));
        var service = answer.Services?.FirstOrDefault();
        if (service is null || string.Equals(service.Status, "INACTIVE", StringComparison.Ordinal))
        {
            var failure = answer.Failures?.FirstOrDefault();
            throw new RollbackException(AwsErrorId.AwsResourceNotFound, RollbackErrorCategory.ObjectNotFound,
                $"ECS DescribeServices: service {ServiceName(target)} is not in cluster {Cluster(target)} ({(service is null ? failure?.Reason ?? "no such service" : "INACTIVE: deleted")}{(failure?.Detail is { } detail ? ", " + detail : string.Empty)}). Check the name or id, the region and the account the credentials belong to.", Resource(target));
        }

        return service;
    }

    private static bool SameTaskDefinition(string? a, string b) =>
        a is not null && (string.Equals(a, b, StringComparison.Ordinal) || string.Equals(Revision(a), Revision(b), StringComparison.Ordinal));

    /// <summary>family:revision of a task definition ARN (or the text as it is).</summary>
    private static string Revision(string taskDefinition)
    {
        var slash = taskDefinition.LastIndexOf('/');
        return slash >= 0 ? taskDefinition.Substring(slash + 1) : taskDefinition;
    }

    private static bool BreakerRollsBack(DeploymentConfiguration? configuration) =>
        configuration?.DeploymentCircuitBreaker is { Enable: true, Rollback: true };

    private static string BreakerLabel(DeploymentConfiguration? configuration) => configuration?.DeploymentCircuitBreaker switch
    {
        null => "no circuit breaker",
        { Enable: false } => "circuit breaker off",
        { Rollback: false } => "circuit breaker on, automatic rollback off",
        _ => "circuit breaker on, automatic rollback on",
    };

    private static CapturedService ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<CapturedService>(target, point, ArtifactFile, c => string.IsNullOrEmpty(c.TaskDefinition) ? "no task definition" : null);

    private static double Positive(SettingsDictionary settings, string key, double defaultValue) =>
        AwsClientOptions.PositiveNumber(settings, key, defaultValue, 100_000, $" of a {KindName} target");

    private static string Cluster(RollbackTarget target) => target.Settings.GetString(ClusterSetting) ?? "default";

    private static string ServiceName(RollbackTarget target) => target.Settings.GetString(ServiceNameSetting)!;

    private static string Resource(RollbackTarget target) => $"{Cluster(target)}/{ServiceName(target)}";

    /// <summary>The point's one artifact: the service as captured, in ECS's own spelling.</summary>
    private sealed class CapturedService
    {
        public string? Cluster { get; set; }

        public string? ServiceName { get; set; }

        public string? ServiceArn { get; set; }

        public string? TaskDefinition { get; set; }

        public int DesiredCount { get; set; }

        public DeploymentConfiguration? DeploymentConfiguration { get; set; }
    }
}
