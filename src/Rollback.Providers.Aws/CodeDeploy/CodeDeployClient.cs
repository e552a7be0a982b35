using System.Threading;
using System.Threading.Tasks;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.CodeDeploy;

/// <summary>CodeDeploy over the shared awsJson client (target prefix "CodeDeploy_20141006", signing name "codedeploy").</summary>
internal sealed class CodeDeployClient : ICodeDeployClient, IReportingAwsClient
{
    private readonly AwsJsonClient _client;

    public CodeDeployClient(AwsClientOptions options)
        : this(new AwsJsonClient(AwsServiceInfo.CodeDeploy, options))
    {
    }

    public CodeDeployClient(AwsJsonClient client)
    {
        _client = client;
    }

    public Task<GetDeploymentGroupResponse> GetDeploymentGroupAsync(GetDeploymentGroupRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<GetDeploymentGroupRequest, GetDeploymentGroupResponse>("GetDeploymentGroup", request, cancellationToken);

    public Task<ListDeploymentsResponse> ListDeploymentsAsync(ListDeploymentsRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<ListDeploymentsRequest, ListDeploymentsResponse>("ListDeployments", request, cancellationToken);

    public Task<GetDeploymentResponse> GetDeploymentAsync(GetDeploymentRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<GetDeploymentRequest, GetDeploymentResponse>("GetDeployment", request, cancellationToken);

    public Task<GetApplicationRevisionResponse> GetApplicationRevisionAsync(GetApplicationRevisionRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<GetApplicationRevisionRequest, GetApplicationRevisionResponse>("GetApplicationRevision", request, cancellationToken);

    public Task<CreateDeploymentResponse> CreateDeploymentAsync(CreateDeploymentRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<CreateDeploymentRequest, CreateDeploymentResponse>("CreateDeployment", request, cancellationToken);

    public Task<StopDeploymentResponse> StopDeploymentAsync(StopDeploymentRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<StopDeploymentRequest, StopDeploymentResponse>("StopDeployment", request, cancellationToken);

    public Task<UpdateDeploymentGroupResponse> UpdateDeploymentGroupAsync(UpdateDeploymentGroupRequest request, CancellationToken cancellationToken = default) =>
        _client.InvokeAsync<UpdateDeploymentGroupRequest, UpdateDeploymentGroupResponse>("UpdateDeploymentGroup", request, cancellationToken);

    /// <summary>Where what the client did on the way (a clock-skew correction) is told (see <see cref="AwsProtocolClient.Reporter"/>).</summary>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public void Dispose() => _client.Dispose();
}
