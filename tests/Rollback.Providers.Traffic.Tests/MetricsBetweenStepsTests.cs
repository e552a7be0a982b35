using System;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// Between two traffic steps the policy's metrics thresholds are checked when the target names a Prometheus: a real one
/// (Debian's) scraping an exporter whose job fails 20 % of its requests stops the shift at 50 % (error rate above 10 %
/// for the policy's 3 s); a job without errors lets it go on to 100 %.
/// </summary>
public sealed class MetricsBetweenStepsTests : IClassFixture<PrometheusServer>, IDisposable
{
    private readonly PrometheusServer _prometheus;
    private readonly BlueGreen _env = new();

    public MetricsBetweenStepsTests(PrometheusServer prometheus) => _prometheus = prometheus;

    public void Dispose() => _env.Dispose();

    [SkippableTheory]
    [InlineData("errors20", false)]
    [InlineData("healthy", true)]
    public void TheMetricsThresholdsDecideWhetherTheNextStepIsTaken(string job, bool goesOn)
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        Skip.If(_prometheus.SkipReason is not null, _prometheus.SkipReason);
        var policy = Path.Combine(_env.Proxy.Root, "policy.json");
        File.WriteAllText(policy, PrometheusServer.FastPolicyJson);
        var settings = _env.Settings(steps: "50,100");
        settings["StepWait"] = "00:00:01";
        settings["PrometheusUrl"] = _prometheus.Url.ToString();
        settings["PrometheusJob"] = job;
        settings["MetricsRateWindow"] = PrometheusServer.RateWindow;
        settings["MetricsStep"] = "00:00:01";
        settings["PolicyPath"] = policy;
        _env.Register(settings);
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();

        var result = _env.Rollback(point.Id);

        var verify = result.Steps.Single(s => s.Name == "Verify50");
        if (goesOn)
        {
            Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
            Assert.Equal(StepStatus.Succeeded, verify.Status);
            Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Good]);
            return;
        }

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.TrafficShiftStopped, result.ErrorId);
        Assert.Contains(result.Verification, c => c.Name == "MetricsThresholds" && c.Status == CheckStatus.Fail);
        Assert.Contains("error rate", verify.Message, StringComparison.OrdinalIgnoreCase);
        var answers = _env.Proxy.Answers(20);
        Assert.Equal(10, answers[BlueGreen.Good]);
        Assert.Equal(10, answers[BlueGreen.Bad]);
    }
}
