using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Providers.Aws.Client;
using Rollback.Store;

namespace Rollback.Providers.Aws.SecretsManager;

/// <summary>
/// An AWS Secrets Manager secret (what "aws secretsmanager update-secret-version-stage" does by hand). A point records which
/// version carries AWSCURRENT and the stages of the others, never a value: no operation used here returns one.
/// Rolling back moves AWSCURRENT to the captured version with UpdateSecretVersionStage (MoveToVersionId +
/// RemoveFromVersionId; Secrets Manager then labels the version it came from AWSPREVIOUS) and checks the stages with
/// DescribeSecret. Restore-Configuration -Previous moves AWSCURRENT to the version labelled AWSPREVIOUS.
/// </summary>
public sealed class SecretsManagerSecretProvider : IRollbackProvider, IPreviousVersionProvider
{
    public const string KindName = "SecretsManagerSecret";
    public const string SecretIdSetting = "SecretId";
    public const string CurrentStage = "AWSCURRENT";
    public const string PreviousStage = "AWSPREVIOUS";

    private const string StagesFile = "secret-version-stages.json";
    private const string SecretArnKey = "SecretArn";
    private const string VersionIdKey = "VersionId";
    private const string StagesKeyPrefix = "Stages.";
    private const int ListPageLimit = 50;

    public string Kind => KindName;

    public string Description => "An AWS Secrets Manager secret: the version labelled AWSCURRENT, moved back with UpdateSecretVersionStage (values are never read).";

    public KindSchema Schema { get; } = new(
        new[] { new SettingDefinition { Name = SecretIdSetting, Type = SettingType.Text, Required = true, Description = "The secret's name or ARN." } }.Concat(AwsClientOptions.Settings),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.SecretVersionMissing, "The point's version of the secret is gone or deprecated: roll back to a newer point, or restore with Restore-Configuration -Previous."),
            new ErrorIdInfo(AwsErrorId.SecretPendingDeletion, "Cancel the deletion first (aws secretsmanager restore-secret --secret-id ID), then try again."),
            new ErrorIdInfo(AwsErrorId.SecretStageNotMoved, "Read the secret's stages (aws secretsmanager describe-secret --secret-id ID): another writer may have moved AWSCURRENT at the same time."),
            new ErrorIdInfo(AwsErrorId.SecretPreviousVersionMissing, "No version is labelled AWSPREVIOUS: restore from a point instead (omit -Previous)."),
        }));

    public string PreviousVersionDescription => "the version labelled AWSPREVIOUS";

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var secretId = settings.GetString(SecretIdSetting);
        if (string.IsNullOrWhiteSpace(secretId))
        {
            throw Invalid($"the setting '{SecretIdSetting}' must name the secret (its name or ARN)");
        }

        // Parses EndpointUrl and the numbers, failing fast; the network is not asked until the target is used.
        _ = AwsClientOptions.FromSettings(settings);
        return settings.With(SecretIdSetting, secretId!.Trim());
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        var secret = Call(target, (client, ct) => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = SecretId(target) }, ct), context);
        return StateOf(target, secret);
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = "Capturing secret version stages", Status = SecretId(target) });
        try
        {
            var secret = Call(target, (client, ct) => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = SecretId(target) }, ct), context);
            var state = StateOf(target, secret);
            var versions = ListVersions(target, context);
            if (secret.DeletedDate is not null)
            {
                context.Reporter.Warning($"Secret '{SecretId(target)}' is scheduled for deletion ({secret.DeletedDate:u}); the point records it, but a rollback will refuse until it is restored.");
            }

            // The point's one artifact: version ids and their stages (never a value), checksummed like any other.
            var stages = versions.ToDictionary(v => v.VersionId!, v => (IReadOnlyList<string>)(v.VersionStages ?? new List<string>()), StringComparer.Ordinal);
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, StagesFile, new SortedDictionary<string, IReadOnlyList<string>>(stages, StringComparer.Ordinal));
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [SecretIdSetting] = SecretId(target),
                [SecretArnKey] = secret.ARN ?? string.Empty,
                [VersionIdKey] = state.Version,
            };
            foreach (var version in versions)
            {
                metadata[StagesKeyPrefix + version.VersionId] = string.Join(",", version.VersionStages ?? new List<string>());
            }

            return new CapturedState
            {
                Version = state.Version,
                Fingerprint = state.Fingerprint,
                Artifacts = new[] { artifact },
                Metadata = metadata,
            };
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = "Capturing secret version stages", Completed = true });
        }
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var checks = new List<CheckResult>();
        var secret = Call(target, (client, ct) => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = SecretId(target) }, ct), context);
        checks.Add(CheckResult.Pass("SecretReachable", $"Secret '{secret.Name}' ({secret.ARN}) answers DescribeSecret with these credentials."));
        checks.Add(secret.DeletedDate is null
            ? CheckResult.Pass("SecretNotPendingDeletion", "The secret is not scheduled for deletion.")
            : CheckResult.Fail("SecretNotPendingDeletion", AwsErrorId.SecretPendingDeletion, PendingDeletionMessage(target, secret)));

        var captured = CapturedVersion(point);
        var versions = ListVersions(target, context);
        var problem = VersionProblem(target, captured, versions);
        checks.Add(problem is null
            ? CheckResult.Pass("CapturedVersionExists", $"Version {captured} still exists with stages {StagesText(versions.First(v => v.VersionId == captured))}.")
            : CheckResult.Fail("CapturedVersionExists", AwsErrorId.SecretVersionMissing, problem));
        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => new[]
    {
        new PlannedStep("MoveCurrentStage", $"Move {CurrentStage} of secret '{SecretId(target)}' to version {CapturedVersion(point)} with UpdateSecretVersionStage (the version it leaves becomes {PreviousStage})."),
        new PlannedStep("VerifyStages", $"Check with DescribeSecret that {CurrentStage} is on version {CapturedVersion(point)}."),
    };

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) =>
        context.ConfigurationItems.Add(MoveCurrent(target, point, CapturedVersion(point), context, whatIf: false, useSwitch: true));

    public void CheckItems(RollbackTarget target, RollbackPoint point, IReadOnlyList<string> items)
    {
        var secretId = SecretId(target);
        var unknown = items.Where(i => !string.Equals(i, secretId, StringComparison.Ordinal) && !string.Equals(i, point.Metadata.TryGetValue(SecretArnKey, out var arn) ? arn : null, StringComparison.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new RollbackException(RollbackErrorId.ConfigurationItemNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Target '{target.Name}' holds one configuration item, the secret '{secretId}', not '{string.Join("', '", unknown)}'.", unknown[0]);
        }
    }

    public IReadOnlyList<ConfigurationRestoreResult> RestoreConfiguration(RollbackTarget target, RollbackPoint point, ConfigurationRestoreContext context)
    {
        CheckItems(target, point, context.Items);
        var secretId = SecretId(target);
        string wanted;
        DescribeSecretResponse? previousSecret = null;
        if (context.Previous)
        {
            var secret = previousSecret = Call(target, (client, ct) => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = secretId }, ct), context);
            wanted = VersionWith(secret, PreviousStage) ?? throw new RollbackException(AwsErrorId.SecretPreviousVersionMissing, RollbackErrorCategory.ObjectNotFound,
                $"No version of secret '{secretId}' is labelled {PreviousStage}, so -Previous has nothing to restore. Restore from a point instead (omit -Previous). Nothing was changed.", secretId);
        }
        else
        {
            wanted = CapturedVersion(point);
        }

        return new[] { MoveCurrent(target, point, wanted, context, context.WhatIf, useSwitch: false, previousSecret) };
    }

    // described: the secret as the caller has just described it (-Previous), to spare a second DescribeSecret.
    private static ConfigurationRestoreResult MoveCurrent(RollbackTarget target, RollbackPoint point, string wanted, RestoreContext context, bool whatIf, bool useSwitch, DescribeSecretResponse? described = null)
    {
        var secretId = SecretId(target);
        var secret = described ?? Call(target, (client, ct) => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = secretId }, ct), context);
        if (secret.DeletedDate is not null)
        {
            throw new RollbackException(AwsErrorId.SecretPendingDeletion, RollbackErrorCategory.InvalidOperation, PendingDeletionMessage(target, secret) + " Nothing was changed.", secretId);
        }

        var problem = VersionProblem(target, wanted, ListVersions(target, context));
        if (problem is not null)
        {
            throw new RollbackException(AwsErrorId.SecretVersionMissing, RollbackErrorCategory.ObjectNotFound, problem + " Nothing was changed.", secretId);
        }

        var current = VersionWith(secret, CurrentStage);
        var changed = !string.Equals(current, wanted, StringComparison.Ordinal);
        if (changed && !whatIf)
        {
            void Move() => Call(target, (client, ct) => client.UpdateSecretVersionStageAsync(new UpdateSecretVersionStageRequest
            {
                SecretId = secretId,
                VersionStage = CurrentStage,
                MoveToVersionId = wanted,
                RemoveFromVersionId = current,
            }, ct), context);

            context.Reporter.Verbose($"UpdateSecretVersionStage: {CurrentStage} of '{secretId}' from {current ?? "(none)"} to {wanted}.");
            if (useSwitch)
            {
                context.Switch("MoveCurrentStage", Move);
            }
            else
            {
                context.Step("MoveCurrentStage", Move);
            }

            context.Step("VerifyStages", () => VerifyStages(target, wanted, current, context));
        }

        return new ConfigurationRestoreResult
        {
            Target = target.Name,
            PointId = point.Id,
            Item = secretId,
            From = current,
            To = wanted,
            Validated = true,
            Validator = "VersionStages",
            Changed = changed,
            SafetyCopy = changed && !whatIf && context.SafetyPoint is not null ? $"point {context.SafetyPoint.Id} (version {current})" : null,
            WhatIf = whatIf,
        };
    }

    private static void VerifyStages(RollbackTarget target, string wanted, string? previous, OperationContext context)
    {
        var secret = Call(target, (client, ct) => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = SecretId(target) }, ct), context);
        var stages = secret.VersionIdsToStages ?? new Dictionary<string, List<string>>();
        var onWanted = stages.TryGetValue(wanted, out var list) && list.Contains(CurrentStage);
        var leftOld = previous is null || !(stages.TryGetValue(previous, out var old) && old.Contains(CurrentStage));
        if (!onWanted || !leftOld)
        {
            throw new RollbackException(AwsErrorId.SecretStageNotMoved, RollbackErrorCategory.InvalidResult,
                $"After UpdateSecretVersionStage, DescribeSecret shows {CurrentStage} on {VersionWith(secret, CurrentStage) ?? "no version"}, not only on {wanted}. Check the secret's stages (aws secretsmanager describe-secret) before retrying.",
                SecretId(target));
        }
    }

    private static TargetState StateOf(RollbackTarget target, DescribeSecretResponse secret)
    {
        var current = VersionWith(secret, CurrentStage) ?? throw new RollbackException(AwsErrorId.SecretVersionMissing, RollbackErrorCategory.InvalidData,
            $"No version of secret '{SecretId(target)}' is labelled {CurrentStage}; put a value or move the stage first.", SecretId(target));
        var others = (secret.VersionIdsToStages ?? new Dictionary<string, List<string>>())
            .Where(p => p.Key != current)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={string.Join("+", p.Value)}");
        return new TargetState
        {
            Version = current,
            Fingerprint = CurrentStage + "=" + current,
            Detail = $"{CurrentStage} on {current}{(secret.DeletedDate is null ? string.Empty : ", scheduled for deletion")}; others: {string.Join(", ", others)}",
        };
    }

    private static string? VersionWith(DescribeSecretResponse secret, string stage) =>
        (secret.VersionIdsToStages ?? new Dictionary<string, List<string>>()).FirstOrDefault(p => p.Value.Contains(stage)).Key;

    private static string? VersionProblem(RollbackTarget target, string versionId, IReadOnlyList<SecretVersionsListEntry> versions)
    {
        var version = versions.FirstOrDefault(v => v.VersionId == versionId);
        if (version is null)
        {
            return $"Version {versionId} of secret '{SecretId(target)}' no longer exists. Capture a new point, or choose another.";
        }

        if (version.VersionStages is null || version.VersionStages.Count == 0)
        {
            return $"Version {versionId} of secret '{SecretId(target)}' is deprecated (it carries no staging label) and Secrets Manager may delete it at any time; it is not a safe rollback target. Capture a new point, or choose another.";
        }

        return null;
    }

    private static string StagesText(SecretVersionsListEntry version) => string.Join("+", version.VersionStages ?? new List<string>());

    private static List<SecretVersionsListEntry> ListVersions(RollbackTarget target, OperationContext context)
    {
        var all = new List<SecretVersionsListEntry>();
        string? next = null;
        for (var page = 0; page < ListPageLimit; page++)
        {
            var response = Call(target, (client, ct) => client.ListSecretVersionIdsAsync(new ListSecretVersionIdsRequest
            {
                SecretId = SecretId(target),
                IncludeDeprecated = true,
                NextToken = next,
            }, ct), context);
            all.AddRange((response.Versions ?? new List<SecretVersionsListEntry>()).Where(v => v.VersionId is not null));
            next = response.NextToken;
            if (string.IsNullOrEmpty(next))
            {
                break;
            }
        }

        return all;
    }

    private static string CapturedVersion(RollbackPoint point) =>
        point.Metadata.TryGetValue(VersionIdKey, out var version) && !string.IsNullOrEmpty(version) ? version : point.Version;

    private static string PendingDeletionMessage(RollbackTarget target, DescribeSecretResponse secret) =>
        $"Secret '{SecretId(target)}' is scheduled for deletion on {secret.DeletedDate?.ToString("u", CultureInfo.InvariantCulture)}. Restore it first (aws secretsmanager restore-secret), then roll back.";

    private static string SecretId(RollbackTarget target) => target.Settings.GetString(SecretIdSetting)!;

    private static RollbackException Invalid(string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, $"Invalid settings for a {KindName} target: {why}.", KindName);

    /// <summary>
    /// One client per call: the target's settings name region, profile and endpoint, and the engine may run calls from
    /// any thread. What the client did on the way (a clock-skew correction) goes to the reporter, from this thread.
    /// </summary>
    private static T Call<T>(RollbackTarget target, Func<ISecretsManagerClient, CancellationToken, Task<T>> call, OperationContext context)
    {
        using var client = new SecretsManagerClient(AwsClientOptions.FromSettings(target.Settings));
        client.Transport.Reporter = context.Reporter;
        return call(client, context.Cancellation).GetAwaiter().GetResult();
    }
}
