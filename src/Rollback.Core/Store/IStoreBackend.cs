using System;
using System.Collections.Generic;
using System.Threading;

namespace Rollback.Store;

/// <summary>
/// Where a store keeps what the engine shares: the target registry, the points' manifests, the journal's lines and the
/// target locks. The rules (names, ids, the hash chain, verification) stay in <see cref="TargetRegistry"/>,
/// <see cref="PointStore"/>, <see cref="Journal"/> and the engine, the same for every store; a backend only keeps and
/// returns what they give it, each write whole or not at all. The folder store (<see cref="FolderStoreBackend"/>) is the
/// embedded default; the shared store keeps the same in PostgreSQL. The points' artifacts are folders under the store's
/// <see cref="RollbackStore.Root"/>, kept there or, for an object store, uploaded from there (see <see cref="IArtifactLocation"/>).
/// </summary>
public interface IStoreBackend : IDisposable
{
    /// <summary>What Get-RollbackStore shows: the kind, where it is (never with a password), the schema version, the user.</summary>
    RollbackStoreInfo Description { get; }

    ITargetRecords Targets { get; }

    IPointManifests Manifests { get; }

    IJournalLog JournalLog { get; }

    IStoreLocks Locks { get; }

    /// <summary>The small documents kept beside the registry: notification channels, records of unfinished attempts.</summary>
    IStoreDocuments Documents { get; }
}

/// <summary>The registered targets, read and replaced whole under the backend's own exclusive lock.</summary>
public interface ITargetRecords
{
    /// <summary>Where the registry is, for messages.</summary>
    string Location { get; }

    /// <summary>Every target as kept (unchecked: <see cref="TargetRegistry"/> checks them); empty when none was ever saved.</summary>
    IReadOnlyList<RollbackTarget> ReadAll();

    /// <summary>Reads every target, hands them to <paramref name="change"/> and keeps what it returns, all under one exclusive lock.</summary>
    void Update(Func<IReadOnlyList<RollbackTarget>, IReadOnlyList<RollbackTarget>> change);
}

/// <summary>
/// The points' manifests. A point is there once its manifest is kept beside its (renamed into place) folder, and gone
/// once its manifest is; its artifacts are the <see cref="IArtifactLocation"/>'s.
/// </summary>
public interface IPointManifests
{
    /// <summary>The names of the targets that have points (or had: an empty set is allowed), in ordinal order.</summary>
    IEnumerable<string> TargetNames();

    /// <summary>The ids of a target's points, in ordinal (= creation) order.</summary>
    IEnumerable<string> ListIds(string target);

    /// <summary>
    /// The manifest's JSON as UTF-8 bytes, or null when the target has no such point. Bytes, not text: a point of 20,000
    /// files has a manifest of megabytes, parsed fastest from UTF-8 as it is stored.
    /// </summary>
    byte[]? Read(string target, string id, string pointDirectory);

    /// <summary>
    /// Every point of the target with its manifest, in ordinal (= creation) order, as one read where the backend can (one
    /// query on the shared store; the folder store reads each file when its text is asked for, so one unreadable file
    /// fails only its own point). <paramref name="pointDirectory"/> gives a point's folder from its id.
    /// </summary>
    IReadOnlyList<StoredManifest> ReadAll(string target, Func<string, string> pointDirectory);

    /// <summary>
    /// Keeps a committed point: the staging folder becomes <paramref name="pointDirectory"/> and the manifest (JSON as UTF-8
    /// bytes, as it is read back) is kept, both or neither.
    /// </summary>
    void Commit(string target, string id, string stagingDirectory, string pointDirectory, byte[] manifestUtf8);

    /// <summary>Forgets the point's manifest before its folder goes, so a half-deleted point is never listed.</summary>
    void Remove(string target, string id);

    /// <summary>Forgets every manifest of the target.</summary>
    void RemoveAll(string target);

    /// <summary>Where a point's manifest is, for messages.</summary>
    string Describe(string target, string id, string pointDirectory);
}

/// <summary>A point's id and its manifest (UTF-8 JSON), read when <see cref="Read"/> is called (null when the point went meanwhile).</summary>
public sealed class StoredManifest
{
    private readonly Func<byte[]?> _read;

    public StoredManifest(string id, Func<byte[]?> read)
    {
        Id = id;
        _read = read;
    }

    public string Id { get; }

    public byte[]? Read() => _read();
}

/// <summary>
/// Where the points' artifacts live. Every store gives providers a local folder to capture into and to restore from:
/// the folder store's points/&lt;target&gt;/&lt;id&gt;/artifacts, the shared store's the same layout in a shared folder,
/// or, with an object store (S3, see <see cref="IArtifactLocationKind"/>), the same layout in a local folder that stages
/// what is uploaded on <see cref="Publish"/> (each file with its SHA-256, its object version recorded in the manifest)
/// and caches what <see cref="Fetch"/> downloads (each object's exact version, checked against the manifest's SHA-256).
/// </summary>
public interface IArtifactLocation
{
    /// <summary>Where, for messages and Get-RollbackStore (never with a secret).</summary>
    string Location { get; }

    /// <summary>The local folder of a committed point (what <see cref="RollbackPoint.Path"/> names); nothing is read or fetched.</summary>
    string Open(string target, string id);

    /// <summary>
    /// Before the point's manifest is kept: makes the artifacts staged in <paramref name="stagingArtifacts"/> durable where
    /// the store keeps them and returns what the manifest records of them (null for a folder, where the staging folder is
    /// renamed into place with the manifest). Should the manifest then not be kept, <see cref="Remove"/> undoes it.
    /// </summary>
    ArtifactObjects? Publish(RollbackPoint point, string stagingArtifacts, CancellationToken cancellation);

    /// <summary>
    /// Before a point's artifacts are read (readiness, a restore): makes them present in its local folder, downloading
    /// the recorded versions where they are kept elsewhere and refusing (ArtifactMissing, ArtifactChecksumMismatch) any
    /// that is gone or differs from its manifest. Nothing for a folder.
    /// </summary>
    void Fetch(RollbackPoint point, CancellationToken cancellation);

    /// <summary>Removes a point's artifacts (its local folder and, where kept elsewhere, every stored version), once its manifest is gone.</summary>
    void Remove(string target, string id);

    /// <summary>Removes every point's artifacts of the target, once their manifests are gone.</summary>
    void RemoveAll(string target);
}

/// <summary>
/// The journal's lines, in order, and the head record kept beside them. Appends are serialised by the log: the
/// tail seen by <see cref="Append"/> is the tail the new line follows, whoever else appends at the same time.
/// </summary>
public interface IJournalLog
{
    /// <summary>Where the journal is, for messages and -Verify's result.</summary>
    string Location { get; }

    /// <summary>Where the head record is, for messages.</summary>
    string HeadLocation { get; }

    /// <summary>Every non-empty line, in order.</summary>
    IEnumerable<string> Lines();

    /// <summary>Whether the log ends inside a line (a write cut short); never for a transactional log.</summary>
    bool EndsInsideALine();

    /// <summary>The last line (null when empty) and the number of non-empty lines, read cheaply.</summary>
    JournalTail Tail();

    /// <summary>The head record (null when none; sequence -1 when unreadable).</summary>
    JournalHead? ReadHead();

    /// <summary>The head record's text as kept, for -Verify's checks (null when none).</summary>
    string? ReadHeadText();

    /// <summary>Throws (IOException, UnauthorizedAccessException, RollbackException) unless a line could be appended now.</summary>
    void EnsureWritable();

    /// <summary>
    /// Under the log's exclusive lock: reads the tail, hands it to <paramref name="seal"/>, appends the line it returns
    /// and records the new head, durably, then returns what <paramref name="seal"/> made.
    /// </summary>
    T Append<T>(Func<JournalTail, JournalHead?, bool, JournalAppend<T>> seal);

    /// <summary>The tail under the log's exclusive lock (a consistent head for a new point's anchor).</summary>
    JournalTail LockedTail();
}

/// <summary>The journal's last line (null when it is empty) and how to count its lines.</summary>
public sealed class JournalTail
{
    private readonly Func<long> _count;

    public JournalTail(string? lastLine, Func<long> count)
    {
        LastLine = lastLine;
        _count = count;
    }

    public string? LastLine { get; }

    public long CountLines() => _count();
}

/// <summary>What an append writes: the line (without its newline), the new head, and the caller's result.</summary>
public sealed class JournalAppend<T>
{
    public JournalAppend(string line, JournalHead head, T result)
    {
        Line = line;
        Head = head;
        Result = result;
    }

    public string Line { get; }

    public JournalHead Head { get; }

    public T Result { get; }
}

/// <summary>
/// Small documents kept whole by name beside the registry: the notification channels and the record of each unfinished
/// attempt. They are shared as the registry is (a team's channels; an attempt that a killed process left for the next
/// command, on any machine, to finish or revert), so they live in the backend, not in a folder of one machine. Names are
/// the module's own ("notifications.json", "locks/target-api.attempt"): the folder store keeps each as that file under
/// its folder, as it always has.
/// </summary>
public interface IStoreDocuments
{
    /// <summary>Where the document is, for messages.</summary>
    string Describe(string name);

    /// <summary>The document's text, or null when there is none.</summary>
    string? Read(string name);

    /// <summary>Replaces the document whole, durably; a reader sees the old text or the new, never a part.</summary>
    void Write(string name, string text);

    /// <summary>Forgets the document (nothing when there is none).</summary>
    void Delete(string name);

    /// <summary>Under the document's own exclusive lock: reads it (null when none), and keeps what <paramref name="change"/> returns.</summary>
    void Update(string name, Func<string?, string> change);
}

/// <summary>A lock held until disposed.</summary>
public interface IStoreLock : IDisposable
{
    /// <summary>
    /// Throws unless the lock is still held: a lock that lives in a server's session is lost with that session (a server
    /// restarted between two of a command's queries), and another process may hold it by now. Called before a switch.
    /// </summary>
    void EnsureHeld();
}

/// <summary>Named exclusive locks that die with their holder (a process that is killed lets go of its locks).</summary>
public interface IStoreLocks
{
    /// <summary>Takes the lock at once, recording <paramref name="holder"/> for others to read, or returns null when another holds it.</summary>
    IStoreLock? TryAcquire(string name, string holder);

    /// <summary>Who holds the lock as recorded when it was taken, or null when that is not known.</summary>
    string? Holder(string name);
}
