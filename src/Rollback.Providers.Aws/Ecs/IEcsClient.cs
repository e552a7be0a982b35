using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.Ecs;

/// <summary>
/// The ECS operations the EcsService kind uses, named and shaped like the official AWSSDK.ECS client
/// (IAmazonECS), so that swapping that package in changes only <see cref="EcsClient"/>.
/// </summary>
internal interface IEcsClient : IDisposable
{
    Task<DescribeServicesResponse> DescribeServicesAsync(DescribeServicesRequest request, CancellationToken cancellationToken = default);

    Task<DescribeTaskDefinitionResponse> DescribeTaskDefinitionAsync(DescribeTaskDefinitionRequest request, CancellationToken cancellationToken = default);

    Task<UpdateServiceResponse> UpdateServiceAsync(UpdateServiceRequest request, CancellationToken cancellationToken = default);
}
