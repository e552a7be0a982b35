using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.Rds;
using Rollback.Store;
using Rollback.Testing;
using Xunit;
using static Rollback.Tests.Aws.AwsKindTesting;

namespace Rollback.Tests.Aws;

/// <summary>
/// The RdsInstance kind end to end through the engine, against moto 5.2.1's RDS behind the endpoint that checks every
/// request's SigV4 signature with botocore; after each rollback (or refusal) the AWS CLI v2 reads the instances and
/// snapshots through the same endpoint. moto makes snapshots and restored instances available at once and renames in
/// the call, so the "creating" reads AWS gives while a restore runs (followed, and where Ctrl+C lands) are scripted by
/// the endpoint, as are access denied and throttling; everything else is moto's.
/// </summary>
public sealed class RdsInstanceTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly MotoFixture _aws;
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly MotoService<MotoRds> _service;

    public RdsInstanceTests(MotoFixture aws)
    {
        _aws = aws;
        _service = new MotoService<MotoRds>(aws, "rds", url => new MotoRds(url));
        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new RdsInstanceProvider() }), _reporter, null, "tester");
    }

    private AwsTestEndpoint Endpoint => _service.Endpoint;

    private MotoRds Rds => _service.Arrange;

    public void Dispose()
    {
        _service.Dispose();
        _folder.Dispose();
    }

    [SkippableFact]
    public void RollbackRestoresTheSnapshotBesideTheInstanceAndSwapsTheIdentifiersAsTheCliReadsThem()
    {
        var (live, address) = Deployed();
        var point = _engine.Points.Create("db", "before the migration");
        Assert.StartsWith(live + "-rollback-", point.Version, StringComparison.Ordinal);
        Assert.Equal("available", CliSnapshot(point.Version)["Status"]!.GetValue<string>());

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "migration broke orders", Options = Options(("PollSeconds", "0.01")) });

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(point.Version, result.ToVersion);
        var replaced = result.Details[RdsInstanceProvider.ReplacedInstanceDetail];
        Assert.StartsWith(live + "-old-", replaced, StringComparison.Ordinal);
        Assert.Equal(point.Version, result.Details[RdsInstanceProvider.SnapshotDetail]);
        Assert.Equal(new[] { "RestoreDBInstanceFromDBSnapshot", "FollowRestore", "SwitchIdentifiers" }, result.Steps.Select(s => s.Name).Where(n => !n.StartsWith("Capture", StringComparison.Ordinal)));
        Assert.True(result.Steps.Single(s => s.Name == "SwitchIdentifiers").InSwitch);
        Assert.InRange(result.Downtime, result.Steps.Single(s => s.Name == "SwitchIdentifiers").Duration, result.Duration);

        // The live identifier is the restored instance, at the same endpoint; the replaced one is kept beside it.
        var now = CliInstance(live);
        Assert.Equal(address, now[nameof(Endpoint)]!["Address"]!.GetValue<string>());
        Assert.Contains(now["TagList"]!.AsArray(), t => t!["Key"]!.GetValue<string>() == RdsInstanceProvider.RestoredFromTag && t["Value"]!.GetValue<string>() == point.Version);
        Assert.Equal("available", CliInstance(replaced)["DBInstanceStatus"]!.GetValue<string>());
        Assert.DoesNotContain(Rds.Instances(), i => i.StartsWith(live + "-rb-", StringComparison.Ordinal));
        Assert.Equal(1, Endpoint.Count("RestoreDBInstanceFromDBSnapshot"));
        Assert.Equal(2, Endpoint.Count("ModifyDBInstance"));
        Assert.Contains("ApplyImmediately=true", Endpoint.Traffic.First(t => t.StartsWith("Action=ModifyDBInstance", StringComparison.Ordinal)), StringComparison.Ordinal);

        // The safety point is a snapshot of the replaced state; the journal names the replaced instance.
        var safety = _engine.Points.GetAll("db").Single(p => p.Id == result.SafetyPointId);
        Assert.Equal("available", CliSnapshot(safety.Version)["Status"]!.GetValue<string>());
        var entries = _engine.History.Get(new HistoryFilter { Target = "db" });
        var entry = entries[entries.Count - 1];
        Assert.Equal(replaced, entry.Details![RdsInstanceProvider.ReplacedInstanceDetail]);
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void TheSameRollbackAgainIsAlreadyCurrentAndRestoresNothing()
    {
        Deployed();
        var point = _engine.Points.Create("db", null);
        _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "first", Options = Options(("PollSeconds", "0.01")) });

        var again = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "retry" });

        Assert.Equal(RollbackStatus.AlreadyCurrent, again.Status);
        Assert.Equal(1, Endpoint.Count("RestoreDBInstanceFromDBSnapshot"));
    }

    [SkippableFact]
    public void TheRestoreIsFollowedUntilAvailableBeforeTheSwitch()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        _reporter.OnVerbose = message =>
        {
            if (message == "Step 'FollowRestore'.")
            {
                Endpoint.Enqueue(new ScriptedAnswer(200, MotoRds.CreatingAnswer(RestoredName()), "DescribeDBInstances"));
                Endpoint.Enqueue(new ScriptedAnswer(200, MotoRds.CreatingAnswer(RestoredName()), "DescribeDBInstances"));
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "x", Options = Options(("PollSeconds", "0.01")) });

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        var reads = _reporter.Progress.Where(p => p.Activity.StartsWith("Restoring RDS snapshot", StringComparison.Ordinal) && !p.Completed).Select(p => p.Status).ToList();
        Assert.Equal(new[] { "creating: " + RestoredName() + " is creating", "creating: " + RestoredName() + " is creating", "available: " + RestoredName() + " is available" }, reads);
        Assert.Contains(CliInstance(live)["TagList"]!.AsArray(), t => t!["Key"]!.GetValue<string>() == RdsInstanceProvider.RestoredFromTag && t["Value"]!.GetValue<string>() == point.Version);
    }

    [SkippableFact]
    public void CtrlCWhileTheRestoreRunsDeletesTheRestoredInstanceAndLeavesTheLiveOne()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        using var cancel = new CancellationTokenSource();
        _reporter.OnVerbose = message =>
        {
            if (message == "Step 'FollowRestore'.")
            {
                Endpoint.Enqueue(new ScriptedAnswer(200, MotoRds.CreatingAnswer(RestoredName()), "DescribeDBInstances"));
            }
        };
        _reporter.OnProgress = update =>
        {
            if (update.Activity.StartsWith("Restoring RDS snapshot", StringComparison.Ordinal) && !update.Completed)
            {
                cancel.Cancel();
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "x", Options = Options(("PollSeconds", "0.01")), Cancellation = cancel.Token });

        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        Assert.Contains($"{live} was not touched", result.Message, StringComparison.Ordinal);
        Assert.Contains(_reporter.Warnings, w => w.Contains("is being deleted", StringComparison.Ordinal));
        Assert.Equal(1, Endpoint.Count("DeleteDBInstance"));
        Assert.Equal(0, Endpoint.Count("ModifyDBInstance"));
        Assert.DoesNotContain(RestoredName(), Rds.Instances());
        AssertLiveUntouched(live);
        var entries = _engine.History.Get(new HistoryFilter { Target = "db" });
        Assert.Equal(RollbackErrorId.OperationCancelled, entries[entries.Count - 1].ErrorId);
    }

    [SkippableFact]
    public void ARestoreThatEndsFailedIsRdsRestoreFailedAndNothingIsSwitched()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        _reporter.OnVerbose = message =>
        {
            if (message == "Step 'FollowRestore'.")
            {
                Endpoint.Enqueue(new ScriptedAnswer(200, MotoRds.InstanceAnswer(RestoredName(), "incompatible-restore"), "DescribeDBInstances"));
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "x", Options = Options(("PollSeconds", "0.01")) });

        Assert.Equal(AwsErrorId.RdsRestoreFailed, result.ErrorId);
        Assert.Contains($"{live} was not touched", result.Message, StringComparison.Ordinal);
        Assert.Contains("describe-events", result.Message, StringComparison.Ordinal);
        AssertLiveUntouched(live);
    }

    [SkippableFact]
    public void ASecondRenameThatFailsPutsTheReplacedInstanceBackUnderTheLiveIdentifier()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        var renamesIntoLive = 0;
        _reporter.OnVerbose = message =>
        {
            // The first rename into the live identifier (the restored instance's) is refused; the live one's rename aside
            // went through, and the undo (the second rename into the live identifier) is answered by moto.
            if (message.StartsWith("ModifyDBInstance ", StringComparison.Ordinal) && message.Contains($"NewDBInstanceIdentifier {live},", StringComparison.Ordinal) && renamesIntoLive++ == 0)
            {
                Endpoint.Enqueue(new ScriptedAnswer(400, MotoRds.Error("InvalidDBInstanceState", "Instance is not available for modification"), "ModifyDBInstance"));
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "x", Options = Options(("PollSeconds", "0.01")) });

        Assert.Equal(AwsErrorId.RdsSwitchFailed, result.ErrorId);
        Assert.Contains("renamed back to " + live, result.Message, StringComparison.Ordinal);
        // The live identifier holds the original instance again, the restored one waits beside it, none is left aside.
        Assert.DoesNotContain(CliInstance(live)["TagList"]?.AsArray() ?? new JsonArray(), t => t!["Key"]!.GetValue<string>() == RdsInstanceProvider.RestoredFromTag);
        Assert.Contains(RestoredName(), Rds.Instances());
        Assert.DoesNotContain(Rds.Instances(), i => i.StartsWith(live + "-old-", StringComparison.Ordinal));
        Assert.Equal(3, Endpoint.Count("ModifyDBInstance"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ADeletedSnapshotFailsReadinessWithRdsSnapshotMissingAndNothingChanges()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        Rds.DeleteSnapshot(point.Version);

        var readiness = _engine.Readiness.Test("db", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "x" }));

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.RdsSnapshotMissing, failed.ErrorId);
        Assert.Contains("DBSnapshotNotFound", failed.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Equal(0, Endpoint.Count("RestoreDBInstanceFromDBSnapshot"));
        AssertLiveUntouched(live);
    }

    [SkippableFact]
    public void ASnapshotStillBeingCreatedFailsReadinessWithRdsSnapshotNotAvailable()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        Endpoint.Enqueue(new ScriptedAnswer(200, MotoRds.SnapshotAnswer(point.Version, "creating"), "DescribeDBSnapshots"));

        var readiness = _engine.Readiness.Test("db", point.Id);

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.RdsSnapshotNotAvailable, failed.ErrorId);
        Assert.Contains("is creating", failed.Message, StringComparison.Ordinal);
        AssertLiveUntouched(live);
    }

    [SkippableFact]
    public void AnUnknownInstanceIsAwsResourceNotFoundAndNoPointOrSnapshotIsMade()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        Register(MotoRds.Unique("missing"));

        var error = Assert.Throws<RollbackException>(() => _engine.Points.Create("db", null));

        Assert.Equal(AwsErrorId.AwsResourceNotFound, error.ErrorId);
        Assert.Contains("DBInstanceNotFound", error.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Points.GetAll("db"));
        Assert.Equal(0, Endpoint.Count("CreateDBSnapshot"));
    }

    [SkippableFact]
    public void AStoppedInstanceIsRdsInstanceNotAvailable()
    {
        var (live, _) = Deployed();
        Rds.StopInstance(live);

        var error = Assert.Throws<RollbackException>(() => _engine.Points.Create("db", null));

        Assert.Equal(AwsErrorId.RdsInstanceNotAvailable, error.ErrorId);
        Assert.Contains("is stopped", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Endpoint.Count("CreateDBSnapshot"));
    }

    [SkippableFact]
    public void AccessDeniedOnTheRestoreFailsTheRollbackAndTheLiveInstanceStays()
    {
        var (live, _) = Deployed();
        var point = _engine.Points.Create("db", null);
        Endpoint.Enqueue(new ScriptedAnswer(403, MotoRds.Error("AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: rds:RestoreDBInstanceFromDBSnapshot"), "RestoreDBInstanceFromDBSnapshot"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "db", PointId = point.Id, Reason = "x", Options = Options(("PollSeconds", "0.01")) });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsAccessDenied, result.ErrorId);
        Assert.Contains("rds:RestoreDBInstanceFromDBSnapshot", result.Message, StringComparison.Ordinal);
        Assert.Equal(0, Endpoint.Count("ModifyDBInstance"));
        AssertLiveUntouched(live);
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsFailsReadinessWithAwsThrottled()
    {
        var (live, _) = Deployed(("MaxAttempts", "2"));
        var point = _engine.Points.Create("db", null);
        for (var i = 0; i < 2; i++)
        {
            Endpoint.Enqueue(new ScriptedAnswer(400, MotoRds.Error("Throttling", "Rate exceeded"), "DescribeDBSnapshots"));
        }

        var readiness = _engine.Readiness.Test("db", point.Id);

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.AwsThrottled, failed.ErrorId);
        Assert.Contains("after 2 attempts", failed.Message, StringComparison.Ordinal);
        AssertLiveUntouched(live);
    }

    [Fact]
    public void SettingsNeedAValidIdentifierAndDerivedNamesStayWithin63Characters()
    {
        var provider = new RdsInstanceProvider();
        var missing = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("Region", "us-east-1") })));
        var bad = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("DBInstanceIdentifier", "shop--db") })));
        var follow = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("DBInstanceIdentifier", "shop"), Pair("FollowMinutes", "-1") })));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, missing.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, bad.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, follow.ErrorId);
        Assert.Equal("shop-db", provider.ValidateSettings(new SettingsDictionary(new[] { Pair("DBInstanceIdentifier", " Shop-DB ") })).GetString("DBInstanceIdentifier"));
        var longest = "a" + new string('b', 61) + "c";
        Assert.Equal(63, RdsInstanceProvider.Derived(longest, "-old-0123456789ab").Length);
        Assert.Equal("a" + new string('b', 45) + "-old-0123456789ab", RdsInstanceProvider.Derived(longest, "-old-0123456789ab"));
        Assert.Equal("ab-old-1", RdsInstanceProvider.Derived("ab", "-old-1"));
    }

    /// <summary>A DB instance in moto, registered as target "db"; returns its identifier and endpoint address.</summary>
    private (string Live, string Address) Deployed(params (string Key, string Value)[] extra)
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var live = MotoRds.Unique("shop");
        var address = Rds.CreateInstance(live);
        Register(live, extra);
        return (live, address);
    }

    private void Register(string live, params (string Key, string Value)[] extra)
    {
        var all = new List<KeyValuePair<string, object?>> { Pair("DBInstanceIdentifier", live), Pair("Region", AwsTestEndpoint.Region), Pair("EndpointUrl", Endpoint.Url.ToString()) };
        all.AddRange(extra.Select(e => Pair(e.Key, e.Value)));
        _engine.Targets.Register("db", RdsInstanceProvider.KindName, new SettingsDictionary(all), replace: false);
    }

    /// <summary>The identifier the rollback restored to, from the request the module sent.</summary>
    private string RestoredName()
    {
        var body = Endpoint.Traffic.Last(t => t.StartsWith("Action=RestoreDBInstanceFromDBSnapshot", StringComparison.Ordinal));
        return Uri.UnescapeDataString(body.Split('&').Single(p => p.StartsWith("DBInstanceIdentifier=", StringComparison.Ordinal))["DBInstanceIdentifier=".Length..]);
    }

    private JsonObject Cli(params string[] arguments) => AwsKindTesting.Cli(Endpoint, arguments);

    private JsonObject CliInstance(string identifier) => Cli("rds", "describe-db-instances", "--db-instance-identifier", identifier)["DBInstances"]![0]!.AsObject();

    private JsonObject CliSnapshot(string snapshot) => Cli("rds", "describe-db-snapshots", "--db-snapshot-identifier", snapshot)["DBSnapshots"]![0]!.AsObject();

    /// <summary>The live identifier still names the instance created by the test, untagged by a restore, and nothing was renamed.</summary>
    private void AssertLiveUntouched(string live)
    {
        var instance = CliInstance(live);
        Assert.DoesNotContain(instance["TagList"]?.AsArray() ?? new JsonArray(), t => t!["Key"]!.GetValue<string>() == RdsInstanceProvider.RestoredFromTag);
        Assert.DoesNotContain(Rds.Instances(), i => i.StartsWith(live + "-old-", StringComparison.Ordinal));
        Assert.Equal(0, Endpoint.Count("ModifyDBInstance"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }
}
