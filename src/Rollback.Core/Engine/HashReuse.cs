using System;
using System.Collections.Concurrent;
using System.Threading;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// The SHA-256 of files already read in ONE operation, by <see cref="FileChangeKey"/> (device, inode, size, mtime,
/// ctime). A rollback reads the same files more than once: the live folder at readiness and again when the switch has
/// set it aside; the staged copy while staging and again as the live folder after the switch. A file whose key is
/// unchanged has not been written since (no program can set ctime back), so its hash is taken from here; a file whose
/// key differs or is unknown is read as before. One is made per operation context and dropped with it. Between
/// commands, only a kind's <see cref="HashCache"/> of its live folder (kept in <see cref="CacheDirectory"/>) carries
/// hashes over, and only those <see cref="TryGetLasting"/> vouches for. Where the platform gives no key (not Linux)
/// nothing is recorded and nothing reused.
/// </summary>
public sealed class HashReuse
{
    /// <summary>
    /// How far a file's ctime must lie before the moment its content was known for its hash to be kept between commands: a
    /// write within the same clock tick as the file's last change can leave the key as it was (file times come from a
    /// coarse clock, up to 10 ms behind), so such hashes serve this operation only.
    /// </summary>
    public static readonly TimeSpan LastingMargin = TimeSpan.FromMilliseconds(50);

    private static readonly long UnixEpochTicks = DateTimeOffset.FromUnixTimeSeconds(0).UtcTicks;

    private readonly ConcurrentDictionary<FileChangeKey, KnownHash> _hashes = new();
    private readonly TimeProvider _time;
    private int _reused;

    /// <summary>Reuse within one operation only, on the system clock.</summary>
    public HashReuse()
        : this(null, null)
    {
    }

    /// <summary>Reuse within one operation on <paramref name="time"/>, with the store's folder of hash caches kept between commands (null for none).</summary>
    public HashReuse(TimeProvider? time, string? cacheDirectory)
    {
        _time = time ?? TimeProvider.System;
        CacheDirectory = cacheDirectory;
    }

    /// <summary>Where the store keeps each target's <see cref="HashCache"/>, or null when this operation keeps none.</summary>
    public string? CacheDirectory { get; }

    /// <summary>The cache this operation has read (see <see cref="HashCache.Open"/>), kept so a second read of the same folder reads no file.</summary>
    internal HashCache? Cache { get; set; }

    /// <summary>How many hashes were taken from here instead of reading the file.</summary>
    public int Reused => _reused;

    /// <summary>How many files' hashes are known.</summary>
    public int Known => _hashes.Count;

    /// <summary>The SHA-256 of <paramref name="path"/>: the one recorded for its unchanged key, or read now and recorded.</summary>
    public string HashFile(string path) => HashFile(path, NativeFileSystem.ChangeKey(path));

    /// <summary>
    /// As <see cref="HashFile(string)"/>, with the key a listing has just read (<see cref="UnixFileStatus.ChangeKey"/>), so an
    /// unchanged file costs no call at all and a changed one is opened once.
    /// </summary>
    public string HashFile(string path, FileChangeKey? before)
    {
        if (before is not null && _hashes.TryGetValue(before, out var known))
        {
            Interlocked.Increment(ref _reused);
            return known.Hash;
        }

        return Read(before, () =>
        {
            var hash = Checksums.HashFile(path, out var after);
            return (hash, after ?? (before is null ? null : NativeFileSystem.ChangeKey(path)));
        });
    }

    /// <summary>
    /// Reads a file through <paramref name="read"/> (a hash, or a copy hashed as it goes, that returns the key of what it
    /// read, from its descriptor once the end was reached) and records the hash under <paramref name="before"/>, the key a
    /// listing read, when both keys are the same: nothing touched the file between the listing and the end of the read.
    /// </summary>
    public string Read(FileChangeKey? before, Func<(string Hash, FileChangeKey? After)> read)
    {
        // Any change after this moment gives the file a ctime later than its key's, if that lies a margin before it.
        var readStart = Now();
        var (hash, after) = read();
        if (before is not null && before == after)
        {
            _hashes[before] = new KnownHash(hash, readStart);
        }

        return hash;
    }

    /// <summary>Records the hash of a file this operation has just written and closed (a copy hashed as it was made).</summary>
    public void Record(string path, string hash) => Record(NativeFileSystem.ChangeKey(path), hash);

    /// <summary>Records the hash of a file this operation has just written, by the key read from its open descriptor.</summary>
    /// <remarks>Its content is known from the write on, so it lasts between commands once its ctime lies a margin in the past (see <see cref="TryGetLasting"/>).</remarks>
    public void Record(FileChangeKey? key, string hash)
    {
        if (key is not null)
        {
            _hashes[key] = new KnownHash(hash, long.MaxValue);
        }
    }

    /// <summary>Takes a hash a <see cref="HashCache"/> kept from an earlier command for a file whose key and path it matched.</summary>
    public void Preload(FileChangeKey key, string hash) => _hashes[key] = new KnownHash(hash, long.MaxValue);

    /// <summary>
    /// The hash known for <paramref name="key"/>, when it may be kept between commands: the file's ctime lies at least
    /// <see cref="LastingMargin"/> before both now and the moment its content was read (or, for a file this operation
    /// wrote, before now). A later change of the file then always gives it another ctime, so a later command that finds
    /// the same key finds the same content. False for a key not known, or too recent.
    /// </summary>
    public bool TryGetLasting(FileChangeKey key, out string hash)
    {
        hash = string.Empty;
        if (!_hashes.TryGetValue(key, out var known))
        {
            return false;
        }

        var horizon = Math.Min(known.ContentKnownAt, Now()) - (LastingMargin.Ticks * 100);
        if (key.ChangedNanoseconds >= horizon)
        {
            return false;
        }

        hash = known.Hash;
        return true;
    }

    /// <summary>
    /// Runs <paramref name="change"/>, a change of <paramref name="path"/>'s metadata only (mode, owner), which moves its
    /// ctime: a hash known for the key just before is kept for the key just after, so this operation's own chmod does not
    /// cost a second read. A file whose key was unknown before stays unknown.
    /// </summary>
    public T KeepThrough<T>(string path, Func<T> change)
    {
        var before = NativeFileSystem.ChangeKey(path);
        var result = change();
        if (before is not null && _hashes.TryGetValue(before, out var known) && NativeFileSystem.ChangeKey(path) is { } after
            && after with { ChangedNanoseconds = before.ChangedNanoseconds } == before)
        {
            _hashes[after] = known;
        }

        return result;
    }

    /// <summary>Now, in nanoseconds since 1970 as file times are kept, on this operation's clock.</summary>
    private long Now() => (_time.GetUtcNow().UtcTicks - UnixEpochTicks) * 100;

    /// <summary>A file's hash, and since when its content is known to be that (nanoseconds since 1970; long.MaxValue: from the write that made it).</summary>
    private readonly record struct KnownHash(string Hash, long ContentKnownAt);
}
