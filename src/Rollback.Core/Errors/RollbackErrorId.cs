namespace Rollback.Errors;

/// <summary>
/// The one catalogue of ErrorIds. Each is a contract: scripts catch by
/// <c>FullyQualifiedErrorId</c>, so an id never changes once shipped.
/// </summary>
public static class RollbackErrorId
{
    public const string TargetNotFound = nameof(TargetNotFound);
    public const string TargetAlreadyExists = nameof(TargetAlreadyExists);
    public const string InvalidTargetName = nameof(InvalidTargetName);
    public const string InvalidTargetSettings = nameof(InvalidTargetSettings);
    public const string UnknownTargetKind = nameof(UnknownTargetKind);
    public const string InvalidSettingsDictionary = nameof(InvalidSettingsDictionary);
    public const string TargetRegistryCorrupt = nameof(TargetRegistryCorrupt);
    public const string PointNotFound = nameof(PointNotFound);
    public const string InvalidPointId = nameof(InvalidPointId);
    public const string PointTargetMismatch = nameof(PointTargetMismatch);
    public const string ManifestCorrupt = nameof(ManifestCorrupt);
    public const string ArtifactPathEscapes = nameof(ArtifactPathEscapes);
    public const string ArtifactMissing = nameof(ArtifactMissing);
    public const string ArtifactChecksumMismatch = nameof(ArtifactChecksumMismatch);
    public const string ReleaseFolderMissing = nameof(ReleaseFolderMissing);
    public const string TargetUnreachable = nameof(TargetUnreachable);
    public const string TargetReadOnly = nameof(TargetReadOnly);
    public const string InsufficientSpace = nameof(InsufficientSpace);
    public const string CaptureFailed = nameof(CaptureFailed);
    public const string ConfigurationInvalid = nameof(ConfigurationInvalid);
    public const string ValidatorFailed = nameof(ValidatorFailed);
    public const string ConfigurationNotSupported = nameof(ConfigurationNotSupported);
    public const string ConfigurationItemNotFound = nameof(ConfigurationItemNotFound);
    public const string StorePathUnavailable = nameof(StorePathUnavailable);
    public const string JournalCorrupt = nameof(JournalCorrupt);
    public const string JournalChainBroken = nameof(JournalChainBroken);
    public const string RollbackInProgress = nameof(RollbackInProgress);
    public const string RollbackNotReady = nameof(RollbackNotReady);
    public const string ApprovalRequired = nameof(ApprovalRequired);
    public const string RollbackFailed = nameof(RollbackFailed);
    public const string SwitchHookFailed = nameof(SwitchHookFailed);
    public const string OperationCancelled = nameof(OperationCancelled);

    // Decisions: the rollback policy and the metrics source behind Get-RollbackDecision.
    public const string PolicyInvalid = nameof(PolicyInvalid);
    public const string PolicyContradictory = nameof(PolicyContradictory);
    public const string MetricsSourceUnreachable = nameof(MetricsSourceUnreachable);
    public const string MetricsQueryFailed = nameof(MetricsQueryFailed);
    public const string MetricsNoData = nameof(MetricsNoData);
    // Health verification (Test-DeploymentHealth, Invoke-Rollback with HealthUri settings).
    public const string HealthEndpointUnreachable = nameof(HealthEndpointUnreachable);
    public const string HealthCheckFailed = nameof(HealthCheckFailed);
    public const string HealthResponseInvalid = nameof(HealthResponseInvalid);
    public const string VersionMismatch = nameof(VersionMismatch);
    public const string TrustedCertificateInvalid = nameof(TrustedCertificateInvalid);
    public const string InvalidHealthCheckArguments = nameof(InvalidHealthCheckArguments);
    // Watch-Deployment (automatic rollback).
    public const string InvalidWatchArguments = nameof(InvalidWatchArguments);
    public const string NothingToWatch = nameof(NothingToWatch);
    public const string AutomaticRollbackFailed = nameof(AutomaticRollbackFailed);
    // AWS (the client in Rollback.Providers.Aws and every AWS kind). The message carries the AWS request id when there is one.
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
    // CodeDeploy (CodeDeployDeploymentGroup kind) and automatic-rollback configuration (Get-/Set-AutoRollbackConfiguration).
    public const string CodeDeployNoSuccessfulDeployment = nameof(CodeDeployNoSuccessfulDeployment);
    public const string CodeDeployRevisionMissing = nameof(CodeDeployRevisionMissing);
    /// <summary>The captured S3 revision's bundle (that version, or the object with that ETag) is gone: deleted, behind a delete marker, or its bucket.</summary>
    public const string RevisionBundleMissing = nameof(RevisionBundleMissing);
    /// <summary>The object at the captured S3 revision's bucket and key no longer has the captured ETag (a bundle captured without a version was overwritten).</summary>
    public const string RevisionBundleChanged = nameof(RevisionBundleChanged);
    public const string CodeDeployDeploymentInProgress = nameof(CodeDeployDeploymentInProgress);
    public const string CodeDeployDeploymentFailed = nameof(CodeDeployDeploymentFailed);
    public const string CodeDeployDeploymentStopped = nameof(CodeDeployDeploymentStopped);
    public const string AutoRollbackNotSupported = nameof(AutoRollbackNotSupported);
    public const string AutoRollbackEventInvalid = nameof(AutoRollbackEventInvalid);
    // The embedded store (targets.json, points/, journal.jsonl).
    /// <summary>A folder or file of the store is a link, or of the wrong type: the store never follows a link out of itself.</summary>
    public const string StoreLayoutInvalid = nameof(StoreLayoutInvalid);
    /// <summary>A store path this platform cannot use as given (a UNC path on Linux or macOS).</summary>
    public const string StorePathInvalid = nameof(StorePathInvalid);
    /// <summary>The journal cannot be appended to, so nothing that must be journaled may start.</summary>
    public const string JournalUnwritable = nameof(JournalUnwritable);
}
