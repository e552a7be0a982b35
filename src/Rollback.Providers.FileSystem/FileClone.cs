using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;
using Rollback.Store;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// The file work of staging a Directory rollback. Each file is cloned where the file system can share extents between
/// files (the FICLONE ioctl: XFS, Btrfs, bcachefs) and copied where it cannot (ext4, tmpfs, another file system), and is
/// hashed in the same pass: a clone is hashed by reading its source once, a copy while its bytes go through. Nothing is
/// flushed file by file: <see cref="SyncFileSystem"/> makes the whole staged tree durable with one syncfs(2) before the
/// switch, where an fsync per file would wait for the file system's journal 20,000 times (Windows, which has no such
/// call, keeps the flush per file).
/// </summary>
internal sealed class FileClone
{
    private const int BufferSize = 1 << 18;

    // _IOW(0x94, 9, int): "make the destination share the source's extents".
    private static readonly UIntPtr Ficlone = (UIntPtr)0x40049409u;

    // One buffer per worker thread, reused for every file: thousands of small files must not allocate one each.
    [ThreadStatic]
    private static byte[]? _buffer;

    private int _cloned;
    private int _copied;

    // Set at the first refusal: a file system that cannot clone one file cannot clone the next.
    private volatile bool _cloneRefused = !RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    public int Cloned => _cloned;

    public int Copied => _copied;

    /// <summary>What happened, for the verbose stream: "20,001 files copied (this file system cannot clone)".</summary>
    public string Describe() => _cloned > 0
        ? $"{_cloned:N0} files cloned (sharing the point's extents), {_copied:N0} copied"
        : $"{_copied:N0} files copied (this file system cannot clone files)";

    /// <summary>A <see cref="Engine.FileCopier"/>: clones or copies <paramref name="source"/> to the new file <paramref name="destination"/>.</summary>
    public string CopyAndHash(string source, string destination, out long size)
    {
        var buffer = _buffer ??= new byte[BufferSize];
        using var sha = SHA256.Create();

        // bufferSize 1 turns FileStream's own buffer off: reads and writes go straight through the reused one.
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        var cloned = TryClone(input, output);
        size = 0;
        int read;
        while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha.TransformBlock(buffer, 0, read, null, 0);
            if (!cloned)
            {
                output.Write(buffer, 0, read);
            }

            size += read;
        }

        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        if (NativeFileSystemSync.PerFileFlushNeeded)
        {
            output.Flush(flushToDisk: true);
        }

        Interlocked.Increment(ref cloned ? ref _cloned : ref _copied);
        return Checksums.ToHex(sha.Hash!);
    }

    /// <summary>Makes everything written under <paramref name="path"/> durable: one syncfs(2) of its file system on Linux.</summary>
    public static void SyncFileSystem(string path) => NativeFileSystemSync.Sync(path);

    private bool TryClone(FileStream input, FileStream output)
    {
        if (_cloneRefused)
        {
            return false;
        }

        if (UnixMethods.ioctl(output.SafeFileHandle.DangerousGetHandle().ToInt32(), Ficlone, input.SafeFileHandle.DangerousGetHandle().ToInt32()) == 0)
        {
            return true;
        }

        // EOPNOTSUPP/ENOTTY (ext4, tmpfs), EXDEV (another file system), EINVAL: copy this file and every later one.
        _cloneRefused = true;
        return false;
    }

    private static class UnixMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int ioctl(int fd, UIntPtr request, int sourceFd);
    }
}

/// <summary>One flush of a whole file system (syncfs on Linux, sync elsewhere on Unix); Windows flushes file by file instead.</summary>
internal static class NativeFileSystemSync
{
    public static bool PerFileFlushNeeded { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

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

        var fd = UnixMethods.open(Utf8Z(path), 0);
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

    private static byte[] Utf8Z(string path)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        return bytes;
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
