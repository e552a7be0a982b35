using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Platform;
using Rollback.Providers;
using Rollback.Providers.FileSystem;
using Rollback.Store;

namespace Rollback.Benchmarks;

/// <summary>
/// Builds the releases, the store and the engine in a scratch folder, and takes each measurement. Every
/// figure comes from the real engine and providers on the real file system; nothing is mocked.
/// </summary>
internal sealed class Measurements : IDisposable
{
    public const string BigTarget = "api";
    public const string SmallTarget = "api-small";
    public const string DirectoryTarget = "site";
    public const string GoodVersion = "v2.3.1";
    public const string BadVersion = "v2.4.0";

    private readonly string _root;
    private readonly PhaseClock _clock = new();
    private readonly RollbackStore _store;
    private readonly RollbackEngine _engine;
    private readonly ReleaseGenerator _big;
    private readonly ReleaseGenerator _small;
    private readonly Dictionary<(string Target, string Version), string> _points = new();

    public Measurements(Options options)
    {
        var parent = options.Work ?? Path.GetTempPath();
        _root = Path.Combine(parent, "rollback-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        _store = new RollbackStore(Path.Combine(_root, "store"));
        var catalog = new ProviderCatalog(ProviderCatalog.FindIn(typeof(FileSystemReleaseProvider).Assembly));
        _engine = new RollbackEngine(_store, catalog, _clock, user: "bench");
        _big = new ReleaseGenerator(options.Files, options.Megabytes * 1048576L);
        _small = new ReleaseGenerator(options.SmallFiles, Math.Max(options.SmallFiles * 2L, options.Megabytes * 1048576L * options.SmallFiles / options.Files));
    }

    public string Root => _root;

    public string ProbeFile => _big.ProbeFile;

    private string AppRoot => Path.Combine(_root, "app");

    private string SmallRoot => Path.Combine(_root, "app-small");

    private string SiteFolder => Path.Combine(_root, "site", "api");

    private string NaiveFolder => Path.Combine(_root, "naive", "api");

    private string GoodRelease => Path.Combine(AppRoot, "releases", GoodVersion);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    // ---- setup ---------------------------------------------------------------------------------

    /// <summary>Writes both releases of each target, registers them and captures a point of each version.</summary>
    public SetupFigures Setup()
    {
        var watch = Stopwatch.StartNew();
        CreateReleaseTarget(BigTarget, AppRoot, _big);
        CreateReleaseTarget(SmallTarget, SmallRoot, _small);
        _big.Write(SiteFolder, GoodVersion, changedOnly: false);
        _big.Write(NaiveFolder, BadVersion, changedOnly: false);
        var generated = watch.Elapsed;

        var items = RegularFiles(GoodRelease);
        var capture = Stopwatch.StartNew();
        CapturePoints(BigTarget, AppRoot);
        var releaseCapture = capture.Elapsed / 2;
        CapturePoints(SmallTarget, SmallRoot);

        _engine.Targets.Register(DirectoryTarget, DirectoryProvider.KindName, Settings((DirectoryProvider.PathSetting, SiteFolder), (DirectoryProvider.VersionFileSetting, ReleaseGenerator.VersionFileName)), replace: false);
        capture.Restart();
        _points[(DirectoryTarget, GoodVersion)] = _engine.Points.Create(DirectoryTarget, "known good").Id;
        var directoryCapture = capture.Elapsed;
        _big.Write(SiteFolder, BadVersion, changedOnly: true);

        return new SetupFigures(
            Files: items.Count,
            Bytes: items.Sum(i => i.Size),
            SmallFiles: RegularFiles(Path.Combine(SmallRoot, "releases", GoodVersion)).Count,
            SmallBytes: RegularFiles(Path.Combine(SmallRoot, "releases", GoodVersion)).Sum(i => i.Size),
            Folders: Directory.GetDirectories(GoodRelease, "*", SearchOption.AllDirectories).Length,
            LargestFile: items.Max(i => i.Size),
            Generated: generated,
            ReleaseCapture: releaseCapture,
            DirectoryCapture: directoryCapture);
    }

    private void CreateReleaseTarget(string name, string root, ReleaseGenerator generator)
    {
        generator.Write(Path.Combine(root, "releases", GoodVersion), GoodVersion, changedOnly: false);
        generator.Write(Path.Combine(root, "releases", BadVersion), BadVersion, changedOnly: false);
        NativeFileSystem.CreateDirectoryLink(Path.Combine(root, "current"), "releases/" + GoodVersion);
        _engine.Targets.Register(name, FileSystemReleaseProvider.KindName, Settings((FileSystemReleaseProvider.RootSetting, root)), replace: false);
    }

    /// <summary>A point of the known-good release, then the deploy tool's switch to the bad one and a point of that.</summary>
    private void CapturePoints(string target, string root)
    {
        _points[(target, GoodVersion)] = _engine.Points.Create(target, "known good").Id;
        var temp = Path.Combine(root, ".deploy-link");
        NativeFileSystem.CreateDirectoryLink(temp, "releases/" + BadVersion);
        NativeFileSystem.ReplaceByRename(temp, Path.Combine(root, "current"));
        _points[(target, BadVersion)] = _engine.Points.Create(target, "failed deployment").Id;
    }

    // ---- (a) downtime --------------------------------------------------------------------------

    /// <summary>Rolls the big release target back and forth with a watcher polling a file under 'current'.</summary>
    public DowntimeFigures ReleaseDowntime(int runs) =>
        WatchedRollbacks(BigTarget, Path.Combine(AppRoot, "current", _big.ProbeFile), runs, withHooks: false);

    /// <summary>Rolls the Directory target back and forth, with empty BeforeSwitch/AfterSwitch hooks, and a watcher on the live folder.</summary>
    public DowntimeFigures DirectoryDowntime(int runs) =>
        WatchedRollbacks(DirectoryTarget, Path.Combine(SiteFolder, _big.ProbeFile), runs, withHooks: true);

    private DowntimeFigures WatchedRollbacks(string target, string probe, int runs, bool withHooks)
    {
        var samples = new List<RollbackSample>();
        using var watcher = new PresenceWatcher(probe);
        for (var i = 0; i < runs; i++)
        {
            samples.Add(RollbackToOther(target, withHooks));
        }

        watcher.Stop();
        return new DowntimeFigures(samples, watcher.Polls, watcher.MissingPolls, watcher.LongestGap, watcher.LongestPollInterval);
    }

    /// <summary>
    /// The manual procedure (stop, delete, copy over, start) on the same tree, stop and start as no-ops: delete the live folder's contents,
    /// then copy the known-good files over it one File.Copy at a time (what Copy-Item does). The whole of it is
    /// the window in which the folder is not a complete known-good tree.
    /// </summary>
    public IReadOnlyList<TimeSpan> NaiveBaseline(int runs)
    {
        var source = RegularFiles(GoodRelease);
        var windows = new List<TimeSpan>();
        for (var run = 0; run < runs; run++)
        {
            if (run > 0)
            {
                // Back to the failed deployment, untimed: only the changed files differ.
                _big.Write(NaiveFolder, BadVersion, changedOnly: true);
            }

            var watch = Stopwatch.StartNew();
            foreach (var directory in Directory.GetDirectories(NaiveFolder))
            {
                Directory.Delete(directory, recursive: true);
            }

            foreach (var file in Directory.GetFiles(NaiveFolder))
            {
                File.Delete(file);
            }

            foreach (var item in source)
            {
                var destination = Path.Combine(NaiveFolder, item.RelativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(item.FullPath, destination, overwrite: true);
            }

            windows.Add(watch.Elapsed);
        }

        return windows;
    }

    // ---- (b) overhead --------------------------------------------------------------------------

    /// <summary>Rolls a release target back and forth <paramref name="iterations"/> times, each run split into phases.</summary>
    public OverheadFigures Overhead(string target, int iterations)
    {
        var samples = new List<RollbackSample>();
        for (var i = 0; i < iterations; i++)
        {
            samples.Add(RollbackToOther(target, withHooks: false));
        }

        // The same operations the engine performs, timed on their own, to split the phases the progress marks cannot.
        var pointId = _points[(target, GoodVersion)];
        var manifestLoad = Repeat(5, () => _store.Points.Get(target, pointId));
        var describe = Repeat(5, () => _engine.Targets.Describe(target));
        var scratch = new RollbackStore(Path.Combine(_root, "scratch-store-" + target));
        var journal = Repeat(5, () => scratch.Journal.Append(new HistoryEntry { Target = target, Action = HistoryAction.Rollback, Status = HistoryStatus.Succeeded, Reason = "bench" }));
        var holder = Path.Combine(_root, "holder-" + target);
        var lockFile = Path.Combine(_root, "lock-" + target);
        var targetLock = Repeat(5, () =>
        {
            using var held = FileLock.TryAcquire(lockFile);
            AtomicFile.WriteAllText(holder, "bench (user bench, process 1, since now)");
            File.Delete(holder);
        });
        return new OverheadFigures(target, samples, manifestLoad, describe, journal, targetLock);
    }

    // ---- (c) verification throughput -----------------------------------------------------------

    /// <summary>FileTree.Verify over the known-good release against sha256sum over the same files, both with a hot page cache.</summary>
    public ThroughputFigures Throughput(int runs)
    {
        var point = _store.Points.Get(BigTarget, _points[(BigTarget, GoodVersion)]);
        var bytes = point.TotalSize;
        WarmPageCache(GoodRelease);

        var ours = Repeat(runs, () => FileTree.Verify(GoodRelease, point.Artifacts, NullReporter.Instance, default));
        var quoted = "'" + GoodRelease.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var sequential = Repeat(runs, () => Shell($"find {quoted} -type f -print0 | xargs -0 sha256sum > /dev/null", null));
        var parallel = Repeat(runs, () => Shell($"find {quoted} -type f -print0 | xargs -0 -P {Environment.ProcessorCount} -n 500 sha256sum > /dev/null", null));

        var sums = Path.Combine(_root, "sha256sums.txt");
        var fileArtifacts = point.Artifacts.Where(a => a.LinkTarget is null && a.Type is null).ToList();
        File.WriteAllLines(sums, fileArtifacts.Select(a => a.Sha256 + "  " + a.RelativePath));
        var check = Repeat(runs, () => Shell($"sha256sum --quiet -c '{sums}'", GoodRelease));

        // Verify's two halves on their own: the per-file path proofs (one thread), then Checksums.HashFile on every core.
        var files = fileArtifacts.Select(a => Path.Combine(GoodRelease, a.RelativePath)).ToList();
        var pathChecks = Repeat(runs, () => PathChecks(GoodRelease, point.Artifacts));
        var engineHash = Repeat(runs, () => Parallel.ForEach(files, file => Checksums.HashFile(file)));

        // What the hashing alone costs in-process: one SHA-256 and one reused buffer per worker, no manifest checks.
        var lean = Repeat(runs, () => LeanParallelHash(files));
        return new ThroughputFigures(bytes, fileArtifacts.Count, ours, sequential, parallel, check, pathChecks, engineHash, lean);
    }

    // The tree listing names folders and links too (their metadata is kept); the baselines copy and hash files.
    private static List<FileTree.Item> RegularFiles(string root) => FileTree.List(root).Where(i => i.IsRegularFile).ToList();

    private static void WarmPageCache(string folder)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        Parallel.ForEach(files, () => new byte[1 << 20], (file, _, buffer) =>
        {
            using var stream = File.OpenRead(file);
            while (stream.Read(buffer, 0, buffer.Length) > 0)
            {
            }

            return buffer;
        }, _ => { });
    }

    /// <summary>The checks FileTree.Verify makes before it opens any file, as it makes them.</summary>
    private static void PathChecks(string baseDirectory, IReadOnlyList<ArtifactEntry> artifacts)
    {
        var checkedFolders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var artifact in artifacts)
        {
            var path = SafePath.Resolve(baseDirectory, artifact.RelativePath);
            if (checkedFolders.Add(Path.GetDirectoryName(path)!))
            {
                SafePath.EnsureNoEscapingLink(baseDirectory, Path.GetDirectoryName(path)!);
            }

            if (NativeFileSystem.IsLink(path))
            {
                SafePath.EnsureNoEscapingLink(baseDirectory, path);
            }

            _ = File.Exists(path);
        }
    }

    private static void LeanParallelHash(IReadOnlyList<string> files)
    {
        Parallel.ForEach(files, () => (Sha: System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256), Buffer: new byte[1 << 16]), (file, _, state) =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            int read;
            while ((read = stream.Read(state.Buffer, 0, state.Buffer.Length)) > 0)
            {
                state.Sha.AppendData(state.Buffer, 0, read);
            }

            state.Sha.GetHashAndReset();
            return state;
        }, state => state.Sha.Dispose());
    }

    private static void Shell(string command, string? workingDirectory) => Benchmarks.Shell.Run(workingDirectory, "/bin/sh", "-c", command);

    // ---- shared --------------------------------------------------------------------------------

    /// <summary>One rollback of <paramref name="target"/> to whichever of the two versions is not current.</summary>
    private RollbackSample RollbackToOther(string target, bool withHooks)
    {
        var current = _engine.Targets.Describe(target).Version;
        var to = current == GoodVersion ? BadVersion : GoodVersion;
        var request = new RollbackRequest
        {
            Target = target,
            PointId = _points[(target, to)],
            Reason = "benchmark",
            ApprovedBy = new[] { "bench" },
            BeforeSwitch = withHooks ? () => { } : null,
            AfterSwitch = withHooks ? () => { } : null,
        };
        _clock.Start();
        var result = _engine.Rollbacks.Run(request);
        var wall = _clock.Elapsed;
        if (result.Status != RollbackStatus.Succeeded || result.ToVersion != to)
        {
            throw new InvalidOperationException($"Rollback of {target} to {to} ended {result.Status}: {result.Message}");
        }

        // The safety point holds the state just left: rolling back to it is the undo, and saves capturing that state at setup.
        _points[(target, current)] = result.SafetyPointId!;

        return RollbackSample.From(result, wall, _clock);
    }

    private static List<TimeSpan> Repeat(int runs, Action action)
    {
        var times = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed);
        }

        return times;
    }

    private static List<TimeSpan> Repeat<T>(int runs, Func<T> action) => Repeat(runs, () => { _ = action(); });

    private static SettingsDictionary Settings(params (string Key, string Value)[] pairs) =>
        new(pairs.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));
}

internal sealed record SetupFigures(int Files, long Bytes, int SmallFiles, long SmallBytes, int Folders, long LargestFile, TimeSpan Generated, TimeSpan ReleaseCapture, TimeSpan DirectoryCapture);

internal sealed record DowntimeFigures(IReadOnlyList<RollbackSample> Samples, long Polls, long MissingPolls, TimeSpan LongestGap, TimeSpan LongestPollInterval);

internal sealed record OverheadFigures(string Target, IReadOnlyList<RollbackSample> Samples, IReadOnlyList<TimeSpan> ManifestLoad, IReadOnlyList<TimeSpan> Describe, IReadOnlyList<TimeSpan> JournalAppend, IReadOnlyList<TimeSpan> TargetLock);

internal sealed record ThroughputFigures(long Bytes, int Files, IReadOnlyList<TimeSpan> Ours, IReadOnlyList<TimeSpan> Sha256sum, IReadOnlyList<TimeSpan> Sha256sumParallel, IReadOnlyList<TimeSpan> Sha256sumCheck, IReadOnlyList<TimeSpan> PathChecks, IReadOnlyList<TimeSpan> EngineHash, IReadOnlyList<TimeSpan> LeanInProcess);

/// <summary>One rollback: the engine's figures and the phases read from the progress marks.</summary>
internal sealed record RollbackSample(TimeSpan Wall, TimeSpan Duration, TimeSpan Downtime, TimeSpan Switch, IReadOnlyDictionary<string, TimeSpan> Phases)
{
    /// <summary>The CPU time of each phase, where the clock took it (<see cref="PhaseClock.Cpu"/>); empty otherwise.</summary>
    public IReadOnlyDictionary<string, TimeSpan> CpuPhases { get; init; } = new Dictionary<string, TimeSpan>();

    public const string LockPhase = "lock + registry";
    // The point's tree is proven on another thread while the target is described; the tree's closing progress mark is
    // handed over once both are done, so the first readiness phase holds the manifest load and both reads.
    public const string VerifyPhase = "readiness: manifest, point's tree + target read";
    public const string ChecksPhase = "readiness: the kind's checks";
    public const string SafetyHashPhase = "safety capture: list + hash";
    public const string SafetyManifestPhase = "safety capture: manifest write";
    public const string RestorePhase = "restore steps besides the switch";
    // A Directory target is read back from the end of its switch on, beside the safety point's commit (a restore step).
    public const string FinishPhase = "verify (rest of) + journal + unlock";

    public static IReadOnlyList<string> PhaseOrder { get; } = new[] { LockPhase, VerifyPhase, ChecksPhase, SafetyHashPhase, SafetyManifestPhase, RestorePhase, FinishPhase };

    public static RollbackSample From(RollbackResult result, TimeSpan wall, PhaseClock clock)
    {
        var zero = TimeSpan.Zero;
        var readiness = clock.First(PhaseClock.Phase(5), zero) ?? zero;
        var safety = clock.First(PhaseClock.Phase(20), readiness) ?? readiness;
        var restore = clock.First(PhaseClock.Phase(50), safety) ?? safety;
        var verify = clock.First(PhaseClock.Phase(90), restore) ?? restore;
        var finished = clock.First(PhaseClock.Finished, verify) ?? wall;
        var verified = Within(clock.First(PhaseClock.ArtifactsVerified, readiness), readiness, safety);
        var hashed = Within(clock.First(PhaseClock.TreeHashed, safety), safety, restore);
        var switchTime = result.Steps.Where(s => s.Name is "SwitchCurrent" or "SwapFolders").Aggregate(zero, (sum, s) => sum + s.Duration);
        var phases = new Dictionary<string, TimeSpan>
        {
            [LockPhase] = readiness,
            [VerifyPhase] = verified - readiness,
            [ChecksPhase] = safety - verified,
            [SafetyHashPhase] = hashed - safety,
            [SafetyManifestPhase] = restore - hashed,
            [RestorePhase] = verify - restore - switchTime,
            [FinishPhase] = finished - verify,
        };
        TimeSpan Cpu(TimeSpan from, TimeSpan to) => clock.CpuAt(to) - clock.CpuAt(from);
        var cpu = clock.Cpu is null ? new Dictionary<string, TimeSpan>() : new Dictionary<string, TimeSpan>
        {
            [LockPhase] = Cpu(zero, readiness),
            [VerifyPhase] = Cpu(readiness, verified),
            [ChecksPhase] = Cpu(verified, safety),
            [SafetyHashPhase] = Cpu(safety, hashed),
            [SafetyManifestPhase] = Cpu(hashed, restore),
            [RestorePhase] = Cpu(restore, verify),
            [FinishPhase] = Cpu(verify, finished),
        };
        return new RollbackSample(wall, result.Duration, result.Downtime, switchTime, phases) { CpuPhases = cpu };
    }

    private static TimeSpan Within(TimeSpan? mark, TimeSpan from, TimeSpan to) =>
        mark is TimeSpan at && at <= to ? at : from;
}

internal static class Stats
{
    public static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        if (sorted.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The median of counts (bytes allocated), as <see cref="Median(IEnumerable{TimeSpan})"/>.</summary>
    public static long Median(IEnumerable<long> values) => Median(values.Select(TimeSpan.FromTicks)).Ticks;

    public static string Format(TimeSpan value) =>
        value.TotalSeconds >= 1 ? value.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : value.TotalMilliseconds >= 1 ? value.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms"
        : (value.Ticks / 10.0).ToString("0.0", CultureInfo.InvariantCulture) + " µs";
}
