using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using Rollback.Providers.Aws.Client;

namespace Rollback.Providers.Aws.ElasticLoadBalancing;

/// <summary>
/// Elastic Load Balancing v2 over the shared Query client (signing name "elasticloadbalancing", API version
/// 2015-12-01): the requests flattened as the protocol wants them, the XML answers read into the SDK-shaped types.
/// </summary>
internal sealed class ElbClient : IElbClient, IReportingAwsClient
{
    private readonly AwsQueryClient _client;

    public ElbClient(AwsClientOptions options)
    {
        _client = new AwsQueryClient(AwsServiceInfo.ElasticLoadBalancingV2, options);
    }

    /// <summary>Where what the client did on the way (a clock-skew correction) is told (see <see cref="AwsProtocolClient.Reporter"/>).</summary>
    public Rollback.Engine.IRollbackReporter? Reporter
    {
        get => _client.Reporter;
        set => _client.Reporter = value;
    }

    public async Task<DescribeListenersResponse> DescribeListenersAsync(DescribeListenersRequest request, CancellationToken cancellationToken = default)
    {
        var result = await _client.InvokeAsync("DescribeListeners", new AwsQueryParameters().AddList("ListenerArns", request.ListenerArns), cancellationToken).ConfigureAwait(false);
        return new DescribeListenersResponse { Listeners = result.Members("Listeners").Select(ReadListener).ToList() };
    }

    public async Task<DescribeRulesResponse> DescribeRulesAsync(DescribeRulesRequest request, CancellationToken cancellationToken = default)
    {
        var result = await _client.InvokeAsync("DescribeRules", new AwsQueryParameters().AddList("RuleArns", request.RuleArns), cancellationToken).ConfigureAwait(false);
        return new DescribeRulesResponse { Rules = result.Members("Rules").Select(ReadRule).ToList() };
    }

    public async Task<DescribeTargetGroupsResponse> DescribeTargetGroupsAsync(DescribeTargetGroupsRequest request, CancellationToken cancellationToken = default)
    {
        var result = await _client.InvokeAsync("DescribeTargetGroups", new AwsQueryParameters().AddList("TargetGroupArns", request.TargetGroupArns), cancellationToken).ConfigureAwait(false);
        return new DescribeTargetGroupsResponse
        {
            TargetGroups = result.Members("TargetGroups").Select(g => new TargetGroup
            {
                TargetGroupArn = g.Text("TargetGroupArn"),
                TargetGroupName = g.Text("TargetGroupName"),
                TargetType = g.Text("TargetType"),
                LoadBalancerArns = g.Members("LoadBalancerArns").Select(a => a.Value).ToList(),
            }).ToList(),
        };
    }

    public async Task<DescribeTargetHealthResponse> DescribeTargetHealthAsync(DescribeTargetHealthRequest request, CancellationToken cancellationToken = default)
    {
        var result = await _client.InvokeAsync("DescribeTargetHealth", new AwsQueryParameters().Add("TargetGroupArn", request.TargetGroupArn), cancellationToken).ConfigureAwait(false);
        return new DescribeTargetHealthResponse
        {
            TargetHealthDescriptions = result.Members("TargetHealthDescriptions").Select(d => new TargetHealthDescription
            {
                TargetId = d.Child("Target").Text("Id"),
                TargetPort = d.Child("Target").Int("Port"),
                State = d.Child("TargetHealth").Text("State"),
                Reason = d.Child("TargetHealth").Text("Reason"),
                Description = d.Child("TargetHealth").Text("Description"),
            }).ToList(),
        };
    }

    public async Task<ModifyListenerResponse> ModifyListenerAsync(ModifyListenerRequest request, CancellationToken cancellationToken = default)
    {
        var parameters = new AwsQueryParameters().Add("ListenerArn", request.ListenerArn).AddEach("DefaultActions", request.DefaultActions, WriteAction);
        var result = await _client.InvokeAsync("ModifyListener", parameters, cancellationToken).ConfigureAwait(false);
        return new ModifyListenerResponse { Listeners = result.Members("Listeners").Select(ReadListener).ToList() };
    }

    public async Task<ModifyRuleResponse> ModifyRuleAsync(ModifyRuleRequest request, CancellationToken cancellationToken = default)
    {
        var parameters = new AwsQueryParameters().Add("RuleArn", request.RuleArn).AddEach("Actions", request.Actions, WriteAction);
        var result = await _client.InvokeAsync("ModifyRule", parameters, cancellationToken).ConfigureAwait(false);
        return new ModifyRuleResponse { Rules = result.Members("Rules").Select(ReadRule).ToList() };
    }

    public void Dispose() => _client.Dispose();

    private static void WriteAction(AwsQueryParameters parameters, string prefix, ListenerAction action)
    {
        parameters.Add(prefix + ".Type", action.Type).Add(prefix + ".Order", action.Order).Add(prefix + ".TargetGroupArn", action.TargetGroupArn);
        if (action.ForwardConfig is { } forward)
        {
            parameters.AddEach(prefix + ".ForwardConfig.TargetGroups", forward.TargetGroups, (p, member, group) => p
                .Add(member + ".TargetGroupArn", group.TargetGroupArn)
                .Add(member + ".Weight", group.Weight));
            if (forward.TargetGroupStickinessConfig is { } stickiness)
            {
                parameters.Add(prefix + ".ForwardConfig.TargetGroupStickinessConfig.Enabled", stickiness.Enabled)
                    .Add(prefix + ".ForwardConfig.TargetGroupStickinessConfig.DurationSeconds", stickiness.DurationSeconds);
            }
        }
    }

    private static Listener ReadListener(XElement listener) => new()
    {
        ListenerArn = listener.Text("ListenerArn"),
        LoadBalancerArn = listener.Text("LoadBalancerArn"),
        Port = listener.Int("Port"),
        Protocol = listener.Text("Protocol"),
        DefaultActions = ReadActions(listener, "DefaultActions"),
    };

    private static Rule ReadRule(XElement rule) => new()
    {
        RuleArn = rule.Text("RuleArn"),
        Priority = rule.Text("Priority"),
        IsDefault = rule.Bool("IsDefault") ?? false,
        Actions = ReadActions(rule, "Actions"),
    };

    private static List<ListenerAction> ReadActions(XElement owner, string name) => owner.Members(name).Select(a => new ListenerAction
    {
        Type = a.Text("Type"),
        Order = a.Int("Order"),
        TargetGroupArn = a.Text("TargetGroupArn"),
        ForwardConfig = a.Child("ForwardConfig") is { } forward
            ? new ForwardActionConfig
            {
                TargetGroups = forward.Members("TargetGroups").Select(g => new TargetGroupTuple { TargetGroupArn = g.Text("TargetGroupArn"), Weight = g.Int("Weight") }).ToList(),
                TargetGroupStickinessConfig = forward.Child("TargetGroupStickinessConfig") is { } sticky
                    ? new TargetGroupStickinessConfig { Enabled = sticky.Bool("Enabled"), DurationSeconds = sticky.Int("DurationSeconds") }
                    : null,
            }
            : null,
    }).ToList();
}
