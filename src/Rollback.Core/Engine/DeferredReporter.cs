using System;
using System.Collections.Concurrent;

namespace Rollback.Engine;

/// <summary>
/// The reporter of work that runs beside the calling thread: it keeps every report in order, and the calling thread
/// hands them to the real reporter once the work has joined it. PowerShell accepts stream writes from the pipeline
/// thread alone, so work on another thread never touches the caller's reporter.
/// </summary>
internal sealed class DeferredReporter : IRollbackReporter
{
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
}
