using System;
using System.ComponentModel;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Rollback.Platform;

/// <summary>
/// The file-system operations .NET Standard does not expose atomically: replacing a path by rename(2),
/// swapping two directories in one step, and symbolic links. .NET's own File.Move refuses to replace a
/// link to a directory and Directory.Move refuses an existing target, so a switch without a window needs
/// the system calls themselves.
/// </summary>
public static class NativeFileSystem
{
    /// <summary>AT_FDCWD: the folder argument of an *at call that makes its path the path itself.</summary>
    internal const int AtFdCwd = -100;
    private const uint RenameExchange = 2;
    private const int MoveFileReplaceExisting = 0x1;
    private const int MoveFileWriteThrough = 0x8;
    private const int SymbolicLinkFlagDirectory = 0x1;
    private const int SymbolicLinkFlagAllowUnprivilegedCreate = 0x2;

    // statx(2): struct statx is 256 bytes with stx_uid at 20, stx_gid at 24 and stx_mode (type and permissions) at 28.
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int StatxUidOffset = 20;
    private const int StatxGidOffset = 24;
    private const int StatxModeOffset = 28;

    // ... and stx_ino at 32, stx_size at 40, stx_ctime at 96 and stx_mtime at 112 (each 8 bytes of seconds then 4 of
    // nanoseconds), stx_dev_major at 136 and stx_dev_minor at 140; stx_mask at 0 says which fields the file system filled.
    private const uint StatxChangeFields = 0x1 | 0x40 | 0x80 | 0x100 | 0x200; // STATX_TYPE, _MTIME, _CTIME, _INO, _SIZE
    private const int StatxInodeOffset = 32;
    private const int StatxSizeOffset = 40;
    private const int StatxCtimeOffset = 96;
    private const int StatxMtimeOffset = 112;
    private const int StatxDeviceMajorOffset = 136;
    private const int StatxDeviceMinorOffset = 140;
    // getdents64(2) fills a buffer with struct linux_dirent64 records, laid out alike on every Linux architecture: d_ino
    // (8 bytes), d_off (8), d_reclen (2) at 16, d_type (1) at 18, then the NUL-terminated name at 19.
    private const int DirentLengthOffset = 16;
    private const int DirentNameOffset = 19;
    private const int FileTypeMask = 0xF000;
    private const int PermissionMask = 0xFFF;

    private static readonly string?[] ModeTexts = new string?[PermissionMask + 1];

    private static readonly byte[] EmptyPath = { 0 };

    // One statx buffer per thread: every caller reads what it needs from it before its next call (a listing makes 20,000).
    [ThreadStatic]
    private static byte[]? _statx;

    public static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>
    /// Atomically makes <paramref name="destination"/> name what <paramref name="source"/> names, replacing
    /// a file or a symbolic link (never a real directory) that is there.
    /// </summary>
    public static void ReplaceByRename(string source, string destination)
    {
        if (IsWindows)
        {
            if (!WindowsMethods.MoveFileEx(source, destination, MoveFileReplaceExisting | MoveFileWriteThrough))
            {
                throw new IOException($"Cannot rename '{source}' to '{destination}'.", new Win32Exception(Marshal.GetLastWin32Error()));
            }

            return;
        }

        if (UnixMethods.rename(Utf8Z(source), Utf8Z(destination)) != 0)
        {
            throw UnixError($"Cannot rename '{source}' to '{destination}'");
        }
    }

    /// <summary>
    /// Swaps two directories in one atomic step (Linux renameat2 RENAME_EXCHANGE). Returns false where the
    /// platform or file system cannot, so the caller falls back to two renames.
    /// </summary>
    public static bool TryExchange(string first, string second)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return false;
        }

        try
        {
            if (UnixMethods.renameat2(AtFdCwd, Utf8Z(first), AtFdCwd, Utf8Z(second), RenameExchange) == 0)
            {
                return true;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // glibc older than 2.28 has no wrapper: fall back to two renames.
            return false;
        }

        var errno = Marshal.GetLastWin32Error();
        const int ENOSYS = 38, EINVAL = 22, ENOTSUP = 95;
        if (errno is ENOSYS or EINVAL or ENOTSUP)
        {
            return false;
        }

        throw new IOException($"Cannot exchange '{first}' and '{second}' (errno {errno}).");
    }

    /// <summary>Creates a symbolic link at <paramref name="linkPath"/> pointing at <paramref name="target"/> (relative or absolute).</summary>
    public static void CreateDirectoryLink(string linkPath, string target)
    {
        if (IsWindows)
        {
            if (!WindowsMethods.CreateSymbolicLink(linkPath, target, SymbolicLinkFlagDirectory | SymbolicLinkFlagAllowUnprivilegedCreate))
            {
                throw new UnauthorizedAccessException($"Cannot create the link '{linkPath}' (Windows needs developer mode or the SeCreateSymbolicLink privilege).", new Win32Exception(Marshal.GetLastWin32Error()));
            }

            return;
        }

        if (UnixMethods.symlink(Utf8Z(target), Utf8Z(linkPath)) != 0)
        {
            throw UnixError($"Cannot create the link '{linkPath}'");
        }
    }

    /// <summary>True when <paramref name="path"/> itself is a symbolic link (or another reparse point).</summary>
    public static bool IsLink(string path)
    {
        var info = new FileInfo(path);
        return info.Exists || Directory.Exists(path)
            ? (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0
            : IsDanglingLink(path);
    }

    /// <summary>The target a link stores, as written (not resolved), or null when the path is not a link.</summary>
    public static string? ReadLink(string path)
    {
        var linkTarget = typeof(FileSystemInfo).GetProperty("LinkTarget", BindingFlags.Public | BindingFlags.Instance);
        if (linkTarget is not null)
        {
            // .NET 6+ (PowerShell 7): the runtime reads links on every platform.
            FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
            return (string?)linkTarget.GetValue(info);
        }

        if (IsWindows)
        {
            return null;
        }

        var buffer = new byte[4096];
        var length = UnixMethods.readlink(Utf8Z(path), buffer, (IntPtr)buffer.Length).ToInt64();
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>The canonical path with every link resolved (realpath(3)), or null where it cannot be resolved (missing, Windows).</summary>
    public static string? RealPath(string path)
    {
        if (IsWindows)
        {
            return null;
        }

        var buffer = new byte[4097];
        if (UnixMethods.realpath(Utf8Z(path), buffer) == IntPtr.Zero)
        {
            return null;
        }

        var length = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
    }

    /// <summary>
    /// What <paramref name="path"/> itself is (links not followed), with its permission bits, owner and group, or null where
    /// the platform offers no such call (Windows; Unix other than Linux). Read by statx(2), whose layout is the same on
    /// every Linux architecture, so no stat struct has to be guessed. Never opens the file: a named pipe would block.
    /// </summary>
    public static UnixFileStatus? Stat(string path) => StatusOf(Statx(path));

    /// <summary>
    /// Opens the folder <paramref name="path"/> only as a place to look names up in (O_PATH: nothing is read through it), so
    /// a listing can stat each entry by its name alone (<see cref="StatAt(int, string, string)"/>) instead of walking the whole path again for
    /// every one of thousands of entries. Returns -1 where it cannot (not Linux, or the open failed): stat by path then.
    /// </summary>
    public static int OpenFolder(string path)
    {
        const int PathOnly = 0x200000, CloseOnExec = 0x80000; // O_PATH, O_CLOEXEC: the same on every Linux architecture
        return CanStat ? UnixMethods.open(Utf8Z(path), PathOnly | CloseOnExec) : -1;
    }

    /// <summary>Closes a folder <see cref="OpenFolder"/> opened.</summary>
    public static void CloseFolder(int folder)
    {
        if (folder >= 0)
        {
            _ = UnixMethods.close(folder);
        }
    }

    /// <summary>
    /// As <see cref="Stat"/>, for the entry <paramref name="name"/> of a folder <see cref="OpenFolder"/> opened (the link
    /// itself, not followed); <paramref name="path"/> is its full path, for the error.
    /// </summary>
    public static UnixFileStatus? StatAt(int folder, string name, string path)
    {
        var buffer = _statx ??= new byte[StatxSize];
        if (UnixMethods.statx(folder, Utf8Z(name), AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw UnixError($"Cannot read the metadata of '{path}'");
        }

        return StatusOf(buffer);
    }

    /// <summary>
    /// Opens the folder <paramref name="path"/> to read its entries (<see cref="ReadEntries"/>) and state each by its name
    /// there (<see cref="StatAt(int, byte[], int, string)"/>): one descriptor for both. O_DIRECTORY: anything but a folder
    /// (a named pipe that would block, a device) is refused by the open itself, never opened. Returns -1 where it cannot
    /// (see <see cref="CanList"/>, or the open failed: errno says why); close it with <see cref="CloseFolder"/>.
    /// </summary>
    internal static int OpenFolderToList(string path) => UnixMethods.open(Utf8Z(path), ListFlags);

    /// <summary>
    /// Reads the next entries of a folder <see cref="OpenFolderToList"/> opened into <paramref name="buffer"/> (getdents64):
    /// the bytes filled, 0 once every entry was read, -1 on an error. Walk them with <see cref="NextEntry"/>.
    /// </summary>
    internal static int ReadEntries(int folder, byte[] buffer) => (int)UnixMethods.getdents64(folder, buffer, (IntPtr)buffer.Length).ToInt64();

    /// <summary>
    /// The entry at <paramref name="offset"/> of a buffer <see cref="ReadEntries"/> filled: where its NUL-terminated name
    /// starts and its length in bytes (the terminator left out). Returns the offset of the next entry.
    /// </summary>
    internal static int NextEntry(byte[] buffer, int offset, out int nameStart, out int nameLength)
    {
        var length = BitConverter.ToUInt16(buffer, offset + DirentLengthOffset);
        nameStart = offset + DirentNameOffset;
        nameLength = Array.IndexOf(buffer, (byte)0, nameStart, length - DirentNameOffset) - nameStart;
        return offset + length;
    }

    /// <summary>
    /// As <see cref="StatAt(int, string, string)"/>, for the name whose NUL-terminated UTF-8 bytes start at
    /// <paramref name="nameStart"/> of <paramref name="names"/> (as <see cref="ReadEntries"/> read them, so nothing is
    /// encoded again); <paramref name="path"/> is the entry's full path, for the error.
    /// </summary>
    [MethodImpl(CompileHints.AggressiveOptimization)]
    internal static UnixFileStatus StatAt(int folder, byte[] names, int nameStart, string path)
    {
        var buffer = _statx ??= new byte[StatxSize];
        if (UnixMethods.statx(folder, ref names[nameStart], AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw UnixError($"Cannot read the metadata of '{path}'");
        }

        return StatusOf(buffer)!;
    }

    [MethodImpl(CompileHints.AggressiveOptimization)]
    private static UnixFileStatus? StatusOf(byte[]? buffer)
    {
        if (buffer is null)
        {
            return null;
        }

        var mode = BitConverter.ToUInt16(buffer, StatxModeOffset);
        return new UnixFileStatus(
            KindOf(mode),
            mode & PermissionMask,
            BitConverter.ToUInt32(buffer, StatxUidOffset),
            BitConverter.ToUInt32(buffer, StatxGidOffset))
        {
            Size = (long)BitConverter.ToUInt64(buffer, StatxSizeOffset),
            ChangeKey = ChangeKeyOf(buffer),
        };
    }

    /// <summary>Whether <see cref="Stat"/> answers here (Linux with statx): one call then says all a listing needs of an entry.</summary>
    public static bool CanStat { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && StatxWorks();

    /// <summary>
    /// Whether a listing can read folders itself here (<see cref="OpenFolderToList"/>, <see cref="ReadEntries"/>): Linux with
    /// statx, a C library with the getdents64 wrapper (glibc 2.30 and later), and an architecture whose O_DIRECTORY is known.
    /// </summary>
    internal static bool CanList { get; } = CanStat && ListFlags != 0 && GetdentsWorks();

    // O_RDONLY | O_DIRECTORY | O_CLOEXEC: O_DIRECTORY is 0x4000 on ARM (and PowerPC), 0x10000 on x86 and the generic
    // layout; O_CLOEXEC is 0x80000 everywhere. 0 (no listing of our own) where the architecture is not one of these.
    private static int ListFlags => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x10000 | 0x80000,
        Architecture.Arm64 or Architecture.Arm => 0x4000 | 0x80000,
        _ => 0,
    };

    /// <summary>
    /// Reads the regular file <paramref name="path"/> from start to end through one descriptor (Linux), handing each chunk to
    /// <paramref name="sink"/>, and returns its <see cref="ChangeKey(string)"/> as read from that descriptor once the end was
    /// reached: open, reads, statx and close, nothing else (a FileStream adds a stat, a lock, advice and an unlock per file).
    /// A missing file is a FileNotFoundException and an unreadable one an UnauthorizedAccessException, as from a FileStream.
    /// </summary>
    internal static FileChangeKey? ReadFile(string path, byte[] buffer, Action<byte[], int> sink)
    {
        const int ReadOnlyCloseOnExec = 0x80000, Interrupted = 4, NoEntry = 2, Denied = 13, NotPermitted = 1;
        int descriptor;
        while ((descriptor = UnixMethods.open(Utf8Z(path), ReadOnlyCloseOnExec)) < 0)
        {
            var errno = Marshal.GetLastWin32Error();
            if (errno != Interrupted)
            {
                // The exceptions a FileStream throws for the same errors, so callers tell a missing or unreadable file as before.
                var message = $"Cannot open '{path}' (errno {errno}).";
                throw errno switch
                {
                    NoEntry => new FileNotFoundException(message, path),
                    Denied or NotPermitted => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
                    _ => (Exception)UnixError($"Cannot open '{path}'"),
                };
            }
        }

        try
        {
            while (true)
            {
                var read = UnixMethods.read(descriptor, buffer, (IntPtr)buffer.Length).ToInt64();
                if (read == 0)
                {
                    return ChangeKey(descriptor);
                }

                if (read < 0)
                {
                    if (Marshal.GetLastWin32Error() == Interrupted)
                    {
                        continue;
                    }

                    throw UnixError($"Cannot read '{path}'");
                }

                sink(buffer, (int)read);
            }
        }
        finally
        {
            _ = UnixMethods.close(descriptor);
        }
    }

    private static bool GetdentsWorks()
    {
        var folder = OpenFolderToList("/");
        try
        {
            return folder >= 0 && ReadEntries(folder, new byte[4096]) > 0;
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without the wrapper (glibc older than 2.30): folders are listed by .NET then.
            return false;
        }
        finally
        {
            CloseFolder(folder);
        }
    }

    private static bool StatxWorks()
    {
        try
        {
            return Statx("/") is not null;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// What changes whenever a regular file's content may have changed: device, inode, size, mtime and ctime (to the
    /// nanosecond), links not followed. No program can set ctime, so a write hidden by restoring mtime still changes it.
    /// Null where the platform cannot say (not Linux, no statx), the path is gone, or it is not a regular file.
    /// </summary>
    public static FileChangeKey? ChangeKey(string path)
    {
        byte[]? buffer;
        try
        {
            buffer = Statx(path);
        }
        catch (IOException)
        {
            return null;
        }

        return ChangeKeyOf(buffer);
    }

    /// <summary>The device (major, minor) <paramref name="path"/> itself lies on (links not followed), or null where the platform cannot say.</summary>
    public static (uint Major, uint Minor)? DeviceOf(string path)
    {
        byte[]? buffer;
        try
        {
            buffer = Statx(path);
        }
        catch (IOException)
        {
            return null;
        }

        return buffer is null ? null : (BitConverter.ToUInt32(buffer, StatxDeviceMajorOffset), BitConverter.ToUInt32(buffer, StatxDeviceMinorOffset));
    }

    /// <summary>
    /// <see cref="ChangeKey(string)"/> of the file open as <paramref name="descriptor"/> (statx with AT_EMPTY_PATH): no path
    /// is looked up again, so a file just written through it is keyed as written. Linux only; null where it cannot say.
    /// </summary>
    internal static FileChangeKey? ChangeKey(int descriptor) => ChangeKeyOf(StatxOf(descriptor));

    /// <summary>
    /// <see cref="Stat"/> of the file open as <paramref name="descriptor"/>: its kind, mode, owner, size and change key from one
    /// statx, no path looked up. Linux only; null where it cannot say.
    /// </summary>
    internal static UnixFileStatus? Status(int descriptor) => StatusOf(StatxOf(descriptor));

    private static byte[]? StatxOf(int descriptor)
    {
        var buffer = _statx ??= new byte[StatxSize];
        return UnixMethods.statx(descriptor, EmptyPath, AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, buffer) == 0 ? buffer : null;
    }

    [MethodImpl(CompileHints.AggressiveOptimization)]
    private static FileChangeKey? ChangeKeyOf(byte[]? buffer)
    {
        if (buffer is null
            || (BitConverter.ToUInt32(buffer, 0) & StatxChangeFields) != StatxChangeFields
            || KindOf(BitConverter.ToUInt16(buffer, StatxModeOffset)) != UnixFileKind.RegularFile)
        {
            return null;
        }

        return new FileChangeKey(
            BitConverter.ToUInt32(buffer, StatxDeviceMajorOffset),
            BitConverter.ToUInt32(buffer, StatxDeviceMinorOffset),
            BitConverter.ToUInt64(buffer, StatxInodeOffset),
            BitConverter.ToUInt64(buffer, StatxSizeOffset),
            Nanoseconds(buffer, StatxMtimeOffset),
            Nanoseconds(buffer, StatxCtimeOffset));
    }

    /// <summary>The raw struct statx of <paramref name="path"/> itself (this thread's buffer, valid until its next call), or null where there is no statx (not Linux, old glibc).</summary>
    private static byte[]? Statx(string path)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return null;
        }

        var buffer = _statx ??= new byte[StatxSize];
        int result;
        try
        {
            result = UnixMethods.statx(AtFdCwd, Utf8Z(path), AtSymlinkNoFollow, StatxBasicStats, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc older than 2.28: no statx wrapper, so no metadata (contents are still handled).
            return null;
        }

        if (result != 0)
        {
            throw UnixError($"Cannot read the metadata of '{path}'");
        }

        return buffer;
    }

    private static long Nanoseconds(byte[] statx, int offset) =>
        (BitConverter.ToInt64(statx, offset) * 1_000_000_000L) + BitConverter.ToUInt32(statx, offset + 8);

    /// <summary>Sets the permission bits (including setuid, setgid and sticky) of a file or folder; never follows a link (links have no mode of their own on Linux).</summary>
    public static void SetMode(string path, int mode)
    {
        if (IsWindows)
        {
            return;
        }

        if (UnixMethods.chmod(Utf8Z(path), mode & PermissionMask) != 0)
        {
            throw UnixError($"Cannot set the mode of '{path}' to {FormatMode(mode)}");
        }
    }

    /// <summary>
    /// Sets the owner and group of a path itself (a link, not what it points at). Returns false when the system says
    /// this account may not (EPERM: only root gives files away), so the caller can report it and go on.
    /// </summary>
    public static bool TrySetOwner(string path, uint owner, uint group)
    {
        if (IsWindows)
        {
            return false;
        }

        if (UnixMethods.lchown(Utf8Z(path), owner, group) == 0)
        {
            return true;
        }

        const int EPERM = 1;
        if (Marshal.GetLastWin32Error() == EPERM)
        {
            return false;
        }

        throw UnixError($"Cannot set the owner of '{path}' to {owner}:{group}");
    }

    /// <summary>The effective user id of this process (0 for root), or null on Windows.</summary>
    public static uint? EffectiveUserId() => IsWindows ? null : UnixMethods.geteuid();

    /// <summary>Permission bits as the four octal digits chmod takes ("0755").</summary>
    public static string FormatMode(int mode)
    {
        // Every entry of every listing is recorded with its mode: one string per distinct mode, not two per entry.
        var bits = mode & PermissionMask;
        return ModeTexts[bits] ??= Convert.ToString(bits, 8).PadLeft(4, '0');
    }

    /// <summary>Parses <see cref="FormatMode"/>'s form back; null when it is not 1-4 octal digits.</summary>
    public static int? ParseMode(string? text)
    {
        if (text is null || text.Length is 0 or > 4)
        {
            return null;
        }

        var mode = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '7')
            {
                return null;
            }

            mode = (mode * 8) + (c - '0');
        }

        return mode;
    }

    /// <summary>Reads the Unix permission bits of a file, or null where the runtime cannot (Windows, .NET Framework).</summary>
    public static object? GetUnixFileMode(string path)
    {
        var method = typeof(File).GetMethod("GetUnixFileMode", new[] { typeof(string) });
        return IsWindows || method is null ? null : method.Invoke(null, new object[] { path });
    }

    /// <summary>Applies permission bits read by <see cref="GetUnixFileMode"/>.</summary>
    public static void SetUnixFileMode(string path, object? mode)
    {
        if (mode is null)
        {
            return;
        }

        var method = typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), mode.GetType() });
        method?.Invoke(null, new[] { path, mode });
    }

    /// <summary>
    /// Sets the Unix permission bits of <paramref name="path"/> (chmod(2), which acts on a link's target, so callers pass
    /// no links) and says whether it could. Nothing on Windows, where permissions are ACLs inherited from the parent.
    /// </summary>
    /// <summary>
    /// Creates the folder <paramref name="path"/> for this account alone (mode 0700, whatever the umask) in one step: an
    /// existing path of any kind is an IOException, never reused. Unix only.
    /// </summary>
    public static void CreatePrivateDirectory(string path)
    {
        const int UserOnly = 0x1C0; // 0700
        var utf8 = Utf8Z(path);
        if (UnixMethods.mkdir(utf8, UserOnly) != 0)
        {
            throw UnixError($"Cannot create the folder '{path}'");
        }

        // mkdir's mode is cut by the umask (0700 with any usual one); chmod is not, so the owner surely has all three bits.
        if (UnixMethods.chmod(utf8, UserOnly) != 0)
        {
            throw UnixError($"Cannot make the folder '{path}' this account's alone");
        }
    }

    public static bool RestrictPermissions(string path, int mode) =>
        IsWindows || UnixMethods.chmod(Utf8Z(path), mode) == 0;

    private static UnixFileKind KindOf(int mode) => (mode & FileTypeMask) switch
    {
        0x8000 => UnixFileKind.RegularFile,
        0x4000 => UnixFileKind.Directory,
        0xA000 => UnixFileKind.SymbolicLink,
        0x1000 => UnixFileKind.NamedPipe,
        0xC000 => UnixFileKind.Socket,
        0x2000 => UnixFileKind.CharacterDevice,
        0x6000 => UnixFileKind.BlockDevice,
        _ => UnixFileKind.Unknown,
    };

    private static bool IsDanglingLink(string path)
    {
        if (IsWindows)
        {
            return false;
        }

        var buffer = new byte[1];
        return UnixMethods.readlink(Utf8Z(path), buffer, (IntPtr)1).ToInt64() >= 0;
    }

    /// <summary>A path as it crosses into libc: NUL-terminated UTF-8 (netstandard2.0 has no LPUTF8Str marshalling).</summary>
    internal static byte[] Utf8Z(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        return bytes;
    }

    private static IOException UnixError(string what)
    {
        var errno = Marshal.GetLastWin32Error();
        const int EACCES = 13, EPERM = 1, EROFS = 30;
        var message = $"{what} (errno {errno}).";
        return errno is EACCES or EPERM or EROFS
            ? new IOException(message, new UnauthorizedAccessException(message))
            : new IOException(message);
    }

    private static class UnixMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int rename(byte[] oldPath, byte[] newPath);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int chmod(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int mkdir(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int renameat2(int oldDirFd, byte[] oldPath, int newDirFd, byte[] newPath, uint flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int symlink(byte[] target, byte[] linkPath);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr realpath(byte[] path, byte[] resolved);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr readlink(byte[] path, byte[] buffer, IntPtr size);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int statx(int dirFd, byte[] path, int flags, uint mask, byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int statx(int dirFd, ref byte path, int flags, uint mask, byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr getdents64(int fd, byte[] buffer, IntPtr count);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int lchown(byte[] path, uint owner, uint group);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint geteuid();

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int open(byte[] path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr read(int fd, byte[] buffer, IntPtr count);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);
    }

    private static class WindowsMethods
    {
        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool MoveFileEx(string existingFileName, string newFileName, int flags);

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool CreateSymbolicLink(string symlinkFileName, string targetFileName, int flags);
    }
}

/// <summary>What a directory entry is, as lstat sees it.</summary>
public enum UnixFileKind
{
    Unknown,
    RegularFile,
    Directory,
    SymbolicLink,
    NamedPipe,
    Socket,
    CharacterDevice,
    BlockDevice,
}

/// <summary>A path's own type, permission bits, owner and group (links not followed).</summary>
public sealed class UnixFileStatus
{
    public UnixFileStatus(UnixFileKind kind, int mode, uint owner, uint group)
    {
        Kind = kind;
        Mode = mode;
        Owner = owner;
        Group = group;
    }

    public UnixFileKind Kind { get; }

    /// <summary>The permission bits, setuid, setgid and sticky included (07777).</summary>
    public int Mode { get; }

    public uint Owner { get; }

    public uint Group { get; }

    /// <summary>A regular file's size in bytes, as the same call read it (0 where it was not read that way).</summary>
    public long Size { get; init; }

    /// <summary>A regular file's <see cref="NativeFileSystem.ChangeKey(string)"/>, read by the same call; null for anything else.</summary>
    public FileChangeKey? ChangeKey { get; init; }

    /// <summary>Neither a regular file, a folder nor a link: a named pipe, a socket or a device, whose "content" is not a file's.</summary>
    public bool IsSpecial => Kind is not (UnixFileKind.RegularFile or UnixFileKind.Directory or UnixFileKind.SymbolicLink);
}

/// <summary>A regular file's device, inode, size, mtime and ctime: equal keys mean the content has not been touched since.</summary>
/// <remarks>
/// A value (40 bytes, no object): the keys of every file a listing reads are compared and looked up by the thousand (see
/// HashReuse and HashCache), and a struct is compared field by field where it lies, with nothing to allocate or follow.
/// "No key" is a <c>FileChangeKey?</c> without a value.
/// </remarks>
public readonly record struct FileChangeKey(uint DeviceMajor, uint DeviceMinor, ulong Inode, ulong Size, long ModifiedNanoseconds, long ChangedNanoseconds)
{
    /// <summary>Field by field, the ones that tell files apart first (the generated form goes through a comparer per field).</summary>
    public bool Equals(FileChangeKey other) =>
        Inode == other.Inode && ChangedNanoseconds == other.ChangedNanoseconds && ModifiedNanoseconds == other.ModifiedNanoseconds
        && Size == other.Size && DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor;

    /// <summary>From the inode and ctime, which tell files (and versions of one file) apart.</summary>
    public override int GetHashCode() => unchecked(((int)Inode * 397) ^ (int)(Inode >> 32) ^ (int)ChangedNanoseconds ^ ((int)(ChangedNanoseconds >> 32) * 31));
}
