using System;
using System.Threading;
using Rollback.Engine;

namespace Rollback.Providers;

/// <summary>How a remote operation stands at one read.</summary>
public enum RemoteOutcome
{
    Running,
    Succeeded,
    Failed,
    Stopped,
}

/// <summary>One read of a remote operation: its status as the system names it, where that leaves it, and how far along it is.</summary>
public sealed class RemoteOperationState
{
    public required string Status { get; init; }

    public RemoteOutcome Outcome { get; init; }

    /// <summary>What the status means in numbers (instances, tasks), for progress and messages; may be empty.</summary>
    public string Summary { get; init; } = string.Empty;

    /// <summary>0-100, or -1 when the system does not say.</summary>
    public int PercentComplete { get; init; } = -1;
}

/// <summary>
/// A long-running operation on a remote system (a CodeDeploy deployment, an ECS service deployment, an RDS restore):
/// how to read it, how to stop it, how long to wait between reads and in all.
/// </summary>
public sealed record RemoteOperation
{
    /// <summary>What the operation is, in messages: "Deployment d-123".</summary>
    public required string Name { get; init; }

    /// <summary>The progress bar's activity: "CodeDeploy deployment d-123 to Chargeworx/Production".</summary>
    public required string Activity { get; init; }

    /// <summary>Reads the operation once, honouring the token.</summary>
    public required Func<CancellationToken, RemoteOperationState> Read { get; init; }

    /// <summary>
    /// Stops the operation on the remote system after Ctrl+C and returns the system's answer for messages; the token is
    /// the stop's own time budget. Null: Ctrl+C leaves the operation running.
    /// </summary>
    public Func<CancellationToken, string>? Stop { get; init; }

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to follow before giving up; the operation goes on remotely.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>How long a stop after Ctrl+C may take (the caller's own token is already cancelled by then).</summary>
    public TimeSpan StopBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The status messages give before the first read (e.g. "Created").</summary>
    public string InitialStatus { get; init; } = "(not read yet)";

    public int ProgressActivityId { get; init; } = ProgressActivity.Deployment;
}

/// <summary>How following ended.</summary>
public enum FollowEnding
{
    Succeeded,
    Failed,
    Stopped,

    /// <summary>Still running when the patience ran out; it goes on remotely.</summary>
    OutOfPatience,

    /// <summary>Ctrl+C: see <see cref="FollowResult.CancelAction"/>.</summary>
    Cancelled,
}

/// <summary>What became of the operation after Ctrl+C.</summary>
public enum CancelAction
{
    None,
    LeftRunning,
    Stopped,
    StopFailed,
}

public sealed class FollowResult
{
    public FollowEnding Ending { get; init; }

    /// <summary>The last read (null when Ctrl+C came before the first).</summary>
    public RemoteOperationState? Last { get; init; }

    /// <summary>The last status, or the operation's initial status when it was never read.</summary>
    public required string LastStatus { get; init; }

    public TimeSpan Elapsed { get; init; }

    public CancelAction CancelAction { get; init; }

    /// <summary>The system's answer to the stop (Stopped), or why the stop failed, "ErrorId: message" or "timed out: ..." (StopFailed).</summary>
    public string? StopDetail { get; init; }

    /// <summary>The cancellation that ended the follow, for the caller's exception.</summary>
    public OperationCanceledException? Cancellation { get; init; }
}

/// <summary>
/// Follows a remote operation until it ends: reads it every poll interval on the context's time, says each change of
/// status in verbose and every read in progress, gives up after the patience, and on Ctrl+C stops it within its own
/// time budget (or leaves it running when it cannot be stopped). Providers turn the result into their own steps,
/// details and ErrorIds; the follower throws only what <see cref="RemoteOperation.Read"/> throws.
/// </summary>
public static class RemoteOperationFollower
{
    public static FollowResult Follow(RemoteOperation operation, OperationContext context)
    {
        var started = context.Timestamp();
        RemoteOperationState? last = null;
        var lastStatus = operation.InitialStatus;
        try
        {
            while (true)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var state = operation.Read(context.Cancellation);
                if (state.Status != lastStatus)
                {
                    context.Reporter.Verbose($"{operation.Name}: {state.Status}{(state.Summary.Length == 0 ? string.Empty : " (" + state.Summary + ")")}.");
                }

                last = state;
                lastStatus = state.Status;
                context.Reporter.Progress(new ProgressUpdate
                {
                    ActivityId = operation.ProgressActivityId,
                    Activity = operation.Activity,
                    Status = state.Summary.Length == 0 ? state.Status : $"{state.Status}: {state.Summary}",
                    PercentComplete = state.PercentComplete,
                });

                if (state.Outcome != RemoteOutcome.Running)
                {
                    var ending = state.Outcome switch
                    {
                        RemoteOutcome.Succeeded => FollowEnding.Succeeded,
                        RemoteOutcome.Failed => FollowEnding.Failed,
                        _ => FollowEnding.Stopped,
                    };
                    return new FollowResult { Ending = ending, Last = state, LastStatus = lastStatus, Elapsed = context.ElapsedSince(started) };
                }

                if (context.ElapsedSince(started) > operation.Patience)
                {
                    return new FollowResult { Ending = FollowEnding.OutOfPatience, Last = state, LastStatus = lastStatus, Elapsed = context.ElapsedSince(started) };
                }

                context.Wait(operation.PollInterval);
            }
        }
        catch (OperationCanceledException cancelled) when (context.Cancellation.IsCancellationRequested)
        {
            return Cancelled(operation, context, last, lastStatus, context.ElapsedSince(started), cancelled);
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = operation.ProgressActivityId, Activity = operation.Activity, Completed = true });
        }
    }

    /// <summary>
    /// Ctrl+C came (while following, or before following began): stops the operation within its budget, or leaves it
    /// running when it has no stop. Never throws for a stop that fails or runs out of time: the result says so.
    /// </summary>
    public static FollowResult Cancelled(RemoteOperation operation, OperationContext context, RemoteOperationState? last, string lastStatus, TimeSpan elapsed,
        OperationCanceledException cancelled)
    {
        if (operation.Stop is null)
        {
            return new FollowResult { Ending = FollowEnding.Cancelled, Last = last, LastStatus = lastStatus, Elapsed = elapsed, CancelAction = CancelAction.LeftRunning, Cancellation = cancelled };
        }

        using var budget = context.Time.Deadline(operation.StopBudget, CancellationToken.None);
        try
        {
            var answer = operation.Stop(budget.Token);
            return new FollowResult
            {
                Ending = FollowEnding.Cancelled, Last = last, LastStatus = lastStatus, Elapsed = elapsed, CancelAction = CancelAction.Stopped, StopDetail = answer, Cancellation = cancelled,
            };
        }
        catch (Exception ex) when (ex is Errors.RollbackException or OperationCanceledException)
        {
            var why = $"{(ex as Errors.RollbackException)?.ErrorId ?? "timed out"}: {ex.Message}";
            return new FollowResult
            {
                Ending = FollowEnding.Cancelled, Last = last, LastStatus = lastStatus, Elapsed = elapsed, CancelAction = CancelAction.StopFailed, StopDetail = why, Cancellation = cancelled,
            };
        }
    }
}
