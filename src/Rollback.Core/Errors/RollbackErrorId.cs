namespace Rollback.Errors;

/// <summary>
/// The engine's catalogue of ErrorIds, for what every kind shares; a kind's own ids live in its provider
/// assembly, in a static class marked <see cref="ErrorIdCatalogAttribute"/>. Each is a contract: scripts catch by
/// <c>FullyQualifiedErrorId</c>, so an id never changes once shipped.
/// </summary>
[ErrorIdCatalog]
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
    public const string ArtifactUnexpected = nameof(ArtifactUnexpected);
    public const string ArtifactMetadataMismatch = nameof(ArtifactMetadataMismatch);
    public const string ManifestIncomplete = nameof(ManifestIncomplete);
    public const string SpecialFileRefused = nameof(SpecialFileRefused);
    public const string ReleaseFolderMissing = nameof(ReleaseFolderMissing);
    public const string TargetUnreachable = nameof(TargetUnreachable);
    public const string TargetReadOnly = nameof(TargetReadOnly);
    public const string InsufficientSpace = nameof(InsufficientSpace);
    public const string CaptureFailed = nameof(CaptureFailed);
    public const string ConfigurationInvalid = nameof(ConfigurationInvalid);
    public const string ValidatorFailed = nameof(ValidatorFailed);
    public const string ReloadFailed = nameof(ReloadFailed);
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
    // Kinds: their settings, their per-call options and the provider assemblies that hold them.
    /// <summary>A setting or per-call option that the kind (and the engine) does not declare; the message names the closest one that exists.</summary>
    public const string UnknownSetting = nameof(UnknownSetting);
    /// <summary>A setting or per-call option whose value is not of its declared type, or a setting that may not be given per call.</summary>
    public const string InvalidSetting = nameof(InvalidSetting);
    /// <summary>A secret setting's reference (environment variable, user-only file) cannot be read, or the file is not user-only.</summary>
    public const string SecretUnavailable = nameof(SecretUnavailable);
    /// <summary>The provider assembly that would hold a kind could not be loaded, or two providers claim the kind.</summary>
    public const string ProviderLoadFailed = nameof(ProviderLoadFailed);
    // Traffic kinds (gradual rollback, for every kind that moves traffic).
    /// <summary>A Steps setting or option that is not a rising list of percentages ending at 100.</summary>
    public const string TrafficStepsInvalid = nameof(TrafficStepsInvalid);
    /// <summary>A check between two traffic steps failed: the shift stopped where it stood, never pushed further.</summary>
    public const string TrafficShiftStopped = nameof(TrafficShiftStopped);
    // Automatic-rollback configuration (Get-/Set-AutoRollbackConfiguration), for kinds whose system rolls back by itself.
    public const string AutoRollbackNotSupported = nameof(AutoRollbackNotSupported);
    public const string AutoRollbackEventInvalid = nameof(AutoRollbackEventInvalid);
    // The embedded store (targets.json, points/, journal.jsonl).
    /// <summary>A folder or file of the store is a link, or of the wrong type: the store never follows a link out of itself.</summary>
    public const string StoreLayoutInvalid = nameof(StoreLayoutInvalid);
    /// <summary>A store path this platform cannot use as given (a UNC path on Linux or macOS).</summary>
    public const string StorePathInvalid = nameof(StorePathInvalid);
    /// <summary>The shared store's server cannot be reached, went away or is restarting during the operation; nothing was half-written.</summary>
    public const string StoreUnavailable = nameof(StoreUnavailable);
    /// <summary>The shared store's server refused the user or its password (or asks for a password none was found for).</summary>
    public const string StoreAuthenticationFailed = nameof(StoreAuthenticationFailed);
    /// <summary>The shared store's user lacks a privilege the command needs on the store's tables.</summary>
    public const string StoreAccessDenied = nameof(StoreAccessDenied);
    /// <summary>The shared store's server answers but refused a request for another reason than a connection, the user or a privilege.</summary>
    public const string StoreRequestFailed = nameof(StoreRequestFailed);
    /// <summary>The shared store's schema is newer than this module knows (another machine runs a newer module).</summary>
    public const string StoreSchemaNewer = nameof(StoreSchemaNewer);
    /// <summary>Copy-RollbackStore's -Source is not a folder store (missing, a connection string, or the destination itself).</summary>
    public const string StoreCopySourceInvalid = nameof(StoreCopySourceInvalid);
    /// <summary>
    /// Copy-RollbackStore found the destination holding something else under a name the source uses (a target with other
    /// settings, a point id with other content, a journal copied before that the source no longer matches), or another
    /// copy running into it; nothing was written.
    /// </summary>
    public const string StoreCopyConflict = nameof(StoreCopyConflict);
    /// <summary>The shared store's artifacts bucket does not keep versions (versioning off or suspended), so a point could not be read back as captured.</summary>
    public const string StoreArtifactsUnversioned = nameof(StoreArtifactsUnversioned);
    /// <summary>The journal cannot be appended to, so nothing that must be journaled may start.</summary>
    public const string JournalUnwritable = nameof(JournalUnwritable);
    /// <summary>The journal key file (ROLLBACK_JOURNAL_KEY_FILE) may be read by others than its owner.</summary>
    public const string JournalKeyUnprotected = nameof(JournalKeyUnprotected);
    /// <summary>The journal key file is missing, unreadable, not a regular file or too short.</summary>
    public const string JournalKeyInvalid = nameof(JournalKeyInvalid);
    // Plans: ordered stages of member targets rolled back as one (the Plan kind; its recommended actions are declared there).
    /// <summary>A plan names a member that is not a registered target.</summary>
    public const string PlanMemberNotFound = nameof(PlanMemberNotFound);
    /// <summary>A plan names the same member in two stages (or twice in one).</summary>
    public const string PlanMemberInTwoStages = nameof(PlanMemberInTwoStages);
    /// <summary>A plan contains itself, directly or through plans among its members.</summary>
    public const string PlanCycle = nameof(PlanCycle);
    /// <summary>A plan has a stage with no member, or no stage at all.</summary>
    public const string PlanStageEmpty = nameof(PlanStageEmpty);
    /// <summary>A plan's MaxFailedPercent is not a whole number from 0 to 100.</summary>
    public const string PlanSettingInvalid = nameof(PlanSettingInvalid);
    /// <summary>-ThrottleLimit (or a plan's ThrottleLimit setting) is below 1.</summary>
    public const string InvalidThrottleLimit = nameof(InvalidThrottleLimit);
    /// <summary>An argument that applies to one target only (switch hooks, -Validator) was given for a plan.</summary>
    public const string PlanArgumentNotSupported = nameof(PlanArgumentNotSupported);
    /// <summary>A plan point names no point for one of the plan's members (the plan changed since it was captured).</summary>
    public const string PlanPointIncomplete = nameof(PlanPointIncomplete);
    /// <summary>A stage of a plan run failed: more members failed than MaxFailedPercent allows. Nothing further ran.</summary>
    public const string PlanStageFailed = nameof(PlanStageFailed);
    // Notifications: webhooks told about rollbacks (Register-/Get-/Unregister-RollbackNotification).
    /// <summary>No notification channel of that name is registered.</summary>
    public const string NotificationNotFound = nameof(NotificationNotFound);
    /// <summary>A notification channel of that name is registered already (-Force replaces it).</summary>
    public const string NotificationAlreadyExists = nameof(NotificationAlreadyExists);
    /// <summary>A channel name outside the names' rule (1-64 letters, digits, '.', '_' or '-').</summary>
    public const string InvalidNotificationName = nameof(InvalidNotificationName);
    /// <summary>The webhook, once read where it is kept, is not an absolute http:// or https:// address.</summary>
    public const string NotificationWebhookInvalid = nameof(NotificationWebhookInvalid);
    /// <summary>The webhook was given as plain text: an address that holds its own credential is only taken as a reference or a SecureString.</summary>
    public const string NotificationWebhookInClear = nameof(NotificationWebhookInClear);
    /// <summary>-Event, -MaxAttempts or -Timeout of a channel out of range.</summary>
    public const string InvalidNotificationSetting = nameof(InvalidNotificationSetting);
    /// <summary>The notifications registry (notifications.json) cannot be read.</summary>
    public const string NotificationRegistryCorrupt = nameof(NotificationRegistryCorrupt);
    /// <summary>A message could not be delivered after its attempts: a warning and a journal entry; the rollback it was about is unaffected.</summary>
    public const string NotificationFailed = nameof(NotificationFailed);
    // Incident reports (Export-RollbackReport).
    /// <summary>-Path is not a file path, or -RecoveryTimeObjective is not positive.</summary>
    public const string InvalidReportArguments = nameof(InvalidReportArguments);
    /// <summary>The report's files cannot be written where -Path says.</summary>
    public const string ReportUnwritable = nameof(ReportUnwritable);
    /// <summary>The run to report is not a rollback in this store's journal: no such sequence or plan run id, another store's result, or a -WhatIf result.</summary>
    public const string ReportRunNotFound = nameof(ReportRunNotFound);
}
