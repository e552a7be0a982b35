using System;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Providers.Aws.ElasticLoadBalancing;

/// <summary>
/// The ELBv2 operations the LoadBalancerListener kind uses, named and shaped like the official
/// AWSSDK.ElasticLoadBalancingV2 client (IAmazonElasticLoadBalancingV2), so that swapping that package in changes only
/// <see cref="ElbClient"/>.
/// </summary>
internal interface IElbClient : IDisposable
{
    Task<DescribeListenersResponse> DescribeListenersAsync(DescribeListenersRequest request, CancellationToken cancellationToken = default);

    Task<DescribeRulesResponse> DescribeRulesAsync(DescribeRulesRequest request, CancellationToken cancellationToken = default);

    Task<DescribeTargetGroupsResponse> DescribeTargetGroupsAsync(DescribeTargetGroupsRequest request, CancellationToken cancellationToken = default);

    Task<DescribeTargetHealthResponse> DescribeTargetHealthAsync(DescribeTargetHealthRequest request, CancellationToken cancellationToken = default);

    Task<ModifyListenerResponse> ModifyListenerAsync(ModifyListenerRequest request, CancellationToken cancellationToken = default);

    Task<ModifyRuleResponse> ModifyRuleAsync(ModifyRuleRequest request, CancellationToken cancellationToken = default);
}
