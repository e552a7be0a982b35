using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// The NginxUpstream kind through the engine against a real nginx 1.22: what requests through nginx answer, what the
/// configuration file holds (byte for byte) and how many requests of an independent client loop failed are the
/// assertions.
/// </summary>
public sealed class NginxUpstreamTests : IDisposable
{
    private readonly NginxBlueGreen _env = new();

    public void Dispose() => _env.Dispose();

    [SkippableFact]
    public void CaptureRecordsTheUpstreamsServersFlagsAndTheVersionServed()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        _env.Register(_env.Settings());

        var point = _env.Engine.Points.Create("web", "before deploy");

        Assert.Equal(TrafficEnvironment.Good, point.Version);
        Assert.Equal("app", point.Metadata["Upstream"]);
        var text = File.ReadAllText(Path.Combine(point.Path, "artifacts", Assert.Single(point.Artifacts).RelativePath));
        Assert.Contains(_env.GreenServer, text, StringComparison.Ordinal);
        Assert.Contains("\"down\": true", text, StringComparison.Ordinal);
        Assert.Contains("upstream app {", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void BlueGreenRollbackFailsNoRequestOfAClientLoopAndLeavesTheCapturedFile()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        _env.Register(_env.Settings());
        var point = _env.Engine.Points.Create("web", "before deploy");
        var captured = File.ReadAllText(_env.Proxy.ConfigPath);
        _env.DeployGreen();
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Bad]);
        using var load = new ClientLoop(_env.Proxy.HealthUrl);
        RollbackResult? result = null;

        var window = load.Window(() => result = _env.Rollback(point.Id));

        Assert.True(result!.Status == RollbackStatus.Succeeded, result.Message);
        Assert.True(window.Requests > 0);
        Assert.True(window.Failed == 0, window.Describe());
        Assert.Equal(TrafficEnvironment.Bad, result.FromVersion);
        Assert.Equal(TrafficEnvironment.Good, result.ToVersion);
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Good]);
        Assert.Equal(captured, File.ReadAllText(_env.Proxy.ConfigPath));
        Assert.Equal(new[] { "Shift100.TestConfig", "Shift100.WriteConfig", "Shift100.Reload" }, result.Steps.Select(s => s.Name).Where(n => n.StartsWith("Shift100.", StringComparison.Ordinal)).ToArray());
        Assert.Contains(result.Verification, c => c.Name == "TrafficThroughProxy" && c.Status == CheckStatus.Pass);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_env.Proxy.ConfigPath)!, ".nginx.conf.*"));
        var step = Assert.Single(_env.TrafficSteps());
        Assert.Equal("100", step.Details!["Traffic.Percent"]);
    }

    [SkippableFact]
    public void GradualRollbackHoldsHalfTheTrafficThroughWeightsThenMovesAllOfIt()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        _env.Register(_env.Settings(steps: "50,100"));
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        var atHalf = new System.Collections.Generic.Dictionary<string, int>();
        _env.AtHalf(() => atHalf = _env.Answers(20));

        var result = _env.Rollback(point.Id);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(10, atHalf[TrafficEnvironment.Good]);
        Assert.Equal(10, atHalf[TrafficEnvironment.Bad]);
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Good]);
        var steps = _env.TrafficSteps();
        Assert.Equal(new[] { "50", "100" }, steps.Select(s => s.Details!["Traffic.Percent"]).ToArray());
        Assert.All(steps, s => Assert.Equal(HistoryStatus.Succeeded, s.Status));
    }

    [SkippableFact]
    public void AFailingHealthCheckBetweenStepsStopsTheShiftWithTheWeightsInTheFile()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings(steps: "50,100");
        _env.Register(_env.WatchingBlue(settings));
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        _env.AtHalf(() => _env.Blue.Respond(HealthAnswer.Unavailable()));

        var result = _env.Rollback(point.Id);

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.TrafficShiftStopped, result.ErrorId);
        Assert.DoesNotContain(result.Steps, s => s.Name.StartsWith("Shift100", StringComparison.Ordinal));
        var lines = File.ReadAllLines(_env.Proxy.ConfigPath);
        Assert.Contains(lines, l => l.Contains($"server {_env.BlueServer} weight=50;", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"server {_env.GreenServer} weight=50;  # green: the next release", StringComparison.Ordinal));
        var step = Assert.Single(_env.TrafficSteps());
        Assert.Equal("50", step.Details!["Traffic.Percent"]);
    }
}

/// <summary>The proxy_pass switch: every request goes to app_blue or app_green, and the rollback names the point's again.</summary>
public sealed class NginxProxyPassTests : IDisposable
{
    private readonly NginxBlueGreen _env = new(proxyPass: "app_blue");

    public void Dispose() => _env.Dispose();

    [SkippableFact]
    public void ARollbackNamesThePointsUpstreamAgainWithNoFailedRequest()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        _env.Register(_env.SwitchSettings());
        var point = _env.Engine.Points.Create("web", "before deploy");
        var captured = File.ReadAllText(_env.Proxy.ConfigPath);
        _env.DeployGreen();
        using var load = new ClientLoop(_env.Proxy.HealthUrl);
        RollbackResult? result = null;

        var window = load.Window(() => result = _env.Rollback(point.Id));

        Assert.Equal("100", _env.Engine.Targets.Get("web").Settings.GetString("Steps"));
        Assert.Equal(TrafficEnvironment.Good, point.Version);
        Assert.True(result!.Status == RollbackStatus.Succeeded, result.Message);
        Assert.True(window.Failed == 0, window.Describe());
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Good]);
        Assert.Equal(captured, File.ReadAllText(_env.Proxy.ConfigPath));
    }

    [SkippableFact]
    public void StepsBelowOneHundredAreRefusedForASwitchBeforeAnythingChanges()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.SwitchSettings();
        settings["Steps"] = "50,100";

        var refused = Assert.Throws<RollbackException>(() => _env.Register(settings));
        _env.Register(_env.SwitchSettings());
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        var config = File.ReadAllText(_env.Proxy.ConfigPath);
        var readiness = _env.Engine.Readiness.Test("web", point.Id, null, new SettingsDictionary(new[] { new KeyValuePair<string, object?>("Steps", "50,100") }));

        Assert.Equal(TrafficErrorId.NginxStepsNeedWeights, refused.ErrorId);
        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.NginxStepsNeedWeights);
        Assert.Equal(config, File.ReadAllText(_env.Proxy.ConfigPath));
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Bad]);
    }
}
