using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// ConfigurationFile restarts what reads the file: -BeforeSwitch/-AfterSwitch around the write (the reported downtime)
/// and the target's ReloadCommand after a changed write, with a shell command standing in for the service.
/// </summary>
public sealed class ConfigurationReloadTests : IDisposable
{
    private const string Good = "listen 8080;\n";
    private const string Drifted = "listen 9090;\n";
    private readonly Sandbox _sandbox = new();
    private readonly string _conf;
    private readonly string _marker;

    public ConfigurationReloadTests()
    {
        // A folder and a name a shell would split or unquote: {0} must reach the command as one argument.
        _conf = _sandbox.PathOf("app dir", "it's.conf");
        _marker = _sandbox.PathOf("reloads.log");
        Sandbox.WriteFile(_conf, Good);
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void TheReloadCommandRunsOnceAfterAChangedWriteWithTheFileQuotedAndBracesKept()
    {
        var point = CaptureThenDrift("printf '%s {braces} {{kept}}\\n' {0} >> '" + _marker + "'");

        var result = Assert.Single(Restore(point.Id));

        Assert.True(result.Changed);
        Assert.Equal(Good, File.ReadAllText(_conf));
        Assert.Equal(new[] { _conf + " {braces} {{kept}}" }, File.ReadAllLines(_marker));
    }

    [Fact]
    public void NothingChangedMeansNoReloadAndWhatIfNeither()
    {
        Register("echo reloaded >> '" + _marker + "'");
        var point = _sandbox.Engine.Points.Create("cfg", null);

        var unchanged = Assert.Single(Restore(point.Id));
        File.WriteAllText(_conf, Drifted);
        var preview = Assert.Single(_sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, WhatIf = true }));

        Assert.False(unchanged.Changed);
        Assert.True(preview.Changed);
        Assert.False(File.Exists(_marker), "no reload when nothing was written");
        Assert.Equal(Drifted, File.ReadAllText(_conf));
    }

    [Fact]
    public void HooksRunAroundTheWriteAndTheirTimeIsTheDowntime()
    {
        var point = CaptureThenDrift("echo reloaded >> '" + _marker + "'");
        string? seenBefore = null;
        string? seenAfter = null;

        var result = _sandbox.Rollback("cfg", point.Id, () => seenBefore = File.ReadAllText(_conf), () => seenAfter = File.ReadAllText(_conf));

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(Drifted, seenBefore);
        Assert.Equal(Good, seenAfter);
        var names = result.Steps.Select(s => s.Name).ToList();
        var before = names.IndexOf("BeforeSwitch");
        Assert.True(before >= 0, string.Join(", ", names));
        Assert.Equal(new[] { "BeforeSwitch", "Write it's.conf", "AfterSwitch", "Reload" }, names.Skip(before));
        var switchSteps = result.Steps.Where(s => s.Name is "BeforeSwitch" or "Write it's.conf" or "AfterSwitch").Sum(s => s.Duration.Ticks);
        Assert.True(result.Downtime.Ticks >= switchSteps, $"downtime {result.Downtime} covers the hooks and the write");
        Assert.Single(File.ReadAllLines(_marker));
    }

    [Fact]
    public void RestoreConfigurationRunsTheHooksToo()
    {
        var point = CaptureThenDrift(null);
        var calls = new System.Collections.Generic.List<string>();

        _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest
        {
            Target = "cfg",
            PointId = point.Id,
            BeforeSwitch = () => calls.Add("before:" + File.ReadAllText(_conf)),
            AfterSwitch = () => calls.Add("after:" + File.ReadAllText(_conf)),
        });

        Assert.Equal(new[] { "before:" + Drifted, "after:" + Good }, calls);
    }

    [Fact]
    public void AFailingReloadIsReloadFailedNamingTheFileAndSafetyPointButNotItsOutput()
    {
        var point = CaptureThenDrift("echo password=secret-$((6*7)); exit 3");

        var ex = Assert.Throws<RollbackException>(() => Restore(point.Id));

        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.RestoreConfiguration }).Single();
        Assert.Equal(RollbackErrorId.ReloadFailed, ex.ErrorId);
        Assert.Contains(_conf, ex.Message, StringComparison.Ordinal);
        Assert.Contains(entry.SafetyPointId!, ex.Message, StringComparison.Ordinal);
        Assert.Contains("exited with 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Good, File.ReadAllText(_conf));
        Assert.Equal(RollbackErrorId.ReloadFailed, entry.ErrorId);
        Assert.DoesNotContain("secret-42", ex.Message + entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-42", string.Concat(_sandbox.Store.Backend.JournalLog.Lines()), StringComparison.Ordinal);
    }

    [Fact]
    public void AFailingReloadFailsTheRollbackAfterTheWrite()
    {
        var point = CaptureThenDrift("echo token=secret-$((6*7)) >&2; exit 1");

        var result = _sandbox.Rollback("cfg", point.Id);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.ReloadFailed, result.ErrorId);
        Assert.Contains(result.SafetyPointId!, result.Message, StringComparison.Ordinal);
        Assert.Equal(Good, File.ReadAllText(_conf));
        Assert.Equal(StepStatus.Failed, result.Steps.Single(s => s.Name == "Reload").Status);
        Assert.DoesNotContain("secret-42", result.Message + string.Concat(result.Steps.Select(s => s.Message)), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-42", string.Concat(_sandbox.Store.Backend.JournalLog.Lines()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void AnEmptyReloadCommandIsRefusedAtRegistration(string command)
    {
        var ex = Assert.Throws<RollbackException>(() => _sandbox.Register("cfg", "ConfigurationFile", ("Path", _conf), ("ReloadCommand", command)));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, ex.ErrorId);
        Assert.Contains("ReloadCommand", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValidatorWithALiteralBraceRunsInsteadOfFailingToFormat()
    {
        _sandbox.Register("cfg", "ConfigurationFile", ("Path", _conf), ("Validator", "grep -q '^listen' {0} && test '{x}' = '{x}'"));
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_conf, Drifted);

        var result = Assert.Single(Restore(point.Id));

        Assert.Equal("Command", result.Validator);
        Assert.Equal(Good, File.ReadAllText(_conf));
    }

    /// <summary>Registers the file (with <paramref name="reloadCommand"/>), captures it, and changes it as a deployment would.</summary>
    private RollbackPoint CaptureThenDrift(string? reloadCommand)
    {
        Register(reloadCommand);
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(_conf, Drifted);
        return point;
    }

    private void Register(string? reloadCommand)
    {
        if (reloadCommand is null)
        {
            _sandbox.Register("cfg", "ConfigurationFile", ("Path", _conf));
        }
        else
        {
            _sandbox.Register("cfg", "ConfigurationFile", ("Path", _conf), ("ReloadCommand", reloadCommand));
        }
    }

    private System.Collections.Generic.IReadOnlyList<ConfigurationRestoreResult> Restore(string pointId) =>
        _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = pointId, Reason = "test" });
}
