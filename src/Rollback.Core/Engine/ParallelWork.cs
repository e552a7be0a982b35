using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Engine;

/// <summary>
/// Runs per-file work (hashing, copying) on every core while the calling thread reports progress:
/// PowerShell only accepts stream writes from the pipeline thread, so workers never touch the reporter.
/// </summary>
public static class ParallelWork
{
    public static void ForEach<T>(IReadOnlyList<T> items, Func<T, long> work, ProgressUpdate template, Func<T, long> sizeOf, IRollbackReporter reporter, CancellationToken cancellation)
    {
        long totalBytes = 0;
        foreach (var item in items)
        {
            totalBytes += sizeOf(item);
        }

        long doneBytes = 0;
        long doneItems = 0;
        var options = new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) };
        var task = Task.Run(() => Parallel.ForEach(items, options, item =>
        {
            var bytes = work(item);
            Interlocked.Add(ref doneBytes, bytes);
            Interlocked.Increment(ref doneItems);
        }), cancellation);

        try
        {
            while (!task.Wait(250, cancellation))
            {
                reporter.Progress(Update(template, Interlocked.Read(ref doneItems), items.Count, Interlocked.Read(ref doneBytes), totalBytes, completed: false));
            }
        }
        catch (AggregateException ex)
        {
            // Task.Wait wraps Parallel.ForEach's own AggregateException of worker failures: surface the first
            // failure itself, so callers' IOException / RollbackException handling applies.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.Flatten().InnerExceptions[0]).Throw();
        }
        finally
        {
            reporter.Progress(Update(template, doneItems, items.Count, doneBytes, totalBytes, completed: true));
        }
    }

    private static ProgressUpdate Update(ProgressUpdate template, long doneItems, int totalItems, long doneBytes, long totalBytes, bool completed) => new()
    {
        ActivityId = template.ActivityId,
        Activity = template.Activity,
        Status = $"{doneItems:N0} of {totalItems:N0} files, {doneBytes / 1048576.0:N1} of {totalBytes / 1048576.0:N1} MiB",
        PercentComplete = totalBytes > 0 ? (int)Math.Min(100, doneBytes * 100 / totalBytes) : (totalItems > 0 ? (int)(doneItems * 100 / totalItems) : 100),
        Completed = completed,
    };
}
