using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Rollback.Engine;
using Rollback.Providers;
using Rollback.Providers.Traffic.HAProxy;
using Rollback.Providers.Traffic.Nginx;
using Rollback.Store;
using Rollback.Testing;

namespace Rollback.Benchmarks;

/// <summary>
/// --traffic: moving traffic from green (the failed deployment) back to blue through a real HAProxy 2.6 and a real
/// nginx 1.22, under a steady client loop on 127.0.0.1 (one request at a time, back to back, 2 s timeout each), three
/// ways for each proxy in the same run: (1) Invoke-Rollback of its target (HAProxyBackend: runtime API, then the file
/// checked with haproxy -c and renamed; NginxUpstream: the file tested with nginx -t, renamed, and a graceful reload;
/// readiness, safety point and verification included), (2) a plain restart of the proxy with the file edited, and
/// (3) the file edited by hand and the proxy's own reload (SIGUSR2 to HAProxy's master, SIGHUP to nginx's). For each:
/// failed requests and the longest gap between two successful answers, from just before the action to 500 ms after it.
/// Figures only; nothing is asserted.
/// </summary>
internal static class TrafficBenchmark
{
    private const string Good = "v2.3.1";
    private const string Bad = "v2.4.0";

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-traffic-bench-");
        using var blue = new HealthServer(_ => HealthAnswer.Healthy(Good));
        using var green = new HealthServer(_ => HealthAnswer.Healthy(Bad));
        var texts = new List<string>();
        scratch.Progress("Starting HAProxy on 127.0.0.1 with blue and green behind it...");
        using (var proxy = new HAProxyServer(new HAProxyBackendServer("blue", blue.BaseUri), new HAProxyBackendServer("green", green.BaseUri, Enabled: false)))
        {
            if (proxy.SkipReason is not null)
            {
                Console.Error.WriteLine("The traffic benchmark needs a real HAProxy: " + proxy.SkipReason);
                return 1;
            }

            var point = Target(scratch, "haproxy", HAProxyBackendProvider.KindName, proxy.HealthUrl, new()
            {
                [HAProxyBackendProvider.RuntimeApiSetting] = proxy.SocketPath,
                [HAProxyBackendProvider.ConfigPathSetting] = proxy.ConfigPath,
                [HAProxyBackendProvider.BackendSetting] = HAProxyServer.Backend,
                [HAProxyBackendProvider.ColoursSetting] = new[] { "blue=blue", "green=green" },
                [HAProxyBackendProvider.HealthUrlSetting] = new[] { "blue=" + blue.Uri(), "green=" + green.Uri() },
            });
            texts.Add(Measure(options, scratch, "HAProxy", proxy.HealthUrl, () => DeployGreen(proxy), () => proxy.WaitForAnswers(Good, TimeSpan.FromSeconds(10)), new (string, Func<string>)[]
            {
                ("Invoke-Rollback (runtime API + file)", () => point.Rollback("Shift100.RuntimeApi", "its runtime API step")),
                ("plain restart of HAProxy", () => { proxy.EditConfig("blue", "green"); proxy.Restart(); return string.Empty; }),
                ("file edited by hand + reload (SIGUSR2)", () => { proxy.EditConfig("blue", "green"); proxy.Reload(); return string.Empty; }),
            }));
        }

        scratch.Progress("Starting nginx on 127.0.0.1 with blue and green behind it...");
        using (var nginx = NginxServer.Proxy(blue.BaseUri, green.BaseUri))
        {
            if (nginx.SkipReason is not null)
            {
                Console.Error.WriteLine("The traffic benchmark needs a real nginx: " + nginx.SkipReason);
                return 1;
            }

            var good = File.ReadAllText(nginx.ConfigPath);
            var bad = good.Replace($"server 127.0.0.1:{blue.BaseUri.Port} weight=1;", $"server 127.0.0.1:{blue.BaseUri.Port} weight=1 down;", StringComparison.Ordinal)
                .Replace($"server 127.0.0.1:{green.BaseUri.Port} weight=1 down;", $"server 127.0.0.1:{green.BaseUri.Port} weight=1;", StringComparison.Ordinal);
            var point = Target(scratch, "nginx", NginxUpstreamProvider.KindName, nginx.HealthUrl, new()
            {
                [NginxUpstreamProvider.ConfigPathSetting] = nginx.ConfigPath,
                [NginxUpstreamProvider.UpstreamSetting] = "app",
                [NginxUpstreamProvider.TestCommandSetting] = nginx.TestCommand,
                ["Colours"] = new[] { $"blue=127.0.0.1:{blue.BaseUri.Port}", $"green=127.0.0.1:{green.BaseUri.Port}" },
                ["HealthUrl"] = new[] { "blue=" + blue.Uri(), "green=" + green.Uri() },
            });
            texts.Add(Measure(options, scratch, "nginx", nginx.HealthUrl, () => { nginx.Deploy(bad); nginx.WaitForAnswers(Bad, TimeSpan.FromSeconds(15)); }, () => nginx.WaitForAnswers(Good, TimeSpan.FromSeconds(10)), new (string, Func<string>)[]
            {
                ("Invoke-Rollback (nginx -t, file, reload)", () => point.Rollback("Shift100.Reload", "its reload step")),
                ("plain restart of nginx", () => { File.WriteAllText(nginx.ConfigPath, good); nginx.Restart(); return string.Empty; }),
                ("file edited by hand + reload (SIGHUP)", () => { File.WriteAllText(nginx.ConfigPath, good); nginx.Reload(); return string.Empty; }),
            }));
        }

        Console.WriteLine();
        Console.Write(string.Join(Environment.NewLine, texts));
        return 0;
    }

    /// <summary>A target of <paramref name="kind"/> registered in its own store, and its point while blue serves.</summary>
    private static BenchTarget Target(ScratchFolder scratch, string name, string kind, Uri proxyUrl, Dictionary<string, object?> settings)
    {
        var engine = new RollbackEngine(new RollbackStore(Path.Combine(scratch.Path, "store-" + name)), new ProviderCatalog(ProviderCatalog.FindIn(typeof(HAProxyBackendProvider).Assembly)), user: "bench");
        settings["ProxyUrl"] = proxyUrl.ToString();
        settings["Steps"] = "100";
        engine.Targets.Register("web", kind, new SettingsDictionary(settings), replace: true);
        return new BenchTarget(engine, engine.Points.Create("web", "blue serves " + Good));
    }

    /// <summary>
    /// Each of <paramref name="ways"/> per run, after <paramref name="deployGreen"/>, inside one window of the client loop
    /// through <paramref name="url"/>; each way returns its note, and <paramref name="answersGood"/> says whether blue
    /// serves again. Returns the table.
    /// </summary>
    private static string Measure(Options options, ScratchFolder scratch, string proxy, Uri url, Action deployGreen, Func<bool> answersGood, IReadOnlyList<(string Way, Func<string> Act)> ways)
    {
        using var load = new ClientLoop(url);
        var quiet = load.Window(() => Thread.Sleep(2000));
        var samples = new List<(string Way, LoadWindow Window, string Note)>();
        for (var run = 0; run < options.Runs; run++)
        {
            foreach (var (way, act) in ways)
            {
                scratch.Progress($"{proxy}, run {run + 1} of {options.Runs}: {way}...");
                deployGreen();
                var note = string.Empty;
                var window = load.Window(() => note = act());
                samples.Add((way, window, note.Length > 0 ? note : answersGood() ? "answers " + Good : "did not answer " + Good));
            }
        }

        return Text(proxy, quiet, samples);
    }

    /// <summary>Green takes every request, in the runtime API and in the file, as the deployment that failed did.</summary>
    private static void DeployGreen(HAProxyServer proxy)
    {
        proxy.SetServer("green", "ready");
        proxy.SetServer("blue", "maint");
        proxy.EditConfig("green", "blue");
        proxy.WaitForAnswers(Bad, TimeSpan.FromSeconds(15));
    }

    private static string Text(string proxy, LoadWindow quiet, List<(string Way, LoadWindow Window, string Note)> samples)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Traffic switch under a steady client loop through {proxy} (127.0.0.1, one request at a time)");
        text.AppendLine(CultureInfo.InvariantCulture, $"One request when nothing moves: median {Ms(quiet.MedianLatency)}, {quiet.Requests} requests in {Ms(quiet.Length)}, {quiet.Failed} failed.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"way",-42} {"window",9} {"requests",9} {"failed",7} {"resent",7} {"longest gap",12}  note");
        foreach (var (way, window, note) in samples)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{way,-42} {Ms(window.Length),9} {window.Requests,9} {window.Failed,7} {window.Retried,7} {Ms(window.LongestGap),12}  {note}");
        }

        text.AppendLine();
        foreach (var way in samples.Select(s => s.Way).Distinct())
        {
            var mine = samples.Where(s => s.Way == way).Select(s => s.Window).ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{way,-42} failed in all runs: {mine.Sum(w => w.Failed)} (sent again after a reset connection: {mine.Sum(w => w.Retried)}); longest gap: {Ms(mine.Max(w => w.LongestGap))} ({mine.Max(w => w.LongestGap).TotalMilliseconds / Math.Max(0.001, quiet.MedianLatency.TotalMilliseconds):0.#} x one request's median latency)");
        }

        return text.ToString();
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString(value.TotalMilliseconds < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>A registered target and its known-good point: Rollback runs it and notes the status and one step's time.</summary>
    private sealed record BenchTarget(RollbackEngine Engine, RollbackPoint Point)
    {
        public string Rollback(string step, string what)
        {
            var result = Engine.Rollbacks.Run(new RollbackRequest { Target = "web", PointId = Point.Id, Reason = "bench" });
            var duration = result.Steps.FirstOrDefault(s => s.Name == step)?.Duration ?? TimeSpan.Zero;
            return $"{result.Status}; {what} {Ms(duration)}";
        }
    }
}
