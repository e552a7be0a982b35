using System.Collections.Generic;
using System.Threading;

namespace Rollback.Providers.Aws.S3;

/// <summary>Reading past ListObjectVersions' pages: what the static site and the store's artifact location both list.</summary>
internal static class S3Listing
{
    /// <summary>Every version and delete marker under <paramref name="prefix"/>, page after page (by the key and version markers).</summary>
    public static IEnumerable<S3ObjectVersion> AllVersions(this IS3Client client, string bucket, string prefix, CancellationToken cancellation)
    {
        string? keyMarker = null;
        string? versionMarker = null;
        while (true)
        {
            var page = AwsProviderSupport.Wait(client.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, VersionIdMarker = versionMarker }, cancellation));
            foreach (var version in page.Versions)
            {
                yield return version;
            }

            if (!page.IsTruncated || string.IsNullOrEmpty(page.NextKeyMarker))
            {
                yield break;
            }

            keyMarker = page.NextKeyMarker;
            versionMarker = page.NextVersionIdMarker;
        }
    }
}
