using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;
using Rollback.Engine;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// The file work of staging a Directory rollback. Each file is cloned where the file system can share extents between
/// files (the FICLONE ioctl: XFS, Btrfs, bcachefs) and copied where it cannot (ext4, tmpfs, another file system), and is
/// hashed in the same pass: a clone is hashed by reading its source once, a copy while its bytes go through. On Linux the
/// copy goes through the two descriptors alone: the source is opened without following a link, the copy is created
/// user-only (or, in a folder only this account may enter, with its recorded permission bits) and given its recorded
/// owner and mode through its descriptor where they differ (fchown, then fchmod, as chown clears setuid), and its hash is
/// recorded for <see cref="HashReuse"/> by the descriptor's own statx, so no path is looked up again.
/// Nothing is flushed file by file: <see cref="SyncFileSystem"/> makes the whole staged tree durable with one syncfs(2)
/// before the switch, where an fsync per file would wait for the file system's journal 20,000 times (Windows, which has
/// no such call, keeps the flush per file); the disk writes while the copy goes on (<see cref="FileSystemFlush.Writeback"/>).
/// </summary>
internal sealed class FileClone : IDisposable
{
    private const int BufferSize = 1 << 18;

    // open(2) flags and errno values of Linux: the same on every architecture .NET runs on there, but O_NOFOLLOW (below).
    private const int ReadOnly = 0x0;
    private const int WriteOnly = 0x1;
    private const int Create = 0x40;
    private const int Exclusive = 0x80;
    private const int CloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private const int NotPermitted = 1;
    private const int UserOnly = 0x180; // 0600: a copy is nobody else's until it has its recorded mode
    private const int Default = 0x1B6; // 0666 less the umask, as a copy of a point without recorded modes always got
    private const int Permissions = 0x1FF; // 0777: setuid, setgid and sticky are given after the owner, never at creation

    // _IOW(0x94, 9, int): "make the destination share the source's extents".
    private static readonly UIntPtr Ficlone = (UIntPtr)0x40049409u;

    private static readonly bool Linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    // O_NOFOLLOW is 0x8000 on ARM, 0x20000 on x86 and the generic Linux ABI.
    private static readonly int NoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    // One buffer and one hash per worker thread, reused for every file: thousands of small files must not allocate one each.
    [ThreadStatic]
    private static byte[]? _buffer;

    [ThreadStatic]
    private static IncrementalHash? _sha;

    [ThreadStatic]
    private static char[]? _hex;

    private readonly HashReuse? _hashes;
    private readonly bool _privateDestination;

    // Each worker keeps open the folder it last read a file from and the one it last wrote a file into: a tree copied in
    // path order changes folder about once per folder, so each file is opened by its name there instead of by a full path
    // the kernel walks component by component (twice per file, 20,000 files). Closed by Dispose.
    private readonly ThreadLocal<OpenFolders> _folders = new(() => new OpenFolders(), trackAllValues: true);
    private int _cloned;
    private int _copied;
    private int _ownersRefused;

    // Set at the first refusal: a file system that cannot clone one file cannot clone the next.
    private volatile bool _cloneRefused = !Linux;

    /// <param name="hashes">Where each copy's hash is recorded, keyed as written (with its recorded mode and owner).</param>
    /// <param name="privateDestination">
    /// Whether the copies are made in a folder only this account may enter until it is complete: each is then created with
    /// its recorded permission bits, not user-only, so a copy whose owner is already the recorded one needs no change at all.
    /// </param>
    public FileClone(HashReuse? hashes = null, bool privateDestination = false)
    {
        _hashes = hashes;
        _privateDestination = privateDestination;
    }

    public int Cloned => _cloned;

    public int Copied => _copied;

    /// <summary>How many copies kept this account as owner: only root gives files to another owner.</summary>
    public int OwnersRefused => _ownersRefused;

    /// <summary>Whether <see cref="CopyAndHash(FileTree.Item, string, out long)"/> gives each copy the owner and mode its item records (on Linux; elsewhere they are applied afterwards).</summary>
    public static bool AppliesMetadata => Linux;

    /// <summary>What happened, for the verbose stream: "20,001 files copied (this file system cannot clone)".</summary>
    public string Describe() => _cloned > 0
        ? $"{_cloned:N0} files cloned (sharing the point's extents), {_copied:N0} copied"
        : $"{_copied:N0} files copied (this file system cannot clone files)";

    /// <summary>
    /// A <see cref="FileCopier"/>: clones or copies <paramref name="source"/> to the new file <paramref name="destination"/>;
    /// on Linux the copy also gets the mode, owner and group <see cref="FileTree.Item.Status"/> records.
    /// </summary>
    public string CopyAndHash(FileTree.Item source, string destination, out long size) =>
        CopyAndHash(source, destination, readSourceKey: false, out size, out _);

    /// <summary>
    /// As <see cref="CopyAndHash(FileTree.Item, string, out long)"/>, with (Linux) the source's change key read from its
    /// descriptor once its end was reached: the key of the content hashed, for <see cref="HashReuse.Read"/> (a capture keeps
    /// the hashes of the folder it copies).
    /// </summary>
    public string CopyAndHash(FileTree.Item source, string destination, out long size, out FileChangeKey? sourceKey) =>
        CopyAndHash(source, destination, readSourceKey: true, out size, out sourceKey);

    private string CopyAndHash(FileTree.Item source, string destination, bool readSourceKey, out long size, out FileChangeKey? sourceKey)
    {
        sourceKey = null;
        try
        {
            return Linux
                ? CopyThroughDescriptors(source, destination, readSourceKey, out size, out sourceKey)
                : CopyThroughStreams(source.FullPath, destination, out size);
        }
        catch
        {
            // A copy that failed half way leaves part of its file in this thread's hash: drop it, so the next file starts clean.
            _sha?.Dispose();
            _sha = null;
            throw;
        }
    }

    /// <summary>Closes the folders the workers kept open.</summary>
    public void Dispose()
    {
        foreach (var folders in _folders.Values)
        {
            folders.Dispose();
        }

        _folders.Dispose();
    }

    /// <summary>Makes everything written under <paramref name="path"/> durable: one syncfs(2) of its file system on Linux.</summary>
    public static void SyncFileSystem(string path) => FileSystemFlush.Sync(path);

    private string CopyThroughDescriptors(FileTree.Item source, string destination, bool readSourceKey, out long size, out FileChangeKey? sourceKey)
    {
        var buffer = _buffer ??= new byte[BufferSize];
        var sha = _sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var status = source.Status;
        var folders = _folders.Value!;
        var input = Open(folders.Source, source.FullPath, ReadOnly | NoFollow | CloseOnExec, 0);
        try
        {
            var output = Open(folders.Destination, destination, WriteOnly | Create | Exclusive | NoFollow | CloseOnExec, status is null ? Default : _privateDestination ? status.Mode & Permissions : UserOnly);
            try
            {
                var cloned = !_cloneRefused && Clone(output, input);
                size = 0;
                long read;
                while ((read = UnixMethods.read(input, buffer, (IntPtr)buffer.Length).ToInt64()) != 0)
                {
                    if (read < 0)
                    {
                        ThrowUnlessInterrupted(source.FullPath, "read");
                        continue;
                    }

                    sha.AppendData(buffer, 0, (int)read);
                    if (!cloned)
                    {
                        WriteAll(output, buffer, (int)read, destination);
                    }

                    size += read;
                }

                sourceKey = readSourceKey ? NativeFileSystem.ChangeKey(input) : null;
                var hash = Checksums.ToHex(sha.GetHashAndReset(), _hex ??= new char[64]);
                // The recorded owner and mode are given whether or not the hash is kept for reuse.
                var key = status is not null ? GiveRecorded(output, status, destination) : _hashes is null ? null : NativeFileSystem.ChangeKey(output);
                _hashes?.Record(key, hash);
                Interlocked.Increment(ref cloned ? ref _cloned : ref _copied);
                return hash;
            }
            finally
            {
                _ = UnixMethods.close(output);
            }
        }
        finally
        {
            _ = UnixMethods.close(input);
        }
    }

    /// <summary>
    /// Gives the copy open as <paramref name="output"/> the owner and mode <paramref name="recorded"/> says, changing only what
    /// differs (each change is a journaled write of the inode; a copy made by the account its point records already has its
    /// owner, and one made in a private folder its permission bits): owner first, then mode, as chown clears setuid and
    /// setgid. Returns the copy's change key as it now stands.
    /// </summary>
    private FileChangeKey? GiveRecorded(int output, UnixFileStatus recorded, string destination)
    {
        var made = NativeFileSystem.Status(output);
        var chown = made is null || made.Owner != recorded.Owner || made.Group != recorded.Group;
        if (!chown && made!.Mode == recorded.Mode)
        {
            return made.ChangeKey;
        }

        if (chown && UnixMethods.fchown(output, recorded.Owner, recorded.Group) != 0)
        {
            Check(Marshal.GetLastWin32Error() == NotPermitted, destination, "give to its recorded owner");
            Interlocked.Increment(ref _ownersRefused);
        }

        Check(UnixMethods.fchmod(output, recorded.Mode) == 0, destination, "set the recorded mode of");
        return NativeFileSystem.ChangeKey(output);
    }

    private string CopyThroughStreams(string source, string destination, out long size)
    {
        var hash = Checksums.CopyAndHash(source, destination, flushToDisk: FileSystemFlush.PerFileFlushNeeded, out size, out _);
        Interlocked.Increment(ref _copied);
        return hash;
    }

    private bool Clone(int output, int input)
    {
        if (UnixMethods.ioctl(output, Ficlone, input) == 0)
        {
            return true;
        }

        // EOPNOTSUPP/ENOTTY (ext4, tmpfs), EXDEV (another file system), EINVAL: copy this file and every later one.
        _cloneRefused = true;
        return false;
    }

    /// <summary>Opens <paramref name="path"/> by its name in its folder, which <paramref name="folder"/> keeps open (by its full path where the folder cannot be opened).</summary>
    private static int Open(FolderCursor folder, string path, int flags, int mode)
    {
        var (descriptor, name) = folder.Of(path);
        var utf8 = NativeFileSystem.Utf8Z(name);
        int opened;
        while ((opened = UnixMethods.openat(descriptor, utf8, flags, mode)) < 0)
        {
            ThrowUnlessInterrupted(path, "open");
        }

        return opened;
    }

    private static void WriteAll(int output, byte[] buffer, int count, string path)
    {
        var offset = 0;
        while (offset < count)
        {
            var chunk = offset == 0 ? buffer : Slice(buffer, offset, count - offset);
            var written = UnixMethods.write(output, chunk, (IntPtr)(count - offset)).ToInt64();
            if (written < 0)
            {
                ThrowUnlessInterrupted(path, "write");
                continue;
            }

            offset += (int)written;
        }
    }

    private static byte[] Slice(byte[] buffer, int offset, int count)
    {
        var rest = new byte[count];
        Buffer.BlockCopy(buffer, offset, rest, 0, count);
        return rest;
    }

    /// <summary>
    /// After a system call failed: returns when a signal interrupted it (the caller makes it again), else throws an
    /// IOException naming the path (a missing one a FileNotFoundException). No delegate per call: this runs for every file.
    /// </summary>
    private static void ThrowUnlessInterrupted(string path, string what)
    {
        var errno = Marshal.GetLastWin32Error();
        if (errno != Interrupted)
        {
            throw Failure(errno, path, what);
        }
    }

    private static void Check(bool succeeded, string path, string what)
    {
        if (!succeeded)
        {
            throw Failure(Marshal.GetLastWin32Error(), path, what);
        }
    }

    private static IOException Failure(int errno, string path, string what)
    {
        const int NoEntry = 2, Loop = 40, Denied = 13;
        var message = errno == Loop
            ? $"Cannot {what} '{path}': it is a symbolic link where a regular file was expected (a link is never followed)."
            : $"Cannot {what} '{path}' (errno {errno}).";
        return errno switch
        {
            NoEntry => new FileNotFoundException(message, path),
            Denied or NotPermitted => new IOException(message, new UnauthorizedAccessException(message)),
            _ => new IOException(message),
        };
    }

    /// <summary>The two folders one worker keeps open.</summary>
    private sealed class OpenFolders : IDisposable
    {
        public FolderCursor Source { get; } = new();

        public FolderCursor Destination { get; } = new();

        public void Dispose()
        {
            Source.Dispose();
            Destination.Dispose();
        }
    }

    /// <summary>The one folder a worker last opened a file in on one side, kept open until a file of another folder comes.</summary>
    private sealed class FolderCursor : IDisposable
    {
        private string? _path;
        private int _descriptor = -1;

        /// <summary>A descriptor to open <paramref name="path"/> relative to, and the name to open there.</summary>
        public (int Descriptor, string Name) Of(string path)
        {
            var slash = path.LastIndexOf('/');
            if (slash <= 0)
            {
                return (NativeFileSystem.AtFdCwd, path);
            }

            if (_path is null || _path.Length != slash || string.CompareOrdinal(_path, 0, path, 0, slash) != 0)
            {
                Dispose();
                _path = path.Substring(0, slash);
                _descriptor = NativeFileSystem.OpenFolder(_path);
            }

            return _descriptor < 0 ? (NativeFileSystem.AtFdCwd, path) : (_descriptor, path.Substring(slash + 1));
        }

        public void Dispose()
        {
            NativeFileSystem.CloseFolder(_descriptor);
            _descriptor = -1;
            _path = null;
        }
    }

    private static class UnixMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int ioctl(int fd, UIntPtr request, int sourceFd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int openat(int folder, byte[] path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr read(int fd, byte[] buffer, IntPtr count);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr write(int fd, byte[] buffer, IntPtr count);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int fchown(int fd, uint owner, uint group);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int fchmod(int fd, int mode);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);
    }
}
