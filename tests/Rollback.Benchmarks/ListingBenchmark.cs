using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Rollback.Engine;

namespace Rollback.Benchmarks;

/// <summary>
/// --listing: one listing of the generated release (<see cref="FileTree.Scan"/>: a stat of every entry, nothing opened,
/// no link followed) against `find` printing the same facts of every entry (size, mode, owner, group, inode, mtime,
/// ctime) to /dev/null, each run the same number of times in the same run, alternating, on the same warm tree. Prints
/// the medians, their ratio, the CPU time of each side and the bytes one listing allocates; asserts nothing.
/// </summary>
internal static class ListingBenchmark
{
    private const int WarmUps = 2;
    private const int Runs = 7;

    // find's own -fprintf writes to /dev/null as `-printf ... > /dev/null` would, without a shell in between.
    private const string FindFormat = "%s %m %U %G %i %T@ %C@\n";

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-list-bench-");
        var tree = System.IO.Path.Combine(scratch.Path, "release");
        scratch.Progress($"Generating {options.Files:N0} files / {options.Megabytes:N0} MiB in {tree}...");
        new ReleaseGenerator(options.Files, options.Megabytes * 1048576L).Write(tree, "v1", changedOnly: false);
        var loads = new List<string> { DirectoryBenchmark.LoadAverage() };
        var entries = 0;
        var scans = new List<TimeSpan>();
        var finds = new List<TimeSpan>();
        var scanCpu = new List<TimeSpan>();
        var findCpu = new List<TimeSpan>();
        var allocated = new List<long>();
        var first = (Wall: TimeSpan.Zero, Cpu: TimeSpan.Zero);
        scratch.Progress($"{WarmUps} warm-ups, then {Runs} listings and {Runs} runs of find, alternating...");
        for (var run = 0; run < WarmUps + Runs; run++)
        {
            var cpuBefore = CpuClock.Precise();
            var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            entries = FileTree.Scan(tree, skipSpecialFiles: false, CancellationToken.None).Count;
            var scan = watch.Elapsed;
            var bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
            var cpuBetween = CpuClock.Precise();
            watch.Restart();
            Shell.Run(null, "find", tree, "-fprintf", "/dev/null", FindFormat);
            var find = watch.Elapsed;
            var cpuAfter = CpuClock.Precise();
            if (run == 0)
            {
                first = (scan, cpuBetween.Own - cpuBefore.Own);
            }

            if (run < WarmUps)
            {
                continue;
            }

            scans.Add(scan);
            finds.Add(find);
            allocated.Add(bytes);
            scanCpu.Add(cpuBetween.Own - cpuBefore.Own);
            findCpu.Add(cpuAfter.Children - cpuBetween.Children);
        }

        loads.Add(DirectoryBenchmark.LoadAverage());
        Console.WriteLine();
        Console.WriteLine($"Listing vs find ({entries:N0} entries of {options.Files:N0} files; {Runs} runs each after {WarmUps} warm-ups, alternating; medians)");
        Console.WriteLine($"Machine   {Report.MachineFacts()}");
        Console.WriteLine($"Work      {scratch.Path} on {Report.FileSystemOf(scratch.Path)}");
        Console.WriteLine($"Load      1-minute load average before and after: {string.Join(", ", loads)}");
        Console.WriteLine();
        Row("FileTree.Scan", scans, scanCpu);
        Row($"find -printf '{FindFormat.TrimEnd()}' > /dev/null", finds, findCpu);
        Console.WriteLine($"  {"  the first, its code not yet compiled",-52} {Stats.Format(first.Wall),10}  CPU {Stats.Format(first.Cpu)}");
        var ratio = Stats.Median(scans).TotalSeconds / Stats.Median(finds).TotalSeconds;
        var ratios = scans.Zip(finds, (s, f) => (s.TotalSeconds / f.TotalSeconds).ToString("0.00", CultureInfo.InvariantCulture) + "x");
        Console.WriteLine($"  RATIO Scan / find: {ratio.ToString("0.00", CultureInfo.InvariantCulture)}x (each pair: {string.Join(", ", ratios)})");
        var bytesPerScan = Stats.Median(allocated);
        Console.WriteLine($"  allocated by one Scan: {bytesPerScan / 1048576.0:0.00} MiB ({bytesPerScan / Math.Max(1, entries):N0} bytes per entry)");
        return 0;
    }

    private static void Row(string label, List<TimeSpan> wall, List<TimeSpan> cpu) =>
        Console.WriteLine($"  {label,-52} {Stats.Format(Stats.Median(wall)),10}  (min {Stats.Format(wall.Min())}, max {Stats.Format(wall.Max())}){(CpuClock.Available ? $"  CPU {Stats.Format(Stats.Median(cpu))}" : string.Empty)}");
}
