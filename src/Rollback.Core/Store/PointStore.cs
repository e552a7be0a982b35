using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>
/// points/&lt;target&gt;/&lt;point-id&gt;/: manifest.json plus an artifacts/ folder. A point is built in a hidden
/// staging folder and renamed into place when complete, so a point is there whole or not at all.
/// </summary>
public sealed class PointStore
{
    public const string ManifestFileName = "manifest.json";
    public const string ArtifactsFolderName = "artifacts";

    // Ids sort by creation time and are checked before they touch a path, so an id can never walk the store.
    private static readonly Regex IdPattern = new(@"^[0-9]{8}-[0-9]{9}-[0-9a-f]{6}\z", RegexOptions.CultureInvariant);

    // The time part of an id ("20261123-183015123"): what orders points.
    private const string TimeFormat = "yyyyMMdd-HHmmssfff";
    private const int TimePartLength = 18;

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

    public static void ValidateId(string id)
    {
        if (!IdPattern.IsMatch(id))
        {
            throw new RollbackException(RollbackErrorId.InvalidPointId, RollbackErrorCategory.InvalidArgument,
                $"'{id}' is not a rollback point id (they look like 20261123-183015123-a1b2c3). Run Get-RollbackPoint to list them.", id);
        }
    }

    public string TargetDirectory(string target) => Path.Combine(_store.PointsDirectory, target);

    public string PointDirectory(string target, string id)
    {
        ValidateId(id);
        return Path.Combine(TargetDirectory(target), id);
    }

    /// <summary>Creates a hidden staging folder for a new point; <see cref="Commit"/> renames it into place.</summary>
    public string CreateStaging(string target, string id)
    {
        var staging = Path.Combine(TargetDirectory(target), ".staging-" + id);
        Directory.CreateDirectory(Path.Combine(staging, ArtifactsFolderName));
        return staging;
    }

    public RollbackPoint Commit(string stagingDirectory, RollbackPoint point)
    {
        AtomicFile.WriteAllText(Path.Combine(stagingDirectory, ManifestFileName), JsonSerializer.Serialize(point, StoreJson.Indented));
        var final = PointDirectory(point.Target, point.Id);
        Directory.Move(stagingDirectory, final);
        return point with { Path = final };
    }

    public static void DiscardStaging(string stagingDirectory)
    {
        if (Directory.Exists(stagingDirectory))
        {
            Directory.Delete(stagingDirectory, recursive: true);
        }
    }

    public RollbackPoint Get(string target, string id)
    {
        var directory = PointDirectory(target, id);
        if (!Directory.Exists(directory))
        {
            throw new RollbackException(RollbackErrorId.PointNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Target '{target}' has no rollback point '{id}'. Run Get-RollbackPoint -Target {target} to list its points.", id);
        }

        return Load(target, directory);
    }

    /// <summary>All points of a target, oldest first.</summary>
    public IReadOnlyList<RollbackPoint> List(string target)
    {
        var directory = TargetDirectory(target);
        return ListIds(target).Select(id => Load(target, Path.Combine(directory, id))).ToList();
    }

    /// <summary>The ids of the target's points, oldest first (ids sort by creation time), without reading a manifest.</summary>
    public IEnumerable<string> ListIds(string target)
    {
        var directory = TargetDirectory(target);
        return Directory.Exists(directory)
            ? Directory.GetDirectories(directory).Select(Path.GetFileName).OfType<string>().Where(name => IdPattern.IsMatch(name)).OrderBy(id => id, StringComparer.Ordinal)
            : Enumerable.Empty<string>();
    }

    public void Delete(RollbackPoint point)
    {
        var directory = PointDirectory(point.Target, point.Id);
        var doomed = Path.Combine(TargetDirectory(point.Target), ".deleting-" + point.Id);

        // Rename first so a half-deleted point is never listed.
        Directory.Move(directory, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    public void DeleteAll(string target)
    {
        var directory = TargetDirectory(target);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static RollbackPoint Load(string target, string directory)
    {
        var manifest = Path.Combine(directory, ManifestFileName);
        try
        {
            var point = JsonSerializer.Deserialize<RollbackPoint>(File.ReadAllText(manifest), StoreJson.Indented)
                ?? throw new JsonException("The manifest holds null.");
            if (!string.Equals(point.Target, target, StringComparison.OrdinalIgnoreCase) || point.Id != Path.GetFileName(directory))
            {
                throw new JsonException($"it names target '{point.Target}' and point '{point.Id}', but lies in '{directory}'.");
            }

            return point with { Path = directory };
        }
        catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException or InvalidOperationException)
        {
            throw new RollbackException(RollbackErrorId.ManifestCorrupt, RollbackErrorCategory.InvalidData,
                $"The manifest of point '{Path.GetFileName(directory)}' ('{manifest}') is unreadable or invalid: {ex.Message} Do not use this point; remove it with Remove-RollbackPoint and capture a new one.",
                manifest, ex);
        }
    }
}
