using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace Rollback.Benchmarks;

/// <summary>
/// Prints figures for the design's promises, each against a baseline measured in the same run: downtime
/// (the switch, not the copy), the overhead Invoke-Rollback adds to the switch, and verification throughput.
/// A harness, never a timed test: it asserts nothing about speed.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        if (options.Watch)
        {
            return WatchBenchmark.Run(options);
        }

        if (options.Traffic)
        {
            return TrafficBenchmark.Run(options);
        }

        if (options.Postgres)
        {
            return PostgreSqlBenchmark.Run(options);
        }

        if (options.Stores)
        {
            return StoreBenchmark.Run(options);
        }

        if (options.DirectoryOnly)
        {
            return DirectoryBenchmark.Run(options);
        }

        if (options.HashCache)
        {
            return HashCacheBenchmark.Run(options);
        }

        if (options.Listing)
        {
            return ListingBenchmark.Run(options);
        }

        if (options.Plan)
        {
            return PlanBenchmark.Run(options);
        }

        var total = Stopwatch.StartNew();
        void Progress(string message) => Console.Error.WriteLine($"[{total.Elapsed.TotalSeconds,6:0.0} s] {message}");
        using var measurements = new Measurements(options);
        Progress($"Generating {options.Files:N0} files / {options.Megabytes:N0} MiB per release in {measurements.Root} and capturing points...");
        var setup = measurements.Setup();
        Progress("(a) FileSystemRelease rollbacks under a watcher...");
        var releaseDowntime = measurements.ReleaseDowntime(runs: 3);
        Progress("(a) Directory rollbacks under a watcher...");
        var directoryDowntime = measurements.DirectoryDowntime(runs: 2);
        Progress("(a) Baseline: delete and copy over...");
        var baseline = measurements.NaiveBaseline(runs: 3);
        Progress($"(b) {options.Iterations} rollbacks back and forth, {options.Files:N0} files...");
        var big = measurements.Overhead(Measurements.BigTarget, options.Iterations);
        Progress($"(b) {options.Iterations} rollbacks back and forth, {options.SmallFiles:N0} files...");
        var small = measurements.Overhead(Measurements.SmallTarget, options.Iterations);
        Progress("(c) Verification throughput against sha256sum...");
        var throughput = measurements.Throughput(runs: 3);

        var report = new Report
        {
            Probe = measurements.ProbeFile,
            WorkFolder = measurements.Root,
            Setup = setup,
            ReleaseDowntime = releaseDowntime,
            DirectoryDowntime = directoryDowntime,
            Baseline = baseline,
            BigOverhead = big,
            SmallOverhead = small,
            Throughput = throughput,
            Total = total.Elapsed,
        };
        Console.WriteLine();
        Console.Write(report.ToText());
        if (options.Markdown)
        {
            Console.WriteLine();
            Console.Write(report.ToMarkdown());
        }

        return 0;
    }
}

/// <summary>The command line: sizes, iterations, where to work, and the output form.</summary>
internal sealed class Options
{
    public const string Usage =
        "Usage: Rollback.Benchmarks [--files N] [--megabytes M] [--small-files N] [--iterations N] [--work DIR] [--markdown]\n" +
        "       Rollback.Benchmarks --watch [--runs N] [--work DIR]\n" +
        "       Rollback.Benchmarks --directory [--files N] [--megabytes M] [--runs N] [--work DIR]\n" +
        "       Rollback.Benchmarks --hash-cache [--files N] [--megabytes M] [--work DIR]\n" +
        "       Rollback.Benchmarks --plan [--members N] [--work DIR]\n" +
        "       Rollback.Benchmarks --listing [--files N] [--megabytes M] [--work DIR]\n" +
        "       Rollback.Benchmarks --traffic [--runs N] [--work DIR]\n" +
        "       Rollback.Benchmarks --postgres [--rows N] [--work DIR]\n" +
        "       Rollback.Benchmarks --stores [--appends N] [--points N] [--work DIR]\n" +
        "  --stores         the folder store against the shared PostgreSQL store: durable journal appends/s, and listing N points\n" +
        "  --appends N      journal appends per store (default 2000)\n" +
        "  --points N       points per store for the listing (default 10000)\n" +
        "  --postgres       a PostgreSqlDatabase rollback (restore beside, rename) against stop/pg_restore --clean/start, and plain pg_restore\n" +
        "  --rows N         rows in the PostgreSQL benchmark's table (default 1000000, about 200 MB)\n" +
        "  --watch          time Watch-Deployment's automatic rollback: error rate over the threshold to verified health\n" +
        "  --directory      time whole Directory rollbacks, step by step, against cp -a + sync -f of the same tree\n" +
        "  --hash-cache     time the hashes kept between commands (open, preload, hash all known, save all new) against reading and writing a file of the same size\n" +
        "  --listing        time one listing of a generated tree (a stat of every entry) against find -printf of the same facts\n" +
        "  --plan           time a plan of one fleet stage: N FileSystemRelease members at throttle 1, 8 and 16, and N members\n" +
        "                   with a fixed 250 ms restore at throttle 16 against the ideal ceil(N/16) x one member alone\n" +
        "  --traffic        count failed requests and the longest gap under a client loop through HAProxy: Invoke-Rollback vs restart vs edit + reload\n" +
        "  --members N      plan members (default 200)\n" +
        "  --runs N         watch runs, 1 to 3 (default 3); Directory rollbacks, back and forth (default 3)\n" +
        "  --files N        files per generated release (default 20000)\n" +
        "  --megabytes M    MiB per generated release (default 200)\n" +
        "  --small-files N  files in the small release that shows the fixed overhead (default 200)\n" +
        "  --iterations N   rollbacks back and forth per release size, at least 7 (default 7)\n" +
        "  --work DIR       where the scratch folder is made (default the temp folder); it is removed afterwards\n" +
        "  --markdown       also print a Markdown table for the README";

    public int Files { get; private set; } = 20000;

    public int Megabytes { get; private set; } = 200;

    public int SmallFiles { get; private set; } = 200;

    public int Iterations { get; private set; } = 7;

    public string? Work { get; private set; }

    public bool Markdown { get; private set; }

    public bool Watch { get; private set; }

    public bool DirectoryOnly { get; private set; }

    public bool Plan { get; private set; }

    public bool HashCache { get; private set; }

    public bool Listing { get; private set; }

    public int Members { get; private set; } = 200;

    public bool Traffic { get; private set; }

    public bool Postgres { get; private set; }

    public bool Stores { get; private set; }

    public int Appends { get; private set; } = 2000;

    public int Points { get; private set; } = 10000;

    public int Rows { get; private set; } = 1_000_000;

    public int Runs { get; private set; } = 3;

    public bool Help { get; private set; }

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--files":
                    options.Files = Number(args, ++i, min: 10);
                    break;
                case "--megabytes":
                    options.Megabytes = Number(args, ++i, min: 1);
                    break;
                case "--small-files":
                    options.SmallFiles = Number(args, ++i, min: 2);
                    break;
                case "--iterations":
                    options.Iterations = Number(args, ++i, min: 7);
                    break;
                case "--work":
                    options.Work = Path.GetFullPath(Value(args, ++i));
                    break;
                case "--watch":
                    options.Watch = true;
                    break;
                case "--traffic":
                    options.Traffic = true;
                    break;
                case "--directory":
                    options.DirectoryOnly = true;
                    break;
                case "--hash-cache":
                    options.HashCache = true;
                    break;
                case "--plan":
                    options.Plan = true;
                    break;
                case "--listing":
                    options.Listing = true;
                    break;
                case "--members":
                    options.Members = Number(args, ++i, min: 2);
                    break;
                case "--postgres":
                    options.Postgres = true;
                    break;
                case "--stores":
                    options.Stores = true;
                    break;
                case "--appends":
                    options.Appends = Number(args, ++i, min: 1);
                    break;
                case "--points":
                    options.Points = Number(args, ++i, min: 1);
                    break;
                case "--rows":
                    options.Rows = Number(args, ++i, min: 1000);
                    break;
                case "--runs":
                    options.Runs = Number(args, ++i, min: 1);
                    break;
                case "--markdown":
                    options.Markdown = true;
                    break;
                case "--help" or "-h":
                    options.Help = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        if (options.Watch && options.Runs > 3)
        {
            throw new ArgumentException("--runs is at most 3 with --watch: each run watches its own exporter job.");
        }

        if (options.Megabytes * 1048576L < options.Files)
        {
            throw new ArgumentException("--megabytes is too small for --files: each file needs at least one byte.");
        }

        return options;
    }

    private static string Value(string[] args, int index) =>
        index < args.Length ? args[index] : throw new ArgumentException($"'{args[index - 1]}' needs a value.");

    private static int Number(string[] args, int index, int min)
    {
        var text = Value(args, index);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new ArgumentException($"'{args[index - 1]}' needs a whole number of at least {min}, not '{text}'.");
    }
}
