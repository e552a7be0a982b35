using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Errors;

namespace Rollback.Metrics;

/// <summary>
/// Turns a service's Prometheus metrics into <see cref="DecisionInputs"/>: each measurement is a range query over the
/// policy's longest window at the configured step, so the decision can tell for how long each threshold has held
/// ("above 10% for 3 consecutive minutes"). Keep one instance and call <see cref="ReadAsync"/> per poll; it holds no
/// state between reads beyond its HTTP connection.
/// </summary>
public sealed class MetricsDecisionSource : IDisposable
{
    /// <summary>Prometheus refuses range answers of more points per series than this.</summary>
    private const int MaxPoints = 10_000;

    private readonly PrometheusClient _client;
    private readonly bool _ownsClient;

    public MetricsDecisionSource(MetricsQueries queries, PrometheusClient? client = null, TimeSpan? timeout = null)
    {
        Queries = queries;
        _ownsClient = client is null;
        _client = client ?? new PrometheusClient(queries.PrometheusUrl, timeout);
    }

    public MetricsQueries Queries { get; }

    /// <summary>
    /// Reads the measurements for the window ending at <paramref name="end"/>. Facts that no metric shows (data corruption,
    /// a security vulnerability, lost functions, the affected share) come from <paramref name="known"/>.
    /// MetricsNoData when a configured query returns no series; MetricsQueryFailed when it returns several.
    /// </summary>
    public async Task<DecisionInputs> ReadAsync(RollbackPolicy policy, DateTimeOffset end, DecisionInputs? known = null, CancellationToken cancellation = default)
    {
        var step = Queries.Step;
        var window = policy.LongestDuration + step;
        if (window.Ticks / step.Ticks > MaxPoints)
        {
            step = TimeSpan.FromTicks((window.Ticks / MaxPoints) + 1);
        }

        var start = end - window;
        var errors = await RangeAsync(Queries.ErrorRateQuery, start, end, step, cancellation).ConfigureAwait(false);
        var availability = string.IsNullOrWhiteSpace(Queries.AvailabilityQuery) ? null : await RangeAsync(Queries.AvailabilityQuery!, start, end, step, cancellation).ConfigureAwait(false);
        var latency = string.IsNullOrWhiteSpace(Queries.LatencyP95Query) ? null : await RangeAsync(Queries.LatencyP95Query!, start, end, step, cancellation).ConfigureAwait(false);
        var baseline = Queries.LatencyBaseline ?? known?.LatencyBaseline;
        if (baseline is null && !string.IsNullOrWhiteSpace(Queries.LatencyBaselineQuery))
        {
            var answer = await _client.QueryAsync(Queries.Expand(Queries.LatencyBaselineQuery!), end, cancellation).ConfigureAwait(false);
            baseline = new MetricSeries(Single(answer).Samples, step).Latest;
        }

        return new DecisionInputs
        {
            ErrorRate = errors.Latest,
            ErrorRateSeries = errors,
            Availability = availability?.Latest,
            AvailabilitySeries = availability,
            LatencyP95 = latency?.Latest,
            LatencyP95Series = latency,
            LatencyBaseline = baseline,
            DataCorruption = known?.DataCorruption ?? false,
            SecurityVulnerability = known?.SecurityVulnerability ?? false,
            CriticalFunctionLost = known?.CriticalFunctionLost ?? false,
            NonCriticalFeaturesLost = known?.NonCriticalFeaturesLost ?? false,
            AffectedUsers = known?.AffectedUsers,
            MeasuredAt = end,
            Source = $"Prometheus {Queries.PrometheusUrl} job '{Queries.Job}', {Durations.Describe(window)} at {Durations.Describe(step)} steps",
        };
    }

    /// <summary>The synchronous form, for cmdlets (PowerShell's pipeline thread has no synchronization context).</summary>
    public DecisionInputs Read(RollbackPolicy policy, DateTimeOffset end, DecisionInputs? known = null, CancellationToken cancellation = default) =>
        ReadAsync(policy, end, known, cancellation).GetAwaiter().GetResult();

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private async Task<MetricSeries> RangeAsync(string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step, CancellationToken cancellation)
    {
        var result = await _client.QueryRangeAsync(Queries.Expand(query), start, end, step, cancellation).ConfigureAwait(false);
        return new MetricSeries(Single(result).Samples, step);
    }

    private static PrometheusSeries Single(PrometheusResult result)
    {
        if (result.Series.Count == 0)
        {
            throw new RollbackException(RollbackErrorId.MetricsNoData, RollbackErrorCategory.ObjectNotFound,
                $"The metrics query returned no series: no data matches it in the window (check the job label, the metric names, and that Prometheus scrapes the service). Query: {result.Query}", result.Query);
        }

        if (result.Series.Count > 1)
        {
            throw new RollbackException(RollbackErrorId.MetricsQueryFailed, RollbackErrorCategory.InvalidData,
                $"The metrics query returned {result.Series.Count} series ({string.Join(", ", result.Series.Take(3))}...); it must return one: aggregate it, e.g. with sum() or max(). Query: {result.Query}", result.Query);
        }

        return result.Series[0];
    }
}
