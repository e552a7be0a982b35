using System.Threading;
using System.Threading.Tasks;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.Ecs;

/// <summary>ECS over the shared awsJson client (target prefix "AmazonEC2ContainerServiceV20141113", signing name "ecs").</summary>
internal sealed class EcsClient : IEcsClient, IReportingAwsClient
{
    private readonly AwsJsonClient _client;

    public EcsClient(AwsClientOptions options)
    {
        _client = new AwsJsonClient(AwsServiceInfo.Ecs, options);
    }

    /// <summary>Where what the client did on the way (a clock-skew correction) is told (see <see cref="AwsProtocolClient.Reporter"/>).</summary>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public Task<DescribeServicesResponse> DescribeServicesAsync(DescribeServicesRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<DescribeServicesRequest, DescribeServicesResponse>("DescribeServices", request, cancellationToken);

    public Task<DescribeTaskDefinitionResponse> DescribeTaskDefinitionAsync(DescribeTaskDefinitionRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<DescribeTaskDefinitionRequest, DescribeTaskDefinitionResponse>("DescribeTaskDefinition", request, cancellationToken);

    public Task<UpdateServiceResponse> UpdateServiceAsync(UpdateServiceRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<UpdateServiceRequest, UpdateServiceResponse>("UpdateService", request, cancellationToken);

    public void Dispose() => _client.Dispose();
}
