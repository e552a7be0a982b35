using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Metrics;
using Rollback.Platform;
using Rollback.Providers;
using Rollback.Providers.FileSystem;
using Rollback.Store;
using Rollback.Testing;
using Rollback.Watching;

namespace Rollback.Benchmarks;

/// <summary>
/// --watch: the drill with an unhealthy v2.4.0, measured end to end on real parts. A FileSystemRelease target whose
/// loopback health endpoint serves the current release, and a real Prometheus (1 s scrapes) whose exporter fails 50% of
/// requests while v2.4.0 is current. The deployment of v2.4.0 starts the errors; DeploymentWatcher polls, the error-rate
/// trigger (policy: above 10% for 3 s, production's 3 minutes in seconds) holds, the engine rolls back and verifies.
/// The moment the error rate crossed 10% is read back from Prometheus afterwards (the first 100 ms range sample above
/// it), and the time from there to verified health on v2.3.1 is split into detection (crossing to the first poll that
/// saw the breach), decision (the hold, until the rollback starts), rollback (the engine, verification excluded) and
/// verification. Figures only; nothing is asserted.
/// </summary>
internal static class WatchBenchmark
{
    private const string Good = "v2.3.1";
    private const string Bad = "v2.4.0";
    private const double Threshold = 0.10;
    private const double DocumentedAverageRecoverySeconds = 47;

    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Scrape = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private static readonly string[] Jobs = { "driven1", "driven2", "driven3" };

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-watch-bench-");
        var root = scratch.Path;
        scratch.Progress("Starting Prometheus on 127.0.0.1 (1 s scrapes) and waiting for its first samples...");
        using var prometheus = new PrometheusServer();
        if (prometheus.SkipReason is not null)
        {
            Console.Error.WriteLine("The watch benchmark needs a real Prometheus: " + prometheus.SkipReason);
            return 1;
        }

        var samples = new List<Sample>();
        for (var run = 0; run < options.Runs; run++)
        {
            scratch.Progress($"Run {run + 1} of {options.Runs}: deploy {Bad}, watch, roll back...");
            samples.Add(Measure(prometheus, Jobs[run], Path.Combine(root, "run" + (run + 1).ToString(CultureInfo.InvariantCulture))));
        }

        Console.WriteLine();
        Console.Write(Text(samples));
        return 0;
    }

    private static Sample Measure(PrometheusServer prometheus, string job, string folder)
    {
        var app = Path.Combine(folder, "opt", "api");
        foreach (var (version, status) in new[] { (Good, "healthy"), (Bad, "healthy") })
        {
            var release = Directory.CreateDirectory(Path.Combine(app, "releases", version)).FullName;
            File.WriteAllText(Path.Combine(release, "api.dll"), "build " + version);
            File.WriteAllText(Path.Combine(release, "health.json"), "{\"status\":\"" + status + "\",\"version\":\"" + version + "\"}");
        }

        var current = Path.Combine(app, "current");
        NativeFileSystem.CreateDirectoryLink(current, Path.Combine(app, "releases", Good));
        string Current() => Path.GetFileName(NativeFileSystem.ReadLink(current)!);

        // v2.4.0 answers its health endpoint but fails half of its requests: the error-rate trigger, not availability.
        using var health = new HealthServer(_ => new HealthAnswer(200, File.ReadAllText(Path.Combine(current, "health.json"))));
        prometheus.Drive(job, () => Current() == Bad ? 0.5 : 0.0);

        var store = new RollbackStore(Path.Combine(folder, "store"));
        var engine = new RollbackEngine(store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(FileSystemReleaseProvider).Assembly)), user: "bench");
        engine.Targets.Register("api", "FileSystemRelease", new SettingsDictionary(new[]
        {
            Setting("Root", app),
            Setting("HealthUri", health.Uri().ToString()),
            Setting("PrometheusUrl", prometheus.Url.ToString()),
            Setting("PrometheusJob", job),
            Setting("MetricsRateWindow", PrometheusServer.RateWindow),
            Setting("MetricsStep", "00:00:01"),
        }), replace: false);
        var point = engine.Points.Create("api", "known good");
        var policy = RollbackPolicyFile.Parse("{ \"errorRateFor\": \"00:00:03\" }", "bench-policy.json");

        // The deployment: 'current' names v2.4.0 from here on, and the exporter's next scrape carries its errors.
        var temp = Path.Combine(app, ".deploy");
        NativeFileSystem.CreateDirectoryLink(temp, Path.Combine(app, "releases", Bad));
        var deployedAt = DateTimeOffset.UtcNow;
        NativeFileSystem.ReplaceByRename(temp, current);

        var records = new DeploymentWatcher(engine).Watch(new WatchRequest
        {
            Target = "api",
            PointId = point.Id,
            Reason = "benchmark",
            Interval = Poll,
            Duration = TimeSpan.FromMinutes(1),
            Policy = policy,
        }).ToList();
        var final = records[^1];
        if (final.Action != WatchAction.RolledBack || final.Rollback is not { Status: RollbackStatus.Succeeded } result || final.BreachSeenAt is not { } seen)
        {
            throw new InvalidOperationException($"The watch did not roll back: {final.Action}: {final.Message}");
        }

        var verified = result.StartedAt + (result.RecoveryTime ?? result.Duration);
        var crossed = Crossing(prometheus, job, deployedAt, seen);
        var verification = result.VerificationDuration ?? TimeSpan.Zero;
        return new Sample(
            Crossing: crossed - deployedAt,
            Detection: seen - crossed,
            Decision: result.StartedAt - seen,
            Rollback: (result.RecoveryTime ?? result.Duration) - verification,
            Verification: verification,
            Total: verified - crossed,
            Polls: records.Count);
    }

    /// <summary>The first time after the deployment at which Prometheus's error rate was above the threshold, to 100 ms.</summary>
    private static DateTimeOffset Crossing(PrometheusServer prometheus, string job, DateTimeOffset from, DateTimeOffset to)
    {
        using var client = new PrometheusClient(prometheus.Url);
        var query = new MetricsQueries { PrometheusUrl = prometheus.Url, Job = job, RateWindow = PrometheusServer.RateWindow };
        var answer = client.QueryRangeAsync(query.Expand(MetricsQueries.DefaultErrorRateQuery), from, to, TimeSpan.FromMilliseconds(100)).GetAwaiter().GetResult();
        var first = answer.Series.SelectMany(s => s.Samples).Where(s => s.Value > Threshold).OrderBy(s => s.Time).FirstOrDefault();
        return first == default ? to : first.Time;
    }

    private static KeyValuePair<string, object?> Setting(string key, object value) => new(key, value);

    private static string Text(IReadOnlyList<Sample> samples)
    {
        static string S(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
        var text = new System.Text.StringBuilder();
        text.AppendLine("Watch-Deployment: error rate above 10% -> verified health on v2.3.1 (real Prometheus, loopback health endpoint)");
        text.AppendLine(CultureInfo.InvariantCulture, $"policy: error rate > 10% for {S(Hold)} (production: 3 min); scrape {S(Scrape)}, rate window {PrometheusServer.RateWindow}, range step 1 s, poll {S(Poll)}");
        text.AppendLine();
        text.AppendLine("run  crossed after deploy  detection  decision  rollback  verification  total  polls");
        for (var i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{i + 1,3}  {S(s.Crossing),20}  {S(s.Detection),9}  {S(s.Decision),8}  {S(s.Rollback),8}  {S(s.Verification),12}  {S(s.Total),5}  {s.Polls,5}");
        }

        TimeSpan Mean(Func<Sample, TimeSpan> pick) => TimeSpan.FromTicks((long)samples.Average(s => pick(s).Ticks));
        var mean = new Sample(Mean(s => s.Crossing), Mean(s => s.Detection), Mean(s => s.Decision), Mean(s => s.Rollback), Mean(s => s.Verification), Mean(s => s.Total), (int)Math.Round(samples.Average(s => s.Polls)));
        text.AppendLine(CultureInfo.InvariantCulture,
            $"mean {S(mean.Crossing),20}  {S(mean.Detection),9}  {S(mean.Decision),8}  {S(mean.Rollback),8}  {S(mean.Verification),12}  {S(mean.Total),5}  {mean.Polls,5}");
        text.AppendLine();
        // The policy's hold is counted in range samples 1 s apart, each standing for the second before it: three samples
        // above the threshold make "3 s", two seconds of wall time after the first. Up to one scrape and one poll come on top.
        var least = Hold - Step;
        var floor = Hold + Scrape + Poll;
        var overhead = mean.Detection + mean.Rollback + mean.Verification;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"floor set by the policy and the sampling: the {S(Hold)} hold (3 samples at a {S(Step)} step: at least {S(least)} of wall time) + up to {S(Scrape)} scrape + up to {S(Poll)} poll = {S(least)} to {S(floor)}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"the documented average recovery of an automated rollback, {DocumentedAverageRecoverySeconds:0} s (goal: under a tenth, {DocumentedAverageRecoverySeconds / 10:0.0} s): mean total {S(mean.Total)} = {(mean.Total.TotalSeconds / DocumentedAverageRecoverySeconds).ToString("P1", CultureInfo.InvariantCulture)} of it");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"tooling beyond the policy's hold (detection + rollback + verification): {S(overhead)}; with production's 3 min hold, recovery is the hold plus about that");
        return text.ToString();
    }

    private sealed record Sample(TimeSpan Crossing, TimeSpan Detection, TimeSpan Decision, TimeSpan Rollback, TimeSpan Verification, TimeSpan Total, int Polls);
}
