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
using Rollback.Store;
using Rollback.Testing;

namespace Rollback.Benchmarks;

/// <summary>
/// --traffic: moving traffic from green (the failed deployment) back to blue through a real HAProxy 2.6, under a steady
/// client loop on 127.0.0.1 (one request at a time, back to back, 2 s timeout each), three ways in the same run:
/// (1) Invoke-Rollback of an HAProxyBackend target (runtime API, then the file checked with haproxy -c and renamed;
/// readiness, safety point and verification included), (2) a plain restart of HAProxy with the file edited, and
/// (3) the file edited by hand and HAProxy reloaded (SIGUSR2 to its master). For each: failed requests and the longest
/// gap between two successful answers, from just before the action to 500 ms after it. Figures only; nothing is asserted.
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
        scratch.Progress("Starting HAProxy on 127.0.0.1 with blue and green behind it...");
        using var proxy = new HAProxyServer(new HAProxyBackendServer("blue", blue.BaseUri), new HAProxyBackendServer("green", green.BaseUri, Enabled: false));
        if (proxy.SkipReason is not null)
        {
            Console.Error.WriteLine("The traffic benchmark needs a real HAProxy: " + proxy.SkipReason);
            return 1;
        }

        var engine = new RollbackEngine(new RollbackStore(Path.Combine(scratch.Path, "store")), new ProviderCatalog(ProviderCatalog.FindIn(typeof(HAProxyBackendProvider).Assembly)), user: "bench");
        engine.Targets.Register("web", HAProxyBackendProvider.KindName, new SettingsDictionary(new Dictionary<string, object?>
        {
            [HAProxyBackendProvider.RuntimeApiSetting] = proxy.SocketPath,
            [HAProxyBackendProvider.ConfigPathSetting] = proxy.ConfigPath,
            [HAProxyBackendProvider.BackendSetting] = HAProxyServer.Backend,
            [HAProxyBackendProvider.ColoursSetting] = new[] { "blue=blue", "green=green" },
            [HAProxyBackendProvider.HealthUrlSetting] = new[] { "blue=" + blue.Uri(), "green=" + green.Uri() },
            ["ProxyUrl"] = proxy.HealthUrl.ToString(),
            ["Steps"] = "100",
        }), replace: true);
        var point = engine.Points.Create("web", "blue serves " + Good);

        using var load = new ClientLoop(proxy.HealthUrl);
        var quiet = load.Window(() => Thread.Sleep(2000));
        var samples = new List<(string Way, LoadWindow Window, string Note)>();
        for (var run = 0; run < options.Runs; run++)
        {
            scratch.Progress($"Run {run + 1} of {options.Runs}: Invoke-Rollback...");
            DeployGreen(proxy);
            RollbackResult? result = null;
            var ours = load.Window(() => result = engine.Rollbacks.Run(new RollbackRequest { Target = "web", PointId = point.Id, Reason = "bench" }));
            var runtime = result!.Steps.FirstOrDefault(s => s.Name == "Shift100.RuntimeApi")?.Duration ?? TimeSpan.Zero;
            samples.Add(("Invoke-Rollback (runtime API + file)", ours, $"{result.Status}; its runtime API step {Ms(runtime)}"));

            scratch.Progress($"Run {run + 1} of {options.Runs}: plain restart...");
            DeployGreen(proxy);
            var restart = load.Window(() =>
            {
                proxy.EditConfig("blue", "green");
                proxy.Restart();
            });
            samples.Add(("plain restart of HAProxy", restart, Answering(proxy)));

            scratch.Progress($"Run {run + 1} of {options.Runs}: edit and reload by hand...");
            DeployGreen(proxy);
            var reload = load.Window(() =>
            {
                proxy.EditConfig("blue", "green");
                proxy.Reload();
            });
            samples.Add(("file edited by hand + reload (SIGUSR2)", reload, Answering(proxy)));
        }

        Console.WriteLine();
        Console.Write(Text(quiet, samples));
        return 0;
    }

    /// <summary>Green takes every request, in the runtime API and in the file, as the deployment that failed did.</summary>
    private static void DeployGreen(HAProxyServer proxy)
    {
        proxy.SetServer("green", "ready");
        proxy.SetServer("blue", "maint");
        proxy.EditConfig("green", "blue");
        proxy.WaitForAnswers(Bad, TimeSpan.FromSeconds(15));
    }

    private static string Answering(HAProxyServer proxy) =>
        proxy.WaitForAnswers(Good, TimeSpan.FromSeconds(10)) ? "answers " + Good : "did not answer " + Good;

    private static string Text(LoadWindow quiet, List<(string Way, LoadWindow Window, string Note)> samples)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Traffic switch under a steady client loop through HAProxy (127.0.0.1, one request at a time)");
        text.AppendLine(CultureInfo.InvariantCulture, $"One request when nothing moves: median {Ms(quiet.MedianLatency)}, {quiet.Requests} requests in {Ms(quiet.Length)}, {quiet.Failed} failed.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"way",-42} {"window",9} {"requests",9} {"failed",7} {"longest gap",12}  note");
        foreach (var (way, window, note) in samples)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{way,-42} {Ms(window.Length),9} {window.Requests,9} {window.Failed,7} {Ms(window.LongestGap),12}  {note}");
        }

        text.AppendLine();
        foreach (var way in samples.Select(s => s.Way).Distinct())
        {
            var mine = samples.Where(s => s.Way == way).Select(s => s.Window).ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{way,-42} failed in all runs: {mine.Sum(w => w.Failed)}; longest gap: {Ms(mine.Max(w => w.LongestGap))} ({mine.Max(w => w.LongestGap).TotalMilliseconds / Math.Max(0.001, quiet.MedianLatency.TotalMilliseconds):0.#} x one request's median latency)");
        }

        return text.ToString();
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString(value.TotalMilliseconds < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) + " ms";
}
