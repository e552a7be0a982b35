using System;
using System.Linq;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Metrics;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Decisions;

/// <summary>
/// The Prometheus client and <see cref="MetricsDecisionSource"/> against a real Prometheus scraping the test exporter
/// every second, with a policy whose durations are seconds. Skipped, with the reason, when Prometheus cannot be started.
/// </summary>
public sealed class PrometheusDecisionTests : IClassFixture<PrometheusServer>
{
    private static readonly RollbackPolicy FastPolicy = RollbackPolicyFile.Parse(PrometheusServer.FastPolicyJson, "fast-policy.json");

    private readonly PrometheusServer _server;

    public PrometheusDecisionTests(PrometheusServer server) => _server = server;

    private MetricsQueries Queries(string job) => new()
    {
        PrometheusUrl = _server.Url,
        Job = job,
        RateWindow = PrometheusServer.RateWindow,
        Step = TimeSpan.FromSeconds(1),
    };

    private static async Task<RollbackDecision> DecideAsync(MetricsQueries queries, DecisionInputs? known = null)
    {
        using var source = new MetricsDecisionSource(queries);
        var now = DateTimeOffset.UtcNow;
        var inputs = await source.ReadAsync(FastPolicy, now, known);
        return RollbackDecider.Decide(inputs, FastPolicy, now, queries.Job);
    }

    [SkippableTheory]
    [InlineData("errors20", RollbackAction.ImmediateRollback, DecisionTrigger.ErrorRateAbove)]
    [InlineData("errors5", RollbackAction.AssessRollback, DecisionTrigger.ErrorRateElevated)]
    public async Task ErrorRateFromRealPromQLDecides(string job, RollbackAction expected, DecisionTrigger trigger)
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var decision = await DecideAsync(Queries(job));

        Assert.True(expected == decision.Action, string.Join(" | ", decision.Reasons));
        Assert.Equal(trigger, decision.FiredThresholds[0].Name);
        var rate = Assert.IsType<double>(decision.Inputs.ErrorRate);
        Assert.Equal(PrometheusServer.Jobs.Single(j => j.Name == job).ErrorShare, rate, 3);
        Assert.Equal(1.0, decision.Inputs.Availability);
        Assert.Contains(_server.Url.ToString(), decision.Inputs.Source, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task HealthyServiceIsMonitored()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var decision = await DecideAsync(Queries("healthy") with { LatencyBaseline = 0.1 });

        Assert.True(decision.Action == RollbackAction.Monitor, string.Join(" | ", decision.Reasons));
        Assert.Equal(0.0, decision.Inputs.ErrorRate);
        Assert.True(decision.Inputs.LatencyP95 < 0.1);
        Assert.Empty(decision.FiredThresholds);
        Assert.Equal(RollbackSeverity.Sev0, decision.Severity);
    }

    [SkippableFact]
    public async Task SlowServiceIsAssessedOnP95AgainstItsBaseline()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var decision = await DecideAsync(Queries("slow") with { LatencyBaseline = 0.1 });

        Assert.Equal(RollbackAction.AssessRollback, decision.Action);
        Assert.Equal(DecisionTrigger.LatencyDegraded, Assert.Single(decision.FiredThresholds).Name);
        Assert.InRange(decision.Inputs.LatencyP95!.Value, 0.25, 0.5); // histogram_quantile interpolates within the (0.25, 0.5] bucket
    }

    [SkippableFact]
    public async Task ReportedFactsJoinTheMeasurements()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var decision = await DecideAsync(Queries("healthy"), new DecisionInputs { SecurityVulnerability = true });

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        Assert.Equal(RollbackSeverity.Sev4, decision.Severity);
    }

    [SkippableFact]
    public async Task RangeSeriesHasOneSampleAStep()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var client = new PrometheusClient(_server.Url);
        var end = DateTimeOffset.UtcNow;

        var result = await client.QueryRangeAsync("sum(rate(http_requests_total{job=\"errors20\",status=\"500\"}[5s]))", end.AddSeconds(-10), end, TimeSpan.FromSeconds(1));

        Assert.Equal(PrometheusResultType.Matrix, result.ResultType);
        var series = Assert.Single(result.Series);
        Assert.InRange(series.Samples.Count, 9, 11);
        Assert.All(series.Samples, s => Assert.True(s.Value > 0));
    }

    [SkippableFact]
    public async Task InstantQueryParsesVectorsAndScalars()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var client = new PrometheusClient(_server.Url);

        var vector = await client.QueryAsync("up");
        Assert.Equal(PrometheusResultType.Vector, vector.ResultType);
        Assert.Equal(PrometheusServer.Jobs.Select(j => j.Name).Order(StringComparer.Ordinal), vector.Series.Select(s => s.Labels["job"]).Order(StringComparer.Ordinal));

        var scalar = await client.QueryAsync("scalar(vector(0.25))");
        Assert.Equal(PrometheusResultType.Scalar, scalar.ResultType);
        Assert.Equal(0.25, Assert.Single(Assert.Single(scalar.Series).Samples).Value);
    }

    [SkippableFact]
    public async Task SyntaxErrorIsMetricsQueryFailedWithPrometheusText()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var ex = await Assert.ThrowsAsync<RollbackException>(() => DecideAsync(Queries("errors20") with { ErrorRateQuery = "sum(rate(http_requests_total[5s]" }));

        Assert.Equal(RollbackErrorId.MetricsQueryFailed, ex.ErrorId);
        Assert.Contains("bad_data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("parse error", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task QueryWithoutSeriesIsMetricsNoData()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var ex = await Assert.ThrowsAsync<RollbackException>(() => DecideAsync(Queries("no-such-job")));

        Assert.Equal(RollbackErrorId.MetricsNoData, ex.ErrorId);
        Assert.Contains("no-such-job", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SeveralSeriesIsMetricsQueryFailed()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var ex = await Assert.ThrowsAsync<RollbackException>(() => DecideAsync(Queries("errors20") with { ErrorRateQuery = "up" }));

        Assert.Equal(RollbackErrorId.MetricsQueryFailed, ex.ErrorId);
        Assert.Contains("aggregate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachablePrometheusIsMetricsSourceUnreachable()
    {
        var queries = new MetricsQueries { PrometheusUrl = PrometheusServer.UnusedUrl(), Job = "api" };
        using var source = new MetricsDecisionSource(queries, timeout: TimeSpan.FromSeconds(5));

        var ex = await Assert.ThrowsAsync<RollbackException>(() => source.ReadAsync(RollbackPolicy.Default, DateTimeOffset.UtcNow));

        Assert.Equal(RollbackErrorId.MetricsSourceUnreachable, ex.ErrorId);
        Assert.Contains(queries.PrometheusUrl.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetSettingsBecomeQueries()
    {
        var settings = new SettingsDictionary(new System.Collections.Generic.Dictionary<string, object?>
        {
            [MetricsQueries.PrometheusUrlSetting] = "http://127.0.0.1:9090",
            [MetricsQueries.LatencyBaselineSetting] = "0.175",
            [MetricsQueries.LatencyP95QuerySetting] = string.Empty,
            [MetricsQueries.StepSetting] = "00:00:05",
        });

        var queries = MetricsQueries.FromSettings("api", settings);

        Assert.Equal("api", queries.Job);
        Assert.Equal(0.175, queries.LatencyBaseline);
        Assert.Equal(TimeSpan.FromSeconds(5), queries.Step);
        Assert.Equal(string.Empty, queries.LatencyP95Query);
        Assert.Equal("sum(rate(http_requests_total{job=\"api\",status=~\"5..\"}[1m])) / sum(rate(http_requests_total{job=\"api\"}[1m]))", queries.Expand(queries.ErrorRateQuery));

        var missing = Assert.Throws<RollbackException>(() => MetricsQueries.FromSettings("api", SettingsDictionary.Empty));
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, missing.ErrorId);
    }
}
