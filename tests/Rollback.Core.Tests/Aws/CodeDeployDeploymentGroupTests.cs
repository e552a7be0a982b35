using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using Amazon.Runtime;
using Rollback.Providers.Aws;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.CodeDeploy;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The CodeDeployDeploymentGroup kind through the engine against the loopback CodeDeploy endpoint (the one the AWS CLI
/// proves faithful): capture, readiness, rollback that succeeds, fails, is stopped or cancelled, every fault as an
/// ErrorId with no CreateDeployment sent, and the automatic rollback setting. Every request the module sends is
/// SigV4-verified by the endpoint with the test credentials; each test asserts none was refused.
/// </summary>
public sealed partial class CodeDeployDeploymentGroupTests : IDisposable
{
    private const string App = "Chargeworx";
    private const string Group = "Production";
    private const string TargetName = "api-prod";

    private static readonly JsonObject Good = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.2.zip", "zip", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "9b2cf535f27731c974343645a3985328");
    private static readonly JsonObject Bad = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.3.zip", "zip", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh", "2ff0a9b1ce2fd0a3c7ad5a4da1b8b4c2");

    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly ProviderCatalog _catalog;
    private RollbackEngine _engine;
    private string _secret = CodeDeployEndpoint.SecretAccessKey;

    public CodeDeployDeploymentGroupTests()
    {
        _endpoint.AddApplication(App);
        _endpoint.AddDeploymentGroup(App, Group, instances: 3);
        var provider = new CodeDeployDeploymentGroupProvider(target =>
        {
            var fromSettings = AwsClientOptions.FromSettings(target.Settings);
            return new CodeDeployClient(new AwsClientOptions
            {
                Region = fromSettings.Region,
                EndpointUrl = fromSettings.EndpointUrl,
                AttemptTimeout = fromSettings.AttemptTimeout,
                MaxAttempts = fromSettings.MaxAttempts,
                BaseDelay = TimeSpan.FromMilliseconds(10),
                MaxBackoff = TimeSpan.FromMilliseconds(100),
                Credentials = new BasicAWSCredentials(CodeDeployEndpoint.AccessKeyId, _secret),
            });
        });
        _catalog = new ProviderCatalog(new IRollbackProvider[] { provider });
        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), _catalog, _reporter, null, "tester");
    }

    public void Dispose()
    {
        _endpoint.Dispose();
        _folder.Dispose();
    }

    private RollbackTarget Register(params (string Key, object Value)[] extra)
    {
        var settings = new List<KeyValuePair<string, object?>>
        {
            new("ApplicationName", App),
            new("DeploymentGroupName", Group),
            new("Region", CodeDeployEndpoint.Region),
            new("EndpointUrl", _endpoint.Url.ToString()),
            new("PollSeconds", "0.01"),
            // These tests' bundles live in no S3: CodeDeployS3ReadinessTests check real ones in moto.
            new("CheckRevisionBundle", false),
        };
        settings.AddRange(extra.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));
        return _engine.Targets.Register(TargetName, CodeDeployDeploymentGroupProvider.KindName, new SettingsDictionary(settings), replace: false);
    }

    /// <summary>v1.2.2 deployed and captured, then v1.2.3 deployed and failed: the incident the seeds describe.</summary>
    private (RollbackPoint Point, string GoodId, string BadId) Incident(params (string Key, object Value)[] settings)
    {
        var goodId = _endpoint.AddDeployment(App, Group, Good, "Succeeded", "v1.2.2");
        Register(settings);
        var point = _engine.Points.Create(TargetName, "before v1.2.3", CancellationToken.None);
        var badId = _endpoint.AddDeployment(App, Group, Bad, "Failed", "v1.2.3");
        return (point, goodId, badId);
    }

    private RollbackResult Rollback(RollbackPoint point, CancellationToken cancellation = default) =>
        _engine.Rollbacks.Run(new RollbackRequest { Target = TargetName, PointId = point.Id, Reason = "Error rate 12.3% > 10%", ApprovedBy = new[] { "oncall" }, Cancellation = cancellation });

    /// <summary>Rolls back while the new deployment hangs, with Ctrl+C at the third read of it.</summary>
    private RollbackResult RollbackCancelledWhileFollowing(RollbackPoint point)
    {
        _endpoint.Script = DeploymentScript.Hangs;
        using var cancel = new CancellationTokenSource();
        var reads = 0;
        _reporter.OnProgress = update =>
        {
            if (update.ActivityId == ProgressActivity.Deployment && !update.Completed && ++reads == 3)
            {
                cancel.Cancel();
            }
        };

        return Rollback(point, cancel.Token);
    }

    private void AssertEverySignatureVerified()
    {
        Assert.Empty(_endpoint.Rejections);
        Assert.All(_endpoint.Calls, c => Assert.True(c.SignatureValid, c.Operation));
    }

    [Fact]
    public void CaptureRecordsTheLastSuccessfulDeploymentItsRevisionConfigAndAutoRollback()
    {
        var (point, goodId, badId) = Incident();

        Assert.Equal("s3://chargeworx-deployments/api/v1.2.2.zip#3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", point.Version);
        Assert.Equal(goodId, point.Metadata["DeploymentId"]);
        Assert.Equal("S3", point.Metadata["RevisionType"]);
        Assert.Equal("CodeDeployDefault.OneAtATime", point.Metadata["DeploymentConfigName"]);
        Assert.Equal("disabled", point.Metadata["AutoRollback"]);
        var artifact = Assert.Single(point.Artifacts);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(point.Path, PointStore.ArtifactsFolderName, artifact.RelativePath)))!;
        Assert.Equal("9b2cf535f27731c974343645a3985328", json["revision"]!["s3Location"]!["eTag"]!.GetValue<string>());
        Assert.Equal(goodId, json["deploymentId"]!.GetValue<string>());

        // The group now stands on a failed deployment: its state is that deployment, which no point matches.
        var current = _engine.Targets.Describe(TargetName);
        Assert.Contains("(Failed)", current.Version, StringComparison.Ordinal);
        Assert.Contains(badId, current.Detail, StringComparison.Ordinal);
        Assert.NotEqual(point.Fingerprint, current.Fingerprint);
        AssertEverySignatureVerified();
    }

    [Theory]
    [InlineData("GitHub", "github:chargeworx/api@4f1c2a9e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a")]
    [InlineData("AppSpecContent", "appspec:sha256:")]
    public void CapturesGitHubAndAppSpecRevisionsAndRedeploysThemAsCaptured(string type, string versionStart)
    {
        var revision = type == "GitHub"
            ? CodeDeployEndpoint.GitHubRevision("chargeworx/api", "4f1c2a9e0b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a")
            : CodeDeployEndpoint.AppSpecRevision("version: 0.0\nResources: []\n");
        _endpoint.AddDeployment(App, Group, revision, "Succeeded");
        Register();
        var point = _engine.Points.Create(TargetName, null, CancellationToken.None);
        Assert.StartsWith(versionStart, point.Version, StringComparison.Ordinal);
        _endpoint.AddDeployment(App, Group, Bad, "Failed");

        var result = Rollback(point);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var created = _endpoint.Deployment(result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail]);
        Assert.Equal(revision.ToJsonString(), created.Revision.ToJsonString());
        AssertEverySignatureVerified();
    }

    [Fact]
    public void ReadinessPassesAndWarnsWhenAutomaticRollbackIsOff()
    {
        var (point, _, _) = Incident();

        var report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);

        Assert.True(report.IsReady, string.Join(" | ", report.Checks.Select(c => $"{c.Name} {c.Status} {c.Message}")));
        Assert.Equal(CheckStatus.Pass, report.Checks.Single(c => c.Name == "DeploymentGroupReachable").Status);
        Assert.Equal(CheckStatus.Pass, report.Checks.Single(c => c.Name == "RevisionRegistered").Status);
        Assert.Equal(CheckStatus.Pass, report.Checks.Single(c => c.Name == "NoDeploymentInProgress").Status);
        var auto = report.Checks.Single(c => c.Name == "AutoRollbackEnabled");
        Assert.Equal(CheckStatus.Warn, auto.Status);
        Assert.Contains("DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM", auto.Message, StringComparison.Ordinal);

        _endpoint.SetAutoRollback(App, Group, true, "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM");
        var again = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);
        Assert.Equal(CheckStatus.Pass, again.Checks.Single(c => c.Name == "AutoRollbackEnabled").Status);
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AMissingRevisionFailsReadinessAndNothingIsDeployed()
    {
        var (point, _, _) = Incident();
        _endpoint.ForgetRevision(App, Good);

        var report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);
        var check = report.Checks.Single(c => c.Name == "RevisionRegistered");
        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.Equal(AwsErrorId.CodeDeployRevisionMissing, check.ErrorId);

        var refused = Assert.Throws<RollbackException>(() => Rollback(point));
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(AwsErrorId.CodeDeployRevisionMissing, refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void ADeploymentInProgressFailsReadinessUnlessStopInProgressWhichStopsItFirst()
    {
        var (point, _, _) = Incident();
        var running = _endpoint.AddDeployment(App, Group, Bad, "InProgress");

        var report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);
        var check = report.Checks.Single(c => c.Name == "NoDeploymentInProgress");
        Assert.Equal(AwsErrorId.CodeDeployDeploymentInProgress, check.ErrorId);
        Assert.Contains(running, check.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, Assert.Throws<RollbackException>(() => Rollback(point)).ErrorId);
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));

        _engine.Targets.Register(TargetName, CodeDeployDeploymentGroupProvider.KindName, new SettingsDictionary(new[]
        {
            new KeyValuePair<string, object?>("ApplicationName", App),
            new KeyValuePair<string, object?>("DeploymentGroupName", Group),
            new KeyValuePair<string, object?>("Region", CodeDeployEndpoint.Region),
            new KeyValuePair<string, object?>("EndpointUrl", _endpoint.Url.ToString()),
            new KeyValuePair<string, object?>("PollSeconds", "0.01"),
            new KeyValuePair<string, object?>("StopInProgress", true),
            new KeyValuePair<string, object?>("CheckRevisionBundle", false),
        }), replace: true);
        Assert.Equal(CheckStatus.Warn, _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None).Checks.Single(c => c.Name == "NoDeploymentInProgress").Status);

        var result = Rollback(point);

        Assert.True(RollbackStatus.Succeeded == result.Status, result.Message);
        var stopped = _endpoint.Deployment(running);
        Assert.True(stopped.StopRequested);
        Assert.True(stopped.StopAutoRollback);
        Assert.Equal(running, result.Details[CodeDeployDeploymentGroupProvider.StoppedDeploymentIdDetail]);

        // CodeDeploy's own rollback deployment (started by the stop) ended before the module's was created.
        var deployments = _endpoint.Deployments(App, Group);
        var automatic = Assert.Single(deployments, d => d.Creator == "codeDeployRollback");
        Assert.Equal("Succeeded", automatic.Status);
        Assert.Equal(result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail], deployments[^1].Id);
        Assert.Contains(result.Steps, s => s.Name == "StopInProgressDeployment" && s.Status == StepStatus.Succeeded);
        Assert.Contains(_reporter.Warnings, w => w.Contains(running, StringComparison.Ordinal));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void RollbackRedeploysTheCapturedRevisionFollowsEveryInstanceAndLinksBothDeploymentsInTheJournal()
    {
        var (point, goodId, badId) = Incident();

        var result = Rollback(point);

        Assert.True(RollbackStatus.Succeeded == result.Status, result.Message);
        var newId = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        Assert.NotEqual(goodId, newId);
        Assert.Equal(goodId, result.Details[CodeDeployDeploymentGroupProvider.CapturedDeploymentIdDetail]);
        Assert.Equal("Succeeded", result.Details[CodeDeployDeploymentGroupProvider.StatusDetail]);
        Assert.Equal("3", result.Details["CodeDeploy.Instances.Succeeded"]);
        Assert.Equal("0", result.Details["CodeDeploy.Instances.Failed"]);
        Assert.Contains("(Failed)", result.FromVersion, StringComparison.Ordinal);
        Assert.Equal(point.Version, result.ToVersion);
        Assert.Equal(new[] { "CaptureSafetyPoint", "CreateDeployment", "FollowDeployment" }, result.Steps.Select(s => s.Name));
        Assert.All(result.Verification, v => Assert.Equal(CheckStatus.Pass, v.Status));

        var created = _endpoint.Deployment(newId);
        Assert.Equal("Succeeded", created.Status);
        Assert.Equal(Good.ToJsonString(), created.Revision.ToJsonString());
        Assert.Contains(point.Id, created.Description, StringComparison.Ordinal);
        Assert.Contains("Error rate 12.3% > 10%", created.Description, StringComparison.Ordinal);
        Assert.Equal("CodeDeployDefault.OneAtATime", _endpoint.Calls.Single(c => c.Operation == "CreateDeployment").Input!["deploymentConfigName"]!.GetValue<string>());

        // Progress per instance state, closed at the end.
        var progress = _reporter.Progress.Where(p => p.ActivityId == ProgressActivity.Deployment).ToList();
        Assert.Contains(progress, p => p.Status!.StartsWith("InProgress: 1 succeeded, 1 in progress, 1 pending", StringComparison.Ordinal));
        Assert.True(progress[^1].Completed);
        Assert.Contains(progress, p => p.PercentComplete == 100);

        // The safety point records the failed deployment it was taken after; the journal links both deployments.
        var safety = _engine.Points.Get(TargetName, result.SafetyPointId!);
        Assert.Equal($"{badId} (Failed)", safety.Metadata["LastAttemptedDeployment"]);
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal(newId, entry.Details![CodeDeployDeploymentGroupProvider.DeploymentIdDetail]);
        Assert.Equal(goodId, entry.Details[CodeDeployDeploymentGroupProvider.CapturedDeploymentIdDetail]);
        Assert.True(_engine.History.Verify().IsValid);

        // Idempotent: the group now stands on the point's revision.
        var again = Rollback(point);
        Assert.Equal(RollbackStatus.AlreadyCurrent, again.Status);
        Assert.Equal(1, _endpoint.Count("CreateDeployment"));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AFailingDeploymentFailsTheRollbackWithItsInstanceSummary()
    {
        var (point, _, _) = Incident();
        _endpoint.Script = DeploymentScript.FailsOnInstance(1);

        var result = Rollback(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.CodeDeployDeploymentFailed, result.ErrorId);
        Assert.Contains("HEALTH_CONSTRAINTS", result.Message, StringComparison.Ordinal);
        Assert.Equal("Failed", result.Details[CodeDeployDeploymentGroupProvider.StatusDetail]);
        Assert.Equal("1", result.Details["CodeDeploy.Instances.Succeeded"]);
        Assert.Equal("1", result.Details["CodeDeploy.Instances.Failed"]);
        Assert.Equal("1", result.Details["CodeDeploy.Instances.Skipped"]);
        Assert.Equal(StepStatus.Failed, result.Steps.Single(s => s.Name == "FollowDeployment").Status);
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal(AwsErrorId.CodeDeployDeploymentFailed, entry.ErrorId);
        Assert.Equal(result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail], entry.Details![CodeDeployDeploymentGroupProvider.DeploymentIdDetail]);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void ADeploymentStoppedByOthersFailsTheRollbackAsStopped()
    {
        var (point, _, _) = Incident();
        _endpoint.Script = DeploymentScript.Hangs;
        _reporter.OnProgress = update =>
        {
            if (update.ActivityId == ProgressActivity.Deployment && !update.Completed && update.Status!.StartsWith("InProgress: 0 succeeded, 1 in progress", StringComparison.Ordinal))
            {
                _endpoint.Finish(_endpoint.Deployments(App, Group)[^1].Id, "Stopped");
            }
        };

        var result = Rollback(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.CodeDeployDeploymentStopped, result.ErrorId);
        Assert.Equal("Stopped", result.Details[CodeDeployDeploymentGroupProvider.StatusDetail]);
        AssertEverySignatureVerified();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CancellingWhileFollowingStopsTheAwsDeploymentWithAutomaticRollbackAndReportsIt(bool stopDeploymentOnCancelSet)
    {
        // StopDeploymentOnCancel defaults to $true: unset and set explicitly behave alike.
        var (point, _, _) = stopDeploymentOnCancelSet ? Incident(("StopDeploymentOnCancel", true)) : Incident();
        var result = RollbackCancelledWhileFollowing(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        var deployment = _endpoint.Deployment(id);
        Assert.True(deployment.StopRequested);
        Assert.True(deployment.StopAutoRollback);
        Assert.Equal("Stopped", deployment.Status);
        Assert.Equal("Pending", result.Details[CodeDeployDeploymentGroupProvider.StopStatusDetail]);
        Assert.Contains($"Cancelled while CodeDeploy deployment {id}", result.Message, StringComparison.Ordinal);
        Assert.Contains("stopped in AWS", result.Message, StringComparison.Ordinal);
        Assert.Contains(_reporter.Warnings, w => w.Contains(id, StringComparison.Ordinal));
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal(id, entry.Details![CodeDeployDeploymentGroupProvider.DeploymentIdDetail]);
        Assert.Contains("stopped in AWS", entry.Message, StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void WithStopDeploymentOnCancelFalseCtrlCLeavesTheDeploymentRunningAndSaysHowToFollowIt()
    {
        var (point, _, _) = Incident(("StopDeploymentOnCancel", false));
        var result = RollbackCancelledWhileFollowing(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        var deployment = _endpoint.Deployment(id);
        Assert.False(deployment.StopRequested, "StopDeploymentOnCancel = $false, yet the deployment was stopped.");
        Assert.Equal(0, _endpoint.Count("StopDeployment"));
        Assert.NotEqual("Stopped", deployment.Status);
        Assert.Equal(CodeDeployDeploymentGroupProvider.LeftRunning, result.Details[CodeDeployDeploymentGroupProvider.StopStatusDetail]);
        Assert.Contains("left running", result.Message, StringComparison.Ordinal);
        var warning = Assert.Single(_reporter.Warnings, w => w.Contains(id, StringComparison.Ordinal));
        Assert.Contains("aws deploy get-deployment --deployment-id " + id, warning, StringComparison.Ordinal);
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal(id, entry.Details![CodeDeployDeploymentGroupProvider.DeploymentIdDetail]);
        Assert.Equal(CodeDeployDeploymentGroupProvider.LeftRunning, entry.Details[CodeDeployDeploymentGroupProvider.StopStatusDetail]);
        Assert.Contains("left running", entry.Message, StringComparison.Ordinal);
        Assert.Contains("aws deploy get-deployment --deployment-id " + id, entry.Message, StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void StopDeploymentOnCancelMustBeABoolean()
    {
        var invalid = Assert.Throws<RollbackException>(() => Register(("StopDeploymentOnCancel", "sometimes")));
        Assert.Equal(RollbackErrorId.InvalidSetting, invalid.ErrorId);
        Assert.Contains("$true or $false, not 'sometimes'", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CtrlCWhileCreateDeploymentIsOnItsWayStillStopsTheDeploymentItCreated()
    {
        var (point, _, _) = Incident();
        _endpoint.Script = DeploymentScript.Hangs;
        using var cancel = new CancellationTokenSource();
        _reporter.OnVerbose = message =>
        {
            if (message == "Step 'CreateDeployment'.")
            {
                cancel.Cancel();
            }
        };

        var result = Rollback(point, cancel.Token);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        Assert.True(_endpoint.Deployment(id).StopRequested, "The deployment created as Ctrl+C arrived was left running.");
        Assert.Contains("stopped in AWS", result.Message, StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    public static TheoryData<string, string> Faults() => new()
    {
        { "ApplicationDoesNotExistException", AwsErrorId.AwsResourceNotFound },
        { "DeploymentGroupDoesNotExistException", AwsErrorId.AwsResourceNotFound },
        { "AccessDeniedException", AwsErrorId.AwsAccessDenied },
        { "ThrottlingException", AwsErrorId.AwsThrottled },
        { "InternalFailure", AwsErrorId.AwsRequestFailed },
        { "ExpiredTokenException", AwsErrorId.AwsCredentialsExpired },
        { "NoAnswer", AwsErrorId.AwsEndpointUnreachable },
    };

    private static EndpointFault FaultOf(string type) => type switch
    {
        "ApplicationDoesNotExistException" => EndpointFault.ApplicationDoesNotExist(App),
        "DeploymentGroupDoesNotExistException" => EndpointFault.DeploymentGroupDoesNotExist(Group),
        "AccessDeniedException" => EndpointFault.AccessDenied,
        "ThrottlingException" => EndpointFault.Throttling,
        "InternalFailure" => EndpointFault.InternalFailure,
        "ExpiredTokenException" => EndpointFault.ExpiredToken,
        _ => EndpointFault.NoAnswerAtAll,
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void EveryFaultBecomesItsErrorIdAndNoDeploymentIsCreated(string fault, string errorId)
    {
        // A 1 s timeout only where the endpoint never answers: under a loaded machine a throttled request's back-off and
        // retry can outlast 1 s, and would then be reported as a timeout instead of the fault under test.
        var (point, _, _) = Incident(("TimeoutSeconds", fault == "NoAnswer" ? "1" : "30"), ("MaxAttempts", "2"));
        _endpoint.Inject(FaultOf(fault), "GetDeploymentGroup");

        var report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);
        var reachable = report.Checks.Single(c => c.Name == "TargetReachable");
        Assert.Equal(errorId, reachable.ErrorId);
        Assert.False(report.IsReady);

        var refused = Assert.Throws<RollbackException>(() => Rollback(point));
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(errorId, refused.Message, StringComparison.Ordinal);
        if (fault != "NoAnswer")
        {
            Assert.Contains("AWS request id", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal(HistoryStatus.Refused, entry.Status);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AFiveHundredStormIsRetriedWithinTheBudgetThenReported()
    {
        var (point, _, _) = Incident();
        _endpoint.Inject(EndpointFault.InternalFailure, "GetDeploymentGroup");

        var report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);

        Assert.Equal(AwsErrorId.AwsRequestFailed, report.Checks.Single(c => c.Name == "TargetReachable").ErrorId);
        Assert.Equal(3, _endpoint.Calls.Count(c => c.Operation == "GetDeploymentGroup" && c.Status == 500));
        Assert.Contains("after 3 attempts", report.Checks.Single(c => c.Name == "TargetReachable").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrottlingThenSuccessRollsBack()
    {
        var (point, _, _) = Incident();
        _endpoint.Inject(EndpointFault.Throttling, "GetDeploymentGroup", times: 2);
        _endpoint.Inject(EndpointFault.Throttling, "CreateDeployment", times: 1);

        var result = Rollback(point);

        Assert.True(RollbackStatus.Succeeded == result.Status, result.Message);
        Assert.Equal(3, _endpoint.Calls.Count(c => c.ErrorType == "ThrottlingException"));
        Assert.Single(_endpoint.Deployments(App, Group), d => d.Description.Contains(point.Id, StringComparison.Ordinal));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void ARefusedCreateDeploymentFailsTheRollbackWithItsErrorIdAndCreatesNothing()
    {
        var (point, _, _) = Incident();
        _endpoint.Inject(EndpointFault.AccessDenied, "CreateDeployment");

        var result = Rollback(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsAccessDenied, result.ErrorId);
        Assert.Contains("codedeploy:CreateDeployment", result.Message, StringComparison.Ordinal);
        Assert.Equal(2, _endpoint.Deployments(App, Group).Count);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void WrongCredentialsAreRefusedByTheEndpointAndReportedAsInvalidCredentials()
    {
        var (point, _, _) = Incident();
        _secret = "not-the-secret";

        var report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);

        Assert.Equal(AwsErrorId.AwsCredentialsInvalid, report.Checks.Single(c => c.Name == "TargetReachable").ErrorId);
        Assert.Contains(_endpoint.Rejections, r => r.ErrorType == "InvalidSignatureException");
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
    }

    [Fact]
    public void WhatIfPlansTheDeploymentAndSendsNothingThatChanges()
    {
        var (point, _, _) = Incident();

        var plan = _engine.Rollbacks.Plan(TargetName, point.Id, "drill", new[] { "oncall" });

        Assert.Equal(RollbackStatus.WhatIf, plan.Status);
        Assert.Contains(plan.Steps, s => s.Name == "CreateDeployment" && s.Message.Contains(point.Version, StringComparison.Ordinal));
        Assert.Contains(plan.Steps, s => s.Name == "FollowDeployment");
        Assert.DoesNotContain(_endpoint.Calls, c => c.Operation is "CreateDeployment" or "StopDeployment" or "UpdateDeploymentGroup");
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AutomaticRollbackIsShownSetJournaledAndLeftAloneWhenAlreadySo()
    {
        _endpoint.AddDeployment(App, Group, Good, "Succeeded");
        Register();

        var shown = _engine.AutoRollback.Get(TargetName);
        Assert.False(shown.Enabled);
        Assert.Equal("Chargeworx/Production", shown.Resource);
        Assert.Equal(new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" }, shown.MissingRecommendedEvents);

        var set = _engine.AutoRollback.Set(TargetName, true, new[] { "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE" });
        Assert.True(set.Changed);
        Assert.True(set.Enabled);
        Assert.Empty(set.MissingRecommendedEvents);
        Assert.False(set.PreviousEnabled);
        Assert.True(set.JournalSequence > 0);
        var configured = _endpoint.GroupAutoRollback(App, Group)!;
        Assert.True(configured["enabled"]!.GetValue<bool>());
        Assert.Equal(new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" }, configured["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.SetAutoRollback }).Single();
        Assert.Equal("disabled", entry.From);
        Assert.Equal("enabled for DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM", entry.To);

        var again = _engine.AutoRollback.Set(TargetName, true, new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" });
        Assert.False(again.Changed);
        Assert.Equal(1, _endpoint.Count("UpdateDeploymentGroup"));

        var invalid = Assert.Throws<RollbackException>(() => _engine.AutoRollback.Set(TargetName, true, new[] { "DEPLOYMENT_SOMETIMES" }));
        Assert.Equal(RollbackErrorId.AutoRollbackEventInvalid, invalid.ErrorId);
        Assert.Equal(1, _endpoint.Count("UpdateDeploymentGroup"));

        _endpoint.Inject(EndpointFault.AccessDenied, "UpdateDeploymentGroup");
        var denied = Assert.Throws<RollbackException>(() => _engine.AutoRollback.Set(TargetName, false, Array.Empty<string>()));
        Assert.Equal(AwsErrorId.AwsAccessDenied, denied.ErrorId);
        Assert.Equal(HistoryStatus.Failed, _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.SetAutoRollback })[^1].Status);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void SettingsAreCheckedWhenTheTargetIsRegistered()
    {
        var missing = Assert.Throws<RollbackException>(() => _engine.Targets.Register("x", CodeDeployDeploymentGroupProvider.KindName,
            new SettingsDictionary(new[] { new KeyValuePair<string, object?>("ApplicationName", App) }), replace: false));
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, missing.ErrorId);
        Assert.Contains("DeploymentGroupName", missing.Message, StringComparison.Ordinal);

        var badPoll = Assert.Throws<RollbackException>(() => Register(("PollSeconds", "soon")));
        Assert.Equal(RollbackErrorId.InvalidSetting, badPoll.ErrorId);
        Assert.Empty(_endpoint.Calls);
    }

    [Fact]
    public void AGroupWithoutASuccessfulDeploymentCannotBeCaptured()
    {
        _endpoint.AddDeployment(App, Group, Bad, "Failed");
        Register();

        var failed = Assert.Throws<RollbackException>(() => _engine.Points.Create(TargetName, null, CancellationToken.None));

        Assert.Equal(AwsErrorId.CodeDeployNoSuccessfulDeployment, failed.ErrorId);
        AssertEverySignatureVerified();
    }

    private sealed class RecordingReporter : IRollbackReporter
    {
        private readonly ConcurrentQueue<ProgressUpdate> _progress = new();
        private readonly ConcurrentQueue<string> _warnings = new();
        private readonly ConcurrentQueue<string> _verbose = new();

        public Action<ProgressUpdate>? OnProgress { get; set; }

        public IReadOnlyList<ProgressUpdate> Progress => _progress.ToList();

        public IReadOnlyList<string> Warnings => _warnings.ToList();

        public IReadOnlyList<string> VerboseMessages => _verbose.ToList();

        void IRollbackReporter.Progress(ProgressUpdate update)
        {
            _progress.Enqueue(update);
            OnProgress?.Invoke(update);
        }

        public Action<string>? OnVerbose { get; set; }

        public void Verbose(string message)
        {
            _verbose.Enqueue(message);
            OnVerbose?.Invoke(message);
        }

        public void Warning(string message) => _warnings.Enqueue(message);
    }
}
