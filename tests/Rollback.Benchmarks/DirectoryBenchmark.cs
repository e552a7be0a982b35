using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Rollback.Engine;
using Rollback.Providers;
using Rollback.Providers.FileSystem;
using Rollback.Store;

namespace Rollback.Benchmarks;

/// <summary>
/// --directory: a whole Directory rollback (readiness, staging, the swap, the safety point, verification) of the
/// generated release, back and forth under an independent reader polling a file of the live folder, against a durable
/// copy of the same tree measured in the same run: `cp -a` of the point's artifacts beside the live folder followed by
/// `sync -f` of that file system. Each rollback is followed by one durable copy, under the same reader, so both sides
/// share the machine alike (the reader busy-polls one core; on a shared machine the load moves from minute to minute):
/// each pair gives one ratio, and the median of those is the figure. Prints the whole, each step and the load average
/// around each pair; asserts nothing.
/// </summary>
internal static class DirectoryBenchmark
{
    private const string Target = "site";
    private const string Good = "v2.3.1";
    private const string Bad = "v2.4.0";

    /// <summary>The goal: a whole rollback within this factor of the durable copy.</summary>
    private const double Goal = 1.3;

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-dir-bench-");
        var generator = new ReleaseGenerator(options.Files, options.Megabytes * 1048576L);
        var live = Path.Combine(scratch.Path, "site", "api");
        scratch.Progress($"Generating {options.Files:N0} files / {options.Megabytes:N0} MiB in {live} and capturing two points...");
        generator.Write(live, Good, changedOnly: false);
        var clock = new PhaseClock();
        var store = new RollbackStore(Path.Combine(scratch.Path, "store"));
        var engine = new RollbackEngine(store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(DirectoryProvider).Assembly)), clock, user: "bench");
        engine.Targets.Register(Target, DirectoryProvider.KindName, new SettingsDictionary(new[]
        {
            new KeyValuePair<string, object?>(DirectoryProvider.PathSetting, live),
            new KeyValuePair<string, object?>(DirectoryProvider.VersionFileSetting, ReleaseGenerator.VersionFileName),
        }), replace: false);
        // The capture a deployment starts with, against a durable copy of the same live folder made right after it.
        var capturing = Stopwatch.StartNew();
        var points = new Dictionary<string, RollbackPoint> { [Good] = engine.Points.Create(Target, "known good") };
        var capture = (Point: capturing.Elapsed, Copy: DurableCopy(live, Path.GetDirectoryName(live)!, "capture-baseline"));
        generator.Write(live, Bad, changedOnly: true);
        points[Bad] = engine.Points.Create(Target, "failed deployment");

        var samples = new List<RollbackSample>();
        var steps = new List<IReadOnlyList<RollbackStep>>();
        var baseline = new List<(TimeSpan Copy, TimeSpan Sync)>();
        var loads = new List<string> { LoadAverage() };
        var ourCpu = new List<TimeSpan>();
        var copyCpu = new List<TimeSpan>();
        var beside = Path.GetDirectoryName(live)!;
        Shell.Run(null, "sync", "-f", beside);
        using var reader = new PresenceWatcher(Path.Combine(live, generator.ProbeFile));
        if (CpuClock.Available)
        {
            clock.Cpu = () => CpuClock.Process().Own - reader.CpuTime;
        }

        for (var run = 0; run < options.Runs; run++)
        {
            var to = run % 2 == 0 ? Good : Bad;
            scratch.Progress($"Rollback {run + 1} of {options.Runs} to {to} under a reader (load average {loads[^1]})...");
            var (cpuBefore, _) = CpuClock.Process();
            var readerBefore = reader.CpuTime;
            clock.Start();
            var result = engine.Rollbacks.Run(new RollbackRequest
            {
                Target = Target,
                PointId = points[to].Id,
                Reason = "benchmark",
                ApprovedBy = new[] { "bench" },
                BeforeSwitch = () => { },
                AfterSwitch = () => { },
            });
            var wall = clock.Elapsed;
            ourCpu.Add(CpuClock.Process().Own - cpuBefore - (reader.CpuTime - readerBefore));
            if (result.Status != RollbackStatus.Succeeded)
            {
                throw new InvalidOperationException($"Rollback to {to} ended {result.Status}: {result.Message}");
            }

            samples.Add(RollbackSample.From(result, wall, clock));
            steps.Add(result.Steps);
            scratch.Progress($"Durable copy {run + 1} of {options.Runs}: cp -a of the point's artifacts beside the live folder, then sync -f, under the same reader...");
            var (_, childrenBefore) = CpuClock.Process();
            baseline.Add(DurableCopy(Path.Combine(points[Good].Path, PointStore.ArtifactsFolderName), beside, "baseline-copy-" + run.ToString(CultureInfo.InvariantCulture)));
            copyCpu.Add(CpuClock.Process().Children - childrenBefore);
            loads.Add(LoadAverage());
        }

        reader.Stop();
        Console.WriteLine();
        Console.Write(Text(options, scratch.Path, samples, steps, baseline, reader, loads, (ourCpu, copyCpu)));
        Console.WriteLine($"  capture of the live folder (a new point, before the reader started): {Stats.Format(capture.Point)}; a durable copy of it right after: {Stats.Format(capture.Copy.Copy + capture.Copy.Sync)} ({(capture.Point.TotalSeconds / (capture.Copy.Copy + capture.Copy.Sync).TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture)}x)");
        return 0;
    }

    /// <summary>
    /// `cp -a` of <paramref name="source"/> then `sync -f` on the same file system as the live folder, timed together. Each copy goes to a folder of
    /// its own, left for the scratch removal: deleting is no part of either side (and on a file system mounted with
    /// online discard, deleting 20,000 files takes minutes).
    /// </summary>
    private static (TimeSpan Copy, TimeSpan Sync) DurableCopy(string source, string beside, string name)
    {
        var destination = Path.Combine(beside, name);
        var watch = Stopwatch.StartNew();
        Shell.Run(null, "cp", "-a", "--", source, destination);
        var copied = watch.Elapsed;
        Shell.Run(null, "sync", "-f", destination);
        return (copied, watch.Elapsed - copied);
    }

    /// <summary>The 1-minute load average (/proc/loadavg), or "unknown" where there is none.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static string Text(Options options, string root, List<RollbackSample> samples, List<IReadOnlyList<RollbackStep>> steps,
        List<(TimeSpan Copy, TimeSpan Sync)> baseline, PresenceWatcher reader, List<string> loads,
        (List<TimeSpan> Ours, List<TimeSpan> Copy) cpu)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        var durable = baseline.Select(b => b.Copy + b.Sync).ToList();
        var ours = samples.Select(s => s.Wall).ToList();
        var ratios = ours.Zip(durable, (o, d) => o.TotalSeconds / d.TotalSeconds).ToList();
        var ratio = ratios.OrderBy(r => r).ElementAt(ratios.Count / 2);
        string Ratio(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "x";
        Line($"Directory rollback vs a durable copy ({options.Files:N0} files, {options.Megabytes:N0} MiB; {samples.Count} rollbacks back and forth, each followed by a durable copy; medians)");
        Line($"Machine   {Report.MachineFacts()}");
        Line($"Work      {root} on {Report.FileSystemOf(root)}");
        Line($"Load      1-minute load average before the first pair and after each: {string.Join(", ", loads)}");
        Line();
        Row(text, "whole rollback, call to return", ours);
        Row(text, "durable copy: cp -a + sync -f", durable);
        Row(text, "  of which cp -a", baseline.Select(b => b.Copy));
        Row(text, "  of which sync -f", baseline.Select(b => b.Sync));
        Line($"  RATIO rollback / durable copy: {Ratio(ratio)} (median of the pairs: {string.Join(", ", ratios.Select(Ratio))}; goal <= {Goal.ToString("0.0", CultureInfo.InvariantCulture)}x)");
        if (CpuClock.Available)
        {
            var cpuRatio = Stats.Median(cpu.Ours).TotalSeconds / Math.Max(0.01, Stats.Median(cpu.Copy).TotalSeconds);
            Line($"  CPU time (user + system; the reader's left out): rollback {Stats.Format(Stats.Median(cpu.Ours))}, cp -a + sync -f {Stats.Format(Stats.Median(cpu.Copy))} ({Ratio(cpuRatio)}; the load does not stretch these)");
        }

        Line($"  downtime (engine): {Stats.Format(Stats.Median(samples.Select(s => s.Downtime)))}; reader on the live folder, polling through rollbacks and copies: {reader.MissingPolls:N0} of {reader.Polls:N0} reads failed, longest gap {Stats.Format(reader.LongestGap)}");
        Line();
        Line("  where the time goes (phases from the engine's progress marks; wall, then CPU time without the reader's):");
        foreach (var phase in RollbackSample.PhaseOrder)
        {
            var cpuTimes = samples.Where(s => s.CpuPhases.ContainsKey(phase)).Select(s => s.CpuPhases[phase]).ToList();
            Row(text, "    " + phase, samples.Select(s => s.Phases[phase]), cpuTimes.Count == 0 ? null : cpuTimes);
        }

        Line("  steps of the result:");
        foreach (var name in steps.SelectMany(s => s.Select(step => step.Name)).Distinct(StringComparer.Ordinal))
        {
            Row(text, "    " + name, steps.Select(s => s.Where(step => step.Name == name).Aggregate(TimeSpan.Zero, (sum, step) => sum + step.Duration)));
        }

        return text.ToString();
    }

    private static void Row(StringBuilder text, string label, IEnumerable<TimeSpan> values, IEnumerable<TimeSpan>? cpu = null) =>
        text.Append(CultureInfo.InvariantCulture, $"  {label,-52} {Stats.Format(Stats.Median(values)),10}{(cpu is null ? string.Empty : $"  CPU {Stats.Format(Stats.Median(cpu)),10}")}\n");
}
