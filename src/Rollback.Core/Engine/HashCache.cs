using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// The SHA-256 of a target's live folder files kept between commands, in the store (hash-cache/&lt;target&gt;): each file
/// by its path under the folder and its <see cref="FileChangeKey"/> (device, inode, size, and mtime and ctime to the
/// nanosecond). A rollback stages a copy, hashing it as it writes; the next command that reads the live folder (the
/// next rollback's readiness, a readiness test, a capture's describe) finds those files unchanged and does not read
/// them again. A file is taken from here only when its path and its whole key are the ones kept: any write, chmod or
/// rename moves ctime, which no program can set back, so a changed file always misses and is read. Only hashes
/// <see cref="HashReuse.TryGetLasting"/> vouches for are kept (a ctime well before the content was known).
/// </summary>
/// <remarks>
/// The file names the boot it was written in, the folder and the folder's device, and ends with the SHA-256 of all the
/// bytes before it. A file of another boot (inode numbers and devices are only this machine's, while it runs), of
/// another folder or device, with a path that is not a plain relative path, or that does not check out is ignored as a
/// whole and written again; so is any file where the platform gives no change key (not Linux).
/// <para>
/// The format is binary, read and written whole in one buffer: a rollback reads and writes one file per 20,000 files
/// and, on a busy machine, CPU and garbage per entry are what it costs (the text form of version 1 took 5 to 10 times
/// as long). All numbers are little-endian:
/// </para>
/// <code>
/// "rollback-hash-cache 2\n"                       the format (a file of another format, version 1 included, is ignored)
/// u16 length, UTF-8 boot id                       /proc/sys/kernel/random/boot_id
/// u32 device major, u32 device minor              of the folder
/// u16 length, UTF-8 folder                        its full path
/// i32 count                                       of the records that follow
/// count x { 32 bytes SHA-256, u64 inode, u64 size, i64 mtime ns, i64 ctime ns, u16 length, UTF-8 relative path }
///                                                 in ascending ordinal order of path, each once (a listing's order)
/// 32 bytes                                        SHA-256 of every byte before it
/// </code>
/// A path the format cannot hold (over 65,535 bytes of UTF-8, or not valid UTF-16) or with a line break is not kept.
/// </remarks>
public sealed class HashCache
{
    /// <summary>The first bytes of every cache file (ASCII, then a line break): its format.</summary>
    public const string FormatLine = "rollback-hash-cache 2";

    private const int HashBytes = 32;

    /// <summary>A record without its path: SHA-256, inode, size, mtime, ctime, path length.</summary>
    private const int RecordBytes = HashBytes + (4 * sizeof(long)) + sizeof(ushort);

    private const string BootIdFile = "/proc/sys/kernel/random/boot_id";
    private const string Damaged = "it is damaged or of another format";
    private const string RecordDamaged = "a record of it is damaged";

    private static readonly Lazy<string?> CurrentBoot = new(ReadBootId);
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes(FormatLine + "\n");
    private static readonly char[] LineBreaks = { '\n', '\r' };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly (uint Major, uint Minor) _device;

    /// <summary>The paths kept, in ascending ordinal order (a listing's), and what is kept of each at the same index.</summary>
    private string[] _paths;
    private Entry[] _entries;

    private HashCache(string file, string root, (uint Major, uint Minor) device, string[] paths, Entry[] entries, string? ignored)
    {
        File = file;
        Root = root;
        _device = device;
        _paths = paths;
        _entries = entries;
        Ignored = ignored;
    }

    /// <summary>The cache file.</summary>
    public string File { get; }

    /// <summary>The live folder whose files it keeps.</summary>
    public string Root { get; }

    /// <summary>Why the file found was not used (it is written again on the next save), or null when it was used or there was none.</summary>
    public string? Ignored { get; private set; }

    /// <summary>How many files it keeps.</summary>
    public int Count => _paths.Length;

    /// <summary>The paths under <see cref="Root"/> it keeps.</summary>
    public IReadOnlyCollection<string> Paths => _paths;

    /// <summary>
    /// The cache of <paramref name="target"/>'s live folder <paramref name="root"/>, read from the store's folder that
    /// <paramref name="hashes"/> names; null where none is kept (an operation without a store folder, not Linux).
    /// </summary>
    public static HashCache? Open(HashReuse hashes, string target, string root)
    {
        if (hashes.CacheDirectory is null || !NativeFileSystem.CanStat || CurrentBoot.Value is null || NativeFileSystem.DeviceOf(root) is not { } device)
        {
            return null;
        }

        var file = PathFor(hashes.CacheDirectory, target);
        var fullRoot = Path.GetFullPath(root);
        if (fullRoot.IndexOfAny(LineBreaks) >= 0 || Utf8Length(fullRoot) is not { } rootLength || rootLength > ushort.MaxValue)
        {
            return null;
        }

        // One operation reads the live folder more than once (readiness, then verification): the file is read once.
        if (hashes.Cache is { } opened && opened.File == file && opened.Root == fullRoot && opened._device == device)
        {
            return opened;
        }

        var paths = Array.Empty<string>();
        var entries = Array.Empty<Entry>();
        string? ignored = null;
        try
        {
            if (System.IO.File.Exists(file))
            {
                ignored = ReadFile(file, fullRoot, device, ref paths, ref entries);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ignored = "it cannot be read: " + ex.Message;
        }

        if (ignored is not null)
        {
            paths = Array.Empty<string>();
            entries = Array.Empty<Entry>();
        }

        hashes.Cache = new HashCache(file, fullRoot, device, paths, entries, ignored);
        return hashes.Cache;
    }

    /// <summary>Where <see cref="Open"/> reads the cache of <paramref name="target"/>. Target names are plain (TargetRegistry.ValidateName): safe as a file name.</summary>
    public static string PathFor(string cacheDirectory, string target) => Path.Combine(cacheDirectory, target.ToLowerInvariant());

    /// <summary>Hands <paramref name="hashes"/> the kept hash of every listed file whose path and whole change key are the ones kept. Returns how many.</summary>
    /// <remarks>
    /// A listing and the file are both in ascending ordinal order: one walk through both finds each path (an item out of
    /// order is found by a binary search).
    /// </remarks>
    public int Preload(IEnumerable<FileTree.Item> items, HashReuse hashes)
    {
        if (_paths.Length == 0)
        {
            return 0;
        }

        var keys = new FileChangeKey[_paths.Length];
        var known = new string[_paths.Length];
        var preloaded = 0;
        var cursor = 0;
        foreach (var item in items)
        {
            if (item.IsRegularFile && item.Status?.ChangeKey is { } key && Find(item.RelativePath, ref cursor) is var at && at >= 0
                && _entries[at].Key == key && preloaded < keys.Length)
            {
                keys[preloaded] = key;
                known[preloaded++] = _entries[at].Hash;
            }
        }

        hashes.Preload(keys, known, preloaded);
        return preloaded;
    }

    /// <summary>
    /// Keeps the hashes of the listed files (a listing of <see cref="Root"/>) that <paramref name="hashes"/> vouches for,
    /// replacing what was kept: files no longer there are dropped. Written whole or not at all, and not at all when it
    /// would keep exactly what it keeps. A failure to write leaves the next command to read the files, and is not an error.
    /// </summary>
    public bool Save(IEnumerable<FileTree.Item> items, HashReuse hashes)
    {
        var capacity = items is IReadOnlyCollection<FileTree.Item> listed ? listed.Count : 0;
        var paths = new List<string>(capacity);
        var entries = new List<Entry>(capacity);
        var ascending = true;
        foreach (var item in items)
        {
            if (item.IsRegularFile && item.Status?.ChangeKey is { } key && key.DeviceMajor == _device.Major && key.DeviceMinor == _device.Minor
                && item.RelativePath.IndexOfAny(LineBreaks) < 0 && SafePath.RelativePathProblem(item.RelativePath) is null
                && hashes.TryGetLasting(key, out var hash))
            {
                ascending = ascending && (paths.Count == 0 || string.CompareOrdinal(paths[paths.Count - 1], item.RelativePath) < 0);
                paths.Add(item.RelativePath);
                entries.Add(new Entry(key, hash));
            }
        }

        var keptPaths = paths.ToArray();
        var keptEntries = entries.ToArray();
        if (!ascending)
        {
            // Kept in order whatever the listing's: the next command's walk (see Preload) and this comparison rely on it.
            Array.Sort(keptPaths, keptEntries, StringComparer.Ordinal);
        }

        if (Ignored is null && Same(keptPaths, keptEntries))
        {
            return false;
        }

        using (var writer = new RecordWriter(CurrentBoot.Value!, _device, Root, keptPaths.Length))
        {
            // A path the format cannot hold, or a second entry for a path, is left out: the file then keeps what it says.
            var written = 0;
            for (var i = 0; i < keptPaths.Length; i++)
            {
                if ((written == 0 || keptPaths[written - 1] != keptPaths[i]) && writer.TryAdd(keptPaths[i], keptEntries[i].Key, keptEntries[i].Hash))
                {
                    keptPaths[written] = keptPaths[i];
                    keptEntries[written++] = keptEntries[i];
                }
            }

            Array.Resize(ref keptPaths, written);
            Array.Resize(ref keptEntries, written);
            try
            {
                StoreFiles.CreateOwnerOnlyDirectory(Path.GetDirectoryName(File)!);
                WriteReplacing(File, writer.Finish());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        _paths = keptPaths;
        _entries = keptEntries;
        Ignored = null;
        return true;
    }

    /// <summary>The index of <paramref name="path"/> among the kept paths, or -1; <paramref name="cursor"/> is where the last search ended, the next one starts there.</summary>
    private int Find(string path, ref int cursor)
    {
        if (cursor > 0 && string.CompareOrdinal(_paths[cursor - 1], path) >= 0)
        {
            // Out of order: a search from the start.
            var found = Array.BinarySearch(_paths, path, StringComparer.Ordinal);
            cursor = found >= 0 ? found : ~found;
        }

        while (cursor < _paths.Length && string.CompareOrdinal(_paths[cursor], path) < 0)
        {
            cursor++;
        }

        if (cursor < _paths.Length && string.Equals(_paths[cursor], path, StringComparison.Ordinal))
        {
            return cursor++;
        }

        return -1;
    }

    /// <summary>Whether the given paths and entries are exactly the ones kept.</summary>
    private bool Same(string[] paths, Entry[] entries)
    {
        if (paths.Length != _paths.Length)
        {
            return false;
        }

        for (var i = 0; i < paths.Length; i++)
        {
            if (entries[i] != _entries[i] || !string.Equals(paths[i], _paths[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The number of UTF-8 bytes of <paramref name="text"/>, or null where it is not valid UTF-16 (a lone surrogate).</summary>
    private static int? Utf8Length(string text)
    {
        try
        {
            return StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Reads the cache file <paramref name="file"/> into <paramref name="paths"/> and <paramref name="entries"/>; returns why it cannot be used, or null.</summary>
    private static string? ReadFile(string file, string root, (uint Major, uint Minor) device, ref string[] paths, ref Entry[] entries)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var length = stream.Length;
        if (length > int.MaxValue - 64)
        {
            return Damaged;
        }

        var data = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var read = 0;
            int chunk;
            while (read < length && (chunk = stream.Read(data, read, (int)length - read)) > 0)
            {
                read += chunk;
            }

            return Read(data, read, root, device, ref paths, ref entries);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>Reads the first <paramref name="length"/> bytes of <paramref name="data"/>, a cache file, into <paramref name="paths"/> and <paramref name="entries"/> (new arrays, in the file's order, which must be ascending); returns why it cannot be used, or null.</summary>
    private static string? Read(byte[] data, int length, string root, (uint Major, uint Minor) device, ref string[] paths, ref Entry[] entries)
    {
        var end = length - HashBytes;
        if (end < Magic.Length || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return Damaged;
        }

        using (var sha = SHA256.Create())
        {
            if (!sha.ComputeHash(data, 0, end).AsSpan().SequenceEqual(data.AsSpan(end, HashBytes)))
            {
                return Damaged;
            }
        }

        var position = Magic.Length;
        if (!TryTakeText(data, end, ref position, out var boot) || !boot.SequenceEqual(Encoding.UTF8.GetBytes(CurrentBoot.Value!)))
        {
            return "it was written before the machine last started";
        }

        if (end - position < 2 * sizeof(uint)
            || BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position)) != device.Major
            || BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position + sizeof(uint))) != device.Minor)
        {
            return "it was written for a folder on another device";
        }

        position += 2 * sizeof(uint);
        if (!TryTakeText(data, end, ref position, out var folder) || !folder.SequenceEqual(Encoding.UTF8.GetBytes(root)))
        {
            return "it was written for another folder";
        }

        if (end - position < sizeof(int))
        {
            return RecordDamaged;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(position));
        position += sizeof(int);
        if (count < 0 || count > (end - position) / RecordBytes)
        {
            return "its count of records does not match them";
        }

        paths = new string[count];
        entries = new Entry[count];
        var hex = new char[2 * HashBytes];
        for (var i = 0; i < count; i++)
        {
            if (end - position < RecordBytes)
            {
                return RecordDamaged;
            }

            var record = data.AsSpan(position, RecordBytes);
            var pathLength = BinaryPrimitives.ReadUInt16LittleEndian(record.Slice(RecordBytes - sizeof(ushort)));
            if (end - position - RecordBytes < pathLength)
            {
                return RecordDamaged;
            }

            string path;
            try
            {
                path = StrictUtf8.GetString(data, position + RecordBytes, pathLength);
            }
            catch (DecoderFallbackException)
            {
                return RecordDamaged;
            }

            if (SafePath.RelativePathProblem(path) is not null || path.IndexOfAny(LineBreaks) >= 0)
            {
                return "it names a path outside the folder";
            }

            if (i > 0 && string.CompareOrdinal(paths[i - 1], path) >= 0)
            {
                return "its records are out of order";
            }

            var key = new FileChangeKey(
                device.Major,
                device.Minor,
                BinaryPrimitives.ReadUInt64LittleEndian(record.Slice(HashBytes)),
                BinaryPrimitives.ReadUInt64LittleEndian(record.Slice(HashBytes + 8)),
                BinaryPrimitives.ReadInt64LittleEndian(record.Slice(HashBytes + 16)),
                BinaryPrimitives.ReadInt64LittleEndian(record.Slice(HashBytes + 24)));
            paths[i] = path;
            entries[i] = new Entry(key, Checksums.ToHex(record.Slice(0, HashBytes), hex));
            position += RecordBytes + pathLength;
        }

        return position == end ? null : "its count of records does not match them";
    }

    /// <summary>A u16 length and that many bytes, from <paramref name="position"/> and before <paramref name="end"/>; false where they do not fit.</summary>
    private static bool TryTakeText(byte[] data, int end, ref int position, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (end - position < sizeof(ushort))
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(position));
        if (end - position - sizeof(ushort) < length)
        {
            return false;
        }

        text = data.AsSpan(position + sizeof(ushort), length);
        position += sizeof(ushort) + length;
        return true;
    }

    /// <summary>The value of a lowercase hex digit, or -1.</summary>
    private static int HexValue(char c) => c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : -1;

    /// <summary>
    /// A temp file beside <paramref name="path"/>, user-only, renamed over it. Not flushed to disk: a cache that a power cut
    /// leaves short fails its checksum and is ignored, which costs one read of the files, never a wrong hash.
    /// </summary>
    private static void WriteReplacing(string path, ArraySegment<byte> content)
    {
        var temp = AtomicFile.TempPathBeside(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                StoreFiles.RestrictToOwner(temp);
                stream.Write(content.Array!, content.Offset, content.Count);
            }

            NativeFileSystem.ReplaceByRename(temp, path);
        }
        finally
        {
            if (System.IO.File.Exists(temp))
            {
                System.IO.File.Delete(temp);
            }
        }
    }

    private static string? ReadBootId()
    {
        try
        {
            var id = System.IO.File.Exists(BootIdFile) ? System.IO.File.ReadAllText(BootIdFile).Trim() : string.Empty;
            return id.Length > 0 ? id : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A kept file's change key and SHA-256 (lowercase hex, as the engine uses it).</summary>
    internal readonly record struct Entry(FileChangeKey Key, string Hash);

    /// <summary>
    /// Builds a cache file in one pooled buffer: the header, then a record per <see cref="TryAdd"/> that fits the format,
    /// then the count and the checksum (<see cref="Finish"/>). Dispose returns the buffer.
    /// </summary>
    private sealed class RecordWriter : IDisposable
    {
        private const int TypicalPathBytes = 64;

        private byte[] _buffer;
        private int _length;
        private int _count;
        private readonly int _countAt;

        public RecordWriter(string boot, (uint Major, uint Minor) device, string root, int capacity)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Magic.Length + 256 + (3 * root.Length) + (capacity * (RecordBytes + TypicalPathBytes)) + HashBytes);
            Magic.CopyTo(_buffer, 0);
            _length = Magic.Length;
            Text(boot);
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), device.Major);
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length + sizeof(uint)), device.Minor);
            _length += 2 * sizeof(uint);
            Text(root);
            _countAt = _length;
            _length += sizeof(int);
        }

        /// <summary>Appends a record; false (nothing appended) where the format cannot hold it: a hash that is not lowercase hex, a path too long or not valid UTF-16.</summary>
        public bool TryAdd(string path, FileChangeKey key, string hash)
        {
            Reserve(RecordBytes + (3 * path.Length));
            var record = _buffer.AsSpan(_length, RecordBytes);
            if (hash.Length != 2 * HashBytes)
            {
                return false;
            }

            for (var i = 0; i < HashBytes; i++)
            {
                var high = HexValue(hash[2 * i]);
                var low = HexValue(hash[(2 * i) + 1]);
                if ((high | low) < 0)
                {
                    return false;
                }

                record[i] = (byte)((high << 4) | low);
            }

            int written;
            try
            {
                written = StrictUtf8.GetBytes(path, 0, path.Length, _buffer, _length + RecordBytes);
            }
            catch (EncoderFallbackException)
            {
                return false;
            }

            if (written > ushort.MaxValue)
            {
                return false;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(record.Slice(HashBytes), key.Inode);
            BinaryPrimitives.WriteUInt64LittleEndian(record.Slice(HashBytes + 8), key.Size);
            BinaryPrimitives.WriteInt64LittleEndian(record.Slice(HashBytes + 16), key.ModifiedNanoseconds);
            BinaryPrimitives.WriteInt64LittleEndian(record.Slice(HashBytes + 24), key.ChangedNanoseconds);
            BinaryPrimitives.WriteUInt16LittleEndian(record.Slice(RecordBytes - sizeof(ushort)), (ushort)written);
            _length += RecordBytes + written;
            _count++;
            return true;
        }

        /// <summary>The whole file: the records' count put in its place, and the checksum of all before it appended.</summary>
        public ArraySegment<byte> Finish()
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_countAt), _count);
            Reserve(HashBytes);
            using (var sha = SHA256.Create())
            {
                sha.ComputeHash(_buffer, 0, _length).CopyTo(_buffer, _length);
            }

            return new ArraySegment<byte>(_buffer, 0, _length + HashBytes);
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

        /// <summary>A u16 length and the UTF-8 of <paramref name="text"/> (checked to fit when the cache was opened).</summary>
        private void Text(string text)
        {
            Reserve(sizeof(ushort) + (3 * text.Length));
            var written = StrictUtf8.GetBytes(text, 0, text.Length, _buffer, _length + sizeof(ushort));
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_length), checked((ushort)written));
            _length += sizeof(ushort) + written;
        }

        private void Reserve(int bytes)
        {
            if (_buffer.Length - _length >= bytes)
            {
                return;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(2 * _buffer.Length, _length + bytes));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _length);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }
}
