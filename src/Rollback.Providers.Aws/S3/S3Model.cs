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
