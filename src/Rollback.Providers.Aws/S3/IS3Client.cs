using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.S3;

/// <summary>
/// The S3 operations the AWS kinds use, named and shaped like the official AWSSDK.S3 client (IAmazonS3), so that
/// swapping that package in changes only <see cref="S3Client"/>.
/// </summary>
internal interface IS3Client : IDisposable
{
    /// <summary>HEAD Object: the object's (or the given version's) metadata, without its content.</summary>
    Task<GetObjectMetadataResponse> GetObjectMetadataAsync(GetObjectMetadataRequest request, CancellationToken cancellationToken = default);

    /// <summary>GET Object of a small text object (a version marker), read whole.</summary>
    Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default);

    /// <summary>GET Bucket versioning: Enabled, Suspended, or Off (never set).</summary>
    Task<GetBucketVersioningResponse> GetBucketVersioningAsync(GetBucketVersioningRequest request, CancellationToken cancellationToken = default);

    /// <summary>ListObjectVersions: one page of versions and delete markers, newest first per key.</summary>
    Task<ListVersionsResponse> ListVersionsAsync(ListVersionsRequest request, CancellationToken cancellationToken = default);

    /// <summary>CopyObject (PUT with x-amz-copy-source), from a given version when named; metadata copied with it.</summary>
    Task<CopyObjectResponse> CopyObjectAsync(CopyObjectRequest request, CancellationToken cancellationToken = default);

    /// <summary>DeleteObject: without a version, in a versioned bucket, a delete marker on top (every version kept); with one, that version for good.</summary>
    Task<DeleteObjectResponse> DeleteObjectAsync(DeleteObjectRequest request, CancellationToken cancellationToken = default);

    /// <summary>PutObject of a whole file, with its SHA-256 checked by S3 (x-amz-checksum-sha256) and kept with it.</summary>
    Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default);

    /// <summary>GET Object (of the given version) read whole as bytes, with S3's SHA-256 of it when it has one.</summary>
    Task<GetObjectContentResponse> GetObjectContentAsync(GetObjectRequest request, CancellationToken cancellationToken = default);
}
