using System;
using System.IO;
using System.Threading;
using Rollback.Platform;
using Xunit;

namespace Rollback.Tests;

public sealed class FileSystemFlushTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WritebackFlushesTheFileSystemWhileItRunsAndStopsWhenDisposed()
    {
        _temp.WriteFile("staged/a.txt", new string('x', 1 << 20));
        var writeback = FileSystemFlush.StartWriteback(_temp.Path, TimeSpan.FromMilliseconds(10));
        try
        {
            Assert.True(writeback.IsRunning);
            _temp.WriteFile("staged/b.txt", new string('y', 1 << 20));
            Assert.True(SpinWait.SpinUntil(() => writeback.Flushes >= 2, TimeSpan.FromSeconds(30)), $"{writeback.Flushes} flushes in 30 s");
        }
        finally
        {
            writeback.Dispose();
        }

        var flushes = writeback.Flushes;
        Assert.False(writeback.IsRunning);
        Assert.Equal(0, writeback.Failures);
        writeback.Dispose();
        Assert.Equal(flushes, writeback.Flushes);
    }

    [Fact]
    public void WritebackOfAFolderThatIsGoneFailsQuietlyAndTheFinalFlushSaysWhy()
    {
        var missing = _temp["gone"];
        using (var writeback = FileSystemFlush.StartWriteback(missing, TimeSpan.FromMilliseconds(10)))
        {
            Assert.True(SpinWait.SpinUntil(() => writeback.Failures >= 1, TimeSpan.FromSeconds(30)), "no flush attempted in 30 s");
            Assert.Equal(0, writeback.Flushes);
        }

        var error = Assert.Throws<IOException>(() => FileSystemFlush.Sync(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }
}
