using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Testing;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests.Verification;

/// <summary>
/// Invoke-Rollback's verification through health endpoints: a FileSystemRelease target whose "service" is a real HTTP
/// server on loopback that reads current/health.json on every request, so it reports whichever release 'current' names.
/// </summary>
public sealed class HealthVerificationTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly HealthServer _server;
    private readonly string _root;

    public HealthVerificationTests()
    {
        _root = _sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0");
        foreach (var release in new[] { "v2.3.1", "v2.4.0" })
        {
            File.WriteAllText(Path.Combine(_root, "releases", release, "health.json"), "{\"status\":\"Healthy\",\"version\":\"" + release + "\",\"checks\":{\"database\":\"Healthy\"}}");
        }

        _server = new HealthServer(_ => new HealthAnswer(200, File.ReadAllText(Path.Combine(_root, "current", "health.json"))));
    }

    public void Dispose()
    {
        _server.Dispose();
        _sandbox.Dispose();
    }

    [Fact]
    public void RollbackVerifiedByTheHealthEndpointSucceedsWithRecoveryTime()
    {
        Register();
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");

        var result = _sandbox.Rollback("api", point.Id);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        var health = Assert.Single(result.Health);
        Assert.True(health.Healthy, health.Detail);
        Assert.Equal("v2.3.1", health.ReportedVersion);
        Assert.Equal("v2.3.1", health.ExpectedVersion);
        Assert.Equal("api", health.Target);
        Assert.Contains(result.Verification, v => v.Name == "HealthEndpoint" && v.Status == CheckStatus.Pass);
        Assert.NotNull(result.VerificationDuration);
        Assert.NotNull(result.RecoveryTime);
        Assert.InRange(result.RecoveryTime!.Value, result.VerificationDuration!.Value, result.Duration);

        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Target = "api", Action = HistoryAction.Rollback }).Single();
        Assert.Equal(result.VerificationDuration, entry.VerificationDuration);
        Assert.Equal(result.RecoveryTime, entry.RecoveryTime);
        Assert.True(_sandbox.Engine.History.Verify().IsValid);
    }

    [Fact]
    public void ServiceStuckOnTheBadVersionFailsVerificationAndIsJournaled()
    {
        Register();
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        _server.Respond(HealthAnswer.Healthy("v2.4.0"));

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.VersionMismatch, result.ErrorId);
        Assert.Null(result.RecoveryTime);
        Assert.NotNull(result.VerificationDuration);
        var failed = Assert.Single(result.Verification, v => v.Status == CheckStatus.Fail);
        Assert.Equal(RollbackErrorId.VersionMismatch, failed.ErrorId);
        Assert.Contains("reports version v2.4.0, expected v2.3.1", failed.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(result.Health).Healthy);
        Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_root));

        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Target = "api", Action = HistoryAction.Rollback }).Single();
        Assert.Equal("VerificationFailed", entry.Status);
        Assert.Equal(RollbackErrorId.VersionMismatch, entry.ErrorId);
        Assert.NotNull(entry.VerificationDuration);
        Assert.Null(entry.RecoveryTime);
        Assert.True(_sandbox.Engine.History.Verify().IsValid);
    }

    [Fact]
    public void FailingNamedCheckIsListedInTheVerification()
    {
        Register();
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        _server.Respond(HealthAnswer.AspNetCore("Unhealthy", ("database", "Unhealthy"), ("cache", "Healthy")));

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.HealthCheckFailed, result.ErrorId);
        var check = Assert.Single(result.Verification, v => v.Name == "HealthCheck.database");
        Assert.Equal(CheckStatus.Fail, check.Status);
    }

    [Fact]
    public void SeveralEndpointsShareOneTimeout()
    {
        Register(("HealthUri", new[] { _server.Uri("health").ToString(), HealthServer.ClosedPort().ToString() }), ("HealthTimeout", "00:00:01"));
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.HealthEndpointUnreachable, result.ErrorId);
        Assert.Equal(new[] { true, false }, result.Health.Select(h => h.Healthy));
        Assert.True(result.VerificationDuration < TimeSpan.FromSeconds(4), result.VerificationDuration.ToString());
    }

    [Theory]
    [InlineData("None", null)]
    [InlineData("v9.9.9", "v9.9.9")]
    [InlineData("Point", "v2.3.1")]
    public void ExpectedVersionRuleChoosesWhatIsCompared(string rule, string? expected)
    {
        Register(("ExpectedVersion", rule), ("HealthTimeout", "00:00:01"));
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(expected, Assert.Single(result.Health).ExpectedVersion);
        Assert.Equal(expected == "v9.9.9" ? RollbackStatus.VerificationFailed : RollbackStatus.Succeeded, result.Status);
    }

    [Fact]
    public void WithoutHealthSettingsNothingIsProbed()
    {
        _sandbox.Register("api", "FileSystemRelease", ("Root", _root));
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Empty(result.Health);
        Assert.Empty(_server.Requests);
        Assert.NotNull(result.RecoveryTime);
    }

    [Fact]
    public void PlanListsTheHealthStep()
    {
        Register();
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");

        var plan = _sandbox.Engine.Rollbacks.Plan("api", point.Id, "drill", Array.Empty<string>());

        var step = Assert.Single(plan.Steps, s => s.Name == "VerifyHealth");
        Assert.Contains(_server.Uri().ToString(), step.Message, StringComparison.Ordinal);
        Assert.Contains("at v2.3.1", step.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData("HealthUri", "ftp://127.0.0.1/health", RollbackErrorId.InvalidSetting)]
    [InlineData("HealthUri", "/health", RollbackErrorId.InvalidSetting)]
    [InlineData("HealthTimeout", "soon", RollbackErrorId.InvalidSetting)]
    [InlineData("HealthExpectedStatus", "OK", RollbackErrorId.InvalidSetting)]
    [InlineData("HealthHeader", "Authorization: Bearer abc", RollbackErrorId.InvalidTargetSettings)]
    [InlineData("HealthHeader", "no colon", RollbackErrorId.InvalidTargetSettings)]
    [InlineData("HealthHeader", "X-Api-Key: k3y-in-clear", RollbackErrorId.InvalidTargetSettings)]
    [InlineData("HealthHeader", "X-Auth-Token: k3y-in-clear", RollbackErrorId.InvalidTargetSettings)]
    [InlineData("HealthHeader", "Cookie: session=k3y-in-clear", RollbackErrorId.InvalidTargetSettings)]
    public void BadHealthSettingIsRefusedAtRegistration(string key, string value, string errorId)
    {
        var error = Assert.Throws<RollbackException>(() => _sandbox.Register("api", "FileSystemRelease", ("Root", _root), (key, value)));

        // A credential header is refused without repeating its value: the refusal is shown and journaled.
        Assert.DoesNotContain("k3y-in-clear", error.Message, StringComparison.Ordinal);

        // A value of the wrong type is refused by the declared type; what only the engine can judge, by the engine.
        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_sandbox.Store.Targets.GetAll(), t => t.Name == "api");
    }

    [SkippableFact]
    public void JournalLinesWithoutVerificationTimesKeepTheirShape()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var entry = _sandbox.Store.Journal.Append(new HistoryEntry { Target = "api", Action = HistoryAction.Capture, Status = HistoryStatus.Succeeded });
        _sandbox.Store.Journal.Append(entry with { Sequence = 0, VerificationDuration = TimeSpan.FromSeconds(1.5), RecoveryTime = TimeSpan.FromSeconds(3) });

        var lines = File.ReadAllLines(_sandbox.Store.Journal.Path);

        Assert.DoesNotContain("verificationDuration", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("recoveryTime", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"verificationDuration\":\"00:00:01.5000000\"", lines[1], StringComparison.Ordinal);
        Assert.True(_sandbox.Store.Journal.Verify().IsValid);

        File.WriteAllLines(_sandbox.Store.Journal.Path, new[] { lines[0], lines[1].Replace("00:00:03", "00:00:01", StringComparison.Ordinal) });
        Assert.False(_sandbox.Store.Journal.Verify().IsValid);
    }

    private void Register(params (string Key, object Value)[] extra)
    {
        var settings = new (string Key, object Value)[] { ("Root", _root), ("HealthUri", _server.Uri().ToString()), ("HealthTimeout", "00:00:02"), ("HealthRetryInterval", "00:00:00.05") }
            .Where(s => !extra.Any(e => e.Key == s.Key))
            .Concat(extra)
            .ToArray();
        _sandbox.Register("api", "FileSystemRelease", settings);
    }
}
