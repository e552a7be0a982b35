using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Rollback.Providers.Traffic.HAProxy;

/// <summary>A server's administrative state as the runtime API sets it: ready (takes traffic), drain (finishes what it has), maint (out).</summary>
internal static class AdminState
{
    public const string Ready = "ready";
    public const string Drain = "drain";
    public const string Maint = "maint";

    // srv_admin_state bits (HAProxy's server.h): forced/inherited/resolution/hostname maintenance, and forced/inherited
    // drain. The configuration's 'disabled' (0x04) alone is not maintenance once 'set server ... state ready' cleared it.
    private const int MaintenanceBits = 0x01 | 0x02 | 0x20 | 0x40;
    private const int DrainBits = 0x08 | 0x10;

    public static string FromBits(string text)
    {
        var bits = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
        return (bits & MaintenanceBits) != 0 ? Maint : (bits & DrainBits) != 0 ? Drain : Ready;
    }
}

/// <summary>One server of the backend: where it is, its weight and its administrative state.</summary>
internal sealed class ServerSnapshot : ITrafficMember
{
    public string Name { get; set; } = string.Empty;

    public string Address { get; set; } = string.Empty;

    public int Port { get; set; }

    public int Weight { get; set; }

    public string Admin { get; set; } = AdminState.Ready;

    /// <summary>The weight traffic sees: none unless ready.</summary>
    public int EffectiveWeight => Admin == AdminState.Ready ? Weight : 0;

    public override string ToString() => $"{Name} {Address}:{Port} weight {Weight} {Admin}";
}

/// <summary>What a point of an HAProxyBackend target holds (its one artifact, haproxy-backend.json).</summary>
internal sealed class BackendSnapshot
{
    public string Backend { get; set; } = string.Empty;

    public string ConfigPath { get; set; } = string.Empty;

    public List<ServerSnapshot> Servers { get; set; } = new();

    /// <summary>The backend's section of the configuration file, line for line.</summary>
    public List<string> ConfigLines { get; set; } = new();

    /// <summary>The application version each group taking traffic reported through its HealthUrl when captured.</summary>
    public SortedDictionary<string, string> AppVersions { get; set; } = new(StringComparer.Ordinal);

    public ServerSnapshot? Server(string name) => Servers.FirstOrDefault(s => s.Name == name);

    /// <summary>The state in one canonical text: the servers in name order, then the configuration section.</summary>
    public string Canonical() =>
        string.Join("\n", Servers.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.ToString())) + "\n--\n" +
        string.Join("\n", TrimmedSection(ConfigLines));

    private static List<string> TrimmedSection(IReadOnlyList<string> lines)
    {
        var trimmed = lines.Select(l => l.TrimEnd()).ToList();
        while (trimmed.Count > 0 && trimmed[trimmed.Count - 1].Length == 0)
        {
            trimmed.RemoveAt(trimmed.Count - 1);
        }

        return trimmed;
    }
}
