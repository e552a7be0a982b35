using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Rollback.Providers.Traffic.Nginx;

/// <summary>One 'server' of an upstream block: its address (how the target names it), weight and flags.</summary>
internal sealed class UpstreamServer : ITrafficMember
{
    public string Address { get; set; } = string.Empty;

    public int Weight { get; set; } = 1;

    public bool Backup { get; set; }

    public bool Down { get; set; }

    string ITrafficMember.Name => Address;

    /// <summary>The weight traffic sees: none when down, nor for a backup (it serves only when every other server fails).</summary>
    public int EffectiveWeight => Down || Backup ? 0 : Weight;

    public static UpstreamServer From(NginxDirective server)
    {
        var parsed = new UpstreamServer { Address = server.Args[0] };
        foreach (var parameter in server.Args.Skip(1))
        {
            if (parameter.StartsWith("weight=", StringComparison.Ordinal) && int.TryParse(parameter.Substring(7), NumberStyles.None, CultureInfo.InvariantCulture, out var weight))
            {
                parsed.Weight = weight;
            }

            parsed.Backup |= parameter == "backup";
            parsed.Down |= parameter == "down";
        }

        return parsed;
    }

    public override string ToString() => $"{Address} weight={Weight}{(Backup ? " backup" : string.Empty)}{(Down ? " down" : string.Empty)}";
}

/// <summary>An upstream a proxy_pass may name, and how many of the file's proxy_pass directives name it now.</summary>
internal sealed class UpstreamRoute : ITrafficMember
{
    public UpstreamRoute(string name, int routes)
    {
        Name = name;
        EffectiveWeight = routes;
    }

    public string Name { get; }

    public int EffectiveWeight { get; }

    public override string ToString() => $"{Name} x{EffectiveWeight}";
}

/// <summary>What a point of an NginxUpstream target holds (its one artifact, nginx-upstream.json).</summary>
internal sealed class NginxSnapshot
{
    public string ConfigPath { get; set; } = string.Empty;

    /// <summary>The upstream whose servers the target moves (weights); null when it switches proxy_pass.</summary>
    public string? Upstream { get; set; }

    /// <summary>That upstream's servers.</summary>
    public List<UpstreamServer> Servers { get; set; } = new();

    /// <summary>The upstreams a proxy_pass may name (switch); empty with weights.</summary>
    public List<string> Choices { get; set; } = new();

    /// <summary>The upstream each proxy_pass naming one of <see cref="Choices"/> names, in the file's order.</summary>
    public List<string> ProxyPass { get; set; } = new();

    /// <summary>The text of the target's upstream blocks, as written in the file, by name.</summary>
    public SortedDictionary<string, string> Blocks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The application version each group taking traffic reported through its HealthUrl when captured.</summary>
    public SortedDictionary<string, string> AppVersions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What takes the traffic: the upstream's servers, or the upstreams the proxy_pass directives name.</summary>
    public List<ITrafficMember> Members() => Upstream is not null
        ? Servers.Cast<ITrafficMember>().ToList()
        : Choices.Select(c => (ITrafficMember)new UpstreamRoute(c, ProxyPass.Count(p => p == c))).ToList();

    public override string ToString() => Upstream is not null
        ? $"upstream {Upstream}: {string.Join("; ", Servers)}"
        : $"proxy_pass to {string.Join(", ", ProxyPass)}";

    /// <summary>The state in one canonical text: the routes, then each block's lines without trailing blanks.</summary>
    public string Canonical() =>
        string.Join("\n", ProxyPass) + "\n--\n" +
        string.Join("\n--\n", Blocks.Select(b => b.Key + "\n" + string.Join("\n", b.Value.Split('\n').Select(l => l.TrimEnd()))));
}
