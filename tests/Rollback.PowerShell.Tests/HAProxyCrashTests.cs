using System;
using System.Globalization;
using System.IO;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// An HAProxyBackend rollback killed with kill -9 between its two halves: the runtime API has moved the traffic back to
/// blue, the configuration file still says green (a reload would undo the rollback). The next command on the target, in
/// another process, finds the unfinished attempt, removes the checked file the dead process left, completes the switch
/// (the file written) and journals it; requests through a real HAProxy and the file are the assertions.
/// </summary>
public sealed class HAProxyCrashTests : IDisposable
{
    private readonly RollbackSession _session = new();
    private readonly HealthServer _blue = new(_ => HealthAnswer.Healthy("v2.3.1"));
    private readonly HealthServer _green = new(_ => HealthAnswer.Healthy("v2.4.0"));
    private readonly HAProxyServer _proxy;

    public HAProxyCrashTests()
    {
        _proxy = new HAProxyServer(new HAProxyBackendServer("blue", _blue.BaseUri), new HAProxyBackendServer("green", _green.BaseUri, Enabled: false));
    }

    public void Dispose()
    {
        _proxy.Dispose();
        _blue.Dispose();
        _green.Dispose();
        _session.Dispose();
    }

    [SkippableFact]
    public void AnAttemptKilledBetweenTheRuntimeApiAndTheFileIsCompletedByTheNextCommand()
    {
        Skip.If(_proxy.SkipReason is not null, _proxy.SkipReason);
        Skip.IfNot(OperatingSystem.IsLinux(), "kill -9 and the Unix socket are Linux's here.");
        _session.Run($"Register-RollbackTarget -Name web -Kind HAProxyBackend -Settings @{{ RuntimeApi = '{_proxy.SocketPath}'; ConfigPath = '{_proxy.ConfigPath}'; Backend = 'app'; " +
            $"Colours = 'blue=blue', 'green=green'; HealthUrl = 'blue={_blue.Uri()}', 'green={_green.Uri()}'; ProxyUrl = '{_proxy.HealthUrl}'; Steps = '100' }}").AssertNoErrors();
        var pointId = _session.Run("New-RollbackPoint -Target web").One("RollbackPoint").GetString("Id")!;
        var captured = File.ReadAllText(_proxy.ConfigPath);
        _proxy.SetServer("green", "ready");
        _proxy.SetServer("blue", "maint");
        _proxy.EditConfig("green", "blue");
        Assert.True(_proxy.WaitForAnswers("v2.4.0", TimeSpan.FromSeconds(15)));
        var deployed = File.ReadAllText(_proxy.ConfigPath);

        var killed = KilledProcess.RunAndKillAt(
            $"Invoke-Rollback -Target web -PointId {pointId} -Reason crash -Confirm:$false -StorePath '{_session.StorePath}'", "HAProxy.RuntimeApplied", _session.Root);

        // Half done: blue takes every request, but the file still says green, and the checked file waits beside it.
        Assert.True(_proxy.WaitForAnswers("v2.3.1", TimeSpan.FromSeconds(10)), string.Join(", ", _proxy.Answers(10).Keys));
        Assert.Equal(deployed, File.ReadAllText(_proxy.ConfigPath));
        Assert.Single(Directory.GetFiles(_proxy.Root, ".haproxy.cfg.rollback-" + killed.ToString(CultureInfo.InvariantCulture) + "-*"));

        var rerun = _session.Run($"Invoke-Rollback -Target web -PointId {pointId} -Reason rerun -Confirm:$false").One("RollbackResult");

        Assert.Equal("AlreadyCurrent", rerun.GetString("Status"));
        Assert.Equal(captured, File.ReadAllText(_proxy.ConfigPath));
        Assert.Empty(Directory.GetFiles(_proxy.Root, ".haproxy.cfg.rollback-*"));
        var recovered = _session.Run("Get-RollbackHistory -Target web -Action RecoverAttempt").One("HistoryEntry");
        Assert.Equal("Completed", recovered.GetString("Status"));
        _proxy.Reload();
        Assert.True(_proxy.WaitForAnswers("v2.3.1", TimeSpan.FromSeconds(10)), "after a reload: " + string.Join(", ", _proxy.Answers(10).Keys));
    }
}
