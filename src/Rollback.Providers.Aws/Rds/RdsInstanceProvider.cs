using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Aws.Rds;

/// <summary>
/// An Amazon RDS DB instance (what a runbook's "restore the database from its pre-deployment snapshot" does by hand). A
/// point is a manual DB snapshot (CreateDBSnapshot, followed until available) and the instance's configuration, recorded
/// in the point. Readiness checks that the instance exists and is available and that the snapshot is still there and
/// available. Rolling back restores the snapshot to a new instance beside the live one (RestoreDBInstanceFromDBSnapshot,
/// followed until available: the slow part, with nothing changed on the live instance), then switches by identifier: the
/// live instance is renamed aside (ModifyDBInstance NewDBInstanceIdentifier, ApplyImmediately) and the restored one into
/// the live identifier, so the endpoint the applications use (identifier.xxxx.region.rds.amazonaws.com) is unchanged.
/// The replaced instance is kept, under its new name in the result's and the journal's Details; the two renames are the
/// downtime. Every wait goes through the shared <see cref="RemoteOperationFollower"/>; Ctrl+C stops the following of the
/// snapshot (it goes on in RDS) and deletes a restore still in progress, but never interrupts the switch.
/// </summary>
public sealed class RdsInstanceProvider : IRollbackProvider
{
    public const string KindName = "RdsInstance";
    public const string InstanceSetting = "DBInstanceIdentifier";

    // Keys of the result's and the journal's Details.
    public const string SnapshotDetail = "Rds.Snapshot";
    public const string RestoredInstanceDetail = "Rds.RestoredInstance";
    public const string ReplacedInstanceDetail = "Rds.ReplacedInstance";
    public const string EndpointDetail = "Rds.Endpoint";

    /// <summary>The tag an instance this kind restored carries: the snapshot it was restored from (its point's fingerprint).</summary>
    public const string RestoredFromTag = "rollback:restored-from";

    private const string ArtifactFile = "rds-instance.json";
    private const string SnapshotKey = "Snapshot";
    private const string EngineKey = "Engine";
    private const string EndpointKey = "Endpoint";
    private const string Available = "available";
    private const int MaxIdentifier = 63;

    /// <summary>States an instance does not leave by itself: a restore that ends in one of them failed.</summary>
    private static readonly HashSet<string> FailedStates = new(StringComparer.Ordinal)
    {
        "failed", "incompatible-restore", "incompatible-parameters", "incompatible-network", "incompatible-option-group",
        "inaccessible-encryption-credentials", "storage-full", "deleting", "stopped",
    };

    private static readonly Regex Identifier = new("^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$", RegexOptions.CultureInvariant);

    private static readonly FollowSettings Following = new(KindName, pollSeconds: 30, followMinutes: 120, "a snapshot, a restore or a rename", "RDS");

    private readonly Func<RollbackTarget, IRdsClient> _clients;

    public RdsInstanceProvider()
        : this(target => new RdsClient(AwsClientOptions.FromSettings(target.Settings)))
    {
    }

    /// <summary>For tests: the RDS client for a target.</summary>
    internal RdsInstanceProvider(Func<RollbackTarget, IRdsClient> clients)
    {
        _clients = clients;
    }

    public string Kind => KindName;

    public string Description => "An Amazon RDS DB instance: a point is a DB snapshot; a rollback restores it beside the live instance and swaps the two by identifier, so the endpoint stays the same and the replaced instance is kept.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = InstanceSetting, Type = SettingType.Text, Required = true, Description = "The live DB instance's identifier: the name in its endpoint, which the rollback keeps." },
        }.Concat(Following.Definitions).Concat(AwsClientOptions.Settings),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.RdsSnapshotMissing, "The point's DB snapshot was deleted (by hand or by a retention job): roll back to another point (Get-RollbackPoint), or restore another snapshot by hand (aws rds describe-db-snapshots)."),
            new ErrorIdInfo(AwsErrorId.RdsSnapshotNotAvailable, "The DB snapshot is not available (still being created, or failed): wait for it (aws rds describe-db-snapshots --db-snapshot-identifier ID), then capture or roll back again; a failed one cannot be restored."),
            new ErrorIdInfo(AwsErrorId.RdsInstanceNotAvailable, "The DB instance is busy (modifying, backing up, rebooting, renaming...) or stopped: wait until aws rds describe-db-instances shows it available (start it if stopped), then try again."),
            new ErrorIdInfo(AwsErrorId.RdsInstanceUnsupported, "The kind rolls back single DB instances: restore an Aurora cluster with restore-db-cluster-from-snapshot, and roll back a read replica's source instead of the replica."),
            new ErrorIdInfo(AwsErrorId.RdsRestoreFailed, "The instance restored from the snapshot failed (read its events: aws rds describe-events --source-type db-instance --source-identifier NAME); the live instance was not touched. Delete the failed one and roll back again, or to another point."),
            new ErrorIdInfo(AwsErrorId.RdsRestoreInProgress, "The restore was still running when following stopped (FollowMinutes): it goes on in RDS and the live instance was not touched. Delete the restored instance the message names and roll back again with a longer FollowMinutes."),
            new ErrorIdInfo(AwsErrorId.RdsSwitchFailed, "A rename of the switch failed or did not finish: the message says which instance holds which identifier. Read them (aws rds describe-db-instances) and finish or undo the rename by hand (aws rds modify-db-instance --new-db-instance-identifier ... --apply-immediately)."),
        }));

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var instance = AwsProviderSupport.RequiredSetting(settings, InstanceSetting, "the DB instance", KindName,
            $"@{{ {InstanceSetting} = 'shop-db'; Region = 'eu-west-1' }}").ToLowerInvariant();
        if (!Identifier.IsMatch(instance))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                $"'{instance}' is not a DB instance identifier: 1 to 63 letters, digits and hyphens, beginning with a letter, without two hyphens in a row or one at the end.", InstanceSetting);
        }

        _ = AwsClientOptions.FromSettings(settings);
        Following.Validate(settings);
        return settings.With(InstanceSetting, instance);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var instance = GetInstance(client, Live(target), context.Cancellation);
        var from = RestoredFrom(instance);
        return new TargetState
        {
            Version = from ?? instance.DbiResourceId ?? Live(target),
            Fingerprint = from is null ? "rds-instance:" + instance.DbiResourceId : SnapshotFingerprint(from),
            Detail = $"{Live(target)} ({instance.Engine} {instance.EngineVersion}, {instance.DBInstanceClass}, {instance.DbiResourceId}) is {instance.DBInstanceStatus} at {instance.Endpoint}{(from is null ? string.Empty : ", restored from snapshot " + from)}.",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var live = Live(target);
        var activity = "Capturing DB instance " + live;
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "DescribeDBInstances" });
        try
        {
            using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
            var instance = GetInstance(client, live, context.Cancellation);
            RequireSupported(instance, live);
            RequireAvailable(instance, live, "snapshotted");

            var snapshotId = $"{live}-rollback-{context.Now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N").Substring(0, 6)}";
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "CreateDBSnapshot " + snapshotId });
            AwsProviderSupport.Wait(client.CreateDBSnapshotAsync(new CreateDBSnapshotRequest
            {
                DBInstanceIdentifier = live,
                DBSnapshotIdentifier = snapshotId,
                Tags = { new RdsTag { Key = "rollback:instance", Value = live }, new RdsTag { Key = "rollback:purpose", Value = context.IsSafetyPoint ? "safety point" : "point" } },
            }, context.Cancellation));
            var snapshot = FollowSnapshot(client, target, snapshotId, context);

            var captured = new CapturedInstance
            {
                DBInstanceIdentifier = live,
                SnapshotIdentifier = snapshotId,
                SnapshotArn = snapshot.DBSnapshotArn,
                SnapshotCreateTime = snapshot.SnapshotCreateTime,
                DbiResourceId = instance.DbiResourceId,
                Engine = instance.Engine,
                EngineVersion = instance.EngineVersion,
                DBInstanceClass = instance.DBInstanceClass,
                DBSubnetGroupName = instance.DBSubnetGroupName,
                VpcSecurityGroupIds = instance.VpcSecurityGroupIds,
                DBParameterGroupName = instance.DBParameterGroupName,
                OptionGroupName = instance.OptionGroupName,
                MultiAZ = instance.MultiAZ,
                PubliclyAccessible = instance.PubliclyAccessible,
                StorageType = instance.StorageType,
                Port = instance.Endpoint?.Port,
                DeletionProtection = instance.DeletionProtection,
                CopyTagsToSnapshot = instance.CopyTagsToSnapshot,
                Endpoint = instance.Endpoint?.ToString(),
            };
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, captured);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [InstanceSetting] = live,
                [SnapshotKey] = snapshotId,
                [EngineKey] = $"{instance.Engine} {instance.EngineVersion}",
                [EndpointKey] = instance.Endpoint?.ToString() ?? string.Empty,
            };
            return new CapturedState { Version = snapshotId, Fingerprint = SnapshotFingerprint(snapshotId), Artifacts = new[] { artifact }, Metadata = metadata };
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
        var live = Live(target);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var checks = new List<CheckResult>
        {
            AwsProviderSupport.Guard("InstanceAvailable", () =>
            {
                var instance = GetInstance(client, live, context.Cancellation);
                RequireSupported(instance, live);
                RequireAvailable(instance, live, "renamed aside");
                return CheckResult.Pass("InstanceAvailable", $"{live} answers with these credentials and is available at {instance.Endpoint}.");
            }),
            AwsProviderSupport.Guard("SnapshotAvailable", () => CheckSnapshot(client, captured.SnapshotIdentifier!, context.Cancellation)),
        };
        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        var live = Live(target);
        return new[]
        {
            new PlannedStep("RestoreDBInstanceFromDBSnapshot", $"Restore snapshot {captured.SnapshotIdentifier} to a new instance beside {live} ({captured.DBInstanceClass}, the captured subnet group, security groups and parameter group); {live} is not touched."),
            new PlannedStep("FollowRestore", "Follow the new instance (DescribeDBInstances) until it is available; Ctrl+C deletes it."),
            new PlannedStep("SwitchIdentifiers", $"Rename {live} aside and the restored instance to {live} (ModifyDBInstance NewDBInstanceIdentifier, ApplyImmediately), so its endpoint stays {captured.Endpoint}; the two renames are the downtime, and the replaced instance is kept."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        var captured = ReadCaptured(target, point);
        var live = Live(target);
        var restored = Derived(live, "-rb-" + context.AttemptId);
        var aside = Derived(live, "-old-" + context.AttemptId);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        context.Details[SnapshotDetail] = captured.SnapshotIdentifier!;
        context.Details[RestoredInstanceDetail] = restored;

        // Beside the live instance: nothing the applications use changes until the switch.
        context.Step("RestoreDBInstanceFromDBSnapshot", () => AwsProviderSupport.Wait(client.RestoreDBInstanceFromDBSnapshotAsync(new RestoreDBInstanceFromDBSnapshotRequest
        {
            DBInstanceIdentifier = restored,
            DBSnapshotIdentifier = captured.SnapshotIdentifier,
            DBInstanceClass = captured.DBInstanceClass,
            DBSubnetGroupName = captured.DBSubnetGroupName,
            VpcSecurityGroupIds = captured.VpcSecurityGroupIds,
            DBParameterGroupName = Custom(captured.DBParameterGroupName),
            OptionGroupName = Custom(captured.OptionGroupName),
            MultiAZ = captured.MultiAZ,
            PubliclyAccessible = captured.PubliclyAccessible,
            StorageType = captured.StorageType,
            Port = captured.Port,
            DeletionProtection = captured.DeletionProtection,
            CopyTagsToSnapshot = captured.CopyTagsToSnapshot,
            Tags = { new RdsTag { Key = RestoredFromTag, Value = captured.SnapshotIdentifier }, new RdsTag { Key = "rollback:attempt", Value = context.AttemptId } },
        }, CancellationToken.None)));
        context.Step("FollowRestore", () => FollowRestore(client, target, restored, captured.SnapshotIdentifier!, context));

        // The switch is not interrupted by Ctrl+C once begun (it would leave no instance at the live identifier); each
        // rename is followed for at most FollowMinutes.
        var steady = context.WithCancellation(CancellationToken.None);
        context.Switch("SwitchIdentifiers", () =>
        {
            Rename(client, target, live, aside, steady);
            try
            {
                Rename(client, target, restored, live, steady);
            }
            catch (RollbackException ex)
            {
                throw new RollbackException(AwsErrorId.RdsSwitchFailed, RollbackErrorCategory.InvalidOperation,
                    $"{live} was renamed to {aside}, but the restored instance {restored} did not take the identifier {live}: {ex.Message} {Undo(client, target, aside, live, steady)}", live, ex);
            }
        });
        context.Details[ReplacedInstanceDetail] = aside;
        var now = GetInstance(client, live, CancellationToken.None);
        context.Details[EndpointDetail] = now.Endpoint?.ToString() ?? string.Empty;
        context.Reporter.Verbose($"{live} is now the instance restored from {captured.SnapshotIdentifier} at {now.Endpoint}; the replaced instance is kept as {aside} (delete it when it is no longer needed: aws rds delete-db-instance --db-instance-identifier {aside}).");
    }

    /// <summary>Puts the replaced instance back under the live identifier after a failed second rename; says what came of it.</summary>
    private static string Undo(IRdsClient client, RollbackTarget target, string aside, string live, OperationContext context)
    {
        try
        {
            Rename(client, target, aside, live, context);
            return $"The replaced instance was renamed back to {live}: the applications reach it again and the restored instance waits beside it.";
        }
        catch (RollbackException undo)
        {
            return $"Renaming {aside} back to {live} failed too ({undo.ErrorId}: {undo.Message}): no instance answers at {live}'s endpoint. Rename one by hand: aws rds modify-db-instance --db-instance-identifier {aside} --new-db-instance-identifier {live} --apply-immediately.";
        }
    }

    /// <summary>ModifyDBInstance NewDBInstanceIdentifier with ApplyImmediately, followed until the instance is available under its new name and the old name is free.</summary>
    private static void Rename(IRdsClient client, RollbackTarget target, string from, string to, OperationContext context)
    {
        context.Reporter.Verbose($"ModifyDBInstance {from}: NewDBInstanceIdentifier {to}, ApplyImmediately.");
        AwsProviderSupport.Wait(client.ModifyDBInstanceAsync(new ModifyDBInstanceRequest { DBInstanceIdentifier = from, NewDBInstanceIdentifier = to, ApplyImmediately = true }, CancellationToken.None));
        var result = Follow(target, context, "Rename " + from, $"Renaming RDS instance {from} to {to}", "renaming", token =>
        {
            var renamed = FindInstance(client, to, token);
            if (renamed is null)
            {
                return new RemoteOperationState { Status = "renaming", Summary = $"{to} not listed yet" };
            }

            var status = renamed.DBInstanceStatus ?? "(no status)";
            var done = status == Available && FindInstance(client, from, token) is null;
            return new RemoteOperationState { Status = status, Outcome = done ? RemoteOutcome.Succeeded : FailedStates.Contains(status) ? RemoteOutcome.Failed : RemoteOutcome.Running, Summary = $"{to} is {status}" };
        });
        if (result.Ending != FollowEnding.Succeeded)
        {
            throw new RollbackException(AwsErrorId.RdsSwitchFailed, RollbackErrorCategory.InvalidOperation,
                $"Renaming {from} to {to} did not finish: {(result.Ending == FollowEnding.OutOfPatience ? $"still {result.LastStatus} after {Following.Patience(target.Settings).TotalMinutes:0.#} minutes" : result.LastStatus)} ({result.Last?.Summary}).", from);
        }
    }

    private static void FollowRestore(IRdsClient client, RollbackTarget target, string restored, string snapshot, RestoreContext context)
    {
        var result = Follow(target, context, "Restore " + restored, $"Restoring RDS snapshot {snapshot} to {restored}", "creating", token =>
        {
            var instance = FindInstance(client, restored, token);
            var status = instance?.DBInstanceStatus ?? "(not listed yet)";
            return new RemoteOperationState
            {
                Status = status,
                Outcome = status == Available ? RemoteOutcome.Succeeded : FailedStates.Contains(status) ? RemoteOutcome.Failed : RemoteOutcome.Running,
                Summary = $"{restored} is {status}",
            };
        }, stop: token =>
        {
            AwsProviderSupport.Wait(client.DeleteDBInstanceAsync(new DeleteDBInstanceRequest { DBInstanceIdentifier = restored, SkipFinalSnapshot = true, DeleteAutomatedBackups = true }, token));
            return $"DeleteDBInstance {restored}: deleting";
        });

        var live = Live(target);
        switch (result.Ending)
        {
            case FollowEnding.Succeeded:
                return;
            case FollowEnding.Failed or FollowEnding.Stopped:
                throw new RollbackException(AwsErrorId.RdsRestoreFailed, RollbackErrorCategory.InvalidOperation,
                    $"The instance {restored} restored from snapshot {snapshot} is {result.LastStatus}; {live} was not touched. Read its events (aws rds describe-events --source-type db-instance --source-identifier {restored}), then delete it (aws rds delete-db-instance --db-instance-identifier {restored} --skip-final-snapshot).", restored);
            case FollowEnding.OutOfPatience:
                throw new RollbackException(AwsErrorId.RdsRestoreInProgress, RollbackErrorCategory.ResourceBusy,
                    $"The restore of snapshot {snapshot} to {restored} is still {result.LastStatus} after {Following.Patience(target.Settings).TotalMinutes:0.#} minutes; it goes on in RDS and {live} was not touched. Delete {restored} (aws rds delete-db-instance --db-instance-identifier {restored} --skip-final-snapshot) and roll back again with a longer FollowMinutes.", restored);
            default:
                var what = result.CancelAction == CancelAction.Stopped
                    ? $"the restored instance {restored} is being deleted ({result.StopDetail})"
                    : $"deleting the restored instance {restored} failed ({result.StopDetail}): delete it by hand (aws rds delete-db-instance --db-instance-identifier {restored} --skip-final-snapshot)";
                var message = $"Cancelled while snapshot {snapshot} was being restored to {restored} ({result.LastStatus}); {live} was not touched, and {what}.";
                context.Reporter.Warning(message);
                throw new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, restored, result.Cancellation);
        }
    }

    private static DBSnapshot FollowSnapshot(IRdsClient client, RollbackTarget target, string snapshotId, CaptureContext context)
    {
        DBSnapshot? last = null;
        var result = Follow(target, context, "Snapshot " + snapshotId, $"Creating RDS snapshot {snapshotId} of {Live(target)}", "creating", token =>
        {
            last = GetSnapshot(client, snapshotId, token);
            var status = last.Status ?? "(no status)";
            return new RemoteOperationState
            {
                Status = status,
                Outcome = status == Available ? RemoteOutcome.Succeeded : status is "creating" or "copying" or "pending" ? RemoteOutcome.Running : RemoteOutcome.Failed,
                Summary = last.PercentProgress is { } percent ? percent.ToString(CultureInfo.InvariantCulture) + " %" : string.Empty,
                PercentComplete = last.PercentProgress ?? -1,
            };
        });

        switch (result.Ending)
        {
            case FollowEnding.Succeeded:
                return last!;
            case FollowEnding.Failed or FollowEnding.Stopped:
                throw new RollbackException(AwsErrorId.RdsSnapshotNotAvailable, RollbackErrorCategory.InvalidOperation,
                    $"Snapshot {snapshotId} of {Live(target)} is {result.LastStatus}, not available: it cannot be restored. Read the instance's events (aws rds describe-events --source-type db-snapshot --source-identifier {snapshotId}) and capture again.", snapshotId);
            case FollowEnding.OutOfPatience:
                throw new RollbackException(AwsErrorId.RdsSnapshotNotAvailable, RollbackErrorCategory.ResourceBusy,
                    $"Snapshot {snapshotId} of {Live(target)} is still {result.LastStatus} after {Following.Patience(target.Settings).TotalMinutes:0.#} minutes; it goes on in RDS, but no point records it. Capture again with a longer FollowMinutes.", snapshotId);
            default:
                var message = $"Cancelled while snapshot {snapshotId} of {Live(target)} was {result.LastStatus}: RDS has no call that stops a snapshot, so it goes on, and no point records it. Delete it once it is available if it is not wanted: aws rds delete-db-snapshot --db-snapshot-identifier {snapshotId}.";
                context.Reporter.Warning(message);
                throw new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, message, snapshotId, result.Cancellation);
        }
    }

    private static FollowResult Follow(RollbackTarget target, OperationContext context, string name, string activity, string initialStatus,
        Func<CancellationToken, RemoteOperationState> read, Func<CancellationToken, string>? stop = null) =>
        RemoteOperationFollower.Follow(new RemoteOperation
        {
            Name = name,
            Activity = activity,
            Read = read,
            Stop = stop,
            PollInterval = Following.PollInterval(target.Settings),
            Patience = Following.Patience(target.Settings),
            InitialStatus = initialStatus,
        }, context);

    private static CheckResult CheckSnapshot(IRdsClient client, string snapshotId, CancellationToken cancellation)
    {
        DBSnapshot snapshot;
        try
        {
            snapshot = GetSnapshot(client, snapshotId, cancellation);
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            return CheckResult.Fail("SnapshotAvailable", AwsErrorId.RdsSnapshotMissing,
                $"The point's snapshot {snapshotId} no longer exists: {ex.Message} Roll back to another point, or restore another snapshot by hand.");
        }

        return snapshot.Status == Available
            ? CheckResult.Pass("SnapshotAvailable", $"Snapshot {snapshotId} ({snapshot.Engine} {snapshot.EngineVersion}, {snapshot.AllocatedStorage} GiB, taken {snapshot.SnapshotCreateTime:u}) is available.")
            : CheckResult.Fail("SnapshotAvailable", AwsErrorId.RdsSnapshotNotAvailable,
                $"Snapshot {snapshotId} is {snapshot.Status ?? "(no status)"}, not available: RDS restores only an available snapshot. Wait for it (aws rds describe-db-snapshots --db-snapshot-identifier {snapshotId}), or roll back to another point.");
    }

    private static DBSnapshot GetSnapshot(IRdsClient client, string snapshotId, CancellationToken cancellation) =>
        AwsProviderSupport.Wait(client.DescribeDBSnapshotsAsync(new DescribeDBSnapshotsRequest { DBSnapshotIdentifier = snapshotId }, cancellation)).DBSnapshots
            .FirstOrDefault(s => string.Equals(s.DBSnapshotIdentifier, snapshotId, StringComparison.Ordinal))
        ?? throw new RollbackException(AwsErrorId.AwsResourceNotFound, RollbackErrorCategory.ObjectNotFound, $"RDS DescribeDBSnapshots did not list {snapshotId}.", snapshotId);

    private static DBInstance GetInstance(IRdsClient client, string identifier, CancellationToken cancellation) =>
        FindInstance(client, identifier, cancellation, notFoundThrows: true)!;

    /// <summary>The instance with this identifier, or null when RDS has none (or throws AwsResourceNotFound, with <paramref name="notFoundThrows"/>).</summary>
    private static DBInstance? FindInstance(IRdsClient client, string identifier, CancellationToken cancellation, bool notFoundThrows = false)
    {
        try
        {
            var found = AwsProviderSupport.Wait(client.DescribeDBInstancesAsync(new DescribeDBInstancesRequest { DBInstanceIdentifier = identifier }, cancellation)).DBInstances
                .FirstOrDefault(i => string.Equals(i.DBInstanceIdentifier, identifier, StringComparison.Ordinal));
            return found ?? (notFoundThrows
                ? throw new RollbackException(AwsErrorId.AwsResourceNotFound, RollbackErrorCategory.ObjectNotFound, $"RDS DescribeDBInstances did not list {identifier}. Check the name or id, the region and the account the credentials belong to.", identifier)
                : null);
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound && !notFoundThrows)
        {
            return null;
        }
    }

    private static void RequireSupported(DBInstance instance, string live)
    {
        if (!string.IsNullOrEmpty(instance.DBClusterIdentifier) || !string.IsNullOrEmpty(instance.ReadReplicaSourceDBInstanceIdentifier))
        {
            throw new RollbackException(AwsErrorId.RdsInstanceUnsupported, RollbackErrorCategory.InvalidOperation,
                string.IsNullOrEmpty(instance.DBClusterIdentifier)
                    ? $"{live} is a read replica of {instance.ReadReplicaSourceDBInstanceIdentifier}: roll back its source instance instead."
                    : $"{live} belongs to the Aurora cluster {instance.DBClusterIdentifier}: its data lives in the cluster, which this kind does not restore (use restore-db-cluster-from-snapshot).", live);
        }
    }

    private static void RequireAvailable(DBInstance instance, string live, string what)
    {
        if (instance.DBInstanceStatus != Available)
        {
            throw new RollbackException(AwsErrorId.RdsInstanceNotAvailable, RollbackErrorCategory.ResourceBusy,
                $"{live} is {instance.DBInstanceStatus ?? "(no status)"}, not available: RDS cannot have it {what} now. Wait until aws rds describe-db-instances --db-instance-identifier {live} shows it available, then try again.", live);
        }
    }

    /// <summary>
    /// An identifier derived from the live one for the instances of an attempt (the restored one, the replaced one): the
    /// live name shortened so the whole stays within RDS's 63 characters, then the suffix naming the attempt.
    /// </summary>
    internal static string Derived(string live, string suffix)
    {
        var room = MaxIdentifier - suffix.Length;
        return (live.Length > room ? live.Substring(0, room).TrimEnd('-') : live) + suffix;
    }

    /// <summary>A parameter or option group the instance was given, or null for the engine's default one ("default.postgres16", "default:postgres-16"), which a restore gets without naming it.</summary>
    private static string? Custom(string? group) =>
        group is null || group.StartsWith("default.", StringComparison.Ordinal) || group.StartsWith("default:", StringComparison.Ordinal) ? null : group;

    private static string? RestoredFrom(DBInstance instance) =>
        instance.TagList.FirstOrDefault(t => string.Equals(t.Key, RestoredFromTag, StringComparison.Ordinal))?.Value is { Length: > 0 } value ? value : null;

    private static string SnapshotFingerprint(string snapshotId) => "rds-snapshot:" + snapshotId;

    private static CapturedInstance ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<CapturedInstance>(target, point, ArtifactFile, c => string.IsNullOrEmpty(c.SnapshotIdentifier) ? "no snapshot" : null);

    private static string Live(RollbackTarget target) => target.Settings.GetString(InstanceSetting)!;

    /// <summary>The point's one artifact: the snapshot and the instance's configuration as captured, in RDS's own spelling.</summary>
    private sealed class CapturedInstance
    {
        public string? DBInstanceIdentifier { get; set; }

        public string? SnapshotIdentifier { get; set; }

        public string? SnapshotArn { get; set; }

        public DateTime? SnapshotCreateTime { get; set; }

        public string? DbiResourceId { get; set; }

        public string? Engine { get; set; }

        public string? EngineVersion { get; set; }

        public string? DBInstanceClass { get; set; }

        public string? DBSubnetGroupName { get; set; }

        public List<string>? VpcSecurityGroupIds { get; set; }

        public string? DBParameterGroupName { get; set; }

        public string? OptionGroupName { get; set; }

        public bool? MultiAZ { get; set; }

        public bool? PubliclyAccessible { get; set; }

        public string? StorageType { get; set; }

        public int? Port { get; set; }

        public bool? DeletionProtection { get; set; }

        public bool? CopyTagsToSnapshot { get; set; }

        public string? Endpoint { get; set; }
    }
}
