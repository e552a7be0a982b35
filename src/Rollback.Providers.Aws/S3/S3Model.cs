using System;

namespace Rollback.Providers.Aws.S3;

/// <summary>As AWSSDK.S3's GetObjectMetadataRequest (the members used here).</summary>
internal sealed class GetObjectMetadataRequest
{
    public string? BucketName { get; set; }

    public string? Key { get; set; }

    /// <summary>The version to read; null reads the current version.</summary>
    public string? VersionId { get; set; }
}

/// <summary>As AWSSDK.S3's GetObjectMetadataResponse (the members used here), read from the HEAD answer's headers.</summary>
internal sealed class GetObjectMetadataResponse
{
    /// <summary>x-amz-version-id: the version read ("null" for an object written before versioning was enabled).</summary>
    public string? VersionId { get; set; }

    /// <summary>The ETag header as S3 sends it, quotes included ("9b2c...").</summary>
    public string? ETag { get; set; }

    public long ContentLength { get; set; }

    public DateTime? LastModified { get; set; }

    /// <summary>x-amz-delete-marker: "true" when the version read is a delete marker.</summary>
    public string? DeleteMarker { get; set; }

    /// <summary>The AWS request id of the answer (x-amz-request-id).</summary>
    public string? RequestId { get; set; }
}

/// <summary>As AWSSDK.S3's GetObjectRequest (the members used here).</summary>
internal sealed class GetObjectRequest
{
    public string? BucketName { get; set; }

    public string? Key { get; set; }

    public string? VersionId { get; set; }
}

/// <summary>GetObject's answer with the body read whole as text (AWSSDK.S3 gives a stream; the module reads only small markers).</summary>
internal sealed class GetObjectResponse
{
    public string? VersionId { get; set; }

    public string? ETag { get; set; }

    public string ContentBody { get; set; } = string.Empty;

    public string? RequestId { get; set; }
}

internal sealed class GetBucketVersioningRequest
{
    public string? BucketName { get; set; }
}

internal sealed class GetBucketVersioningResponse
{
    public S3BucketVersioningConfig VersioningConfig { get; set; } = new();
}

/// <summary>As AWSSDK.S3's S3BucketVersioningConfig: Status is Enabled, Suspended or Off.</summary>
internal sealed class S3BucketVersioningConfig
{
    public string Status { get; set; } = "Off";
}

/// <summary>As AWSSDK.S3's ListVersionsRequest (the members used here).</summary>
internal sealed class ListVersionsRequest
{
    public string? BucketName { get; set; }

    public string? Prefix { get; set; }

    public string? KeyMarker { get; set; }

    public string? VersionIdMarker { get; set; }

    /// <summary>At most this many entries per page (S3's default and maximum: 1000); 0 leaves S3's default.</summary>
    public int MaxKeys { get; set; }
}

internal sealed class ListVersionsResponse
{
    public System.Collections.Generic.List<S3ObjectVersion> Versions { get; set; } = new();

    public bool IsTruncated { get; set; }

    public string? NextKeyMarker { get; set; }

    public string? NextVersionIdMarker { get; set; }
}

/// <summary>As AWSSDK.S3's S3ObjectVersion: one version or delete marker of a key.</summary>
internal sealed class S3ObjectVersion
{
    public string? BucketName { get; set; }

    public string? Key { get; set; }

    public string? VersionId { get; set; }

    public bool IsLatest { get; set; }

    public bool IsDeleteMarker { get; set; }

    /// <summary>The ETag as S3 lists it, quotes included.</summary>
    public string? ETag { get; set; }

    public long Size { get; set; }

    public DateTime? LastModified { get; set; }
}

/// <summary>As AWSSDK.S3's CopyObjectRequest (the members used here).</summary>
internal sealed class CopyObjectRequest
{
    public string? SourceBucket { get; set; }

    public string? SourceKey { get; set; }

    public string? SourceVersionId { get; set; }

    public string? DestinationBucket { get; set; }

    public string? DestinationKey { get; set; }
}

internal sealed class CopyObjectResponse
{
    /// <summary>The new version the copy made.</summary>
    public string? VersionId { get; set; }

    public string? SourceVersionId { get; set; }

    public string? ETag { get; set; }

    public string? RequestId { get; set; }
}

internal sealed class DeleteObjectRequest
{
    public string? BucketName { get; set; }

    public string? Key { get; set; }

    /// <summary>A version to delete for good; without one, a versioned bucket gets a delete marker.</summary>
    public string? VersionId { get; set; }
}

internal sealed class DeleteObjectResponse
{
    /// <summary>The delete marker's version id (in a versioned bucket).</summary>
    public string? VersionId { get; set; }

    public string? DeleteMarker { get; set; }

    public string? RequestId { get; set; }
}

/// <summary>PutObject of a whole file's bytes, with its SHA-256 for S3 to check (x-amz-checksum-sha256) and user metadata.</summary>
internal sealed class PutObjectRequest
{
    public string? BucketName { get; set; }

    public string? Key { get; set; }

    public byte[] Content { get; set; } = System.Array.Empty<byte>();

    /// <summary>The content's SHA-256, base64 (as S3's ChecksumSHA256); S3 refuses the upload when the body differs.</summary>
    public string? ChecksumSHA256 { get; set; }

    /// <summary>x-amz-meta-* values (names without the prefix).</summary>
    public System.Collections.Generic.Dictionary<string, string> Metadata { get; } = new(System.StringComparer.OrdinalIgnoreCase);
}

internal sealed class PutObjectResponse
{
    /// <summary>The version S3 gave the object ("null", or absent, where the bucket keeps no versions).</summary>
    public string? VersionId { get; set; }

    public string? ETag { get; set; }

    public string? ChecksumSHA256 { get; set; }

    public string? RequestId { get; set; }
}

/// <summary>GET Object read whole as bytes (an artifact), with the checksum S3 keeps when asked for it.</summary>
internal sealed class GetObjectContentResponse
{
    public string? VersionId { get; set; }

    public byte[] Content { get; set; } = System.Array.Empty<byte>();

    /// <summary>The SHA-256 S3 holds for the object (base64), when it was uploaded with one.</summary>
    public string? ChecksumSHA256 { get; set; }

    /// <summary>x-amz-meta-* values (names without the prefix, case-insensitive).</summary>
    public System.Collections.Generic.Dictionary<string, string> Metadata { get; } = new(System.StringComparer.OrdinalIgnoreCase);

    public string? RequestId { get; set; }
}
