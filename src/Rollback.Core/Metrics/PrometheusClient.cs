using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Errors;

namespace Rollback.Metrics;

public enum PrometheusResultType
{
    Vector,
    Matrix,
    Scalar,
    Text,
}

/// <summary>One series of a Prometheus answer: its labels and its samples (one for an instant query).</summary>
public sealed class PrometheusSeries
{
    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    public required IReadOnlyList<MetricSample> Samples { get; init; }

    public override string ToString() => "{" + string.Join(",", Labels.Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";
}

/// <summary>A Prometheus query answer. A scalar answer is one series without labels.</summary>
public sealed class PrometheusResult
{
    public required string Query { get; init; }

    public PrometheusResultType ResultType { get; init; }

    public IReadOnlyList<PrometheusSeries> Series { get; init; } = Array.Empty<PrometheusSeries>();

    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
}

/// <summary>
/// A client of the Prometheus HTTP API (<c>/api/v1/query</c> and <c>/api/v1/query_range</c>). Thread-safe and meant to
/// be kept: a watcher polls through one instance. Failures are <see cref="RollbackException"/>s: MetricsSourceUnreachable
/// when no answer comes, MetricsQueryFailed when Prometheus refuses the query (its errorType and error text in the
/// message) or answers something that is not its API.
/// </summary>
public sealed class PrometheusClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public PrometheusClient(Uri baseAddress, TimeSpan? timeout = null, HttpMessageHandler? handler = null)
    {
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                $"'{baseAddress}' is not an http(s) address of a Prometheus server.", baseAddress);
        }

        BaseAddress = new Uri(baseAddress.AbsoluteUri.TrimEnd('/') + "/");
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = timeout ?? DefaultTimeout;
    }

    public Uri BaseAddress { get; }

    /// <summary>An instant query at <paramref name="time"/> (Prometheus's now when null).</summary>
    public Task<PrometheusResult> QueryAsync(string query, DateTimeOffset? time = null, CancellationToken cancellation = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("query", query) };
        if (time is { } at)
        {
            form.Add(new("time", UnixSeconds(at)));
        }

        return SendAsync("api/v1/query", query, form, cancellation);
    }

    /// <summary>A range query: one sample per <paramref name="step"/> from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public Task<PrometheusResult> QueryRangeAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step, CancellationToken cancellation = default)
    {
        if (step <= TimeSpan.Zero || end < start)
        {
            throw new ArgumentOutOfRangeException(nameof(step), "A range query needs a positive step and an end after its start.");
        }

        var form = new List<KeyValuePair<string, string>>
        {
            new("query", query),
            new("start", UnixSeconds(start)),
            new("end", UnixSeconds(end)),
            new("step", step.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)),
        };
        return SendAsync("api/v1/query_range", query, form, cancellation);
    }

    public void Dispose() => _http.Dispose();

    private async Task<PrometheusResult> SendAsync(string path, string query, List<KeyValuePair<string, string>> form, CancellationToken cancellation)
    {
        var uri = new Uri(BaseAddress, path);
        string body;
        int status;
        try
        {
            using var content = new FormUrlEncodedContent(form);
            using var response = await _http.PostAsync(uri, content, cancellation).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable($"Prometheus at {BaseAddress} cannot be reached: {Innermost(ex).Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellation.IsCancellationRequested)
        {
            throw Unreachable($"Prometheus at {BaseAddress} did not answer within {Durations.Describe(_http.Timeout)}.", ex);
        }

        return Parse(query, status, body);
    }

    private PrometheusResult Parse(string query, int status, string body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw Failed(query, $"{BaseAddress} answered HTTP {status} with something that is not the Prometheus API: {Excerpt(body)}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            var state = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (state == "error")
            {
                var type = root.TryGetProperty("errorType", out var t) ? t.GetString() : "unknown";
                var error = root.TryGetProperty("error", out var e) ? e.GetString() : "(no error text)";
                throw Failed(query, $"Prometheus refused the query (HTTP {status}, {type}): {error}");
            }

            if (state != "success" || status >= 300 || !root.TryGetProperty("data", out var data))
            {
                throw Failed(query, $"{BaseAddress} answered HTTP {status} without a Prometheus result: {Excerpt(body)}");
            }

            try
            {
                return Result(query, root, data);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException)
            {
                throw Failed(query, $"the answer's data is not in the Prometheus format: {ex.Message}", ex);
            }
        }
    }

    private static PrometheusResult Result(string query, JsonElement root, JsonElement data)
    {
        var warnings = root.TryGetProperty("warnings", out var w) && w.ValueKind == JsonValueKind.Array
            ? w.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToArray()
            : Array.Empty<string>();
        var type = data.GetProperty("resultType").GetString();
        var result = data.GetProperty("result");
        switch (type)
        {
            case "vector":
                return new PrometheusResult
                {
                    Query = query,
                    ResultType = PrometheusResultType.Vector,
                    Series = result.EnumerateArray().Select(item => new PrometheusSeries { Labels = Labels(item), Samples = new[] { Sample(item.GetProperty("value")) } }).ToArray(),
                    Warnings = warnings,
                };
            case "matrix":
                return new PrometheusResult
                {
                    Query = query,
                    ResultType = PrometheusResultType.Matrix,
                    Series = result.EnumerateArray().Select(item => new PrometheusSeries { Labels = Labels(item), Samples = item.GetProperty("values").EnumerateArray().Select(Sample).ToArray() }).ToArray(),
                    Warnings = warnings,
                };
            case "scalar":
                return new PrometheusResult
                {
                    Query = query,
                    ResultType = PrometheusResultType.Scalar,
                    Series = new[] { new PrometheusSeries { Labels = new Dictionary<string, string>(), Samples = new[] { Sample(result) } } },
                    Warnings = warnings,
                };
            case "string":
                return new PrometheusResult { Query = query, ResultType = PrometheusResultType.Text, Warnings = warnings };
            default:
                throw new FormatException($"unknown resultType '{type}'");
        }
    }

    private static Dictionary<string, string> Labels(JsonElement item) =>
        item.TryGetProperty("metric", out var metric)
            ? metric.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A [unix seconds, "value"] pair; values are strings so NaN and ±Inf survive JSON.</summary>
    private static MetricSample Sample(JsonElement pair)
    {
        var seconds = pair[0].GetDouble();
        var text = pair[1].GetString() ?? throw new FormatException("a sample has no value");
        var value = text switch
        {
            "NaN" => double.NaN,
            "+Inf" or "Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        var time = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
        return new MetricSample(time, value);
    }

    private static string UnixSeconds(DateTimeOffset time) =>
        (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Excerpt(string body)
    {
        var text = body.Replace('\n', ' ').Replace('\r', ' ').Trim();
        return text.Length <= 200 ? text : text.Substring(0, 200) + "...";
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private RollbackException Unreachable(string message, Exception inner) =>
        new(RollbackErrorId.MetricsSourceUnreachable, RollbackErrorCategory.ResourceUnavailable, message, BaseAddress, inner);

    private static RollbackException Failed(string query, string why, Exception? inner = null) =>
        new(RollbackErrorId.MetricsQueryFailed, RollbackErrorCategory.InvalidOperation, $"The metrics query failed: {why}. Query: {query}", query, inner);
}
