using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Rollback.Providers.Aws.CloudFront;

namespace Rollback.Providers.Aws.S3;

/// <summary>One object of a site as a point records it: the key, the version to copy back, and what identifies its content.</summary>
internal sealed class SiteObject
{
    public string Key { get; set; } = string.Empty;

    public string VersionId { get; set; } = string.Empty;

    /// <summary>The ETag as S3 lists it, quotes included: a copy of a single-part object keeps it, so a copied-back object compares equal.</summary>
    public string ETag { get; set; } = string.Empty;

    public long Size { get; set; }

    public DateTime? LastModified { get; set; }

    /// <summary>Same content as <paramref name="other"/>, as S3 tells it without reading either: ETag and size.</summary>
    public bool SameContent(SiteObject other) => string.Equals(ETag, other.ETag, StringComparison.Ordinal) && Size == other.Size;
}

/// <summary>
/// The objects under a site's prefix, read with ListObjectVersions: every version (to check that a point's versions
/// still exist) and the current one of each key (a key whose newest entry is a delete marker does not exist).
/// </summary>
internal sealed class SiteListing
{
    private SiteListing(IReadOnlyList<SiteObject> current, ISet<(string Key, string VersionId)> versions)
    {
        Current = current;
        Versions = versions;
    }

    /// <summary>The current version of every key that exists, by key.</summary>
    public IReadOnlyList<SiteObject> Current { get; }

    /// <summary>Every version (not delete markers) the bucket still holds under the prefix.</summary>
    public ISet<(string Key, string VersionId)> Versions { get; }

    public static SiteListing Read(IS3Client client, string bucket, string prefix, CancellationToken cancellation)
    {
        var current = new List<SiteObject>();
        var versions = new HashSet<(string, string)>();
        foreach (var version in client.AllVersions(bucket, prefix, cancellation))
        {
            if (version.Key is null || version.VersionId is null)
            {
                continue;
            }

            if (!version.IsDeleteMarker)
            {
                versions.Add((version.Key, version.VersionId));
            }

            if (version.IsLatest && !version.IsDeleteMarker)
            {
                current.Add(new SiteObject { Key = version.Key, VersionId = version.VersionId, ETag = version.ETag ?? string.Empty, Size = version.Size, LastModified = version.LastModified });
            }
        }

        return new SiteListing(current.OrderBy(o => o.Key, StringComparer.Ordinal).ToList(), versions);
    }

    /// <summary>"s3site:" and the SHA-256 of every key with its content (ETag, size): equal exactly when the same content is live under the same keys.</summary>
    public static string Fingerprint(IEnumerable<SiteObject> objects)
    {
        var text = string.Join("\n", objects.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}\t{o.ETag}\t{o.Size}"));
        using var sha = SHA256.Create();
        return "s3site:" + string.Concat(sha.ComputeHash(Encoding.UTF8.GetBytes(text)).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The version label of a site without a version marker: how many objects, and the fingerprint's start.</summary>
    public static string Label(IReadOnlyCollection<SiteObject> objects) => $"{objects.Count} objects {Fingerprint(objects).Substring("s3site:".Length, 12)}";
}

/// <summary>What a rollback changes: the captured objects to copy back (in a safe order) and the live ones to delete.</summary>
internal sealed class SiteChanges
{
    public SiteChanges(IReadOnlyList<SiteObject> captured, IReadOnlyList<SiteObject> live, string? markerKey)
    {
        var current = live.ToDictionary(o => o.Key, StringComparer.Ordinal);
        var wanted = new HashSet<string>(captured.Select(o => o.Key), StringComparer.Ordinal);
        // Assets first, pages next, the version marker last: a page copied back never names an asset not yet back, and
        // the marker says the old version only once everything else is.
        Copy = captured
            .Where(o => !current.TryGetValue(o.Key, out var now) || !now.SameContent(o))
            .OrderBy(o => string.Equals(o.Key, markerKey, StringComparison.Ordinal) ? 2 : IsPage(o.Key) ? 1 : 0)
            .ThenBy(o => o.Key, StringComparer.Ordinal)
            .ToList();
        Delete = live.Where(o => !wanted.Contains(o.Key)).Select(o => o.Key).ToList();
    }

    public IReadOnlyList<SiteObject> Copy { get; }

    /// <summary>Keys that did not exist at capture; deleted after the copies (the pages that named them are back first).</summary>
    public IReadOnlyList<string> Delete { get; }

    public bool None => Copy.Count == 0 && Delete.Count == 0;

    public IEnumerable<string> Keys => Copy.Select(o => o.Key).Concat(Delete);

    private static bool IsPage(string key) =>
        key.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || key.EndsWith(".htm", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The paths of a distribution that serve the changed keys: what a CloudFront invalidation names.</summary>
internal static class InvalidationPaths
{
    /// <summary>Past this many paths one wildcard path ("/*") is sent instead (CloudFront allows 3000 paths in progress, and bills per path).</summary>
    public const int MaxPaths = 1000;

    /// <summary>The distribution's origin that serves the bucket (REST or website endpoint), or null.</summary>
    public static Origin? OriginOf(Distribution distribution, string bucket) =>
        distribution.Origins.FirstOrDefault(o => o.DomainName is { } domain && domain.StartsWith(bucket + ".s3", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The viewer paths of <paramref name="keys"/>: the key under the origin's OriginPath, URL-encoded per segment; a
    /// page named like the distribution's default root object also as "/", and an index.html also as its folder
    /// ("/docs/"), as a website endpoint serves it. No origin serving the bucket, or too many paths: "/*".
    /// </summary>
    public static IReadOnlyList<string> For(IEnumerable<string> keys, Distribution distribution, string bucket)
    {
        var origin = OriginOf(distribution, bucket);
        if (origin is null)
        {
            return new[] { "/*" };
        }

        var originPrefix = (origin.OriginPath ?? string.Empty).Trim('/');
        originPrefix = originPrefix.Length == 0 ? string.Empty : originPrefix + "/";
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (!key.StartsWith(originPrefix, StringComparison.Ordinal))
            {
                // The origin does not serve this key: no viewer path reaches it.
                continue;
            }

            var path = "/" + string.Join("/", key.Substring(originPrefix.Length).Split('/').Select(Uri.EscapeDataString));
            paths.Add(path);
            if (!string.IsNullOrEmpty(distribution.DefaultRootObject) && path == "/" + Uri.EscapeDataString(distribution.DefaultRootObject!))
            {
                paths.Add("/");
            }

            if (path.EndsWith("/index.html", StringComparison.Ordinal))
            {
                paths.Add(path.Substring(0, path.Length - "index.html".Length));
            }
        }

        return paths.Count > MaxPaths ? new[] { "/*" } : paths.ToList();
    }
}
