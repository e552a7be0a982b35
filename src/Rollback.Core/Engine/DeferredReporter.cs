using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;

namespace Rollback.Engine;

/// <summary>
/// The reporter of work that runs beside the calling thread: it keeps every report in order, and the calling thread
/// hands them to the real reporter, as they come while it waits for the work (<see cref="ForwardUntilDone{T}"/>) or
/// once the work has joined it. PowerShell accepts stream writes from the pipeline thread alone, so work on another
/// thread never touches the caller's reporter.
/// </summary>
internal sealed class DeferredReporter : IRollbackReporter
{
    // How long the calling thread waits for the work between two forwards: a progress bar moves four times a second.
    private const int ForwardIntervalMilliseconds = 250;

    private readonly ConcurrentQueue<Action<IRollbackReporter>> _reports = new();

    public void Progress(ProgressUpdate update) => _reports.Enqueue(r => r.Progress(update));

    public void Verbose(string message) => _reports.Enqueue(r => r.Verbose(message));

    public void Warning(string message) => _reports.Enqueue(r => r.Warning(message));

    /// <summary>Hands what was reported so far to <paramref name="reporter"/>, in the order it was reported. Call on the caller's thread.</summary>
    public void ForwardTo(IRollbackReporter reporter)
    {
        while (_reports.TryDequeue(out var report))
        {
            report(reporter);
        }
    }

    /// <summary>
    /// Waits on the caller's thread for <paramref name="work"/>, handing its reports to <paramref name="reporter"/> as they
    /// come, and returns its result (or throws its exception, after every report made before it).
    /// </summary>
    public T ForwardUntilDone<T>(Task<T> work, IRollbackReporter reporter)
    {
        try
        {
            while (Task.WaitAny(new Task[] { work }, ForwardIntervalMilliseconds) < 0)
            {
                ForwardTo(reporter);
            }
        }
        finally
        {
            // Joined even when a report could not be written (a stopped pipeline), so nothing runs on after the caller's step.
            Task.WaitAny(work);
        }

        ForwardTo(reporter);
        return work.GetAwaiter().GetResult();
    }
}
