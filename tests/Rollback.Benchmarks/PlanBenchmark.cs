using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Platform;
using Rollback.Providers;
using Rollback.Providers.FileSystem;
using Rollback.Store;

namespace Rollback.Benchmarks;

/// <summary>
/// --plan: a fleet, one plan stage of N members, on real parts. (1) N FileSystemRelease members (each a release root
/// with a good and a bad release, "servers" on one disk) rolled back by one plan at throttle 1, 8 and 16, in the same
/// run, after the same deployment of the bad release: the wall time of the stage and of the whole run (its readiness gate
/// included), and the speed-up over throttle 1. (2) N ConfigurationFile members whose ReloadCommand sleeps 250 ms (a
/// fixed restore time, as a service that takes that long to reload) at throttle 16, against the ideal
/// ceil(N/16) x the time one such member takes alone, measured in the same run. Figures only; nothing is asserted.
/// </summary>
internal static class PlanBenchmark
{
    private const string Good = "v2.3.1";
    private const string Bad = "v2.4.0";
    private const int FixedThrottle = 16;
    private static readonly int[] Throttles = { 1, 8, 16 };

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-plan-bench-");
        var store = new RollbackStore(Path.Combine(scratch.Path, "store"));
        var engine = new RollbackEngine(store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(FileSystemReleaseProvider).Assembly)), user: "bench");
        var n = options.Members;

        scratch.Progress($"Registering {n} FileSystemRelease members and capturing the plan point...");
        var servers = Enumerable.Range(1, n).Select(i => "server" + i.ToString("D3", CultureInfo.InvariantCulture)).ToList();
        foreach (var server in servers)
        {
            var root = Path.Combine(scratch.Path, server);
            foreach (var release in new[] { Good, Bad })
            {
                Directory.CreateDirectory(Path.Combine(root, "releases", release, "wwwroot"));
                File.WriteAllText(Path.Combine(root, "releases", release, "app.dll"), "build " + release + " for " + server);
                File.WriteAllText(Path.Combine(root, "releases", release, "appsettings.json"), "{ \"Version\": \"" + release + "\" }");
                File.WriteAllText(Path.Combine(root, "releases", release, "wwwroot", "index.html"), "<h1>" + release + "</h1>");
            }

            NativeFileSystem.CreateDirectoryLink(Path.Combine(root, "current"), Path.Combine(root, "releases", Good));
            Register(engine, server, "FileSystemRelease", ("Root", root));
        }

        Register(engine, "fleet", "Plan", ("Stages", string.Join(", ", servers)));
        var point = engine.Points.Create("fleet", "known good");
        var releases = new List<Figure>();
        foreach (var throttle in Throttles)
        {
            foreach (var server in servers)
            {
                Deploy(Path.Combine(scratch.Path, server), Bad);
            }

            scratch.Progress($"(1) Rolling back {n} FileSystemRelease members at throttle {throttle}...");
            releases.Add(Measure(engine, "fleet", point.Id, throttle));
        }

        scratch.Progress($"Registering {n} ConfigurationFile members whose reload takes 250 ms...");
        var services = Enumerable.Range(1, n).Select(i => "service" + i.ToString("D3", CultureInfo.InvariantCulture)).ToList();
        foreach (var service in services)
        {
            var file = Path.Combine(scratch.Path, "etc", service + ".json");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "{ \"Pool\": 20 }");
            Register(engine, service, "ConfigurationFile", ("Path", file), ("ReloadCommand", "sleep 0.25"));
        }

        Register(engine, "slow", "Plan", ("Stages", string.Join(", ", services)));
        Register(engine, "one", "Plan", ("Stages", services[0]));
        var slowPoint = engine.Points.Create("slow", "known good");
        var onePoint = engine.Points.Create("one", "known good");
        void BreakAll()
        {
            foreach (var service in services)
            {
                File.WriteAllText(Path.Combine(scratch.Path, "etc", service + ".json"), "{ \"Pool\": 0 }");
            }
        }

        var alone = new List<Figure>();
        for (var run = 0; run < 3; run++)
        {
            BreakAll();
            scratch.Progress($"(2) One member alone, run {run + 1} of 3...");
            alone.Add(Measure(engine, "one", onePoint.Id, 1));
        }

        BreakAll();
        scratch.Progress($"(2) {n} members with a 250 ms restore at throttle {FixedThrottle}...");
        var fixedRestore = Measure(engine, "slow", slowPoint.Id, FixedThrottle);

        Console.WriteLine();
        Console.Write(Text(n, releases, alone, fixedRestore));
        return 0;
    }

    private static Figure Measure(RollbackEngine engine, string plan, string pointId, int throttle)
    {
        var result = engine.Rollbacks.Run(new RollbackRequest { Target = plan, PointId = pointId, Reason = "benchmark", ThrottleLimit = throttle });
        if (result.Status != RollbackStatus.Succeeded)
        {
            throw new InvalidOperationException($"The plan {plan} ended {result.Status}: {result.Message}");
        }

        return new Figure(throttle, result.Steps[0].Duration, result.Duration, result.Members.Count);
    }

    private static string Text(int n, IReadOnlyList<Figure> release, IReadOnlyList<Figure> alone, Figure fixedRestore)
    {
        var text = new System.Text.StringBuilder();
        var serial = release[0];
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Plan of one stage, {n} FileSystemRelease members ({Environment.ProcessorCount} cores), same run:"));
        text.AppendLine("| throttle | stage | whole run (gate included) | members/s (stage) | speed-up over throttle 1 (stage) |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var figure in release)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {figure.Throttle} | {Seconds(figure.Stage)} | {Seconds(figure.Whole)} | {figure.Members / figure.Stage.TotalSeconds:0.0} | {serial.Stage.TotalSeconds / figure.Stage.TotalSeconds:0.00}x |"));
        }

        var one = Median(alone.Select(a => a.Stage));
        var ideal = TimeSpan.FromTicks(one.Ticks * (long)Math.Ceiling(n / (double)FixedThrottle));
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{n} ConfigurationFile members, reload 'sleep 0.25' each, throttle {FixedThrottle}:"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  one member alone (median of {alone.Count}): {Seconds(one)}"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  ideal ceil({n}/{FixedThrottle}) x one member: {Seconds(ideal)}"));
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  stage measured: {Seconds(fixedRestore.Stage)} = {fixedRestore.Stage.TotalSeconds / ideal.TotalSeconds:0.00}x the ideal (whole run, gate included: {Seconds(fixedRestore.Whole)})"));
        return text.ToString();
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static void Register(RollbackEngine engine, string name, string kind, params (string Key, object Value)[] settings) =>
        engine.Targets.Register(name, kind, new SettingsDictionary(settings.Select(s => new KeyValuePair<string, object?>(s.Key, s.Value))), replace: false);

    private static void Deploy(string root, string release)
    {
        var temp = Path.Combine(root, ".deploy-link");
        NativeFileSystem.CreateDirectoryLink(temp, Path.Combine(root, "releases", release));
        NativeFileSystem.ReplaceByRename(temp, Path.Combine(root, "current"));
    }

    private sealed record Figure(int Throttle, TimeSpan Stage, TimeSpan Whole, int Members);
}
