using System;
using System.Collections;
using System.IO;
using System.Linq;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>Get-RollbackDecision in a hosted runspace: binding, the three parameter sets, policy files and error ids.</summary>
public sealed class GetRollbackDecisionTests : IClassFixture<PrometheusServer>
{
    private readonly PrometheusServer _server;

    public GetRollbackDecisionTests(PrometheusServer server) => _server = server;

    [Fact]
    public void DesignExampleDecidesImmediateRollbackAndSaysWhy()
    {
        using var session = new RollbackSession();

        var decision = session.Run("Get-RollbackDecision -ErrorRate 0.123 -ErrorRateMinutes 4").One("RollbackDecision");

        Assert.Equal("ImmediateRollback", decision.GetString("Action"));
        Assert.Equal("SEV-2", decision.GetString("SeverityLabel"));
        Assert.Equal("True", decision.GetString("OnCallMayApprove"));
        var reasons = ((IEnumerable)decision.Get("Reasons")!).Cast<object>().Select(o => o.ToString()).ToList();
        Assert.StartsWith("Error rate 12.3% is above 10% for 4 min", reasons[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-ErrorRate 0.05 -ErrorRateMinutes 12", "AssessRollback")]
    [InlineData("-Availability 0.9 -AvailabilityMinutes 5", "ImmediateRollback")]
    [InlineData("-LatencyP95 0.42 -LatencyBaseline 0.175", "AssessRollback")]
    [InlineData("-DataCorruption", "ImmediateRollback")]
    [InlineData("-NonCriticalFeaturesLost", "AssessRollback")]
    [InlineData("-ErrorRate 0.01 -ErrorRateMinutes 30", "Monitor")]
    public void ParametersDecide(string arguments, string action)
    {
        using var session = new RollbackSession();

        var decision = session.Run("Get-RollbackDecision " + arguments).One("RollbackDecision");

        Assert.Equal(action, decision.GetString("Action"));
    }

    [Fact]
    public void PercentagesAreRefusedNotGuessed()
    {
        using var session = new RollbackSession();

        var result = session.Run("Get-RollbackDecision -ErrorRate 12.3 -ErrorRateMinutes 4");

        var error = Assert.Single(result.AllErrors);
        Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyFileOverridesTheThresholds()
    {
        using var session = new RollbackSession();
        var policy = Path.Combine(session.Root, "strict.json");
        File.WriteAllText(policy, """{ "errorRateAbove": 0.05, "assessErrorRateTo": 0.05, "errorRateFor": "00:01:00" }""");

        var decision = session.Run("Get-RollbackDecision -ErrorRate 0.06 -ErrorRateMinutes 1 -PolicyPath $TestRoot/strict.json").One("RollbackDecision");

        Assert.Equal("ImmediateRollback", decision.GetString("Action"));
        Assert.Equal(policy, decision.GetString("PolicySource"));
    }

    [Theory]
    [InlineData("{ broken", "PolicyInvalid")]
    [InlineData("""{ "assessErrorRateTo": 0.3 }""", "PolicyContradictory")]
    public void BadPolicyFileIsItsErrorId(string content, string errorId)
    {
        using var session = new RollbackSession();
        File.WriteAllText(Path.Combine(session.Root, "policy.json"), content);

        var result = session.Run("Get-RollbackDecision -ErrorRate 0.2 -ErrorRateMinutes 5 -PolicyPath $TestRoot/policy.json");

        var error = result.SingleError(errorId);
        Assert.NotNull(error.ErrorDetails?.RecommendedAction);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void UnreachablePrometheusIsMetricsSourceUnreachable()
    {
        using var session = new RollbackSession();

        var result = session.Run("param($url) Get-RollbackDecision -PrometheusUrl $url -Job api", new Hashtable { ["url"] = PrometheusServer.UnusedUrl() });

        result.SingleError("MetricsSourceUnreachable");
    }

    [Fact]
    public void TargetWithoutPrometheusUrlIsInvalidTargetSettings()
    {
        using var session = new RollbackSession();
        Directory.CreateDirectory(Path.Combine(session.Root, "site"));
        session.Run("Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = \"$TestRoot/site\" } -Confirm:$false").AssertNoErrors();

        session.Run("Get-RollbackDecision -Target site").SingleError("InvalidTargetSettings");
    }

    [SkippableFact]
    public void TargetFromThePipelineDecidesFromRealPrometheus()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var session = new RollbackSession();
        Directory.CreateDirectory(Path.Combine(session.Root, "site"));
        File.WriteAllText(Path.Combine(session.Root, "fast.json"), PrometheusServer.FastPolicyJson);
        session.SetVariable("PrometheusUrl", _server.Url.ToString());
        session.Run("""
            Register-RollbackTarget -Name errors20 -Kind Directory -Confirm:$false -Settings @{
                Path = "$TestRoot/site"; PrometheusUrl = $PrometheusUrl; MetricsRateWindow = '5s'; MetricsStep = '00:00:01'
                PolicyPath = "$TestRoot/fast.json"; LatencyBaseline = '0.1' }
            """).AssertNoErrors();

        var decision = session.Run("Get-RollbackTarget errors20 | Get-RollbackDecision").One("RollbackDecision");

        Assert.Equal("ImmediateRollback", decision.GetString("Action"));
        Assert.Equal("errors20", decision.GetString("Target"));
        Assert.EndsWith("fast.json", decision.GetString("PolicySource"), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("errors5", "AssessRollback")]
    [InlineData("healthy", "Monitor")]
    public void PrometheusUrlDecidesFromRealPromQL(string job, string action)
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var session = new RollbackSession();
        File.WriteAllText(Path.Combine(session.Root, "fast.json"), PrometheusServer.FastPolicyJson);

        var decision = session.Run(
            "param($url, $job) Get-RollbackDecision -PrometheusUrl $url -Job $job -Step 00:00:01 -LatencyP95Query '' -PolicyPath $TestRoot/fast.json " +
            "-ErrorRateQuery 'sum(rate(http_requests_total{job=\"{job}\",status=\"500\"}[5s])) / sum(rate(http_requests_total{job=\"{job}\"}[5s]))'",
            new Hashtable { ["url"] = _server.Url, ["job"] = job }).One("RollbackDecision");

        Assert.Equal(action, decision.GetString("Action"));
    }

    [SkippableFact]
    public void PromQLSyntaxErrorIsMetricsQueryFailed()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var session = new RollbackSession();

        var result = session.Run("param($url) Get-RollbackDecision -PrometheusUrl $url -ErrorRateQuery 'sum(rate(x[5s]'", new Hashtable { ["url"] = _server.Url });

        var error = result.SingleError("MetricsQueryFailed");
        Assert.Contains("parse error", error.Exception.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void QueryWithoutSeriesIsMetricsNoData()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var session = new RollbackSession();

        var result = session.Run("param($url) Get-RollbackDecision -PrometheusUrl $url -Job nobody", new Hashtable { ["url"] = _server.Url });

        result.SingleError("MetricsNoData");
    }
}
