using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Rollback.Platform;

/// <summary>
/// Flushes of a whole file system: syncfs(2) on Linux, sync(2) elsewhere on Unix; Windows has no such call, so a writer
/// there flushes file by file (<see cref="PerFileFlushNeeded"/>).
/// </summary>
internal static class FileSystemFlush
{
    /// <summary>Whether a writer must flush each file itself because no call flushes a file system at once (Windows).</summary>
    public static bool PerFileFlushNeeded { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>Makes everything written on the file system of <paramref name="path"/> durable; an IOException when it cannot.</summary>
    public static void Sync(string path)
    {
        if (PerFileFlushNeeded)
        {
            return;
        }

        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            UnixMethods.sync();
            return;
        }

        var fd = UnixMethods.open(NativeFileSystem.Utf8Z(path), 0);
        if (fd < 0)
        {
            throw new IOException($"Cannot open '{path}' to flush its file system (errno {Marshal.GetLastWin32Error()}).");
        }

        try
        {
            if (UnixMethods.syncfs(fd) != 0)
            {
                throw new IOException($"Cannot flush the file system of '{path}' to disk (errno {Marshal.GetLastWin32Error()}).");
            }
        }
        finally
        {
            _ = UnixMethods.close(fd);
        }
    }

    /// <summary>
    /// Starts writing to disk what is written on the file system of <paramref name="path"/> while the writer goes on (see
    /// <see cref="Writeback"/>); disposing it stops that. Only Linux flushes one file system alone: elsewhere this does nothing.
    /// </summary>
    public static Writeback StartWriteback(string path, TimeSpan interval) =>
        new(path, interval, RuntimeInformation.IsOSPlatform(OSPlatform.Linux));

    /// <summary>
    /// A thread that flushes one file system every interval until disposed. The kernel leaves written pages in memory for
    /// up to 30 seconds (or until a share of memory is dirty), so a tree copied in two seconds is all still to write when
    /// the copy ends, and its one final flush then writes 200 MB while nothing else happens. Flushed as it goes, the disk
    /// writes while the copy reads and hashes, and the final flush waits for the last interval's pages only. The flushes
    /// run on this thread (the kernel's flusher does the writing), never on the copy's workers; what they cost is waiting.
    /// These flushes prove nothing: a failed one is left for the writer's own final <see cref="Sync"/>, which reports it.
    /// </summary>
    internal sealed class Writeback : IDisposable
    {
        private readonly ManualResetEventSlim _stop = new();
        private readonly Thread? _thread;
        private int _flushes;
        private int _failures;
        private int _disposed;

        internal Writeback(string path, TimeSpan interval, bool enabled)
        {
            if (!enabled)
            {
                return;
            }

            _thread = new Thread(() =>
            {
                while (!_stop.Wait(interval))
                {
                    try
                    {
                        Sync(path);
                        Interlocked.Increment(ref _flushes);
                    }
                    catch (IOException)
                    {
                        // Left for the final flush, which reports it; a flush that fails here changes nothing on disk.
                        Interlocked.Increment(ref _failures);
                    }
                }
            })
            {
                IsBackground = true,
                Name = "Rollback writeback",
            };
            _thread.Start();
        }

        /// <summary>How many flushes have completed so far.</summary>
        public int Flushes => Volatile.Read(ref _flushes);

        /// <summary>How many flushes failed (the folder went away, the disk refused): nothing is reported for them here.</summary>
        public int Failures => Volatile.Read(ref _failures);

        /// <summary>Whether the flushing thread still runs.</summary>
        public bool IsRunning => _thread?.IsAlive == true;

        /// <summary>Stops flushing; returns once a flush under way has ended, so nothing runs on after the writer's step.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _stop.Set();
            _thread?.Join();
            _stop.Dispose();
        }
    }

    private static class UnixMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int open(byte[] path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int syncfs(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern void sync();
    }
}
