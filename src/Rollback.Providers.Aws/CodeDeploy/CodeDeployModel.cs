using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Rollback.Providers.Aws.CodeDeploy;

// Request and response types as the official AWSSDK.CodeDeploy names them (Amazon.CodeDeploy.Model), with the members
// this module uses. CodeDeploy's wire names are camelCase (service model codedeploy 2014-10-06, awsJson1_1), so each
// member names its wire spelling; enumerations are the model's strings (DeploymentStatus, RevisionLocationType, ...).

internal sealed class GetDeploymentGroupRequest
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("deploymentGroupName")]
    public string? DeploymentGroupName { get; set; }
}

internal sealed class GetDeploymentGroupResponse
{
    [JsonPropertyName("deploymentGroupInfo")]
    public DeploymentGroupInfo? DeploymentGroupInfo { get; set; }
}

internal sealed class DeploymentGroupInfo
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("deploymentGroupId")]
    public string? DeploymentGroupId { get; set; }

    [JsonPropertyName("deploymentGroupName")]
    public string? DeploymentGroupName { get; set; }

    [JsonPropertyName("deploymentConfigName")]
    public string? DeploymentConfigName { get; set; }

    [JsonPropertyName("computePlatform")]
    public string? ComputePlatform { get; set; }

    [JsonPropertyName("autoRollbackConfiguration")]
    public AutoRollbackConfiguration? AutoRollbackConfiguration { get; set; }

    [JsonPropertyName("targetRevision")]
    public RevisionLocation? TargetRevision { get; set; }

    [JsonPropertyName("lastSuccessfulDeployment")]
    public LastDeploymentInfo? LastSuccessfulDeployment { get; set; }

    [JsonPropertyName("lastAttemptedDeployment")]
    public LastDeploymentInfo? LastAttemptedDeployment { get; set; }
}

internal sealed class LastDeploymentInfo
{
    [JsonPropertyName("deploymentId")]
    public string? DeploymentId { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("createTime")]
    public DateTime? CreateTime { get; set; }

    [JsonPropertyName("endTime")]
    public DateTime? EndTime { get; set; }
}

internal sealed class AutoRollbackConfiguration
{
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; set; }

    [JsonPropertyName("events")]
    public List<string>? Events { get; set; }
}

/// <summary>Where a revision lives: an S3 bundle, a GitHub commit, or AppSpec content (RevisionLocationType S3, GitHub, AppSpecContent).</summary>
internal sealed class RevisionLocation
{
    [JsonPropertyName("revisionType")]
    public string? RevisionType { get; set; }

    [JsonPropertyName("s3Location")]
    public S3Location? S3Location { get; set; }

    [JsonPropertyName("gitHubLocation")]
    public GitHubLocation? GitHubLocation { get; set; }

    [JsonPropertyName("appSpecContent")]
    public AppSpecContent? AppSpecContent { get; set; }
}

internal sealed class S3Location
{
    [JsonPropertyName("bucket")]
    public string? Bucket { get; set; }

    [JsonPropertyName("key")]
    public string? Key { get; set; }

    [JsonPropertyName("bundleType")]
    public string? BundleType { get; set; }

    [JsonPropertyName("version")]
    public string? Version { get; set; }

    [JsonPropertyName("eTag")]
    public string? ETag { get; set; }
}

internal sealed class GitHubLocation
{
    [JsonPropertyName("repository")]
    public string? Repository { get; set; }

    [JsonPropertyName("commitId")]
    public string? CommitId { get; set; }
}

internal sealed class AppSpecContent
{
    [JsonPropertyName("content")]
    public string? Content { get; set; }

    [JsonPropertyName("sha256")]
    public string? Sha256 { get; set; }
}

internal sealed class ListDeploymentsRequest
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("deploymentGroupName")]
    public string? DeploymentGroupName { get; set; }

    [JsonPropertyName("includeOnlyStatuses")]
    public List<string>? IncludeOnlyStatuses { get; set; }

    [JsonPropertyName("nextToken")]
    public string? NextToken { get; set; }
}

internal sealed class ListDeploymentsResponse
{
    [JsonPropertyName("deployments")]
    public List<string>? Deployments { get; set; }

    [JsonPropertyName("nextToken")]
    public string? NextToken { get; set; }
}

internal sealed class GetDeploymentRequest
{
    [JsonPropertyName("deploymentId")]
    public string? DeploymentId { get; set; }
}

internal sealed class GetDeploymentResponse
{
    [JsonPropertyName("deploymentInfo")]
    public DeploymentInfo? DeploymentInfo { get; set; }
}

internal sealed class DeploymentInfo
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("deploymentGroupName")]
    public string? DeploymentGroupName { get; set; }

    [JsonPropertyName("deploymentConfigName")]
    public string? DeploymentConfigName { get; set; }

    [JsonPropertyName("deploymentId")]
    public string? DeploymentId { get; set; }

    [JsonPropertyName("revision")]
    public RevisionLocation? Revision { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("errorInformation")]
    public ErrorInformation? ErrorInformation { get; set; }

    [JsonPropertyName("createTime")]
    public DateTime? CreateTime { get; set; }

    [JsonPropertyName("completeTime")]
    public DateTime? CompleteTime { get; set; }

    [JsonPropertyName("deploymentOverview")]
    public DeploymentOverview? DeploymentOverview { get; set; }

    [JsonPropertyName("description")]
    public string? Description { get; set; }

    [JsonPropertyName("creator")]
    public string? Creator { get; set; }

    [JsonPropertyName("rollbackInfo")]
    public RollbackInfo? RollbackInfo { get; set; }
}

internal sealed class ErrorInformation
{
    [JsonPropertyName("code")]
    public string? Code { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

/// <summary>Instance counts per state (the model spells these members in PascalCase on the wire).</summary>
internal sealed class DeploymentOverview
{
    [JsonPropertyName("Pending")]
    public long Pending { get; set; }

    [JsonPropertyName("InProgress")]
    public long InProgress { get; set; }

    [JsonPropertyName("Succeeded")]
    public long Succeeded { get; set; }

    [JsonPropertyName("Failed")]
    public long Failed { get; set; }

    [JsonPropertyName("Skipped")]
    public long Skipped { get; set; }

    [JsonPropertyName("Ready")]
    public long Ready { get; set; }
}

internal sealed class RollbackInfo
{
    [JsonPropertyName("rollbackDeploymentId")]
    public string? RollbackDeploymentId { get; set; }

    [JsonPropertyName("rollbackTriggeringDeploymentId")]
    public string? RollbackTriggeringDeploymentId { get; set; }

    [JsonPropertyName("rollbackMessage")]
    public string? RollbackMessage { get; set; }
}

internal sealed class GetApplicationRevisionRequest
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("revision")]
    public RevisionLocation? Revision { get; set; }
}

internal sealed class GetApplicationRevisionResponse
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("revision")]
    public RevisionLocation? Revision { get; set; }

    [JsonPropertyName("revisionInfo")]
    public GenericRevisionInfo? RevisionInfo { get; set; }
}

internal sealed class GenericRevisionInfo
{
    [JsonPropertyName("description")]
    public string? Description { get; set; }

    [JsonPropertyName("deploymentGroups")]
    public List<string>? DeploymentGroups { get; set; }

    [JsonPropertyName("registerTime")]
    public DateTime? RegisterTime { get; set; }

    [JsonPropertyName("lastUsedTime")]
    public DateTime? LastUsedTime { get; set; }
}

internal sealed class CreateDeploymentRequest
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("deploymentGroupName")]
    public string? DeploymentGroupName { get; set; }

    [JsonPropertyName("revision")]
    public RevisionLocation? Revision { get; set; }

    [JsonPropertyName("deploymentConfigName")]
    public string? DeploymentConfigName { get; set; }

    [JsonPropertyName("description")]
    public string? Description { get; set; }
}

internal sealed class CreateDeploymentResponse
{
    [JsonPropertyName("deploymentId")]
    public string? DeploymentId { get; set; }
}

internal sealed class StopDeploymentRequest
{
    [JsonPropertyName("deploymentId")]
    public string? DeploymentId { get; set; }

    [JsonPropertyName("autoRollbackEnabled")]
    public bool? AutoRollbackEnabled { get; set; }
}

internal sealed class StopDeploymentResponse
{
    /// <summary>StopStatus: Pending or Succeeded.</summary>
    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("statusMessage")]
    public string? StatusMessage { get; set; }
}

internal sealed class UpdateDeploymentGroupRequest
{
    [JsonPropertyName("applicationName")]
    public string? ApplicationName { get; set; }

    [JsonPropertyName("currentDeploymentGroupName")]
    public string? CurrentDeploymentGroupName { get; set; }

    [JsonPropertyName("autoRollbackConfiguration")]
    public AutoRollbackConfiguration? AutoRollbackConfiguration { get; set; }
}

internal sealed class UpdateDeploymentGroupResponse
{
    [JsonPropertyName("hooksNotCleanedUp")]
    public List<AutoScalingGroup>? HooksNotCleanedUp { get; set; }
}

internal sealed class AutoScalingGroup
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("hook")]
    public string? Hook { get; set; }
}

/// <summary>The DeploymentStatus values of the model.</summary>
internal static class DeploymentStatus
{
    public const string Created = nameof(Created);
    public const string Queued = nameof(Queued);
    public const string InProgress = nameof(InProgress);
    public const string Baking = nameof(Baking);
    public const string Ready = nameof(Ready);
    public const string Succeeded = nameof(Succeeded);
    public const string Failed = nameof(Failed);
    public const string Stopped = nameof(Stopped);

    /// <summary>The statuses of a deployment that has not finished.</summary>
    public static IReadOnlyList<string> Active { get; } = new[] { Created, Queued, InProgress, Baking, Ready };
}
