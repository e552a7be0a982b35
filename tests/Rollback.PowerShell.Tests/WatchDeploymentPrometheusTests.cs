using System;
using System.IO;
using System.Linq;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Watch-Deployment in a hosted runspace against a real Prometheus scraping the test exporter every second: the error
/// rate follows the release 'current' names (50% on v2.4.0). Skipped, with the reason, when Prometheus cannot start.
/// </summary>
public sealed class WatchDeploymentPrometheusTests : IClassFixture<PrometheusServer>, IDisposable
{
    private readonly PrometheusServer _prometheus;
    private readonly RollbackSession _session = new();
    private readonly HealthServer _health = new(_ => HealthAnswer.Healthy("v2"));
    private readonly string _root;

    public WatchDeploymentPrometheusTests(PrometheusServer prometheus)
    {
        _prometheus = prometheus;
        _root = Path.Combine(_session.Root, "api");
        foreach (var version in new[] { "v2.3.1", "v2.4.0" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(_root, "releases", version)).FullName;
            File.WriteAllText(Path.Combine(folder, "app.dll"), "build " + version);
        }

        Directory.CreateSymbolicLink(Path.Combine(_root, "current"), Path.Combine(_root, "releases", "v2.3.1"));
        var policy = Path.Combine(_session.Root, "policy.json");
        File.WriteAllText(policy, """{ "errorRateFor": "00:00:03" }""");
        _session.SetVariable("policy", policy);
        _session.SetVariable("root", _root);
        _session.SetVariable("prometheus", _prometheus.Url.ToString());
        _session.SetVariable("healthUri", _health.Uri().ToString());
    }

    private string CurrentRelease => Path.GetFileName(new DirectoryInfo(Path.Combine(_root, "current")).LinkTarget!);

    public void Dispose()
    {
        _health.Dispose();
        _session.Dispose();
    }

    [SkippableFact]
    public void ErrorRateFromRealPromQLRollsBackOnce()
    {
        Skip.If(_prometheus.SkipReason is not null, _prometheus.SkipReason);
        _prometheus.Drive("driven1", () => CurrentRelease == "v2.4.0" ? 0.5 : 0.0);
        Setup("driven1");

        var run = _session.Run("Watch-Deployment api -Reason 'deploy of v2.4.0' -Interval 00:00:00.5 -Duration 00:00:30 -PolicyPath $policy -Quiet -Confirm:$false");

        run.AssertNoErrors();
        var final = run.Output[^1];
        Assert.True(final.GetString("Action") == "RolledBack", string.Join(" | ", run.Output.Select(o => o.GetString("Message"))));
        Assert.Equal("ErrorRateAbove", final.GetString("Trigger"));
        Assert.True((double)final.Get("ErrorRate")! > 0.1);
        Assert.Equal("v2.3.1", CurrentRelease);
        Assert.Equal("ErrorRateAbove", Assert.Single(_session.Run("Get-RollbackHistory -Target api -Action Rollback").Output).GetString("Trigger"));
    }

    [SkippableFact]
    public void QueryThatPrometheusRefusesIsReportedOnEveryPollAndTheWatchGoesOn()
    {
        Skip.If(_prometheus.SkipReason is not null, _prometheus.SkipReason);
        Setup("driven2");

        var run = _session.Run("Watch-Deployment api -Reason r -ErrorRateQuery 'sum(rate(' -Interval 00:00:00.25 -Duration 00:00:00.75 -Confirm:$false");

        Assert.Empty(run.Errors);
        Assert.NotEmpty(run.Warnings);
        Assert.All(run.Output, o => Assert.Contains("MetricsQueryFailed", string.Join(" ", ((System.Collections.IEnumerable)o.Get("Problems")!).Cast<object>()), StringComparison.Ordinal));
        Assert.Equal("WindowEnded", run.Output[^1].GetString("Action"));
        Assert.Equal("v2.4.0", CurrentRelease);
    }

    [SkippableFact]
    public void HealthOnlyIgnoresTheTargetsPrometheus()
    {
        Skip.If(_prometheus.SkipReason is not null, _prometheus.SkipReason);
        _prometheus.SetErrorShare("driven3", 0.5);
        Setup("driven3");

        var run = _session.Run("Watch-Deployment api -Reason r -HealthOnly -Interval 00:00:00.25 -Duration 00:00:00.75 -Confirm:$false");

        run.AssertNoErrors();
        Assert.All(run.Output, o => Assert.Null(o.Get("ErrorRate")));
        Assert.Equal("WindowEnded", run.Output[^1].GetString("Action"));
        Assert.Equal("Healthy", run.Output[^1].GetString("Health"));
    }

    /// <summary>Registers 'api' with the health endpoint and the job's metrics, captures v2.3.1, deploys v2.4.0.</summary>
    private void Setup(string job)
    {
        var setup = _session.Run($"Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{{ Root = $root; HealthUri = $healthUri; ExpectedVersion = 'None'; PrometheusUrl = $prometheus; PrometheusJob = '{job}'; MetricsRateWindow = '{PrometheusServer.RateWindow}'; MetricsStep = '00:00:01' }} -Confirm:$false; New-RollbackPoint -Target api");
        setup.AssertNoErrors();
        var current = Path.Combine(_root, "current");
        File.Delete(current);
        Directory.CreateSymbolicLink(current, Path.Combine(_root, "releases", "v2.4.0"));
    }
}
