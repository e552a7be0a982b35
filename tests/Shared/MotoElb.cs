using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;

namespace Rollback.Testing;

/// <summary>
/// Test setup against moto's ELBv2 and EC2 themselves (never through the checking endpoint: the module's requests are
/// what gets checked), over their Query APIs: a VPC with two subnets, an application load balancer, target groups with
/// registered targets, a listener forwarding to weighted target groups, rules, and what a deployment does to them.
/// <para>
/// moto's target health is not a health check: an ip target reads healthy as soon as it is registered, an instance
/// target healthy while its EC2 instance runs and "unused" (Target.InvalidState) once it is stopped. That is how the
/// tests make a target group unhealthy.
/// </para>
/// </summary>
public sealed class MotoElb : IDisposable
{
    private readonly MotoQuery _query;
    private readonly string _vpc;

    public MotoElb(Uri moto)
    {
        _query = new MotoQuery(moto);
        _vpc = Ec2("CreateVpc", ("CidrBlock", "10.0.0.0/16")).Descendants("vpcId").First().Value;
        Subnets = new[] { ("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b") }
            .Select(s => Ec2("CreateSubnet", ("VpcId", _vpc), ("CidrBlock", s.Item1), ("AvailabilityZone", s.Item2)).Descendants("subnetId").First().Value)
            .ToArray();
    }

    public IReadOnlyList<string> Subnets { get; }

    /// <summary>A name no other test uses (ELBv2 names: 32 characters at most, letters, digits and hyphens).</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}".Substring(0, Math.Min(32, prefix.Length + 13));

    /// <summary>An application load balancer in the two subnets; returns its ARN.</summary>
    public string CreateLoadBalancer(string name) =>
        Elb("CreateLoadBalancer", ("Name", name), ("Subnets.member.1", Subnets[0]), ("Subnets.member.2", Subnets[1]))
            .Descendants("LoadBalancerArn").First().Value;

    /// <summary>An HTTP target group of ip targets, each registered (moto reports them healthy); returns its ARN.</summary>
    public string CreateTargetGroup(string name, params string[] ips)
    {
        var arn = Elb("CreateTargetGroup", ("Name", name), ("Protocol", "HTTP"), ("Port", "80"), ("VpcId", _vpc), ("TargetType", "ip"))
            .Descendants("TargetGroupArn").First().Value;
        Register(arn, ips.Select(ip => (ip, "80")).ToArray());
        return arn;
    }

    /// <summary>An HTTP target group of one running EC2 instance; returns its ARN and the instance id (stop it to make the group unhealthy).</summary>
    public (string Arn, string Instance) CreateInstanceTargetGroup(string name)
    {
        var instance = Ec2("RunInstances", ("ImageId", "ami-12c6146b"), ("MinCount", "1"), ("MaxCount", "1"), ("InstanceType", "t2.micro"), ("SubnetId", Subnets[0]))
            .Descendants("instanceId").First().Value;
        var arn = Elb("CreateTargetGroup", ("Name", name), ("Protocol", "HTTP"), ("Port", "80"), ("VpcId", _vpc), ("TargetType", "instance"))
            .Descendants("TargetGroupArn").First().Value;
        Register(arn, (instance, "80"));
        return (arn, instance);
    }

    public void StopInstance(string instance) => Ec2("StopInstances", ("InstanceId.1", instance));

    /// <summary>An HTTP listener on <paramref name="port"/> forwarding to the weighted target groups; returns its ARN.</summary>
    public string CreateListener(string loadBalancer, int port, params (string TargetGroup, int Weight)[] weights) =>
        Elb("CreateListener", new[] { ("LoadBalancerArn", loadBalancer), ("Protocol", "HTTP"), ("Port", port.ToString(CultureInfo.InvariantCulture)) }.Concat(Forward("DefaultActions", weights)).ToArray())
            .Descendants("ListenerArn").First().Value;

    /// <summary>A rule of the listener for the path pattern, forwarding to the weighted target groups; returns its ARN.</summary>
    public string CreateRule(string listener, int priority, string path, params (string TargetGroup, int Weight)[] weights) =>
        Elb("CreateRule", new[]
        {
            ("ListenerArn", listener), ("Priority", priority.ToString(CultureInfo.InvariantCulture)),
            ("Conditions.member.1.Field", "path-pattern"), ("Conditions.member.1.Values.member.1", path),
        }.Concat(Forward("Actions", weights)).ToArray()).Descendants("RuleArn").First().Value;

    /// <summary>What a deployment does: the listener's default action forwards to other weights.</summary>
    public void SetListener(string listener, params (string TargetGroup, int Weight)[] weights) =>
        Elb("ModifyListener", new[] { ("ListenerArn", listener) }.Concat(Forward("DefaultActions", weights)).ToArray());

    public void SetRule(string rule, params (string TargetGroup, int Weight)[] weights) =>
        Elb("ModifyRule", new[] { ("RuleArn", rule) }.Concat(Forward("Actions", weights)).ToArray());

    /// <summary>The listener's default action replaced by a fixed response (an action the kind does not manage).</summary>
    public void SetFixedResponse(string listener) =>
        Elb("ModifyListener", ("ListenerArn", listener), ("DefaultActions.member.1.Type", "fixed-response"),
            ("DefaultActions.member.1.FixedResponseConfig.StatusCode", "503"), ("DefaultActions.member.1.FixedResponseConfig.ContentType", "text/plain"));

    public void DeleteTargetGroup(string arn) => Elb("DeleteTargetGroup", ("TargetGroupArn", arn));

    public void DeleteListener(string arn) => Elb("DeleteListener", ("ListenerArn", arn));

    /// <summary>The listener's default forward weights as moto holds them, target group ARN to weight.</summary>
    public Dictionary<string, int> ListenerWeights(string listener) =>
        Weights(Elb("DescribeListeners", ("ListenerArns.member.1", listener)).Descendants("DefaultActions").First());

    public Dictionary<string, int> RuleWeights(string rule) =>
        Weights(Elb("DescribeRules", ("RuleArns.member.1", rule)).Descendants("Actions").First());

    public void Dispose() => _query.Dispose();

    private static Dictionary<string, int> Weights(XElement actions) =>
        actions.Descendants("TargetGroups").Elements("member").ToDictionary(
            m => m.Element("TargetGroupArn")!.Value,
            m => int.Parse(m.Element("Weight")?.Value ?? "1", CultureInfo.InvariantCulture),
            StringComparer.Ordinal);

    private static IEnumerable<(string, string)> Forward(string list, (string TargetGroup, int Weight)[] weights)
    {
        yield return ($"{list}.member.1.Type", "forward");
        for (var i = 0; i < weights.Length; i++)
        {
            var prefix = $"{list}.member.1.ForwardConfig.TargetGroups.member.{i + 1}";
            yield return (prefix + ".TargetGroupArn", weights[i].TargetGroup);
            yield return (prefix + ".Weight", weights[i].Weight.ToString(CultureInfo.InvariantCulture));
        }
    }

    private void Register(string targetGroup, params (string Id, string Port)[] targets)
    {
        if (targets.Length == 0)
        {
            return;
        }

        Elb("RegisterTargets", new[] { ("TargetGroupArn", targetGroup) }
            .Concat(targets.SelectMany((t, i) => new[] { ($"Targets.member.{i + 1}.Id", t.Id), ($"Targets.member.{i + 1}.Port", t.Port) })).ToArray());
    }

    private XElement Elb(string action, params (string Key, string Value)[] parameters) => _query.Call("elasticloadbalancing", "2015-12-01", action, parameters);

    private XElement Ec2(string action, params (string Key, string Value)[] parameters) => _query.Call("ec2", "2016-11-15", action, parameters);
}
