using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.SecretsManager;

/// <summary>
/// The Secrets Manager operations the SecretsManagerSecret kind uses, named and shaped like the official
/// AWSSDK.SecretsManager client (IAmazonSecretsManager) so that swapping the package in changes only
/// <see cref="SecretsManagerClient"/>. None of them reads a secret value.
/// </summary>
internal interface ISecretsManagerClient : IDisposable
{
    Task<DescribeSecretResponse> DescribeSecretAsync(DescribeSecretRequest request, CancellationToken cancellationToken = default);

    Task<ListSecretVersionIdsResponse> ListSecretVersionIdsAsync(ListSecretVersionIdsRequest request, CancellationToken cancellationToken = default);

    Task<UpdateSecretVersionStageResponse> UpdateSecretVersionStageAsync(UpdateSecretVersionStageRequest request, CancellationToken cancellationToken = default);
}
