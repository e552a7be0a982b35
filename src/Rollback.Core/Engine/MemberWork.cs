using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Rollback.Engine;

/// <summary>
/// Runs one piece of work per member of a plan's stage, at most <c>throttle</c> at once, each on a thread of its own
/// taking the next member as it finishes one, so a slow or failing member holds only its own slot. Workers never touch
/// the caller's reporter (PowerShell accepts stream writes from the pipeline thread only): each member reports into a
/// queue that the calling thread forwards while it waits, as a progress bar per member under the plan's bar.
/// A member not started when the cancellation fires is given <c>notStarted</c>; a failure of the work itself (a bug,
/// not a member's failure, which the work returns as its result) is thrown on the calling thread once all have stopped.
/// </summary>
internal static class MemberWork
{
    private static readonly TimeSpan ForwardInterval = TimeSpan.FromMilliseconds(100);

    public static IReadOnlyList<T> Run<T>(IReadOnlyList<string> members, int throttle, Func<string, IRollbackReporter, T> work, Func<string, T> notStarted,
        IRollbackReporter reporter, string activity, CancellationToken cancellation)
    {
        var results = new T[members.Count];
        var queues = new QueuedReporter[members.Count];
        for (var i = 0; i < members.Count; i++)
        {
            queues[i] = new QueuedReporter(members[i], ProgressActivity.PlanMember + i);
        }

        var next = -1;
        ExceptionDispatchInfo? bug = null;
        var workers = new List<Thread>();
        using var done = new CountdownEvent(Math.Max(1, Math.Min(throttle, members.Count)));
        for (var w = 0; w < done.InitialCount; w++)
        {
            var worker = new Thread(() =>
            {
                try
                {
                    int index;
                    while ((index = Interlocked.Increment(ref next)) < members.Count)
                    {
                        if (cancellation.IsCancellationRequested || Volatile.Read(ref bug) is not null)
                        {
                            results[index] = notStarted(members[index]);
                            continue;
                        }

                        queues[index].Start(activity);
                        try
                        {
                            results[index] = work(members[index], queues[index]);
                        }
                        finally
                        {
                            queues[index].Finish();
                        }
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref bug, ExceptionDispatchInfo.Capture(ex), null);
                }
                finally
                {
                    done.Signal();
                }
            })
            { IsBackground = true, Name = "Rollback plan member" };
            workers.Add(worker);
            worker.Start();
        }

        // Not the cancellation: after Ctrl+C the members still finish (and report) what they cannot leave half done.
        while (!done.Wait(ForwardInterval, CancellationToken.None))
        {
            Forward(queues, reporter);
        }

        Forward(queues, reporter);
        bug?.Throw();
        return results;
    }

    private static void Forward(QueuedReporter[] queues, IRollbackReporter reporter)
    {
        foreach (var queue in queues)
        {
            queue.ForwardTo(reporter);
        }
    }

    /// <summary>One member's reports as one progress bar under the plan's, queued by its worker (a <see cref="DeferredReporter"/>) and forwarded by the calling thread.</summary>
    private sealed class QueuedReporter : IRollbackReporter
    {
        private readonly DeferredReporter _queue = new();
        private readonly string _member;
        private readonly int _activityId;
        private string _activity = string.Empty;

        public QueuedReporter(string member, int activityId)
        {
            _member = member;
            _activityId = activityId;
        }

        public void Start(string activity)
        {
            _activity = activity;
            _queue.Progress(Bar("Starting", 0, completed: false));
        }

        public void Finish() => _queue.Progress(Bar("Done", 100, completed: true));

        /// <summary>The member's own activities (its rollback, its capture, copying files...) become the status of its one bar; their ends do not close it.</summary>
        public void Progress(ProgressUpdate update)
        {
            if (!update.Completed)
            {
                _queue.Progress(Bar(update.Activity + ": " + update.Status, update.PercentComplete, completed: false));
            }
        }

        public void Verbose(string message) => _queue.Verbose(_member + ": " + message);

        public void Warning(string message) => _queue.Warning(_member + ": " + message);

        public void ForwardTo(IRollbackReporter reporter) => _queue.ForwardTo(reporter);

        private ProgressUpdate Bar(string status, int percent, bool completed) => new()
        {
            ActivityId = _activityId,
            ParentActivityId = ProgressActivity.Plan,
            Activity = $"{_activity} {_member}",
            Status = status,
            PercentComplete = percent,
            Completed = completed,
        };
    }
}
