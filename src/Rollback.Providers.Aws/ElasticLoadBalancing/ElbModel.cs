using System.Collections.Generic;

namespace Rollback.Providers.Aws.ElasticLoadBalancing;

// Request and response types as the official SDK (AWSSDK.ElasticLoadBalancingV2) names them, with the members this
// module uses (service model elasticloadbalancingv2 2015-12-01). The SDK's Action is ListenerAction here, so that it
// never shadows System.Action.

internal sealed class DescribeListenersRequest
{
    public List<string>? ListenerArns { get; set; }
}

internal sealed class DescribeListenersResponse
{
    public List<Listener> Listeners { get; set; } = new();
}

internal sealed class Listener
{
    public string? ListenerArn { get; set; }

    public string? LoadBalancerArn { get; set; }

    public int? Port { get; set; }

    public string? Protocol { get; set; }

    public List<ListenerAction> DefaultActions { get; set; } = new();
}

internal sealed class DescribeRulesRequest
{
    public List<string>? RuleArns { get; set; }
}

internal sealed class DescribeRulesResponse
{
    public List<Rule> Rules { get; set; } = new();
}

internal sealed class Rule
{
    public string? RuleArn { get; set; }

    public string? Priority { get; set; }

    public bool IsDefault { get; set; }

    public List<ListenerAction> Actions { get; set; } = new();
}

/// <summary>One action of a listener or rule; the kind manages forward actions (Type "forward").</summary>
internal sealed class ListenerAction
{
    public string? Type { get; set; }

    public int? Order { get; set; }

    /// <summary>A forward action to one target group may name it here instead of in ForwardConfig.</summary>
    public string? TargetGroupArn { get; set; }

    public ForwardActionConfig? ForwardConfig { get; set; }
}

internal sealed class ForwardActionConfig
{
    public List<TargetGroupTuple> TargetGroups { get; set; } = new();

    public TargetGroupStickinessConfig? TargetGroupStickinessConfig { get; set; }
}

/// <summary>A target group of a forward action and its weight (0 to 999); traffic splits in proportion to the weights.</summary>
internal sealed class TargetGroupTuple
{
    public string? TargetGroupArn { get; set; }

    public int? Weight { get; set; }
}

internal sealed class TargetGroupStickinessConfig
{
    public bool? Enabled { get; set; }

    public int? DurationSeconds { get; set; }
}

internal sealed class ModifyListenerRequest
{
    public string? ListenerArn { get; set; }

    public List<ListenerAction>? DefaultActions { get; set; }
}

internal sealed class ModifyListenerResponse
{
    public List<Listener> Listeners { get; set; } = new();
}

internal sealed class ModifyRuleRequest
{
    public string? RuleArn { get; set; }

    public List<ListenerAction>? Actions { get; set; }
}

internal sealed class ModifyRuleResponse
{
    public List<Rule> Rules { get; set; } = new();
}

internal sealed class DescribeTargetGroupsRequest
{
    public List<string>? TargetGroupArns { get; set; }
}

internal sealed class DescribeTargetGroupsResponse
{
    public List<TargetGroup> TargetGroups { get; set; } = new();
}

internal sealed class TargetGroup
{
    public string? TargetGroupArn { get; set; }

    public string? TargetGroupName { get; set; }

    public string? TargetType { get; set; }

    public List<string> LoadBalancerArns { get; set; } = new();
}

internal sealed class DescribeTargetHealthRequest
{
    public string? TargetGroupArn { get; set; }
}

internal sealed class DescribeTargetHealthResponse
{
    public List<TargetHealthDescription> TargetHealthDescriptions { get; set; } = new();
}

internal sealed class TargetHealthDescription
{
    public string? TargetId { get; set; }

    public int? TargetPort { get; set; }

    /// <summary>healthy, unhealthy, initial, draining, unused, unavailable.</summary>
    public string? State { get; set; }

    public string? Reason { get; set; }

    public string? Description { get; set; }
}
