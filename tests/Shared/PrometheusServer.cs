using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>How one scraped job of the test exporter behaves: the share of requests that fail, and their latency.</summary>
public sealed record ExporterJob(string Name, double ErrorShare, double LatencySeconds);

/// <summary>
/// A real Prometheus (the Debian package's binary) on 127.0.0.1, scraping a test exporter every second, started once for
/// a test class or collection. Each job of the exporter serves http_requests_total{status="200"|"500"} and an
/// http_request_duration_seconds histogram that grow by 100 requests per scrape with the job's error share and latency,
/// so rate() answers are exact. When Prometheus cannot be started, <see cref="SkipReason"/> says why and the tests skip.
/// Shared by the engine and the cmdlet tests (linked source; it uses no Rollback type).
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    public const string RateWindow = "5s";

    public static readonly IReadOnlyList<ExporterJob> Jobs = new[]
    {
        new ExporterJob("errors20", 0.20, 0.03),
        new ExporterJob("errors5", 0.05, 0.03),
        new ExporterJob("healthy", 0.0, 0.03),
        new ExporterJob("slow", 0.0, 0.5),
        new ExporterJob("driven1", 0.0, 0.03),
        new ExporterJob("driven2", 0.0, 0.03),
        new ExporterJob("driven3", 0.0, 0.03),
    };

    /// <summary>Time a decision window needs in these tests: the policy's longest duration plus a step, plus the rate window.</summary>
    public static readonly TimeSpan NeededHistory = TimeSpan.FromSeconds(14);

    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DataPatience = TimeSpan.FromSeconds(60);

    private readonly Exporter? _exporter;
    private readonly LoopbackProcess? _process;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, Func<double>> _drivers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Total, long Errors)> _counters = new(StringComparer.Ordinal);

    public PrometheusServer()
    {
        _root = Path.Combine(Path.GetTempPath(), "rollback-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        var binary = LoopbackProcess.FindOnPath("prometheus");
        if (binary is null)
        {
            SkipReason = "Prometheus is not installed (no 'prometheus' on PATH): apt-get install prometheus, as .ci/run does.";
            return;
        }

        try
        {
            _exporter = new Exporter(Metrics);
            var exporterPort = _exporter.Url.Port;

            var port = Loopback.FreePort();
            Url = Loopback.Url(port);
            File.WriteAllText(Path.Combine(_root, "prometheus.yml"), Config(exporterPort));
            var arguments = new[]
            {
                "--config.file=" + Path.Combine(_root, "prometheus.yml"),
                "--storage.tsdb.path=" + Path.Combine(_root, "data"),
                $"--web.listen-address=127.0.0.1:{port}",
            };
            _process = new LoopbackProcess("Prometheus", binary, arguments, logLimit: 64_000);
            SkipReason = WaitUntilReady(_process);
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            SkipReason = $"Prometheus could not be started: {ex.Message}";
        }
    }

    /// <summary>Null when Prometheus runs and has the samples the tests need; else why the tests skip.</summary>
    public string? SkipReason { get; }

    public Uri Url { get; } = new("http://127.0.0.1:1/");

    public string ProcessLog => _process?.Log ?? string.Empty;

    /// <summary>
    /// From the next scrape on, <paramref name="job"/>'s new requests fail with the share <paramref name="errorShare"/>
    /// returns (asked at every scrape, so it may follow the state of a test's service). The counters stay monotonic.
    /// </summary>
    public void Drive(string job, Func<double> errorShare) => _drivers[job] = errorShare;

    public void SetErrorShare(string job, double errorShare) => Drive(job, () => errorShare);

    /// <summary>A loopback address where nothing listens.</summary>
    public static Uri UnusedUrl() => Loopback.Url(Loopback.ClosedPort());

    /// <summary>A JSON policy whose durations are seconds, so real-Prometheus tests finish in seconds (default thresholds).</summary>
    public static string FastPolicyJson => """{ "availabilityFor": "00:00:03", "errorRateFor": "00:00:03", "assessErrorRateFor": "00:00:05" }""";

    public void Dispose()
    {
        _process?.Dispose();
        _exporter?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static string Config(int exporterPort)
    {
        var text = new StringBuilder();
        text.Append("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n");
        foreach (var job in Jobs)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - job_name: {job.Name}\n    metrics_path: /metrics/{job.Name}\n    static_configs:\n      - targets: ['127.0.0.1:{exporterPort}']\n");
        }

        return text.ToString();
    }

    /// <summary>Bounded: ready within 30 s, then every job's error rate has a sample for each second of the needed history within 60 s.</summary>
    private string? WaitUntilReady(LoopbackProcess process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var notReady = process.WaitUntilReady(http, new Uri(Url, "-/ready"), response => response.IsSuccessStatusCode, StartPatience);
        if (notReady is not null)
        {
            return notReady;
        }

        var watch = Stopwatch.StartNew();
        var needed = (int)NeededHistory.TotalSeconds;
        while (true)
        {
            var counts = Jobs.Select(job => SampleCount(http, job.Name)).ToList();
            if (counts.All(c => c >= needed))
            {
                return null;
            }

            if (watch.Elapsed > DataPatience)
            {
                return $"Prometheus did not collect {needed} s of samples within {DataPatience.TotalSeconds} s (have {string.Join(", ", counts)}): {ProcessLog}";
            }

            Thread.Sleep(500);
        }
    }

    private int SampleCount(HttpClient http, string job)
    {
        var end = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var query = $"sum(rate(http_requests_total{{job=\"{job}\"}}[{RateWindow}]))";
        var uri = new Uri(Url, $"api/v1/query_range?query={Uri.EscapeDataString(query)}&start={end - (long)NeededHistory.TotalSeconds - 1}&end={end}&step=1");
        try
        {
            var body = http.GetStringAsync(uri).GetAwaiter().GetResult();
            using var document = JsonDocument.Parse(body);
            var result = document.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0 ? 0 : result[0].GetProperty("values").GetArrayLength();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>The exposition of the job named <paramref name="name"/> after one more scrape; null for no such job.</summary>
    private string? Metrics(string name)
    {
        var job = Jobs.FirstOrDefault(j => j.Name == name);
        return job is null ? null : Exposition(job, Scrape(job));
    }

    /// <summary>One more scrape of <paramref name="job"/>: 100 more requests, failing with the job's share or its driver's.</summary>
    private (long Total, long Errors) Scrape(ExporterJob job)
    {
        var share = _drivers.TryGetValue(job.Name, out var driver) ? driver() : job.ErrorShare;
        lock (_counters)
        {
            _counters.TryGetValue(job.Name, out var counters);
            counters = (counters.Total + 100, counters.Errors + (long)Math.Round(100 * share));
            _counters[job.Name] = counters;
            return counters;
        }
    }

    /// <summary>The Prometheus text format for the job's cumulative request and error counts.</summary>
    private static string Exposition(ExporterJob job, (long Total, long Errors) counters)
    {
        var (total, errors) = counters;
        double[] bounds = { 0.05, 0.1, 0.25, 0.5, 1, 2.5 };
        var text = new StringBuilder();
        text.Append("# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"http_requests_total{{status=\"200\"}} {total - errors}\n");
        text.Append(CultureInfo.InvariantCulture, $"http_requests_total{{status=\"500\"}} {errors}\n");
        text.Append("# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n");
        foreach (var bound in bounds)
        {
            text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{le=\"{bound}\"}} {(job.LatencySeconds <= bound ? total : 0)}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}\n");
        text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_sum {(total * job.LatencySeconds).ToString(CultureInfo.InvariantCulture)}\n");
        text.Append(CultureInfo.InvariantCulture, $"http_request_duration_seconds_count {total}\n");
        return text.ToString();
    }

    /// <summary>The scraped test exporter: /metrics/JOB answers the job's exposition, any other path 404.</summary>
    private sealed class Exporter : LoopbackHttpServer
    {
        private readonly Func<string, string?> _metrics;

        public Exporter(Func<string, string?> metrics)
        {
            _metrics = metrics;
        }

        protected override Task HandleAsync(HttpListenerContext context)
        {
            var name = context.Request.Url?.AbsolutePath.Split('/').LastOrDefault() ?? string.Empty;
            var text = _metrics(name);
            return RespondAsync(context, text is null ? 404 : 200, "text/plain; version=0.0.4", text ?? "unknown job\n");
        }
    }
}
