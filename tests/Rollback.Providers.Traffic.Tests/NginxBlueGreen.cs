using System;
using System.Collections.Generic;
using System.IO;
using Rollback.Providers.Traffic.Nginx;
using Rollback.Testing;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// One test's blue-green set-up behind a real nginx (Debian's): its upstream 'app' holds blue (weight 1) and green
/// (down), so blue takes every request; 'app_blue' and 'app_green' hold one each for the proxy_pass switch. The
/// NginxUpstream kind; nginx is stopped by its PID in Dispose.
/// </summary>
internal sealed class NginxBlueGreen : TrafficEnvironment
{
    public NginxBlueGreen(string proxyPass = "app") => Proxy = NginxServer.Proxy(Blue.BaseUri, Green.BaseUri, proxyPass);

    public NginxServer Proxy { get; }

    public override string? SkipReason => Proxy.SkipReason;

    public string BlueServer => "127.0.0.1:" + Blue.BaseUri.Port;

    public string GreenServer => "127.0.0.1:" + Green.BaseUri.Port;

    protected override string Kind => NginxUpstreamProvider.KindName;

    public override Dictionary<string, int> Answers(int count) => Proxy.Answers(count);

    /// <summary>The weights target: the file, upstream 'app', both colours by address with their health endpoints, the URL through nginx.</summary>
    public Dictionary<string, object?> Settings(string steps = "100") => new()
    {
        [NginxUpstreamProvider.ConfigPathSetting] = Proxy.ConfigPath,
        [NginxUpstreamProvider.UpstreamSetting] = "app",
        [NginxUpstreamProvider.TestCommandSetting] = Proxy.TestCommand,
        ["Colours"] = new[] { "blue=" + BlueServer, "green=" + GreenServer },
        ["HealthUrl"] = new[] { "blue=" + Blue.Uri(), "green=" + Green.Uri() },
        ["ProxyUrl"] = Proxy.HealthUrl.ToString(),
        ["VerifyRequests"] = "10",
        ["Steps"] = steps,
    };

    /// <summary>The proxy_pass switch target: which of app_blue and app_green the server's proxy_pass names.</summary>
    public Dictionary<string, object?> SwitchSettings() => new()
    {
        [NginxUpstreamProvider.ConfigPathSetting] = Proxy.ConfigPath,
        [NginxUpstreamProvider.ProxyPassUpstreamsSetting] = new[] { "app_blue", "app_green" },
        [NginxUpstreamProvider.TestCommandSetting] = Proxy.TestCommand,
        ["HealthUrl"] = new[] { "app_blue=" + Blue.Uri(), "app_green=" + Green.Uri() },
        ["ProxyUrl"] = Proxy.HealthUrl.ToString(),
        ["VerifyRequests"] = "10",
    };

    /// <summary>
    /// The deployment that goes wrong, as a deployment tool does it: the file edited (green's server up, blue's down; or
    /// proxy_pass to app_green) and nginx reloaded; waits until every request answers green's version.
    /// </summary>
    public void DeployGreen()
    {
        var text = File.ReadAllText(Proxy.ConfigPath);
        text = text.Contains("proxy_pass http://app_blue;", StringComparison.Ordinal)
            ? text.Replace("proxy_pass http://app_blue;", "proxy_pass http://app_green;", StringComparison.Ordinal)
            : text.Replace($"server {BlueServer} weight=1;", $"server {BlueServer} weight=1 down;", StringComparison.Ordinal)
                .Replace($"server {GreenServer} weight=1 down;", $"server {GreenServer} weight=1;", StringComparison.Ordinal);
        Proxy.Deploy(text);
        Proxy.WaitForAnswers(Bad, TimeSpan.FromSeconds(15));
    }

    public override void Dispose()
    {
        Proxy.Dispose();
        base.Dispose();
    }
}
