using System;
using System.Collections.Generic;
using System.IO;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Traffic.Nginx;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// Bad input against a real nginx: each is refused with the kind's ErrorId, and nothing changed: the live file is byte
/// for byte what it was, and (where nginx runs) every request through it still answers green's version.
/// </summary>
public sealed class NginxBadInputTests : IDisposable
{
    private readonly NginxBlueGreen _env = new();

    public void Dispose() => _env.Dispose();

    [SkippableFact]
    public void AnUpstreamNotInTheFileIsRefused()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings();
        settings[NginxUpstreamProvider.UpstreamSetting] = "appp";
        _env.Register(settings);
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var error = Assert.Throws<RollbackException>(() => _env.Engine.Points.Create("web", "before deploy"));

        Assert.Equal(TrafficErrorId.NginxUpstreamNotFound, error.ErrorId);
        Assert.Contains("it has app, app_blue, app_green", error.Message, StringComparison.Ordinal);
        Assert.Equal(config, File.ReadAllText(_env.Proxy.ConfigPath));
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Good]);
    }

    [SkippableFact]
    public void AColourNamingAServerNotInTheUpstreamIsRefused()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings();
        settings["Colours"] = new[] { "blue=" + _env.BlueServer, "green=127.0.0.1:1" };
        _env.Register(settings);

        var error = Assert.Throws<RollbackException>(() => _env.Engine.Points.Create("web", "before deploy"));

        Assert.Equal(TrafficErrorId.NginxUpstreamNotFound, error.ErrorId);
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("http {\n", "never closed")]
    [InlineData("events { worker_connections 8 }\n", "no ';'")]
    [InlineData("}\n", "closes no block")]
    [InlineData("error_log \"/tmp/x;\n", "never closed")]
    public void AConfigurationThatDoesNotParseIsRefused(string appended, string why)
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var point = CaptureThenDeploy();
        File.AppendAllText(_env.Proxy.ConfigPath, appended);
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        var failure = Assert.Single(readiness.Failures, c => c.ErrorId == TrafficErrorId.NginxConfigMalformed);
        Assert.Contains(why, failure.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(config);
    }

    [SkippableFact]
    public void AConfigurationNginxRejectsChangesNothing()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var point = CaptureThenDeploy();
        // It parses, but nginx knows no such directive: its test refuses the file the rollback would write.
        File.WriteAllText(_env.Proxy.ConfigPath, File.ReadAllText(_env.Proxy.ConfigPath).Replace("access_log off;", "access_log off;\n    no_such_directive on;", StringComparison.Ordinal));
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        var failure = Assert.Single(readiness.Failures, c => c.ErrorId == TrafficErrorId.NginxConfigRejected);
        Assert.Contains("no_such_directive", failure.Message, StringComparison.Ordinal);
        Assert.Contains(_env.Proxy.ConfigPath, failure.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(config);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_env.Proxy.ConfigPath)!, ".nginx.conf.*"));
    }

    [SkippableFact]
    public void AStoppedNginxIsRefusedAndTheFileStays()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var point = CaptureThenDeploy();
        var config = File.ReadAllText(_env.Proxy.ConfigPath);
        _env.Proxy.Stop();

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.NginxNotRunning);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Equal(config, File.ReadAllText(_env.Proxy.ConfigPath));
    }

    [SkippableFact]
    public void AWrongPidFileIsRefusedAndTrafficStays()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings();
        settings[NginxUpstreamProvider.PidFileSetting] = Path.Combine(_env.Proxy.Root, "no-such.pid");
        _env.Register(settings);
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var readiness = _env.Engine.Readiness.Test("web", point.Id);

        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.NginxNotRunning && c.Message.Contains("no-such.pid", StringComparison.Ordinal));
        Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));
        AssertUnchanged(config);
    }

    [SkippableFact]
    public void AnEnvironmentFailingItsHealthEndpointBeforeTheSwitchIsRefused()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var point = CaptureThenDeploy();
        var config = File.ReadAllText(_env.Proxy.ConfigPath);
        _env.Blue.Respond(HealthAnswer.Unavailable());

        var readiness = _env.Engine.Readiness.Test("web", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _env.Rollback(point.Id));

        Assert.Contains(readiness.Failures, c => c.ErrorId == TrafficErrorId.NginxServerUnhealthy && c.Name == "HealthUrl.blue");
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(config);
    }

    [SkippableTheory]
    [InlineData("50,80")]
    [InlineData("0,100")]
    public void AStepListThatDoesNotRiseToOneHundredIsRefused(string steps)
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var point = CaptureThenDeploy();
        var config = File.ReadAllText(_env.Proxy.ConfigPath);

        var error = Assert.Throws<RollbackException>(() => _env.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "web", PointId = point.Id, Reason = "x", Options = new SettingsDictionary(new[] { new KeyValuePair<string, object?>("Steps", steps) }),
        }));

        Assert.Equal(RollbackErrorId.TrafficStepsInvalid, error.ErrorId);
        AssertUnchanged(config);
    }

    [SkippableTheory]
    [InlineData(null, null)]
    [InlineData("app", "app_blue")]
    public void RegistrationWantsEitherAnUpstreamOrAProxyPassSwitch(string? upstream, string? choice)
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings();
        settings[NginxUpstreamProvider.UpstreamSetting] = upstream;
        if (choice is not null)
        {
            settings[NginxUpstreamProvider.ProxyPassUpstreamsSetting] = new[] { choice, "app_green" };
        }

        var error = Assert.Throws<RollbackException>(() => _env.Register(settings));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, error.ErrorId);
        Assert.Contains("Upstream", error.Message, StringComparison.Ordinal);
    }

    private RollbackPoint CaptureThenDeploy()
    {
        _env.Register(_env.Settings());
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        return point;
    }

    /// <summary>Every request still answers green's version, and the configuration file is byte for byte what it was.</summary>
    private void AssertUnchanged(string config)
    {
        Assert.Equal(20, _env.Proxy.Answers(20)[TrafficEnvironment.Bad]);
        Assert.Equal(config, File.ReadAllText(_env.Proxy.ConfigPath));
    }
}
