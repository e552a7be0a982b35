using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Rollback.Engine;

namespace Rollback.Benchmarks;

/// <summary>
/// --hash-cache: what the hashes kept between commands cost a Directory rollback of the generated release, without the
/// copy. Two copies of the release (the live folder and a staged copy, same paths and content, other inodes) are listed
/// once; each run then does what a rollback does with the cache: open it (the live folder's hashes), preload the
/// listing, hash the listing with every hash known, record the staged copy's hashes (as a copy hashed as it is made
/// does) and save the staged copy's set, which is all new, so the file is always written. The next run does the same
/// the other way round. Against the I/O floor measured in the same run: File.ReadAllBytes + File.WriteAllBytes of a
/// file of the cache's size. Prints the first run (cold code, as in a fresh session), the median of the warm runs after
/// two warm-ups, the bytes allocated and the load average; asserts nothing.
/// </summary>
internal static class HashCacheBenchmark
{
    private const string Target = "site";
    private const string Version = "v2.3.1";
    private const int WarmUps = 2;
    private const int Runs = 7;

    private static readonly string[] Phases = { "Open", "Preload", "HashItems (all known)", "Record (staged copy)", "Save (all new)" };

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-hash-cache-bench-");
        var generator = new ReleaseGenerator(options.Files, options.Megabytes * 1048576L);
        var live = Path.Combine(scratch.Path, "site", "api");
        var staged = Path.Combine(scratch.Path, "site", "staged");
        var cacheDirectory = Path.Combine(scratch.Path, "hash-cache");
        scratch.Progress($"Generating {options.Files:N0} files / {options.Megabytes:N0} MiB twice (the live folder and a staged copy)...");
        generator.Write(live, Version, changedOnly: false);
        generator.Write(staged, Version, changedOnly: false);
        var sets = new[] { FileTree.Scan(live, skipSpecialFiles: false, CancellationToken.None), FileTree.Scan(staged, skipSpecialFiles: false, CancellationToken.None) };
        var files = sets[0].Count(i => i.IsRegularFile);

        scratch.Progress("Hashing the live folder once and keeping its hashes...");
        var first = new HashReuse(null, cacheDirectory);
        var sha = FileTree.HashItems(sets[0], "Hashing", NullReporter.Instance, CancellationToken.None, first)
            .Where(e => e.Sha256 is not null).ToDictionary(e => e.RelativePath, e => e.Sha256!, StringComparer.Ordinal);
        Thread.Sleep(HashReuse.LastingMargin + TimeSpan.FromMilliseconds(20));
        var opened = HashCache.Open(first, Target, live) ?? throw new InvalidOperationException("No hash cache here (Linux with statx only).");
        opened.Save(sets[0], first);
        var cacheFile = opened.File;

        var samples = new List<(TimeSpan[] Phases, long Allocated, TimeSpan[] Cpu)>();
        var floor = new List<TimeSpan>();
        var loads = new List<string> { DirectoryBenchmark.LoadAverage() };
        var floorFile = Path.Combine(scratch.Path, "floor");
        for (var run = 0; run < WarmUps + Runs; run++)
        {
            var current = sets[run % 2];
            var next = sets[(run + 1) % 2];
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var times = new TimeSpan[Phases.Length + 1];
            var cpu = new TimeSpan[Phases.Length + 1];
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            void Mark(int phase)
            {
                times[phase] = watch.Elapsed;
                cpu[phase] = CpuClock.Precise().Own;
            }

            Mark(0);
            var hashes = new HashReuse(null, cacheDirectory);
            var cache = HashCache.Open(hashes, Target, live)!;
            Mark(1);
            var preloaded = cache.Preload(current, hashes);
            Mark(2);
            FileTree.HashItems(current, "Hashing", NullReporter.Instance, CancellationToken.None, hashes);
            Mark(3);
            foreach (var item in next)
            {
                if (item.IsRegularFile)
                {
                    hashes.Record(item.Status?.ChangeKey, sha[item.RelativePath]);
                }
            }

            Mark(4);
            var wrote = cache.Save(next, hashes);
            Mark(5);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            if (preloaded != files || hashes.Reused != files || !wrote || cache.Ignored is not null)
            {
                throw new InvalidOperationException($"Run {run + 1}: {preloaded:N0} preloaded, {hashes.Reused:N0} reused of {files:N0} files, saved: {wrote}, ignored: {cache.Ignored ?? "no"}.");
            }

            samples.Add((Steps(times), allocated, Steps(cpu)));

            // The I/O floor: the same bytes read whole and written whole.
            watch.Restart();
            var bytes = File.ReadAllBytes(cacheFile);
            File.WriteAllBytes(floorFile, bytes);
            floor.Add(watch.Elapsed);
            loads.Add(DirectoryBenchmark.LoadAverage());
        }

        Console.WriteLine();
        Console.Write(Text(options, scratch.Path, new FileInfo(cacheFile).Length, samples, floor, loads));
        return 0;
    }

    /// <summary>What each phase took: the differences between the marks before and after it.</summary>
    private static TimeSpan[] Steps(TimeSpan[] marks) => marks.Skip(1).Zip(marks, (after, before) => after - before).ToArray();

    private static string Text(Options options, string root, long cacheBytes, List<(TimeSpan[] Phases, long Allocated, TimeSpan[] Cpu)> samples, List<TimeSpan> floor, List<string> loads)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');
        var warm = samples.Skip(WarmUps).ToList();
        var total = Stats.Median(warm.Select(s => s.Phases.Aggregate(TimeSpan.Zero, (sum, t) => sum + t)));
        var io = Stats.Median(floor.Skip(WarmUps));
        Line($"Hash cache of a Directory rollback ({options.Files:N0} files; cache file {cacheBytes:N0} bytes; first run cold, then the median of {Runs} after {WarmUps} warm-ups)");
        Line($"Machine   {Report.MachineFacts()}");
        Line($"Work      {root} on {Report.FileSystemOf(root)}");
        Line($"Load      1-minute load average before the first run and after each: {string.Join(", ", loads)}");
        Line();
        Line("  wall, then CPU time of the process (user + system, all threads: the load stretches the first, hardly the second)");
        Line($"  {"phase",-40} {"first (cold)",12} {"warm median",12}   {"CPU first",10} {"CPU warm",10}");
        for (var phase = 0; phase < Phases.Length; phase++)
        {
            Line($"  {Phases[phase],-40} {Stats.Format(samples[0].Phases[phase]),12} {Stats.Format(Stats.Median(warm.Select(s => s.Phases[phase]))),12}   {Stats.Format(samples[0].Cpu[phase]),10} {Stats.Format(Stats.Median(warm.Select(s => s.Cpu[phase]))),10}");
        }

        static TimeSpan Sum(TimeSpan[] phases) => phases.Aggregate(TimeSpan.Zero, (sum, t) => sum + t);
        Line($"  {"whole",-40} {Stats.Format(Sum(samples[0].Phases)),12} {Stats.Format(total),12}   {Stats.Format(Sum(samples[0].Cpu)),10} {Stats.Format(Stats.Median(warm.Select(s => Sum(s.Cpu)))),10}");
        Line($"  {"allocated",-40} {Megabytes(samples[0].Allocated),12} {Megabytes(Stats.Median(warm.Select(s => s.Allocated))),12}");
        Line($"  I/O floor, ReadAllBytes + WriteAllBytes of {cacheBytes:N0} bytes: {Stats.Format(io)}; RATIO whole / floor: {(total.TotalSeconds / Math.Max(io.TotalSeconds, 1e-6)).ToString("0.0", CultureInfo.InvariantCulture)}x");
        return text.ToString();
    }

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
