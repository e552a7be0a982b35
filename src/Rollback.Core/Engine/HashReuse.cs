using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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

    /// <summary>The hashes a <see cref="HashCache"/> handed over (see <see cref="Preload"/>): read-only once published, so read by any thread without a lock.</summary>
    private volatile KeyTable? _preloaded;

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

    /// <summary>How many files' hashes are known (one known both ways counts twice).</summary>
    public int Known => _hashes.Count + (_preloaded?.Count ?? 0);

    /// <summary>The SHA-256 of <paramref name="path"/>: the one recorded for its unchanged key, or read now and recorded.</summary>
    public string HashFile(string path) => HashFile(path, NativeFileSystem.ChangeKey(path));

    /// <summary>
    /// As <see cref="HashFile(string)"/>, with the key a listing has just read (<see cref="UnixFileStatus.ChangeKey"/>), so an
    /// unchanged file costs no call at all and a changed one is opened once.
    /// </summary>
    public string HashFile(string path, FileChangeKey? before)
    {
        if (before is { } listed && TryReuse(listed, out var known))
        {
            return known;
        }

        return Read(before, () =>
        {
            var hash = Checksums.HashFile(path, out var after);
            return (hash, after ?? (before is null ? null : NativeFileSystem.ChangeKey(path)));
        });
    }

    /// <summary>The hash recorded for a listed file's unchanged <paramref name="key"/>, counted as reused; false when it must be read.</summary>
    public bool TryReuse(FileChangeKey key, out string hash)
    {
        if (TryGetKnown(key, out var known))
        {
            Interlocked.Increment(ref _reused);
            hash = known.Hash;
            return true;
        }

        hash = string.Empty;
        return false;
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
        if (before is { } listed && after is { } afterRead && listed == afterRead)
        {
            _hashes[listed] = new KnownHash(hash, readStart);
        }

        return hash;
    }

    /// <summary>Records the hash of a file this operation has just written and closed (a copy hashed as it was made).</summary>
    public void Record(string path, string hash) => Record(NativeFileSystem.ChangeKey(path), hash);

    /// <summary>Records the hash of a file this operation has just written, by the key read from its open descriptor.</summary>
    /// <remarks>Its content is known from the write on, so it lasts between commands once its ctime lies a margin in the past (see <see cref="TryGetLasting"/>).</remarks>
    public void Record(FileChangeKey? key, string hash)
    {
        if (key is { } written)
        {
            _hashes[written] = new KnownHash(hash, long.MaxValue);
        }
    }

    /// <summary>
    /// Takes the first <paramref name="count"/> hashes a <see cref="HashCache"/> kept from an earlier command, each for a
    /// file whose key and path it matched: known from then on as a file this operation wrote (see <see cref="TryGetLasting"/>).
    /// </summary>
    /// <remarks>
    /// Into a table of their own, built once and then only read (a ConcurrentDictionary would take a lock, a node and
    /// its share of resizing per file), which every lookup tries first.
    /// </remarks>
    internal void Preload(FileChangeKey[] keys, string[] hashes, int count)
    {
        if (count == 0)
        {
            return;
        }

        var before = _preloaded;
        var table = new KeyTable(count + (before?.Count ?? 0));
        before?.CopyTo(table);
        for (var i = 0; i < count; i++)
        {
            table.Set(keys[i], hashes[i]);
        }

        _preloaded = table;
    }

    /// <summary>
    /// The hash known for <paramref name="key"/>, when it may be kept between commands: the file's ctime lies at least
    /// <see cref="LastingMargin"/> before both now and the moment its content was read (or, for a file this operation
    /// wrote, before now). A later change of the file then always gives it another ctime, so a later command that finds
    /// the same key finds the same content. False for a key not known, or too recent.
    /// </summary>
    public bool TryGetLasting(FileChangeKey key, out string hash)
    {
        hash = string.Empty;
        if (!TryGetKnown(key, out var known))
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
        if (before is { } old && TryGetKnown(old, out var known) && NativeFileSystem.ChangeKey(path) is { } after
            && after with { ChangedNanoseconds = old.ChangedNanoseconds } == old)
        {
            _hashes[after] = known;
        }

        return result;
    }

    /// <summary>The hash known for <paramref name="key"/>: handed over by a cache, or read or written in this operation.</summary>
    private bool TryGetKnown(FileChangeKey key, out KnownHash known)
    {
        if (_preloaded is { } table && table.TryGet(key, out var hash))
        {
            known = new KnownHash(hash, long.MaxValue);
            return true;
        }

        return _hashes.TryGetValue(key, out known);
    }

    /// <summary>Now, in nanoseconds since 1970 as file times are kept, on this operation's clock.</summary>
    private long Now() => (_time.GetUtcNow().UtcTicks - UnixEpochTicks) * 100;

    /// <summary>A file's hash, and since when its content is known to be that (nanoseconds since 1970; long.MaxValue: from the write that made it).</summary>
    private readonly record struct KnownHash(string Hash, long ContentKnownAt);

    /// <summary>
    /// A hash table from key to hash, open addressing with linear probing over two arrays, filled once and then only read
    /// (any number of threads): no lock, node or resize per entry, as a ConcurrentDictionary takes.
    /// </summary>
    /// <remarks>
    /// Not marked AggressiveOptimization, nor are the hash cache's loops: measured with the --hash-cache benchmark's first
    /// (cold) run, it made no difference (on-stack replacement already compiles a long loop optimized within it).
    /// </remarks>
    private sealed class KeyTable
    {
        private readonly FileChangeKey[] _keys;
        private readonly string?[] _hashes;
        private readonly int _mask;

        public KeyTable(int capacity)
        {
            // At most two thirds full: a few probes per lookup, hit or miss, and half the memory of a table kept half empty.
            var size = 16;
            while (size < capacity + (capacity / 2))
            {
                size *= 2;
            }

            _keys = new FileChangeKey[size];
            _hashes = new string?[size];
            _mask = size - 1;
        }

        public int Count { get; private set; }

        /// <summary>Adds or replaces; only while the table is being built.</summary>
        public void Set(FileChangeKey key, string hash)
        {
            var slot = Slot(key);
            while (_hashes[slot] is not null && !_keys[slot].Equals(key))
            {
                slot = (slot + 1) & _mask;
            }

            if (_hashes[slot] is null)
            {
                Count++;
            }

            _keys[slot] = key;
            _hashes[slot] = hash;
        }

        public bool TryGet(FileChangeKey key, out string hash)
        {
            var slot = Slot(key);
            while (_hashes[slot] is { } found)
            {
                if (_keys[slot].Equals(key))
                {
                    hash = found;
                    return true;
                }

                slot = (slot + 1) & _mask;
            }

            hash = string.Empty;
            return false;
        }

        public void CopyTo(KeyTable other)
        {
            for (var i = 0; i < _hashes.Length; i++)
            {
                if (_hashes[i] is { } hash)
                {
                    other.Set(_keys[i], hash);
                }
            }
        }

        /// <summary>A slot from the inode and ctime (what tells files apart), mixed so that sequential inodes spread (splitmix64's finaliser).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Slot(in FileChangeKey key)
        {
            var mixed = unchecked((key.Inode * 0x9E3779B97F4A7C15UL) ^ (ulong)key.ChangedNanoseconds);
            mixed = unchecked((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9UL);
            mixed = unchecked((mixed ^ (mixed >> 27)) * 0x94D049BB133111EBUL);
            return unchecked((int)(mixed ^ (mixed >> 31))) & _mask;
        }
    }
}
