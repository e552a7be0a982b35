using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed class FileLockTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SecondTryAcquireFromAnotherThreadFailsWhileHeld()
    {
        var path = _temp["target.lock"];
        using var held = FileLock.TryAcquire(path);
        Assert.NotNull(held);
        Assert.Equal(path, held.Path);

        var second = await Task.Run(() => FileLock.TryAcquire(path));

        Assert.Null(second);
    }

    [Fact]
    public async Task TryAcquireSucceedsAfterTheHolderDisposes()
    {
        var path = _temp["target.lock"];
        var first = FileLock.TryAcquire(path);
        Assert.NotNull(first);
        first.Dispose();

        using var second = await Task.Run(() => FileLock.TryAcquire(path));

        Assert.NotNull(second);
    }

    [Fact]
    public async Task AcquireTimesOutWhileHeld()
    {
        var path = _temp["target.lock"];
        using var held = FileLock.TryAcquire(path);
        Assert.NotNull(held);

        var ex = await Task.Run(() => Assert.Throws<IOException>(() => FileLock.Acquire(path, TimeSpan.FromMilliseconds(100))));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireWaitsForTheHolderToRelease()
    {
        var path = _temp["target.lock"];
        var held = FileLock.TryAcquire(path);
        Assert.NotNull(held);
        using var waiting = new ManualResetEventSlim();

        var acquire = Task.Run(() =>
        {
            waiting.Set();
            return FileLock.Acquire(path, TimeSpan.FromSeconds(10));
        });
        waiting.Wait();
        await Task.Delay(50);
        Assert.False(acquire.IsCompleted);
        held.Dispose();

        using var acquired = await acquire;
        Assert.NotNull(acquired);
    }

    [Fact]
    public void LockInAMissingFolderIsAnError()
    {
        Assert.ThrowsAny<IOException>(() => FileLock.TryAcquire(_temp["missing/target.lock"]));
    }
}
