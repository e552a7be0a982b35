using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// A real nginx on 127.0.0.1 whose configuration a deployment breaks: restoring the file through the engine reloads
/// nginx with the target's ReloadCommand, and what nginx answers proves which configuration it runs.
/// </summary>
public sealed class NginxReloadTests : IDisposable
{
    private static readonly TimeSpan ReloadPatience = TimeSpan.FromSeconds(20);
    private readonly Sandbox _sandbox = new();
    private readonly NginxServer _nginx = new("good-v1");

    public void Dispose()
    {
        _nginx.Dispose();
        _sandbox.Dispose();
    }

    [SkippableFact]
    public void RestoreConfigurationReloadsNginxWhichThenAnswersFromTheRestoredFile()
    {
        var point = RegisterAndCapture();
        BreakByDeployment();

        var result = Assert.Single(_sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "edge", PointId = point.Id, Reason = "bad v2" }));

        Assert.True(result.Changed);
        Assert.Equal("Command", result.Validator);
        Assert.Equal(_nginx.Config("good-v1"), File.ReadAllText(_nginx.ConfigPath));
        Assert.Equal("good-v1", _nginx.WaitForBody("good-v1", ReloadPatience));
    }

    [SkippableFact]
    public void InvokeRollbackReloadsNginxAfterTheSwitch()
    {
        var point = RegisterAndCapture();
        BreakByDeployment();

        var result = _sandbox.Rollback("edge", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(StepStatus.Succeeded, result.Steps.Single(s => s.Name == "Reload").Status);
        Assert.Equal("good-v1", _nginx.WaitForBody("good-v1", ReloadPatience));
    }

    [SkippableFact]
    public void AStoppedNginxFailsTheReloadWithReloadFailedAndTheRestoredFileStays()
    {
        var point = RegisterAndCapture();
        BreakByDeployment();
        _nginx.Stop();

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "edge", PointId = point.Id, Reason = "bad v2" }));

        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.RestoreConfiguration }).Single();
        Assert.Equal(RollbackErrorId.ReloadFailed, ex.ErrorId);
        Assert.Contains(_nginx.ConfigPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains(entry.SafetyPointId!, ex.Message, StringComparison.Ordinal);
        Assert.Equal(_nginx.Config("good-v1"), File.ReadAllText(_nginx.ConfigPath));

        // nginx's own complaint (it names its pid file) is the command's output: verbose only, never the message or the journal.
        Assert.DoesNotContain("nginx.pid", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nginx.pid", string.Concat(_sandbox.Store.Backend.JournalLog.Lines()), StringComparison.Ordinal);
    }

    private RollbackPoint RegisterAndCapture()
    {
        Skip.If(_nginx.SkipReason is not null, _nginx.SkipReason);
        Assert.Equal("good-v1", _nginx.Get());
        _sandbox.Register("edge", "ConfigurationFile", ("Path", _nginx.ConfigPath), ("Validator", _nginx.TestCommand), ("ReloadCommand", _nginx.ReloadCommand));
        return _sandbox.Engine.Points.Create("edge", "known good");
    }

    /// <summary>A deployment ships a configuration serving something else and reloads nginx, then a broken one whose reload fails.</summary>
    private void BreakByDeployment()
    {
        _nginx.Deploy(_nginx.Config("bad-v2"));
        Assert.Equal("bad-v2", _nginx.WaitForBody("bad-v2", ReloadPatience));
        _nginx.Deploy("http { server { listen 127.0.0.1:1; location / { return 200 \"broken\";");
        Assert.Equal("bad-v2", _nginx.Get());
    }
}
