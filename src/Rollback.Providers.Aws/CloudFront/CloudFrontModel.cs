using System;
using System.Collections.Generic;

namespace Rollback.Providers.Aws.CloudFront;

// Request and response types as the official SDK (AWSSDK.CloudFront) names them, with the members this module uses
// (restXml, service model cloudfront 2020-05-31).

internal sealed class GetDistributionRequest
{
    public string? Id { get; set; }
}

internal sealed class GetDistributionResponse
{
    public Distribution Distribution { get; set; } = new();

    public string? ETag { get; set; }
}

internal sealed class Distribution
{
    public string? Id { get; set; }

    public string? ARN { get; set; }

    /// <summary>Deployed, or InProgress while a configuration change propagates.</summary>
    public string? Status { get; set; }

    public string? DomainName { get; set; }

    public string? DefaultRootObject { get; set; }

    public List<Origin> Origins { get; set; } = new();
}

/// <summary>One origin of a distribution: an S3 bucket's REST or website endpoint, or any HTTP server.</summary>
internal sealed class Origin
{
    public string? Id { get; set; }

    /// <summary>bucket.s3.amazonaws.com, bucket.s3.region.amazonaws.com, bucket.s3-website-region.amazonaws.com ...</summary>
    public string? DomainName { get; set; }

    /// <summary>The folder of the origin the distribution serves from ("/site"), or empty.</summary>
    public string? OriginPath { get; set; }
}

internal sealed class CreateInvalidationRequest
{
    public string? DistributionId { get; set; }

    public InvalidationBatch InvalidationBatch { get; set; } = new();
}

internal sealed class InvalidationBatch
{
    /// <summary>Unique per request: CloudFront answers a repeated reference with the first invalidation (a retry is safe).</summary>
    public string? CallerReference { get; set; }

    public List<string> Paths { get; set; } = new();
}

internal sealed class CreateInvalidationResponse
{
    public Invalidation Invalidation { get; set; } = new();

    public string? Location { get; set; }
}

internal sealed class GetInvalidationRequest
{
    public string? DistributionId { get; set; }

    public string? Id { get; set; }
}

internal sealed class GetInvalidationResponse
{
    public Invalidation Invalidation { get; set; } = new();
}

internal sealed class Invalidation
{
    public string? Id { get; set; }

    /// <summary>InProgress, then Completed.</summary>
    public string? Status { get; set; }

    public DateTime? CreateTime { get; set; }

    public List<string> Paths { get; set; } = new();
}
