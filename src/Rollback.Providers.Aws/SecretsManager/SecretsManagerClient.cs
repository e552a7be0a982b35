using System.Threading;
using System.Threading.Tasks;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.SecretsManager;

/// <summary>Secrets Manager over the shared awsJson client (target prefix "secretsmanager").</summary>
internal sealed class SecretsManagerClient : ISecretsManagerClient
{
    private readonly AwsJsonClient _client;

    public SecretsManagerClient(AwsClientOptions options)
        : this(new AwsJsonClient(AwsServiceInfo.SecretsManager, options))
    {
    }

    public SecretsManagerClient(AwsJsonClient client)
    {
        _client = client;
    }

    public Task<DescribeSecretResponse> DescribeSecretAsync(DescribeSecretRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<DescribeSecretRequest, DescribeSecretResponse>("DescribeSecret", request, cancellationToken);

    public Task<ListSecretVersionIdsResponse> ListSecretVersionIdsAsync(ListSecretVersionIdsRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<ListSecretVersionIdsRequest, ListSecretVersionIdsResponse>("ListSecretVersionIds", request, cancellationToken);

    public Task<UpdateSecretVersionStageResponse> UpdateSecretVersionStageAsync(UpdateSecretVersionStageRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<UpdateSecretVersionStageRequest, UpdateSecretVersionStageResponse>("UpdateSecretVersionStage", request, cancellationToken);

    /// <summary>The shared client underneath (endpoint, region, retry budget).</summary>
    public AwsJsonClient Transport => _client;

    public void Dispose() => _client.Dispose();
}
