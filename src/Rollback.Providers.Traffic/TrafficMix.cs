using System;
using System.Collections.Generic;
using System.Linq;

namespace Rollback.Providers.Traffic;

/// <summary>Something that takes a share of a proxy's traffic: an HAProxy server, an nginx upstream server or upstream.</summary>
internal interface ITrafficMember
{
    /// <summary>How the target names it (a server's name or address, an upstream's name).</summary>
    string Name { get; }

    /// <summary>The weight traffic sees now: none when it is out (maintenance, down, a backup while others serve).</summary>
    int EffectiveWeight { get; }
}

/// <summary>
/// The traffic plan every weighted kind shares: each member's share of the traffic in a state, and the weights that put
/// a given percentage of the way from one state's shares to another's.
/// </summary>
internal static class TrafficMix
{
    /// <summary>Each member's share of the traffic (0..1): its effective weight over the sum.</summary>
    public static Dictionary<string, double> Shares(IEnumerable<ITrafficMember> members)
    {
        var list = members.ToList();
        var total = list.Sum(m => m.EffectiveWeight);
        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var member in list)
        {
            shares[member.Name] = total == 0 ? 0 : (double)member.EffectiveWeight / total;
        }

        return shares;
    }

    /// <summary>
    /// The weight (out of 100, at least 1) of each member of <paramref name="to"/> at <paramref name="percent"/> of the way
    /// from <paramref name="before"/>'s shares to <paramref name="to"/>'s, mixed linearly; 0 for a member with no share in
    /// either state, which the kind leaves as the point has it.
    /// </summary>
    public static Dictionary<string, int> Weights(IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> to, int percent)
    {
        var part = percent / 100.0;
        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in to)
        {
            var share = ((1 - part) * (before.TryGetValue(pair.Key, out var b) ? b : 0)) + (part * pair.Value);
            weights[pair.Key] = share <= 0 ? 0 : Math.Max(1, (int)Math.Round(share * 100));
        }

        return weights;
    }

    /// <summary>Which groups take the traffic, with their shares when more than one does ('blue', 'blue 50%, green 50%', 'no traffic').</summary>
    public static string Taking(IEnumerable<ITrafficMember> members, Func<string, string> groupOf)
    {
        var list = members.ToList();
        var total = list.Sum(m => m.EffectiveWeight);
        if (total == 0)
        {
            return "no traffic";
        }

        var groups = list.Where(m => m.EffectiveWeight > 0)
            .GroupBy(m => groupOf(m.Name), StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Share: 100.0 * g.Sum(m => m.EffectiveWeight) / total))
            .ToList();
        return groups.Count == 1 ? groups[0].Name : string.Join(", ", groups.Select(g => $"{g.Name} {g.Share.ToString("0", System.Globalization.CultureInfo.InvariantCulture)}%"));
    }
}
