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
}
