using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
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
/// lines before it. A file of another boot (inode numbers and devices are only this machine's, while it runs), of
/// another folder or device, with a path that is not a plain relative path, or that does not check out is ignored as a
/// whole and written again; so is any file where the platform gives no change key (not Linux).
/// </remarks>
public sealed class HashCache
{
    /// <summary>The first line of every cache file: its format.</summary>
    public const string FormatLine = "rollback-hash-cache 1";

    private const string BootPrefix = "boot ";
    private const string DevicePrefix = "device ";
    private const string RootPrefix = "root ";
    private const string ChecksumPrefix = "sha256 ";
    private const string BootIdFile = "/proc/sys/kernel/random/boot_id";

    private static readonly Lazy<string?> CurrentBoot = new(ReadBootId);
    private static readonly char[] LineBreaks = { '\n', '\r' };
    private static readonly char[] Tab = { '\t' };

    private readonly Dictionary<string, Entry> _entries;
    private readonly (uint Major, uint Minor) _device;

    private HashCache(string file, string root, (uint Major, uint Minor) device, Dictionary<string, Entry> entries, string? ignored)
    {
        File = file;
        Root = root;
        _device = device;
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
    public int Count => _entries.Count;

    /// <summary>The paths under <see cref="Root"/> it keeps.</summary>
    public IReadOnlyCollection<string> Paths => _entries.Keys;

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
        if (fullRoot.IndexOfAny(LineBreaks) >= 0)
        {
            return null;
        }

        // One operation reads the live folder more than once (readiness, then verification): the file is read once.
        if (hashes.Cache is { } opened && opened.File == file && opened.Root == fullRoot && opened._device == device)
        {
            return opened;
        }

        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        string? ignored = null;
        try
        {
            if (System.IO.File.Exists(file))
            {
                ignored = Read(System.IO.File.ReadAllText(file, Encoding.UTF8), fullRoot, device, entries);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ignored = "it cannot be read: " + ex.Message;
        }

        if (ignored is not null)
        {
            entries.Clear();
        }

        hashes.Cache = new HashCache(file, fullRoot, device, entries, ignored);
        return hashes.Cache;
    }

    /// <summary>Where <see cref="Open"/> reads the cache of <paramref name="target"/>. Target names are plain (TargetRegistry.ValidateName): safe as a file name.</summary>
    public static string PathFor(string cacheDirectory, string target) => Path.Combine(cacheDirectory, target.ToLowerInvariant());

    /// <summary>Hands <paramref name="hashes"/> the kept hash of every listed file whose path and whole change key are the ones kept. Returns how many.</summary>
    public int Preload(IEnumerable<FileTree.Item> items, HashReuse hashes)
    {
        var preloaded = 0;
        foreach (var item in items)
        {
            if (item.IsRegularFile && item.Status?.ChangeKey is { } key && _entries.TryGetValue(item.RelativePath, out var kept) && kept.Key == key)
            {
                hashes.Preload(key, kept.Hash);
                preloaded++;
            }
        }

        return preloaded;
    }

    /// <summary>
    /// Keeps the hashes of the listed files (a listing of <see cref="Root"/>) that <paramref name="hashes"/> vouches for,
    /// replacing what was kept: files no longer there are dropped. Written whole or not at all, and not at all when it
    /// would keep exactly what it keeps. A failure to write leaves the next command to read the files, and is not an error.
    /// </summary>
    public bool Save(IEnumerable<FileTree.Item> items, HashReuse hashes)
    {
        var kept = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item.IsRegularFile && item.Status?.ChangeKey is { } key && key.DeviceMajor == _device.Major && key.DeviceMinor == _device.Minor
                && SafePath.RelativePathProblem(item.RelativePath) is null && item.RelativePath.IndexOfAny(LineBreaks) < 0
                && hashes.TryGetLasting(key, out var hash))
            {
                kept[item.RelativePath] = new Entry(key, hash);
            }
        }

        if (Ignored is null && kept.Count == _entries.Count && kept.All(k => _entries.TryGetValue(k.Key, out var e) && e == k.Value))
        {
            return false;
        }

        try
        {
            StoreFiles.CreateOwnerOnlyDirectory(Path.GetDirectoryName(File)!);
            WriteReplacing(File, Text(kept));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        _entries.Clear();
        foreach (var pair in kept)
        {
            _entries[pair.Key] = pair.Value;
        }

        Ignored = null;
        return true;
    }

    private string Text(Dictionary<string, Entry> kept)
    {
        var text = new StringBuilder(64 + (kept.Count * 160));
        text.Append(FormatLine).Append('\n');
        text.Append(BootPrefix).Append(CurrentBoot.Value).Append('\n');
        text.Append(DevicePrefix).Append(_device.Major.ToString(CultureInfo.InvariantCulture)).Append(':').Append(_device.Minor.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(RootPrefix).Append(Root).Append('\n');
        // In the listing's order (a dictionary keeps the order entries were added in, none removed): no sort is needed to read it back.
        foreach (var pair in kept)
        {
            var key = pair.Value.Key;
            text.Append(pair.Value.Hash).Append('\t')
                .Append(key.Inode.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(key.Size.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(key.ModifiedNanoseconds.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(key.ChangedNanoseconds.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(pair.Key).Append('\n');
        }

        var body = text.ToString();
        return body + ChecksumPrefix + Checksums.HashText(body) + "\n";
    }

    /// <summary>Reads a cache file's text into <paramref name="entries"/>; returns why it cannot be used, or null.</summary>
    private static string? Read(string text, string root, (uint Major, uint Minor) device, Dictionary<string, Entry> entries)
    {
        var end = text.LastIndexOf("\n" + ChecksumPrefix, StringComparison.Ordinal);
        if (!text.StartsWith(FormatLine + "\n", StringComparison.Ordinal) || end < 0
            || text.Substring(end + 1 + ChecksumPrefix.Length).TrimEnd('\n') != Checksums.HashText(text.Substring(0, end + 1)))
        {
            return "it is damaged or of another format";
        }

        var lines = text.Substring(0, end).Split('\n');
        if (lines.Length < 4 || lines[1] != BootPrefix + CurrentBoot.Value)
        {
            return "it was written before the machine last started";
        }

        if (lines[2] != DevicePrefix + device.Major.ToString(CultureInfo.InvariantCulture) + ":" + device.Minor.ToString(CultureInfo.InvariantCulture))
        {
            return "it was written for a folder on another device";
        }

        if (lines[3] != RootPrefix + root)
        {
            return "it was written for another folder";
        }

        for (var i = 4; i < lines.Length; i++)
        {
            var fields = lines[i].Split(Tab, 6);
            if (fields.Length != 6 || fields[0].Length != 64 || !fields[0].All(IsLowerHex)
                || !ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                || !ulong.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || !long.TryParse(fields[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var modified)
                || !long.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var changed))
            {
                return "a line of it is damaged";
            }

            if (SafePath.RelativePathProblem(fields[5]) is not null)
            {
                return "it names a path outside the folder";
            }

            entries[fields[5]] = new Entry(new FileChangeKey(device.Major, device.Minor, inode, size, modified, changed), fields[0]);
        }

        return null;
    }

    private static bool IsLowerHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');

    /// <summary>
    /// A temp file beside <paramref name="path"/>, user-only, renamed over it. Not flushed to disk: a cache that a power cut
    /// leaves short fails its checksum and is ignored, which costs one read of the files, never a wrong hash.
    /// </summary>
    private static void WriteReplacing(string path, string content)
    {
        var temp = AtomicFile.TempPathBeside(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                StoreFiles.RestrictToOwner(temp);
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content);
                stream.Write(bytes, 0, bytes.Length);
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

    private sealed record Entry(FileChangeKey Key, string Hash);
}
