using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests;

public sealed class ParallelWorkTests
{
    private static readonly ProgressUpdate Template = new() { ActivityId = ProgressActivity.Verify, Activity = "Testing" };

    [Fact]
    public void RunsEveryItemOnceAndReportsCompletion()
    {
        var items = Enumerable.Range(1, 100).ToList();
        var seen = new ConcurrentBag<int>();
        var updates = new List<ProgressUpdate>();

        ParallelWork.ForEach(items, i => { seen.Add(i); return i; }, Template, i => i, new ListReporter(updates), CancellationToken.None);

        Assert.Equal(items, seen.OrderBy(i => i));
        var last = updates.Last();
        Assert.True(last.Completed);
        Assert.Equal(100, last.PercentComplete);
        Assert.Equal(ProgressActivity.Verify, last.ActivityId);
    }

    [Fact]
    public void AWorkerFailureSurfacesAsItself()
    {
        var items = Enumerable.Range(1, 20).ToList();

        var ex = Assert.Throws<RollbackException>(() => ParallelWork.ForEach(
            items,
            i => i == 7 ? throw new RollbackException(RollbackErrorId.ArtifactMissing, RollbackErrorCategory.ObjectNotFound, "seven") : i,
            Template,
            i => 1,
            NullReporter.Instance,
            CancellationToken.None));

        Assert.Equal(RollbackErrorId.ArtifactMissing, ex.ErrorId);
    }

    [Fact]
    public void SeveralWorkerFailuresSurfaceAsOneOfThem()
    {
        var items = Enumerable.Range(1, 20).ToList();

        Assert.Throws<IOException>(() => ParallelWork.ForEach<int>(items, _ => throw new IOException("disk"), Template, i => 1, NullReporter.Instance, CancellationToken.None));
    }

    [Fact]
    public void CancelledTokenRunsNothing()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var ran = 0;

        Assert.ThrowsAny<OperationCanceledException>(() => ParallelWork.ForEach(Enumerable.Range(1, 20).ToList(), i => Interlocked.Increment(ref ran), Template, i => 1, NullReporter.Instance, cancellation.Token));

        Assert.Equal(0, ran);
    }

    private sealed class ListReporter(List<ProgressUpdate> updates) : IRollbackReporter
    {
        public void Progress(ProgressUpdate update) => updates.Add(update);

        public void Verbose(string message)
        {
        }

        public void Warning(string message)
        {
        }
    }
}
