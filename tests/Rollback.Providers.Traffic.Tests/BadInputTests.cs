using System;
using System.IO;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Traffic.HAProxy;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// Bad input against a real HAProxy: each is refused with its ErrorId, and the traffic is what it was, asserted by
/// requests through the frontend (and the configuration file byte for byte).
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly BlueGreen _env = new();

    public void Dispose() => _env.Dispose();

    [SkippableFact]
    public void ARuntimeApiThatDoesNotAnswerIsRefusedAndTrafficStays()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var (point, config) = CaptureThenDeploy(_env.Settings());
        var settings = _env.Settings();
        settings[HAProxyBackendProvider.RuntimeApiSetting] = Path.Combine(_env.Proxy.Root, "no-such.sock");
        _env.Register(settings);

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.HAProxyRuntimeApiUnreachable);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(config);
    }

    [SkippableFact]
    public void AServerNotInTheBackendIsRefusedAndTrafficStays()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings();
        settings[HAProxyBackendProvider.ServersSetting] = new[] { "blue", "purple" };
        _env.Register(settings);
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var error = Assert.Throws<RollbackException>(() => _env.Engine.Points.Create("web", "before deploy"));

        Assert.Equal(TrafficErrorId.HAProxyServerNotFound, error.ErrorId);
        Assert.Contains("purple", error.Message, StringComparison.Ordinal);
        Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Good]);
        Assert.Equal(config, File.ReadAllText(_env.Proxy.ConfigPath));
    }

    [SkippableFact]
    public void AConfigurationHAProxyRejectsChangesNothing()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var (point, _) = CaptureThenDeploy(_env.Settings());
        // Someone broke another part of the file since: the rollback's file would be refused by haproxy -c.
        File.AppendAllText(_env.Proxy.ConfigPath, "frontend broken\n    bind 127.0.0.1:notaport\n");
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var result = _env.Rollback(point.Id);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(TrafficErrorId.HAProxyConfigRejected, result.ErrorId);
        Assert.Contains("notaport", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Steps, s => s.Name.EndsWith(".RuntimeApi", StringComparison.Ordinal));
        AssertUnchanged(config);
        Assert.Empty(Directory.GetFiles(_env.Proxy.Root, ".haproxy.cfg.rollback-*"));
    }

    [SkippableTheory]
    [InlineData("50,80")]
    [InlineData("50")]
    [InlineData("60,40,100")]
    [InlineData("0,100")]
    public void AStepListThatDoesNotRiseToOneHundredIsRefusedBeforeAnything(string steps)
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var (point, config) = CaptureThenDeploy(_env.Settings());
        var safetyPoints = _env.Engine.Points.GetAll("web").Count;

        var error = Assert.Throws<RollbackException>(() => _env.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "web", PointId = point.Id, Reason = "x", Options = new Rollback.SettingsDictionary(new[] { new System.Collections.Generic.KeyValuePair<string, object?>("Steps", steps) }),
        }));
        var registration = Assert.Throws<RollbackException>(() => _env.Register(_env.Settings(steps)));

        Assert.Equal(RollbackErrorId.TrafficStepsInvalid, error.ErrorId);
        Assert.Equal(RollbackErrorId.TrafficStepsInvalid, registration.ErrorId);
        Assert.Equal(safetyPoints, _env.Engine.Points.GetAll("web").Count);
        AssertUnchanged(config);
    }

    [SkippableFact]
    public void AnEnvironmentFailingItsHealthEndpointBeforeTheSwitchIsRefused()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var (point, config) = CaptureThenDeploy(_env.Settings());
        _env.Blue.Respond(HealthAnswer.Unavailable());

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.HAProxyServerUnhealthy && c.Name == "HealthUrl.blue");
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(config);
    }

    [SkippableFact]
    public void AServerFailingHAProxysOwnCheckBeforeTheSwitchIsRefused()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings();
        settings.Remove(HAProxyBackendProvider.HealthUrlSetting);
        _env.Register(settings);
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen(blueState: "drain");
        _env.Blue.Respond(HealthAnswer.Unavailable());
        Assert.True(_env.Proxy.WaitForStatus("blue", "DOWN", TimeSpan.FromSeconds(10)), _env.Proxy.Status("blue"));
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.HAProxyServerUnhealthy && c.Name == "ServerHealthy.blue");
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(config);
    }

    private (RollbackPoint Point, string Config) CaptureThenDeploy(System.Collections.Generic.Dictionary<string, object?> settings)
    {
        _env.Register(settings);
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        return (point, File.ReadAllText(_env.Proxy.ConfigPath));
    }

    /// <summary>Every request still answers green's version, and the configuration file is byte for byte what it was.</summary>
    private void AssertUnchanged(string config)
    {
        Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Bad]);
        Assert.Equal(config, File.ReadAllText(_env.Proxy.ConfigPath));
    }
}
