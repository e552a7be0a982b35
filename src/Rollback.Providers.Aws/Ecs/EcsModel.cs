using System;
using System.Collections.Generic;

namespace Rollback.Providers.Aws.Ecs;

// Request and response types as the official SDK (AWSSDK.ECS) names them, with the members this module uses; the
// JSON spells them in camelCase as the service model does (awsJson1_1, ecs 2014-11-13).

internal sealed class DescribeServicesRequest
{
    public string? Cluster { get; set; }

    public List<string>? Services { get; set; }
}

internal sealed class DescribeServicesResponse
{
    public List<EcsService>? Services { get; set; }

    public List<EcsFailure>? Failures { get; set; }
}

internal sealed class EcsFailure
{
    public string? Arn { get; set; }

    public string? Reason { get; set; }

    public string? Detail { get; set; }
}

/// <summary>The SDK's Service type (named so here to keep it apart from the word's other uses).</summary>
internal sealed class EcsService
{
    public string? ServiceArn { get; set; }

    public string? ServiceName { get; set; }

    public string? ClusterArn { get; set; }

    public string? Status { get; set; }

    public int DesiredCount { get; set; }

    public int RunningCount { get; set; }

    public int PendingCount { get; set; }

    public string? TaskDefinition { get; set; }

    public DeploymentConfiguration? DeploymentConfiguration { get; set; }

    public List<EcsDeployment>? Deployments { get; set; }
}

internal sealed class DeploymentConfiguration
{
    public int? MaximumPercent { get; set; }

    public int? MinimumHealthyPercent { get; set; }

    public DeploymentCircuitBreaker? DeploymentCircuitBreaker { get; set; }

    /// <summary>CloudWatch alarms that fail (and may roll back) a deployment: captured and sent back whole, so a rollback never drops them.</summary>
    public DeploymentAlarms? Alarms { get; set; }
}

internal sealed class DeploymentAlarms
{
    public List<string>? AlarmNames { get; set; }

    public bool Enable { get; set; }

    public bool Rollback { get; set; }
}

internal sealed class DeploymentCircuitBreaker
{
    public bool Enable { get; set; }

    public bool Rollback { get; set; }
}

internal sealed class EcsDeployment
{
    public string? Id { get; set; }

    /// <summary>PRIMARY (the newest), ACTIVE (still running tasks, being replaced) or INACTIVE.</summary>
    public string? Status { get; set; }

    public string? TaskDefinition { get; set; }

    public int DesiredCount { get; set; }

    public int PendingCount { get; set; }

    public int RunningCount { get; set; }

    public int FailedTasks { get; set; }

    public DateTime? CreatedAt { get; set; }

    public DateTime? UpdatedAt { get; set; }

    /// <summary>IN_PROGRESS, COMPLETED or FAILED (deployments with the ECS controller).</summary>
    public string? RolloutState { get; set; }

    public string? RolloutStateReason { get; set; }
}

internal sealed class UpdateServiceRequest
{
    public string? Cluster { get; set; }

    public string? Service { get; set; }

    public string? TaskDefinition { get; set; }

    public int? DesiredCount { get; set; }

    public DeploymentConfiguration? DeploymentConfiguration { get; set; }
}

internal sealed class UpdateServiceResponse
{
    public EcsService? Service { get; set; }
}

internal sealed class DescribeTaskDefinitionRequest
{
    public string? TaskDefinition { get; set; }
}

internal sealed class DescribeTaskDefinitionResponse
{
    public TaskDefinition? TaskDefinition { get; set; }
}

internal sealed class TaskDefinition
{
    public string? TaskDefinitionArn { get; set; }

    public string? Family { get; set; }

    public int Revision { get; set; }

    /// <summary>ACTIVE, or INACTIVE once deregistered (DELETE_IN_PROGRESS on the way to deletion).</summary>
    public string? Status { get; set; }
}
