using System;
using System.IO;
using System.Threading;

namespace Rollback.Store;

/// <summary>
/// An exclusive lock held by an open file handle (flock on Unix, a share mode on Windows), so it is
/// released by the operating system even when the process dies. Works across processes and threads.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Takes the lock at once or returns null when someone else holds it.</summary>
    public static FileLock? TryAcquire(string path)
    {
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

            // Empty, but a store file like any other: user-only, so the store holds nothing others may read.
            StoreFiles.RestrictToOwner(path);
            return new FileLock(stream, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    /// <summary>Waits for the lock (short store-internal sections only), retrying until <paramref name="timeout"/>.</summary>
    public static FileLock Acquire(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var held = TryAcquire(path);
            if (held is not null)
            {
                return held;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new IOException($"Timed out waiting for the lock '{path}'.");
            }

            Thread.Sleep(10);
        }
    }

    public void Dispose() => _stream.Dispose();
}
