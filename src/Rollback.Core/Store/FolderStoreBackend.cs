using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Linq;
using System.Text;
using System.Text.Json;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// The embedded store: targets.json, manifest.json in each point's folder, journal.jsonl with journal.head beside it,
/// and lock files under locks/, all in the store folder, each write atomic (see <see cref="AtomicFile"/>).
/// </summary>
public sealed class FolderStoreBackend : IStoreBackend
{
    public FolderStoreBackend(RollbackStore store)
    {
        Description = new RollbackStoreInfo
        {
            Kind = "Folder",
            Location = store.Root,
            ArtifactLocation = store.PointsDirectory,
            User = RollbackStoreUser.Current,
        };
        Targets = new FolderTargetRecords(store);
        Manifests = new FolderPointManifests(store);
        JournalLog = new FolderJournalLog(store);
        Locks = new FolderLocks(store);
        Documents = new FolderDocuments(store);
    }

    public RollbackStoreInfo Description { get; }

    public ITargetRecords Targets { get; }

    public IPointManifests Manifests { get; }

    public IJournalLog JournalLog { get; }

    public IStoreLocks Locks { get; }

    public IStoreDocuments Documents { get; }

    public void Dispose()
    {
        // Nothing held open: every file is opened per call.
    }
}

/// <summary>The user a store is used as, when the store has no users of its own: the account running the module.</summary>
public static class RollbackStoreUser
{
    public static string Current =>
        NativeFileSystem.IsWindows ? Environment.UserDomainName + "\\" + Environment.UserName : Environment.UserName;
}

/// <summary>targets.json, rewritten atomically under the store's "targets" lock file.</summary>
internal sealed class FolderTargetRecords : ITargetRecords
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private readonly RollbackStore _store;

    public FolderTargetRecords(RollbackStore store) => _store = store;

    public string Location => _store.TargetsFile;

    public IReadOnlyList<RollbackTarget> ReadAll()
    {
        var path = _store.TargetsFile;
        if (Directory.Exists(path))
        {
            throw TargetRegistry.Corrupt(path, "it is a folder, not a file.");
        }

        if (!File.Exists(path))
        {
            return Array.Empty<RollbackTarget>();
        }

        List<RollbackTarget>? targets;
        try
        {
            targets = JsonSerializer.Deserialize<List<RollbackTarget>>(StoreFiles.ReadAllText(path), StoreJson.Indented);
        }
        catch (JsonException ex)
        {
            throw TargetRegistry.Corrupt(path, ex.Message, ex);
        }

        return targets ?? throw TargetRegistry.Corrupt(path, "the file holds null.");
    }

    public void Update(Func<IReadOnlyList<RollbackTarget>, IReadOnlyList<RollbackTarget>> change)
    {
        using var registryLock = FileLock.Acquire(_store.LockPath("targets"), LockTimeout);
        var targets = change(ReadAll());
        AtomicFile.WriteAllText(_store.TargetsFile, JsonSerializer.Serialize(targets, StoreJson.Indented));
    }
}

/// <summary>manifest.json inside each point's folder: written into the staging folder, which is then renamed into place.</summary>
internal sealed class FolderPointManifests : IPointManifests
{
    private readonly RollbackStore _store;

    public FolderPointManifests(RollbackStore store) => _store = store;

    public IEnumerable<string> TargetNames() =>
        Directory.Exists(_store.PointsDirectory)
            ? Directory.GetDirectories(_store.PointsDirectory).Select(Path.GetFileName).OfType<string>().Where(TargetRegistry.IsValidName).OrderBy(name => name, StringComparer.Ordinal).ToList()
            : Enumerable.Empty<string>();

    public IEnumerable<string> ListIds(string target)
    {
        var directory = _store.Points.TargetDirectory(target);
        if (!Directory.Exists(directory))
        {
            return Enumerable.Empty<string>();
        }

        StoreFiles.EnsureNotLink(directory, $"The points folder of target '{target}'");
        return Directory.GetDirectories(directory).Select(Path.GetFileName).OfType<string>().Where(PointStore.IsId).OrderBy(id => id, StringComparer.Ordinal);
    }

    public byte[]? Read(string target, string id, string pointDirectory) =>
        Directory.Exists(pointDirectory) ? StoreFiles.ReadAllBytes(Path.Combine(pointDirectory, PointStore.ManifestFileName)) : null;

    public IReadOnlyList<StoredManifest> ReadAll(string target, Func<string, string> pointDirectory) =>
        ListIds(target).Select(id => new StoredManifest(id, () => Read(target, id, pointDirectory(id)))).ToList();

    public void Commit(string target, string id, string stagingDirectory, string pointDirectory, byte[] manifestUtf8)
    {
        AtomicFile.WriteAllBytes(Path.Combine(stagingDirectory, PointStore.ManifestFileName), manifestUtf8);
        Directory.Move(stagingDirectory, pointDirectory);
    }

    public void Remove(string target, string id)
    {
        // The folder's rename (see PointStore.Delete) is what takes the manifest away.
    }

    public void RemoveAll(string target)
    {
        // As Remove: the manifests go with the target's folder.
    }

    public string Describe(string target, string id, string pointDirectory) => Path.Combine(pointDirectory, PointStore.ManifestFileName);
}

/// <summary>The folder store's artifacts: each point's own folder, which the providers read and write directly.</summary>
internal sealed class FolderArtifacts : IArtifactLocation
{
    private readonly RollbackStore _store;

    public FolderArtifacts(RollbackStore store) => _store = store;

    public string Location => _store.PointsDirectory;

    public string Open(string target, string id) => _store.Points.PointDirectory(target, id);

    public ArtifactObjects? Publish(RollbackPoint point, string stagingArtifacts, CancellationToken cancellation) =>
        null; // Renamed into place inside the store folder with the manifest: already where it is kept.

    public void Fetch(RollbackPoint point, CancellationToken cancellation)
    {
        // Read where they are kept.
    }

    public void Remove(string target, string id) => RemovePointFolder(_store, target, id);

    public void RemoveAll(string target) => StoreFiles.DeleteWithoutFollowingLinks(_store.Points.TargetDirectory(target));

    /// <summary>Renames a point's folder away, then deletes it without following a link: a half-deleted point's folder is never its own.</summary>
    internal static void RemovePointFolder(RollbackStore store, string target, string id)
    {
        var directory = store.Points.PointDirectory(target, id);
        var doomed = Path.Combine(store.Points.TargetDirectory(target), ".deleting-" + id);
        Directory.Move(directory, doomed);
        StoreFiles.DeleteWithoutFollowingLinks(doomed);
    }
}

/// <summary>journal.jsonl (appended and flushed under the "journal" lock file) and journal.head beside it.</summary>
internal sealed class FolderJournalLog : IJournalLog
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
    private readonly RollbackStore _store;

    public FolderJournalLog(RollbackStore store) => _store = store;

    public string Location => _store.JournalFile;

    public string HeadLocation => Path.Combine(_store.Root, Journal.HeadFileName);

    private string FilePath => _store.JournalFile;

    public IEnumerable<string> Lines()
    {
        if (!File.Exists(FilePath))
        {
            yield break;
        }

        foreach (var text in File.ReadLines(FilePath))
        {
            yield return text;
        }
    }

    public bool EndsInsideALine()
    {
        if (!File.Exists(FilePath))
        {
            return false;
        }

        using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return false;
        }

        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() != '\n';
    }

    public JournalTail Tail() => new(ReadLastLine(), () => Lines().LongCount(line => line.Length > 0));

    public JournalTail LockedTail()
    {
        using var journalLock = FileLock.Acquire(_store.LockPath("journal"), LockTimeout);
        return Tail();
    }

    public string? ReadHeadText() => File.Exists(HeadLocation) ? StoreFiles.ReadAllText(HeadLocation) : null;

    public JournalHead? ReadHead()
    {
        try
        {
            return File.Exists(HeadLocation) ? JsonSerializer.Deserialize<JournalHead>(File.ReadAllText(HeadLocation), StoreJson.Compact) : null;
        }
        catch (JsonException)
        {
            return new JournalHead(-1, string.Empty);
        }
    }

    public void EnsureWritable()
    {
        using var journalLock = FileLock.Acquire(_store.LockPath("journal"), LockTimeout);
        if (Directory.Exists(FilePath) || File.Exists(FilePath))
        {
            // Opened for writing and closed unwritten: a check that changes nothing (a missing journal is created by the first append).
            OpenForAppend().Dispose();
        }
    }

    public T Append<T>(Func<JournalTail, JournalHead?, bool, JournalAppend<T>> seal)
    {
        using var journalLock = FileLock.Acquire(_store.LockPath("journal"), LockTimeout);

        // After a torn write (a last line without its newline) start a new line, or this entry would be glued onto the damage.
        var torn = EndsInsideALine();
        var sealedLine = seal(Tail(), ReadHead(), torn);
        var bytes = Utf8NoBom.GetBytes((torn ? "\n" : string.Empty) + sealedLine.Line + "\n");
        using (var stream = OpenForAppend())
        {
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }

        StoreFiles.RestrictToOwner(FilePath);
        AtomicFile.WriteAllText(HeadLocation, JsonSerializer.Serialize(sealedLine.Head, StoreJson.Compact));
        return sealedLine.Result;
    }

    private FileStream OpenForAppend()
    {
        if (Directory.Exists(FilePath))
        {
            throw new IOException($"'{FilePath}' is a folder, not a file.");
        }

        return new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    private string? ReadLastLine()
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (stream.Length == 0)
        {
            return null;
        }

        var chunk = 4096;
        while (true)
        {
            var start = Math.Max(0, stream.Length - chunk);
            var buffer = new byte[stream.Length - start];
            stream.Seek(start, SeekOrigin.Begin);
            var read = 0;
            while (read < buffer.Length)
            {
                read += stream.Read(buffer, read, buffer.Length - read);
            }

            var text = Encoding.UTF8.GetString(buffer).TrimEnd('\n', '\r');
            var newline = text.LastIndexOf('\n');
            if (newline >= 0 || start == 0)
            {
                return text.Substring(newline + 1);
            }

            chunk *= 4;
        }
    }
}

/// <summary>A file per document under the store folder, written atomically; an update holds the lock named after the file.</summary>
internal sealed class FolderDocuments : IStoreDocuments
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private readonly RollbackStore _store;

    public FolderDocuments(RollbackStore store) => _store = store;

    public string Describe(string name) => Path.Combine(_store.Root, name);

    public string? Read(string name)
    {
        var path = Describe(name);
        return File.Exists(path) ? StoreFiles.ReadAllText(path) : null;
    }

    public void Write(string name, string text) => AtomicFile.WriteAllText(Describe(name), text);

    public void Delete(string name)
    {
        var path = Describe(name);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    public void Update(string name, Func<string?, string> change)
    {
        // notifications.json is updated under locks/notifications.lock, as before documents had a name.
        using var documentLock = FileLock.Acquire(_store.LockPath(Path.GetFileNameWithoutExtension(name)), LockTimeout);
        Write(name, change(Read(name)));
    }
}

/// <summary>A lock file per name under locks/ (held by an open handle, so it dies with its process), and a .holder file beside it.</summary>
internal sealed class FolderLocks : IStoreLocks
{
    private readonly RollbackStore _store;

    public FolderLocks(RollbackStore store) => _store = store;

    public IStoreLock? TryAcquire(string name, string holder)
    {
        var held = FileLock.TryAcquire(_store.LockPath(name));
        if (held is null)
        {
            return null;
        }

        var holderFile = HolderPath(name);
        AtomicFile.WriteAllText(holderFile, holder);
        return new HeldLock(held, holderFile);
    }

    public string? Holder(string name)
    {
        var holderFile = HolderPath(name);
        return File.Exists(holderFile) ? File.ReadAllText(holderFile) : null;
    }

    private string HolderPath(string name) => Path.Combine(_store.LocksDirectory, name + ".holder");

    /// <summary>A held lock and the file that tells others who holds it.</summary>
    private sealed class HeldLock : IStoreLock
    {
        private readonly FileLock _lock;
        private readonly string _holderFile;

        public HeldLock(FileLock heldLock, string holderFile)
        {
            _lock = heldLock;
            _holderFile = holderFile;
        }

        public void EnsureHeld()
        {
            // The kernel keeps a lock on an open handle for as long as this process lives: it cannot be lost meanwhile.
        }

        public void Dispose()
        {
            File.Delete(_holderFile);
            _lock.Dispose();
        }
    }
}
