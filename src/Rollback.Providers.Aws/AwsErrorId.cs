using System.Collections.Generic;
using Rollback.Errors;

namespace Rollback.Providers.Aws;

/// <summary>
/// The ErrorIds of the AWS kinds and the client they share. Each is a contract: scripts catch by
/// <c>FullyQualifiedErrorId</c>, so an id never changes once shipped (these were the engine's before the AWS kinds
/// owned them, with the same strings).
/// </summary>
[ErrorIdCatalog]
public static class AwsErrorId
{
    // The client (every AWS kind). The message carries the AWS request id when there is one.
    public const string AwsResourceNotFound = nameof(AwsResourceNotFound);
    public const string AwsAccessDenied = nameof(AwsAccessDenied);
    public const string AwsThrottled = nameof(AwsThrottled);
    public const string AwsCredentialsExpired = nameof(AwsCredentialsExpired);
    public const string AwsCredentialsInvalid = nameof(AwsCredentialsInvalid);
    /// <summary>The endpoint refused the request's time (a skewed clock) even after the SDK's clock-skew correction.</summary>
    public const string AwsClockSkewed = nameof(AwsClockSkewed);
    public const string AwsCredentialsMissing = nameof(AwsCredentialsMissing);
    public const string AwsInvalidRequest = nameof(AwsInvalidRequest);
    public const string AwsRequestFailed = nameof(AwsRequestFailed);
    public const string AwsEndpointUnreachable = nameof(AwsEndpointUnreachable);
    public const string AwsRegionMissing = nameof(AwsRegionMissing);
    public const string AwsResponseInvalid = nameof(AwsResponseInvalid);
    // Secrets Manager (SecretsManagerSecret kind).
    public const string SecretVersionMissing = nameof(SecretVersionMissing);
    public const string SecretPendingDeletion = nameof(SecretPendingDeletion);
    public const string SecretStageNotMoved = nameof(SecretStageNotMoved);
    public const string SecretPreviousVersionMissing = nameof(SecretPreviousVersionMissing);
    // CodeDeploy (CodeDeployDeploymentGroup kind).
    public const string CodeDeployNoSuccessfulDeployment = nameof(CodeDeployNoSuccessfulDeployment);
    public const string CodeDeployRevisionMissing = nameof(CodeDeployRevisionMissing);
    /// <summary>The captured S3 revision's bundle (that version, or the object with that ETag) is gone: deleted, behind a delete marker, or its bucket.</summary>
    public const string RevisionBundleMissing = nameof(RevisionBundleMissing);
    /// <summary>The object at the captured S3 revision's bucket and key no longer has the captured ETag (a bundle captured without a version was overwritten).</summary>
    public const string RevisionBundleChanged = nameof(RevisionBundleChanged);
    public const string CodeDeployDeploymentInProgress = nameof(CodeDeployDeploymentInProgress);
    public const string CodeDeployDeploymentFailed = nameof(CodeDeployDeploymentFailed);
    public const string CodeDeployDeploymentStopped = nameof(CodeDeployDeploymentStopped);
    // Lambda (LambdaAlias kind).
    /// <summary>A function version the point's alias names (or weights) no longer exists, or is not the captured code.</summary>
    public const string LambdaVersionMissing = nameof(LambdaVersionMissing);
    /// <summary>After UpdateAlias the alias does not name the captured version, or it changed between the read and the move.</summary>
    public const string LambdaAliasNotMoved = nameof(LambdaAliasNotMoved);
    /// <summary>A gradual step would weight more than the one additional version a Lambda alias can route to.</summary>
    public const string LambdaStepsUnsupported = nameof(LambdaStepsUnsupported);
    // ECS (EcsService kind).
    /// <summary>The point's task definition is deregistered (INACTIVE) or gone: ECS starts no task from it.</summary>
    public const string EcsTaskDefinitionInactive = nameof(EcsTaskDefinitionInactive);
    /// <summary>A deployment of the service has been in progress for longer than StuckMinutes.</summary>
    public const string EcsDeploymentStuck = nameof(EcsDeploymentStuck);
    /// <summary>The rollback's deployment failed, or was replaced (the circuit breaker rolled it back).</summary>
    public const string EcsDeploymentFailed = nameof(EcsDeploymentFailed);
    /// <summary>The rollback's deployment was still in progress when following gave up; it goes on in ECS.</summary>
    public const string EcsDeploymentInProgress = nameof(EcsDeploymentInProgress);
    // S3 and CloudFront (S3StaticSite kind).
    /// <summary>The site's bucket has versioning Off or Suspended: there is no earlier version to go back to.</summary>
    public const string S3VersioningDisabled = nameof(S3VersioningDisabled);
    /// <summary>An object version the point names no longer exists (expired by a lifecycle rule, or deleted).</summary>
    public const string S3ObjectVersionMissing = nameof(S3ObjectVersionMissing);
    /// <summary>After the copies and deletes, the listing does not show the captured content.</summary>
    public const string S3SiteNotRestored = nameof(S3SiteNotRestored);
    /// <summary>The site's URL does not serve the captured version marker after the rollback.</summary>
    public const string S3SiteVerificationFailed = nameof(S3SiteVerificationFailed);
    /// <summary>The CloudFront invalidation was still in progress when following gave up; it goes on in CloudFront.</summary>
    public const string CloudFrontInvalidationInProgress = nameof(CloudFrontInvalidationInProgress);

    // AppConfig (AppConfigFeatureFlags kind).
    /// <summary>The environment has no COMPLETE deployment of the configuration profile: there is no deployed version to capture.</summary>
    public const string AppConfigNoCompleteDeployment = nameof(AppConfigNoCompleteDeployment);
    /// <summary>The configuration profile does not keep its versions in AppConfig (LocationUri is not "hosted").</summary>
    public const string AppConfigProfileNotHosted = nameof(AppConfigProfileNotHosted);
    /// <summary>The point's hosted configuration version was deleted, or no longer has the captured content (SHA-256).</summary>
    public const string AppConfigVersionMissing = nameof(AppConfigVersionMissing);
    /// <summary>A deployment to the environment is in progress (readiness), or the rollback's was when following gave up.</summary>
    public const string AppConfigDeploymentInProgress = nameof(AppConfigDeploymentInProgress);
    /// <summary>The rollback's deployment was rolled back by AppConfig (an alarm, or someone stopped it).</summary>
    public const string AppConfigDeploymentRolledBack = nameof(AppConfigDeploymentRolledBack);
    /// <summary>After the deployment, the environment's latest COMPLETE deployment of the profile is not the captured version.</summary>
    public const string AppConfigVersionNotDeployed = nameof(AppConfigVersionNotDeployed);

    // ELBv2 (LoadBalancerListener kind).
    /// <summary>A target group the point forwards to was deleted: the listener cannot forward to it.</summary>
    public const string LoadBalancerTargetGroupMissing = nameof(LoadBalancerTargetGroupMissing);
    /// <summary>A target group that would take traffic has no healthy target (DescribeTargetHealth).</summary>
    public const string LoadBalancerTargetsUnhealthy = nameof(LoadBalancerTargetsUnhealthy);
    /// <summary>The listener's or rule's actions are not one forward action (authentication, redirect, fixed response...): the kind does not rewrite them.</summary>
    public const string LoadBalancerActionUnsupported = nameof(LoadBalancerActionUnsupported);
    /// <summary>After ModifyListener/ModifyRule, the listener or rule does not forward with the weights sent (another writer?).</summary>
    public const string LoadBalancerListenerNotMoved = nameof(LoadBalancerListenerNotMoved);

    // RDS (RdsInstance kind).
    /// <summary>The point's DB snapshot no longer exists (deleted by hand or by a retention job).</summary>
    public const string RdsSnapshotMissing = nameof(RdsSnapshotMissing);
    /// <summary>The DB snapshot exists but is not available (still creating when following stopped, failed, copying...).</summary>
    public const string RdsSnapshotNotAvailable = nameof(RdsSnapshotNotAvailable);
    /// <summary>The live instance is not in the state "available": it cannot be snapshotted or renamed now.</summary>
    public const string RdsInstanceNotAvailable = nameof(RdsInstanceNotAvailable);
    /// <summary>The instance is an Aurora cluster member or a read replica, which the kind does not roll back.</summary>
    public const string RdsInstanceUnsupported = nameof(RdsInstanceUnsupported);
    /// <summary>The instance restored from the snapshot ended in a failed state; the live instance was not touched.</summary>
    public const string RdsRestoreFailed = nameof(RdsRestoreFailed);
    /// <summary>The restore was still running when following gave up; it goes on in RDS and the live instance was not touched.</summary>
    public const string RdsRestoreInProgress = nameof(RdsRestoreInProgress);
    /// <summary>A rename of the switch failed or did not finish: the message says which instance holds which name now.</summary>
    public const string RdsSwitchFailed = nameof(RdsSwitchFailed);

    /// <summary>The client's ids, which every AWS kind declares, with what to do about them.</summary>
    internal static IReadOnlyList<ErrorIdInfo> Client { get; } = new[]
    {
        new ErrorIdInfo(AwsResourceNotFound, "Check the name or id, the region and the account the credentials belong to."),
        new ErrorIdInfo(AwsAccessDenied, "Grant the caller's IAM policy the permission the message names, or register the target with another Profile."),
        new ErrorIdInfo(AwsThrottled, "Wait and try again, or lower the request rate (MaxAttempts for more retries)."),
        new ErrorIdInfo(AwsCredentialsExpired, "Refresh the credentials (aws sso login, a new session token) and try again."),
        new ErrorIdInfo(AwsCredentialsInvalid, "Check the access key, the secret key, the region and this machine's clock."),
        new ErrorIdInfo(AwsClockSkewed, "Set this machine's clock right (NTP: timedatectl set-ntp true, chronyc makestep, or w32tm /resync on Windows) and try again; if the clock is right, the endpoint's own clock is wrong."),
        new ErrorIdInfo(AwsCredentialsMissing, "Configure credentials (aws configure, aws sso login, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or name a Profile setting that has them."),
        new ErrorIdInfo(AwsInvalidRequest, "The service refused the request as it stands: read its message, and check the target's settings."),
        new ErrorIdInfo(AwsRequestFailed, "Read the AWS error in the message; for a 5xx, try again later."),
        new ErrorIdInfo(AwsEndpointUnreachable, "Check the EndpointUrl setting, the region and the network (proxy, VPC endpoint, DNS); TimeoutSeconds and MaxAttempts give a slow endpoint more room."),
        new ErrorIdInfo(AwsRegionMissing, "Set the Region setting (Register-RollbackTarget -Force), AWS_REGION, or a region in the profile."),
        new ErrorIdInfo(AwsResponseInvalid, "The endpoint answered something that is not the service's JSON: check that EndpointUrl points at the service."),
    };
}
