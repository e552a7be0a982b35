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
/// key differs or is unknown is read as before. One is made per operation context and dropped with it: nothing
/// survives between commands. Where the platform gives no key (not Linux) nothing is recorded and nothing reused.
/// </summary>
public sealed class HashReuse
{
    private readonly ConcurrentDictionary<FileChangeKey, string> _hashes = new();
    private int _reused;

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
            return known;
        }

        var hash = Checksums.HashFile(path, out var after);

        // Recorded only when nothing touched the file between the key and the end of the read (the key read then, from the
        // descriptor, where the platform gives one), so the hash is of the content the key names.
        after ??= before is null ? null : NativeFileSystem.ChangeKey(path);
        if (before is not null && before == after)
        {
            _hashes[before] = hash;
        }

        return hash;
    }

    /// <summary>Records the hash of a file this operation has just written and closed (a copy hashed as it was made).</summary>
    public void Record(string path, string hash) => Record(NativeFileSystem.ChangeKey(path), hash);

    /// <summary>Records the hash of a file this operation has just written, by the key read from its open descriptor.</summary>
    public void Record(FileChangeKey? key, string hash)
    {
        if (key is not null)
        {
            _hashes[key] = hash;
        }
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
}
