using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// points/&lt;target&gt;/&lt;point-id&gt;/: manifest.json plus an artifacts/ folder. A point is built in a hidden
/// staging folder and renamed into place when complete, so a point is there whole or not at all.
/// </summary>
public sealed class PointStore
{
    private static readonly byte[] Utf8Bom = { 0xEF, 0xBB, 0xBF };

    public const string ManifestFileName = "manifest.json";
    public const string ArtifactsFolderName = "artifacts";

    // Ids sort by creation time and are checked before they touch a path, so an id can never walk the store.
    private static readonly Regex IdPattern = new(@"^[0-9]{8}-[0-9]{9}-[0-9a-f]{6}\z", RegexOptions.CultureInvariant);

    // The time part of an id ("20261123-183015123"): what orders points.
    private const string TimeFormat = "yyyyMMdd-HHmmssfff";
    private const int TimePartLength = 18;

    private const string StagingPrefix = ".staging-";

    /// <summary>In a staging folder: what it holds is the only copy of a state a switch set aside (see <see cref="MarkHoldsSetAsideState"/>).</summary>
    private const string SetAsideMarkerName = "holds-set-aside-state";

    private readonly RollbackStore _store;

    internal PointStore(RollbackStore store) => _store = store;

    public static string NewId(DateTimeOffset now)
    {
        var random = new byte[3];
        using (var generator = RandomNumberGenerator.Create())
        {
            generator.GetBytes(random);
        }

        return now.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + "-" + Checksums.ToHex(random);
    }

    /// <summary>
    /// The id for a new point of <paramref name="target"/>: from <paramref name="now"/>, but always sorting after the
    /// target's newest point, because "latest" and retention go by id order. Two captures in one millisecond, or a clock
    /// stepped back by NTP, would otherwise order by the random suffix. Call it under the target's lock.
    /// </summary>
    public string NextId(string target, DateTimeOffset now)
    {
        var id = NewId(now);
        var newest = ListIds(target).LastOrDefault();
        if (newest is null || string.CompareOrdinal(id, 0, newest, 0, TimePartLength) > 0)
        {
            return id;
        }

        var newestTime = DateTime.ParseExact(newest.Substring(0, TimePartLength), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return NewId(new DateTimeOffset(newestTime, TimeSpan.Zero).AddMilliseconds(1));
    }

    /// <summary>Whether <paramref name="name"/> is a point id (a folder that is not one is not a point).</summary>
    public static bool IsId(string? name) => name is not null && IdPattern.IsMatch(name);

    public static void ValidateId(string id)
    {
        if (!IsId(id))
        {
            throw new RollbackException(RollbackErrorId.InvalidPointId, RollbackErrorCategory.InvalidArgument,
                $"'{id}' is not a rollback point id (they look like 20261123-183015123-a1b2c3). Run Get-RollbackPoint to list them.", id);
        }
    }

    /// <summary>points/&lt;target&gt;: the name is checked again here, so no caller can walk the store with a name that was never validated.</summary>
    public string TargetDirectory(string target)
    {
        TargetRegistry.ValidateName(target);
        return Path.Combine(_store.PointsDirectory, target);
    }

    public string PointDirectory(string target, string id)
    {
        ValidateId(id);
        return Path.Combine(TargetDirectory(target), id);
    }

    /// <summary>Creates a hidden staging folder for a new point; <see cref="Commit"/> renames it into place.</summary>
    public string CreateStaging(string target, string id)
    {
        EnsureTargetDirectoryIsReal(target);
        var staging = Path.Combine(TargetDirectory(target), StagingPrefix + id);

        // Each level user-only, as the store's own folders: points hold copies of files with passwords in them.
        StoreFiles.CreateOwnerOnlyDirectory(TargetDirectory(target));
        StoreFiles.CreateOwnerOnlyDirectory(staging);
        StoreFiles.CreateOwnerOnlyDirectory(Path.Combine(staging, ArtifactsFolderName));
        return staging;
    }

    /// <summary>
    /// Marks a staging folder as receiving the only copy of a state a switch set aside: should its process die before
    /// the point is committed, the next command keeps the folder (and says where) instead of removing it as an
    /// abandoned copy, as it does for captures of what is still live.
    /// </summary>
    public static void MarkHoldsSetAsideState(string stagingDirectory) =>
        AtomicFile.WriteAllText(Path.Combine(stagingDirectory, SetAsideMarkerName), "The artifacts folder holds the only copy of a state a rollback's switch set aside.\n");

    public RollbackPoint Commit(string stagingDirectory, RollbackPoint point, CancellationToken cancellation = default)
    {
        File.Delete(Path.Combine(stagingDirectory, SetAsideMarkerName));
        var head = _store.Journal.Head();
        point = point with { JournalSequence = head.Sequence, JournalHash = head.Hash };
        var final = PointDirectory(point.Target, point.Id);

        // Uploaded first (where they are kept elsewhere) so the manifest can name each object's version; a manifest that is
        // then not kept takes its objects along.
        var stored = _store.Artifacts.Publish(point, Path.Combine(stagingDirectory, ArtifactsFolderName), cancellation);
        point = point with { StoredObjects = stored };
        try
        {
            _store.Backend.Manifests.Commit(point.Target, point.Id, stagingDirectory, final, JsonSerializer.SerializeToUtf8Bytes(point, StoreJson.Indented));
        }
        catch when (stored is not null)
        {
            RemoveUnkeptObjects(point);
            throw;
        }

        return point with { Path = _store.Artifacts.Open(point.Target, point.Id) };
    }

    /// <summary>
    /// Makes a point's artifacts present in its folder before they are read (readiness, a restore): nothing for a folder;
    /// for artifacts kept in S3, their recorded versions, each checked against the manifest's SHA-256.
    /// </summary>
    public void Fetch(RollbackPoint point, CancellationToken cancellation) => _store.Artifacts.Fetch(point, cancellation);

    private void RemoveUnkeptObjects(RollbackPoint point)
    {
        try
        {
            _store.Artifacts.Remove(point.Target, point.Id);
        }
        catch (Exception ex) when (ex is RollbackException or IOException or UnauthorizedAccessException)
        {
            // The manifest's failure is what the caller must see; objects no manifest names are never read, only left
            // over under the point's prefix (a point id is never used again).
        }
    }

    public static void DiscardStaging(string stagingDirectory) => StoreFiles.DeleteWithoutFollowingLinks(stagingDirectory);

    /// <summary>
    /// Removes the staging folders of captures that never finished (their process was killed) and returns them. Only
    /// for the holder of the target's lock: every capture runs under it, so none of them is still being written. One
    /// that holds a set-aside state (<see cref="MarkHoldsSetAsideState"/>) is its only copy: it is kept and handed to
    /// <paramref name="kept"/> instead.
    /// </summary>
    public IReadOnlyList<string> RemoveAbandonedStaging(string target, Action<string> kept)
    {
        var directory = TargetDirectory(target);
        if (!Directory.Exists(directory) || NativeFileSystem.IsLink(directory))
        {
            return Array.Empty<string>();
        }

        var removed = new List<string>();
        foreach (var staging in Directory.GetDirectories(directory, StagingPrefix + "*"))
        {
            var artifacts = Path.Combine(staging, ArtifactsFolderName);
            if (File.Exists(Path.Combine(staging, SetAsideMarkerName)) && Directory.Exists(artifacts) && Directory.EnumerateFileSystemEntries(artifacts).Any())
            {
                kept(artifacts);
                continue;
            }

            DiscardStaging(staging);
            removed.Add(staging);
        }

        return removed;
    }

    public RollbackPoint Get(string target, string id) =>
        Load(target, id) ?? throw new RollbackException(RollbackErrorId.PointNotFound, RollbackErrorCategory.ObjectNotFound,
            $"Target '{target}' has no rollback point '{id}'. Run Get-RollbackPoint -Target {target} to list its points.", id);

    /// <summary>All points of a target, oldest first. A point whose manifest is damaged raises ManifestCorrupt.</summary>
    public IReadOnlyList<RollbackPoint> List(string target) => List(target, skipped: null);

    /// <summary>
    /// All points of a target, oldest first. With <paramref name="skipped"/>, a point whose manifest is damaged is handed
    /// to it and left out instead of failing the whole list: one bad old point must not hide the good ones.
    /// </summary>
    public IReadOnlyList<RollbackPoint> List(string target, Action<RollbackException>? skipped)
    {
        TargetRegistry.ValidateName(target);
        var points = new List<RollbackPoint>();
        foreach (var stored in _store.Backend.Manifests.ReadAll(target, id => PointDirectory(target, id)))
        {
            try
            {
                // Gone between the listing and the read (removed by another process): not listed.
                if (Load(target, stored.Id, stored.Read) is { } point)
                {
                    points.Add(point);
                }
            }
            catch (RollbackException ex) when (skipped is not null && ex.ErrorId == RollbackErrorId.ManifestCorrupt)
            {
                skipped(ex);
            }
        }

        return points;
    }

    /// <summary>The ids of the target's points, oldest first (ids sort by creation time), without reading a manifest.</summary>
    public IEnumerable<string> ListIds(string target)
    {
        TargetRegistry.ValidateName(target);
        return _store.Backend.Manifests.ListIds(target);
    }

    public void Delete(RollbackPoint point) => Delete(point.Target, point.Id);

    /// <summary>
    /// Deletes a point by target and id, whatever its manifest holds (a damaged point can be removed too). Only the point's
    /// own folder goes: links inside it are removed as links, never followed.
    /// </summary>
    public void Delete(string target, string id)
    {
        ValidateId(id);
        EnsureTargetDirectoryIsReal(target);

        // The manifest first, then the artifacts: a half-deleted point is never listed.
        _store.Backend.Manifests.Remove(target, id);
        _store.Artifacts.Remove(target, id);
    }

    public void DeleteAll(string target)
    {
        TargetRegistry.ValidateName(target);
        _store.Backend.Manifests.RemoveAll(target);
        _store.Artifacts.RemoveAll(target);
    }

    private void EnsureTargetDirectoryIsReal(string target)
    {
        StoreFiles.EnsureNotLink(_store.PointsDirectory, "The store's points folder");
        StoreFiles.EnsureNotLink(TargetDirectory(target), $"The points folder of target '{target}'");
    }

    /// <summary>The point, or null when the target has none of that id. Its artifacts' folder is checked as its manifest is.</summary>
    private RollbackPoint? Load(string target, string id) => Load(target, id, read: null);

    /// <summary>As <see cref="Load(string, string)"/>, with the manifest's text from <paramref name="read"/> when the listing already has it.</summary>
    private RollbackPoint? Load(string target, string id, Func<byte[]?>? read)
    {
        var directory = PointDirectory(target, id);
        var manifests = _store.Backend.Manifests;
        var manifest = manifests.Describe(target, id, directory);
        var link = new[] { directory, manifest, Path.Combine(directory, ArtifactsFolderName) }.FirstOrDefault(NativeFileSystem.IsLink);
        if (link is not null)
        {
            // Followed, a linked artifacts folder would let readiness and restore read (and checksums pass on) files outside the store.
            throw Corrupt(directory, manifest, $"'{link}' is a link to '{NativeFileSystem.ReadLink(link)}'; the store never follows links.", RollbackErrorCategory.SecurityError);
        }

        RollbackPoint? point;
        try
        {
            var json = read is null ? manifests.Read(target, id, directory) : read();
            if (json is null)
            {
                return null;
            }

            // A manifest saved by an editor may start with a byte order mark, which the text reader used to drop.
            var utf8 = new ReadOnlySpan<byte>(json);
            point = JsonSerializer.Deserialize<RollbackPoint>(utf8.StartsWith(Utf8Bom) ? utf8.Slice(Utf8Bom.Length) : utf8, StoreJson.Indented);
        }
        catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException or InvalidOperationException)
        {
            throw Corrupt(directory, manifest, ex.Message, RollbackErrorCategory.InvalidData, ex);
        }

        var problem = Problem(point, target, directory);
        if (problem is not null)
        {
            throw Corrupt(directory, manifest, problem, problem.StartsWith(EscapeProblem, StringComparison.Ordinal) ? RollbackErrorCategory.SecurityError : RollbackErrorCategory.InvalidData);
        }

        return point! with { Path = _store.Artifacts.Open(target, id) };
    }

    private const string EscapeProblem = "the artifact path";

    /// <summary>What is wrong with a manifest as read, or null: every id and path in it is held to the rules it was written under.</summary>
    private static string? Problem(RollbackPoint? point, string target, string directory)
    {
        if (point is null)
        {
            return "the manifest holds null.";
        }

        if (!string.Equals(point.Target, target, StringComparison.OrdinalIgnoreCase) || point.Id != Path.GetFileName(directory))
        {
            return $"it names target '{point.Target}' and point '{point.Id}', but lies in '{directory}'.";
        }

        if (string.IsNullOrWhiteSpace(point.Kind) || point.Version is null || point.Fingerprint is null)
        {
            return "its kind, version or fingerprint is missing.";
        }

        if (point.Artifacts is null || point.Metadata is null)
        {
            return point.Artifacts is null ? "its 'artifacts' list is null." : "its 'metadata' is null.";
        }

        for (var index = 0; index < point.Artifacts.Count; index++)
        {
            var artifact = point.Artifacts[index];
            if (artifact is null || artifact.RelativePath is null || artifact.Sha256 is null || artifact.Size < 0)
            {
                return $"artifact {index + 1} is null or lacks its path, size or checksum.";
            }

            var escapes = SafePath.RelativePathProblem(artifact.RelativePath);
            if (escapes is not null)
            {
                return $"{EscapeProblem} '{artifact.RelativePath}' escapes the point's folder: {escapes}.";
            }
        }

        var nullValue = point.Metadata.FirstOrDefault(pair => pair.Value is null);
        return nullValue.Key is null ? null : $"its metadata '{nullValue.Key}' is null.";
    }

    private static RollbackException Corrupt(string directory, string manifest, string problem, RollbackErrorCategory category, Exception? inner = null) =>
        new(RollbackErrorId.ManifestCorrupt, category,
            $"The manifest of point '{Path.GetFileName(directory)}' ('{manifest}') is unreadable or invalid: {problem} Do not use this point; remove it with Remove-RollbackPoint and capture a new one.",
            manifest, inner);
}
