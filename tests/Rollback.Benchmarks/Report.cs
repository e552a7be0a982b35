using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace Rollback.Benchmarks;

/// <summary>Everything one run measured, and its rendering as plain text or a Markdown table.</summary>
internal sealed class Report
{
    private const double MiB = 1048576.0;

    /// <summary>The release file the watchers poll, relative to the release.</summary>
    public required string Probe { get; init; }

    public required string WorkFolder { get; init; }

    public required SetupFigures Setup { get; init; }

    public required DowntimeFigures ReleaseDowntime { get; init; }

    public required DowntimeFigures DirectoryDowntime { get; init; }

    public required IReadOnlyList<TimeSpan> Baseline { get; init; }

    public required OverheadFigures BigOverhead { get; init; }

    public required OverheadFigures SmallOverhead { get; init; }

    public required ThroughputFigures Throughput { get; init; }

    public TimeSpan Total { get; init; }

    private double BaselineOverRelease => Ratio(Stats.Median(Baseline), Stats.Median(ReleaseDowntime.Samples.Select(s => s.Downtime)));

    private double BaselineOverDirectory => Ratio(Stats.Median(Baseline), Stats.Median(DirectoryDowntime.Samples.Select(s => s.Downtime)));

    public string ToText()
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.Append(line).Append('\n');

        Line("Rollback benchmarks (Release build; medians unless noted)");
        Line($"Machine   {MachineFacts()}");
        Line($"Release   {Setup.Files:N0} files in {Setup.Folders:N0} folders, {Setup.Bytes / MiB:N1} MiB (largest file {Setup.LargestFile / MiB:N1} MiB); small release {Setup.SmallFiles:N0} files, {Setup.SmallBytes / MiB:N1} MiB");
        Line($"Work      {WorkFolder} on {FileSystemOf(WorkFolder)}; generated in {Stats.Format(Setup.Generated)}; New-RollbackPoint: release (hash) {Stats.Format(Setup.ReleaseCapture)}, directory (copy + hash) {Stats.Format(Setup.DirectoryCapture)}");
        Line();

        Line("(a) Downtime: how long the live path is not a complete known-good tree");
        Line($"  FileSystemRelease, link rename      engine Downtime {Spread(ReleaseDowntime.Samples.Select(s => s.Downtime))}");
        Line($"                                      watcher on current/{ShortProbe()}: longest gap {Stats.Format(ReleaseDowntime.LongestGap)}, {ReleaseDowntime.MissingPolls:N0} of {ReleaseDowntime.Polls:N0} polls missing (poll interval <= {Stats.Format(ReleaseDowntime.LongestPollInterval)})");
        Line($"  Directory, swap + empty hooks       engine Downtime {Spread(DirectoryDowntime.Samples.Select(s => s.Downtime))}");
        Line($"                                      watcher on the live folder: longest gap {Stats.Format(DirectoryDowntime.LongestGap)}, {DirectoryDowntime.MissingPolls:N0} of {DirectoryDowntime.Polls:N0} polls missing (poll interval <= {Stats.Format(DirectoryDowntime.LongestPollInterval)})");
        Line($"  Baseline, manual stop/copy/start    delete + File.Copy per file {Spread(Baseline)}");
        Line($"  Ratio baseline / ours               FileSystemRelease {FormatRatio(BaselineOverRelease)}, Directory {FormatRatio(BaselineOverDirectory)} (goal >= 100x)");
        Line($"  (whole Directory rollback, for scale: {Stats.Format(Stats.Median(DirectoryDowntime.Samples.Select(s => s.Wall)))} wall, done while the old tree keeps serving)");
        Line();

        Line($"(b) Invoke-Rollback overhead beyond the switch ({BigOverhead.Samples.Count} FileSystemRelease rollbacks back and forth per size)");
        Line($"  {string.Empty,-50} {"big",12} {"small",12}");
        Row(text, "files", Setup.Files.ToString("N0", CultureInfo.InvariantCulture), Setup.SmallFiles.ToString("N0", CultureInfo.InvariantCulture));
        Row(text, "wall clock, call to return", BigOverhead.Samples.Select(s => s.Wall), SmallOverhead.Samples.Select(s => s.Wall));
        Row(text, "RollbackResult.Duration", BigOverhead.Samples.Select(s => s.Duration), SmallOverhead.Samples.Select(s => s.Duration));
        Row(text, "raw switch (SwitchCurrent step)", BigOverhead.Samples.Select(s => s.Switch), SmallOverhead.Samples.Select(s => s.Switch));
        Row(text, "overhead = Duration - switch", BigOverhead.Samples.Select(s => s.Duration - s.Switch), SmallOverhead.Samples.Select(s => s.Duration - s.Switch));
        Line("  phases of the wall clock (from the engine's progress marks):");
        foreach (var phase in RollbackSample.PhaseOrder)
        {
            Row(text, "  " + phase, BigOverhead.Samples.Select(s => s.Phases[phase]), SmallOverhead.Samples.Select(s => s.Phases[phase]));
        }

        Line("  the same operations timed on their own:");
        Row(text, "  point manifest load (Points.Get)", BigOverhead.ManifestLoad, SmallOverhead.ManifestLoad);
        Row(text, "  describe target (registry + readlink)", BigOverhead.Describe, SmallOverhead.Describe);
        Row(text, "  journal append (lock, tail read, fsync)", BigOverhead.JournalAppend, SmallOverhead.JournalAppend);
        Row(text, "  target lock + holder file (fsync)", BigOverhead.TargetLock, SmallOverhead.TargetLock);
        Line("  Duration is taken before the final journal append; wall clock includes it.");
        Line();

        Line($"(c) Backup verification throughput: {Throughput.Files:N0} files, {Throughput.Bytes / MiB:N1} MiB, hot page cache, {Throughput.Ours.Count} runs each");
        ThroughputRow(text, $"FileTree.Verify (engine, {Environment.ProcessorCount} workers)", Throughput.Ours);
        ThroughputRow(text, "find | xargs -0 sha256sum (one process at a time)", Throughput.Sha256sum);
        ThroughputRow(text, $"find | xargs -0 -P {Environment.ProcessorCount} -n 500 sha256sum", Throughput.Sha256sumParallel);
        ThroughputRow(text, "sha256sum -c (checksum file from the manifest)", Throughput.Sha256sumCheck);
        ThroughputRow(text, "  of which path checks (one thread)", Throughput.PathChecks);
        ThroughputRow(text, $"  of which Checksums.HashFile ({Environment.ProcessorCount} workers)", Throughput.EngineHash);
        ThroughputRow(text, "reference: lean parallel SHA-256 in-process", Throughput.LeanInProcess);
        Line($"  Ratio ours / sha256sum: {FormatRatio(Ratio(Stats.Median(Throughput.Sha256sum), Stats.Median(Throughput.Ours)))} (xargs), {FormatRatio(Ratio(Stats.Median(Throughput.Sha256sumParallel), Stats.Median(Throughput.Ours)))} (xargs -P {Environment.ProcessorCount}), {FormatRatio(Ratio(Stats.Median(Throughput.Sha256sumCheck), Stats.Median(Throughput.Ours)))} (sha256sum -c)");
        Line();
        Line($"Total run time {Stats.Format(Total)}.");
        return text.ToString();
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        void Line(string line = "") => md.Append(line).Append('\n');
        var big = BigOverhead.Samples;
        var small = SmallOverhead.Samples;
        Line($"Machine: {MachineFacts()}. Release: {Setup.Files:N0} files, {Setup.Bytes / MiB:N0} MiB; small release {Setup.SmallFiles:N0} files. Medians.");
        Line();
        Line("| Figure | Rollback | Baseline | Ratio |");
        Line("| --- | ---: | ---: | ---: |");
        Line($"| Downtime, FileSystemRelease (engine) | {Stats.Format(Stats.Median(ReleaseDowntime.Samples.Select(s => s.Downtime)))} | {Stats.Format(Stats.Median(Baseline))} (delete + copy over) | {FormatRatio(BaselineOverRelease)} |");
        Line($"| Downtime, FileSystemRelease (watcher, longest gap) | {Stats.Format(ReleaseDowntime.LongestGap)} ({ReleaseDowntime.MissingPolls:N0} of {ReleaseDowntime.Polls:N0} polls missing) | | |");
        Line($"| Downtime, Directory with empty hooks (engine) | {Stats.Format(Stats.Median(DirectoryDowntime.Samples.Select(s => s.Downtime)))} | {Stats.Format(Stats.Median(Baseline))} (delete + copy over) | {FormatRatio(BaselineOverDirectory)} |");
        Line($"| Downtime, Directory (watcher, longest gap) | {Stats.Format(DirectoryDowntime.LongestGap)} ({DirectoryDowntime.MissingPolls:N0} of {DirectoryDowntime.Polls:N0} polls missing) | | |");
        Line($"| Invoke-Rollback Duration, {Setup.Files:N0} files | {Stats.Format(Stats.Median(big.Select(s => s.Duration)))} | | |");
        Line($"| of which raw switch | {Stats.Format(Stats.Median(big.Select(s => s.Switch)))} | | |");
        Line($"| overhead beyond the switch, {Setup.Files:N0} files | {Stats.Format(Stats.Median(big.Select(s => s.Duration - s.Switch)))} | | |");
        Line($"| overhead beyond the switch, {Setup.SmallFiles:N0} files | {Stats.Format(Stats.Median(small.Select(s => s.Duration - s.Switch)))} | | |");
        Line($"| Verify {Setup.Files:N0} files (FileTree.Verify vs sha256sum) | {Rate(Throughput.Ours)} | {Rate(Throughput.Sha256sum)} | {FormatRatio(Ratio(Stats.Median(Throughput.Sha256sum), Stats.Median(Throughput.Ours)))} |");
        Line($"| Verify vs sha256sum -P {Environment.ProcessorCount} | {Rate(Throughput.Ours)} | {Rate(Throughput.Sha256sumParallel)} | {FormatRatio(Ratio(Stats.Median(Throughput.Sha256sumParallel), Stats.Median(Throughput.Ours)))} |");
        Line($"| Verify vs sha256sum -c | {Rate(Throughput.Ours)} | {Rate(Throughput.Sha256sumCheck)} | {FormatRatio(Ratio(Stats.Median(Throughput.Sha256sumCheck), Stats.Median(Throughput.Ours)))} |");
        return md.ToString();
    }

    private static void Row(StringBuilder text, string label, IEnumerable<TimeSpan> big, IEnumerable<TimeSpan> small) =>
        Row(text, label, Stats.Format(Stats.Median(big)), Stats.Format(Stats.Median(small)));

    private static void Row(StringBuilder text, string label, string big, string small) =>
        text.Append(CultureInfo.InvariantCulture, $"  {label,-50} {big,12} {small,12}\n");

    private void ThroughputRow(StringBuilder text, string label, IReadOnlyList<TimeSpan> times) =>
        text.Append(CultureInfo.InvariantCulture, $"  {label,-52} {Stats.Format(Stats.Median(times)),10} {Rate(times),14}\n");

    private string Rate(IReadOnlyList<TimeSpan> times) =>
        (Throughput.Bytes / MiB / Stats.Median(times).TotalSeconds).ToString("N0", CultureInfo.InvariantCulture) + " MiB/s";

    private static string Spread(IEnumerable<TimeSpan> values)
    {
        var list = values.ToList();
        return $"{Stats.Format(Stats.Median(list))} (min {Stats.Format(list.Min())}, max {Stats.Format(list.Max())}, {list.Count} runs)";
    }

    private string ShortProbe() => Probe;

    private static double Ratio(TimeSpan numerator, TimeSpan denominator) =>
        denominator > TimeSpan.Zero ? numerator.TotalSeconds / denominator.TotalSeconds : double.PositiveInfinity;

    private static string FormatRatio(double ratio) =>
        double.IsPositiveInfinity(ratio) ? "inf" : ratio >= 100 ? ratio.ToString("N0", CultureInfo.InvariantCulture) + "x" : ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    internal static string MachineFacts()
    {
        var cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (model is not null)
            {
                cpu = model.Substring(model.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
            }
        }

        return $"{Environment.ProcessorCount} cores ({cpu}), {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.FrameworkDescription}";
    }

    internal static string FileSystemOf(string path)
    {
        try
        {
            return new DriveInfo(path).DriveFormat;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return "an unknown file system";
        }
    }
}
