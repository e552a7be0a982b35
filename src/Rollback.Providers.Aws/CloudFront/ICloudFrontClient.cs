using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.CloudFront;

/// <summary>
/// The CloudFront operations the S3StaticSite kind uses, named and shaped like the official AWSSDK.CloudFront client
/// (IAmazonCloudFront), so that swapping that package in changes only <see cref="CloudFrontClient"/>.
/// </summary>
internal interface ICloudFrontClient : IDisposable
{
    Task<GetDistributionResponse> GetDistributionAsync(GetDistributionRequest request, CancellationToken cancellationToken = default);

    Task<CreateInvalidationResponse> CreateInvalidationAsync(CreateInvalidationRequest request, CancellationToken cancellationToken = default);

    Task<GetInvalidationResponse> GetInvalidationAsync(GetInvalidationRequest request, CancellationToken cancellationToken = default);
}
