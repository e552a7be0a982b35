using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json.Serialization;

namespace Rollback.Providers.Aws.ElasticLoadBalancing;

/// <summary>
/// What a forward action sends where: its target groups in order with their weights (0 to 999, traffic split in
/// proportion), and the group stickiness. It is the point's artifact, the label and fingerprint of a state (the shares
/// of the groups that take traffic, so 100/0 and 1/0 are the same state), and the arithmetic of a gradual step.
/// </summary>
internal sealed class Forwarding
{
    public List<Group> TargetGroups { get; set; } = new();

    public bool? StickinessEnabled { get; set; }

    public int? StickinessDurationSeconds { get; set; }

    /// <summary>"blue" when one group takes all the traffic, else "blue 50 % + green 50 %".</summary>
    [JsonIgnore]
    public string Label
    {
        get
        {
            var taking = Shares().Where(s => s.Share > 0).ToList();
            return taking.Count switch
            {
                0 => "(no traffic)",
                1 => taking[0].Group.Name,
                _ => string.Join(" + ", taking.Select(s => $"{s.Group.Name} {(s.Share * 100).ToString("0.#", CultureInfo.InvariantCulture)} %")),
            };
        }
    }

    /// <summary>Every group with its weight: "blue=100, green=0".</summary>
    [JsonIgnore]
    public string WeightsText => string.Join(", ", TargetGroups.Select(g => g.Name + "=" + g.Weight.ToString(CultureInfo.InvariantCulture)));

    [JsonIgnore]
    public string Fingerprint => "elbv2:forward:" + string.Join(";", Shares().Where(s => s.Share > 0).OrderBy(s => s.Group.TargetGroupArn, StringComparer.Ordinal)
        .Select(s => s.Group.TargetGroupArn + "=" + s.Share.ToString("0.####", CultureInfo.InvariantCulture)));

    /// <summary>The target group's name, from its ARN (arn:...:targetgroup/NAME/ID).</summary>
    public static string NameOf(string arn)
    {
        var parts = arn.Split('/');
        return parts.Length >= 3 ? parts[parts.Length - 2] : arn;
    }

    /// <summary>The forwarding of an action list that is one forward action, or null for any other shape.</summary>
    public static Forwarding? Of(IReadOnlyList<ListenerAction> actions)
    {
        if (actions.Count != 1 || !string.Equals(actions[0].Type, "forward", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var action = actions[0];
        var groups = action.ForwardConfig?.TargetGroups.Count > 0
            ? action.ForwardConfig.TargetGroups.Select(g => Group.Of(g.TargetGroupArn ?? string.Empty, g.Weight ?? 1))
            : string.IsNullOrEmpty(action.TargetGroupArn) ? Enumerable.Empty<Group>() : new[] { Group.Of(action.TargetGroupArn!, 1) };
        return new Forwarding
        {
            TargetGroups = groups.ToList(),
            StickinessEnabled = action.ForwardConfig?.TargetGroupStickinessConfig?.Enabled,
            StickinessDurationSeconds = action.ForwardConfig?.TargetGroupStickinessConfig?.DurationSeconds,
        };
    }

    /// <summary>The one forward action that sends traffic so.</summary>
    public ListenerAction ToAction() => new()
    {
        Type = "forward",
        ForwardConfig = new ForwardActionConfig
        {
            TargetGroups = TargetGroups.Select(g => new TargetGroupTuple { TargetGroupArn = g.TargetGroupArn, Weight = g.Weight }).ToList(),
            TargetGroupStickinessConfig = StickinessEnabled is null ? null : new TargetGroupStickinessConfig { Enabled = StickinessEnabled, DurationSeconds = StickinessEnabled == true ? StickinessDurationSeconds : null },
        },
    };

    /// <summary>
    /// <paramref name="percent"/> % of the way from <paramref name="from"/>'s shares to this one's, as weights out of 100:
    /// this forwarding's groups first, then those only <paramref name="from"/> sends to; this one's stickiness.
    /// </summary>
    public Forwarding MixedWith(Forwarding from, int percent)
    {
        var p = percent / 100.0;
        var to = Shares().ToDictionary(s => s.Group.TargetGroupArn, s => s.Share, StringComparer.Ordinal);
        var before = from.Shares().ToDictionary(s => s.Group.TargetGroupArn, s => s.Share, StringComparer.Ordinal);
        var arns = TargetGroups.Select(g => g.TargetGroupArn).Concat(from.TargetGroups.Select(g => g.TargetGroupArn)).Distinct(StringComparer.Ordinal);
        return new Forwarding
        {
            TargetGroups = arns.Select(arn =>
            {
                var share = ((1 - p) * (before.TryGetValue(arn, out var b) ? b : 0)) + (p * (to.TryGetValue(arn, out var t) ? t : 0));
                return Group.Of(arn, (int)Math.Round(share * 100, MidpointRounding.AwayFromZero));
            }).ToList(),
            StickinessEnabled = StickinessEnabled,
            StickinessDurationSeconds = StickinessDurationSeconds,
        };
    }

    private IEnumerable<(Group Group, double Share)> Shares()
    {
        var total = TargetGroups.Sum(g => Math.Max(0, g.Weight));
        return TargetGroups.Select(g => (g, total == 0 ? 0.0 : Math.Max(0, g.Weight) / (double)total));
    }

    /// <summary>One target group of the action and its weight.</summary>
    internal sealed class Group
    {
        public string TargetGroupArn { get; set; } = string.Empty;

        public int Weight { get; set; }

        [JsonIgnore]
        public string Name => NameOf(TargetGroupArn);

        public static Group Of(string arn, int weight) => new() { TargetGroupArn = arn, Weight = weight };
    }
}
