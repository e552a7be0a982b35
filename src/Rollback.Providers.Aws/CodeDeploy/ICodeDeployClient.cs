using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.CodeDeploy;

/// <summary>
/// The CodeDeploy operations the CodeDeployDeploymentGroup kind uses, named and shaped like the official
/// AWSSDK.CodeDeploy client (IAmazonCodeDeploy), so that swapping that package in changes only <see cref="CodeDeployClient"/>.
/// </summary>
internal interface ICodeDeployClient : IDisposable
{
    Task<GetDeploymentGroupResponse> GetDeploymentGroupAsync(GetDeploymentGroupRequest request, CancellationToken cancellationToken = default);

    Task<ListDeploymentsResponse> ListDeploymentsAsync(ListDeploymentsRequest request, CancellationToken cancellationToken = default);

    Task<GetDeploymentResponse> GetDeploymentAsync(GetDeploymentRequest request, CancellationToken cancellationToken = default);

    Task<GetApplicationRevisionResponse> GetApplicationRevisionAsync(GetApplicationRevisionRequest request, CancellationToken cancellationToken = default);

    Task<CreateDeploymentResponse> CreateDeploymentAsync(CreateDeploymentRequest request, CancellationToken cancellationToken = default);

    Task<StopDeploymentResponse> StopDeploymentAsync(StopDeploymentRequest request, CancellationToken cancellationToken = default);

    Task<UpdateDeploymentGroupResponse> UpdateDeploymentGroupAsync(UpdateDeploymentGroupRequest request, CancellationToken cancellationToken = default);
}
