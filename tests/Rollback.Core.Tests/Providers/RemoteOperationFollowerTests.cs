using System;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>The shared follower of remote rollouts on virtual time: the polls, the patience and the stop budget are exact and take no real time.</summary>
public sealed class RemoteOperationFollowerTests : IDisposable
{
    private readonly VirtualTime _time = new();
    private readonly RecordingReporter _reporter = new();
    private readonly CancellationTokenSource _ctrlC = new();
    private int _reads;
    private int _stops;

    public void Dispose() => _ctrlC.Dispose();

    [Fact]
    public void PollsUntilTheOperationSucceedsSayingEachChangeOfStatus()
    {
        var result = Follow(Operation(reads => reads < 4 ? Running("InProgress", $"{reads} of 4 done", reads * 25) : Ended("Succeeded", RemoteOutcome.Succeeded)));

        Assert.Equal(FollowEnding.Succeeded, result.Ending);
        Assert.Equal(4, _reads);
        Assert.Equal(new[] { 5.0, 5, 5 }, _time.Waits.Select(w => w.TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(15), result.Elapsed);
        Assert.Equal(new[] { "Deployment d-1: InProgress (1 of 4 done).", "Deployment d-1: Succeeded." }, _reporter.Verbose);
        Assert.Equal(new[] { 25, 50, 75, -1 }, _reporter.Progress.Where(p => !p.Completed).Select(p => p.PercentComplete));
        Assert.True(_reporter.Progress[^1].Completed);
    }

    [Theory]
    [InlineData(RemoteOutcome.Failed, FollowEnding.Failed)]
    [InlineData(RemoteOutcome.Stopped, FollowEnding.Stopped)]
    public void AFailedOrStoppedOperationEndsTheFollow(RemoteOutcome outcome, FollowEnding ending)
    {
        var result = Follow(Operation(reads => reads < 2 ? Running("InProgress") : Ended(outcome.ToString(), outcome)));

        Assert.Equal(ending, result.Ending);
        Assert.Equal(outcome.ToString(), result.LastStatus);
        Assert.Equal(0, _stops);
    }

    [Fact]
    public void GivesUpAfterThePatienceAndLeavesTheOperationRunning()
    {
        var result = Follow(Operation(_ => Running("InProgress")) with { PollInterval = TimeSpan.FromSeconds(10), Patience = TimeSpan.FromMinutes(1) });

        // Reads at 0, 10 ... 60 s are within the minute; the one at 70 s is past it.
        Assert.Equal(FollowEnding.OutOfPatience, result.Ending);
        Assert.Equal(8, _reads);
        Assert.Equal(TimeSpan.FromSeconds(70), result.Elapsed);
        Assert.Equal(0, _stops);
    }

    [Fact]
    public void CtrlCDuringTheFollowStopsTheOperationWithinItsBudget()
    {
        var result = Follow(Operation(reads =>
        {
            if (reads == 2)
            {
                _ctrlC.Cancel();
            }

            return Running(reads == 1 ? "Created" : "InProgress");
        }));

        Assert.Equal(FollowEnding.Cancelled, result.Ending);
        Assert.Equal(CancelAction.Stopped, result.CancelAction);
        Assert.Equal("Stopping", result.StopDetail);
        Assert.Equal("InProgress", result.LastStatus);
        Assert.Equal(2, _reads);
        Assert.Equal(1, _stops);
        Assert.NotNull(result.Cancellation);
        Assert.True(_reporter.Progress[^1].Completed);
    }

    [Fact]
    public void AStopWithoutAnAnswerEndsAtItsBudgetAndSaysSo()
    {
        _ctrlC.Cancel();
        var operation = Operation(_ => Running("InProgress")) with
        {
            Stop = budget =>
            {
                // The stop request takes longer than its 30 s budget.
                _stops++;
                _time.Advance(TimeSpan.FromSeconds(31));
                budget.ThrowIfCancellationRequested();
                return "Stopping";
            },
        };

        var result = Follow(operation);

        Assert.Equal(CancelAction.StopFailed, result.CancelAction);
        Assert.StartsWith("timed out: ", result.StopDetail, StringComparison.Ordinal);
        Assert.Equal("Created", result.LastStatus);
        Assert.Null(result.Last);
        Assert.Equal(0, _reads);
    }

    [Fact]
    public void AStopThatFailsSaysWhy()
    {
        _ctrlC.Cancel();
        var operation = Operation(_ => Running("InProgress")) with
        {
            Stop = _ => throw new RollbackException(RollbackErrorId.TargetReadOnly, RollbackErrorCategory.PermissionDenied, "not allowed to stop", "d-1"),
        };

        var result = Follow(operation);

        Assert.Equal(CancelAction.StopFailed, result.CancelAction);
        Assert.Equal($"{RollbackErrorId.TargetReadOnly}: not allowed to stop", result.StopDetail);
    }

    [Fact]
    public void WithoutAStopCtrlCLeavesTheOperationRunning()
    {
        var result = Follow(Operation(reads =>
        {
            _ctrlC.Cancel();
            return Running("InProgress");
        }) with { Stop = null });

        Assert.Equal(CancelAction.LeftRunning, result.CancelAction);
        Assert.Equal(1, _reads);
        Assert.Equal(0, _stops);
        Assert.Empty(_time.Waits);
    }

    private FollowResult Follow(RemoteOperation operation) => RemoteOperationFollower.Follow(operation, new OperationContext(_reporter, _time, _ctrlC.Token));

    private RemoteOperation Operation(Func<int, RemoteOperationState> read) => new()
    {
        Name = "Deployment d-1",
        Activity = "Deployment d-1 to api",
        Read = _ => read(++_reads),
        Stop = _ =>
        {
            _stops++;
            return "Stopping";
        },
        InitialStatus = "Created",
    };

    private static RemoteOperationState Running(string status, string summary = "", int percent = -1) =>
        new() { Status = status, Outcome = RemoteOutcome.Running, Summary = summary, PercentComplete = percent };

    private static RemoteOperationState Ended(string status, RemoteOutcome outcome) => new() { Status = status, Outcome = outcome };
}
