using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.CodeDeploy;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The redeployment followed by the shared RemoteOperationFollower on virtual time, against the same loopback endpoint:
/// the reads PollSeconds apart with progress by instance state, giving up after FollowMinutes, and Ctrl+C stopping the
/// deployment within the stop's own budget. The schedule is exact and no real time is spent waiting.
/// </summary>
public sealed partial class CodeDeployDeploymentGroupTests
{
    private readonly VirtualTime _time = new();

    [Fact]
    public void TheRedeploymentIsReadEveryPollSecondsWithProgressByInstanceState()
    {
        OnVirtualTime();
        var (point, _, _) = Incident(("PollSeconds", 5));

        var result = Rollback(point);

        Assert.True(RollbackStatus.Succeeded == result.Status, result.Message);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];

        // Three instances, one at a time: each read moves the endpoint's deployment one step on.
        var reads = DeploymentReads();
        Assert.Equal(new[]
        {
            "InProgress: 0 succeeded, 0 in progress, 3 pending, 0 failed, 0 skipped",
            "InProgress: 0 succeeded, 1 in progress, 2 pending, 0 failed, 0 skipped",
            "InProgress: 1 succeeded, 0 in progress, 2 pending, 0 failed, 0 skipped",
            "InProgress: 1 succeeded, 1 in progress, 1 pending, 0 failed, 0 skipped",
            "InProgress: 2 succeeded, 0 in progress, 1 pending, 0 failed, 0 skipped",
            "InProgress: 2 succeeded, 1 in progress, 0 pending, 0 failed, 0 skipped",
            "InProgress: 3 succeeded, 0 in progress, 0 pending, 0 failed, 0 skipped",
            "Succeeded: 3 succeeded, 0 in progress, 0 pending, 0 failed, 0 skipped",
        }, reads.Select(p => p.Status));
        Assert.Equal(new[] { 0, 0, 33, 33, 66, 66, 100, 100 }, reads.Select(p => p.PercentComplete));
        Assert.True(DeploymentProgress()[^1].Completed);

        // A wait of PollSeconds between two reads, none after the last, and nothing else waited.
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(5), reads.Count - 1), _time.Waits);

        // Verbose says each change of status once, not every read.
        Assert.Equal(new[]
        {
            $"Deployment {id}: InProgress (0 succeeded, 0 in progress, 3 pending, 0 failed, 0 skipped).",
            $"Deployment {id}: Succeeded (3 succeeded, 0 in progress, 0 pending, 0 failed, 0 skipped).",
        }, _reporter.VerboseMessages.Where(m => m.StartsWith($"Deployment {id}:", StringComparison.Ordinal)));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void ARedeploymentThatHangsIsGivenUpAfterFollowMinutesAndLeftRunningInAws()
    {
        OnVirtualTime();
        var (point, _, _) = Incident(("PollSeconds", 10), ("FollowMinutes", 1));
        _endpoint.Script = DeploymentScript.Hangs;

        var result = Rollback(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.CodeDeployDeploymentInProgress, result.ErrorId);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        Assert.Contains($"CodeDeploy deployment {id} to {App}/{Group} is still InProgress after 1 minutes (0 succeeded, 1 in progress, 2 pending", result.Message, StringComparison.Ordinal);
        Assert.Contains("aws deploy get-deployment --deployment-id " + id, result.Message, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Failed, result.Steps.Single(s => s.Name == "FollowDeployment").Status);

        // Reads at 0, 10 ... 60 s are within the minute; the one at 70 s is past it, and there the follow gives up.
        Assert.Equal(8, DeploymentReads().Count);
        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(10), 7), _time.Waits);

        // Giving up is not Ctrl+C: the deployment goes on in AWS, unstopped.
        Assert.Equal(0, _endpoint.Count("StopDeployment"));
        Assert.False(_endpoint.Deployment(id).StopRequested);
        Assert.Equal("InProgress", _endpoint.Deployment(id).Status);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void CtrlCStopsTheRedeploymentAtOnceAndPollsNoMore()
    {
        OnVirtualTime();
        var (point, _, _) = Incident(("PollSeconds", 5));

        var result = RollbackCancelledWhileFollowing(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        Assert.True(_endpoint.Deployment(id).StopRequested);
        Assert.Equal("Stopped", _endpoint.Deployment(id).Status);
        Assert.Contains($"Cancelled while CodeDeploy deployment {id} to {App}/{Group} was InProgress. It was stopped in AWS (StopDeployment with automatic rollback: Pending", result.Message, StringComparison.Ordinal);

        // Ctrl+C came at the third read: two waits before it, none after, and one StopDeployment.
        Assert.Equal(3, DeploymentReads().Count);
        Assert.Equal(new[] { TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5) }, _time.Waits);
        Assert.Equal(1, _endpoint.Count("StopDeployment"));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AStopThatGetsNoAnswerIsGivenUpAtItsBudgetAndTheMessageSaysHowToStopItByHand()
    {
        OnVirtualTime();

        // One attempt may take ten minutes: only the stop's own 30-second budget can end the wait for its answer.
        var (point, _, _) = Incident(("PollSeconds", 5), ("TimeoutSeconds", 600));
        _endpoint.Inject(EndpointFault.NoAnswerAtAll, "StopDeployment");
        _endpoint.OnHold = operation =>
        {
            if (operation == "StopDeployment")
            {
                _time.Advance(TimeSpan.FromSeconds(31));
            }
        };

        var result = RollbackCancelledWhileFollowing(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        var id = result.Details[CodeDeployDeploymentGroupProvider.DeploymentIdDetail];
        Assert.Equal("NotStopped", result.Details[CodeDeployDeploymentGroupProvider.StopStatusDetail]);
        Assert.Contains("Stopping it failed (timed out: ", result.Message, StringComparison.Ordinal);
        Assert.Contains($"Stop it by hand: aws deploy stop-deployment --deployment-id {id} --auto-rollback-enabled.", result.Message, StringComparison.Ordinal);
        Assert.Contains(_reporter.Warnings, w => w.Contains("Stopping it failed", StringComparison.Ordinal));

        // The stop was sent once and never retried past its budget; the deployment still runs in AWS.
        Assert.Equal(1, _endpoint.Count("StopDeployment"));
        Assert.False(_endpoint.Deployment(id).StopRequested);
        var entry = _engine.History.Get(new HistoryFilter { Target = TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal("NotStopped", entry.Details![CodeDeployDeploymentGroupProvider.StopStatusDetail]);
    }

    /// <summary>From here on the engine, and with it the follower, runs on virtual time: a wait takes none and is recorded.</summary>
    private void OnVirtualTime() => _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), _catalog, _reporter, _time, "tester");

    private List<ProgressUpdate> DeploymentProgress() =>
        _reporter.Progress.Where(p => p.ActivityId == ProgressActivity.Deployment).ToList();

    /// <summary>The progress of each read of the deployment (the closing record left out).</summary>
    private List<ProgressUpdate> DeploymentReads() => DeploymentProgress().Where(p => !p.Completed).ToList();
}
