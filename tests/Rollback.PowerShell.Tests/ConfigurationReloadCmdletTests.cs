using System;
using System.Collections;
using System.IO;
using System.Linq;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Restore-Configuration and Invoke-Rollback on a ConfigurationFile target restart what reads the file: the switch
/// hooks around the write and the target's ReloadCommand after it, against a real nginx on 127.0.0.1.
/// </summary>
public sealed class ConfigurationReloadCmdletTests
{
    private static readonly TimeSpan ReloadPatience = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void RestoreConfigurationRunsTheHooksAroundTheWriteThenReloadsNginx()
    {
        using var session = new RollbackSession();
        using var nginx = new NginxServer("good-v1");
        CaptureThenDeployAnotherBody(session, nginx);

        var run = session.Run("""
            $seen = [System.Collections.Generic.List[string]]::new()
            Get-RollbackPoint -Target edge -Latest |
                Restore-Configuration -Reason 'bad v2' -Confirm:$false -Verbose `
                    -BeforeSwitch { $seen.Add("before $($args[0]) " + [IO.File]::ReadAllText($ConfigPath).Contains('bad-v2')) } `
                    -AfterSwitch { $seen.Add("after $($args[0]) " + [IO.File]::ReadAllText($ConfigPath).Contains('good-v1')) }
            $seen
            """);

        run.AssertNoErrors();
        var restored = run.Output.Single(o => o.BaseObject.GetType().Name == "ConfigurationRestoreResult");
        Assert.Equal(true, restored.Get("Changed"));
        Assert.Equal(new[] { "before edge True", "after edge True" }, run.Output.Where(o => o.BaseObject is string).Select(o => (string)o.BaseObject));
        Assert.Equal("good-v1", nginx.WaitForBody("good-v1", ReloadPatience));
    }

    [SkippableFact]
    public void InvokeRollbackReloadsNginx()
    {
        using var session = new RollbackSession();
        using var nginx = new NginxServer("good-v1");
        CaptureThenDeployAnotherBody(session, nginx);

        var result = session.Run("Get-RollbackPoint -Target edge -Latest | Invoke-Rollback -Reason 'bad v2' -Confirm:$false").One("RollbackResult");

        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal("good-v1", nginx.WaitForBody("good-v1", ReloadPatience));
    }

    [Fact]
    public void AFailingReloadIsTheErrorReloadFailedWithItsOutputInVerboseOnly()
    {
        using var session = new RollbackSession();
        var config = Path.Combine(session.Root, "app.conf");
        File.WriteAllText(config, "listen 8080;\n");
        session.SetVariable("ConfigPath", config);
        session.Run("Register-RollbackTarget -Name app -Kind ConfigurationFile -Settings @{ Path = $ConfigPath; ReloadCommand = 'echo api-key=secret-$((6*7)); exit 4' }").One("RollbackTarget");
        session.Run("New-RollbackPoint -Target app").One("RollbackPoint");
        File.WriteAllText(config, "listen 9090;\n");

        var run = session.Run("Get-RollbackPoint -Target app -Latest | Restore-Configuration -Reason 'bad v2' -Confirm:$false -Verbose");
        var history = session.Run("Get-RollbackHistory -Target app -Last 1").One("HistoryEntry");

        var error = run.SingleError("ReloadFailed");
        Assert.Contains(config, error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(history.GetString("SafetyPointId")!, error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("listen 8080;\n", File.ReadAllText(config));
        // The output reaches verbose with what looks like a secret masked, and nowhere else.
        Assert.Contains(run.Verbose, v => v.Contains("api-key=***", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Verbose, v => v.Contains("secret-42", StringComparison.Ordinal));
        Assert.DoesNotContain("secret-42", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-42", history.GetString("Message"), StringComparison.Ordinal);
        Assert.DoesNotContain("secret-42", File.ReadAllText(Path.Combine(session.StorePath, "journal.jsonl")), StringComparison.Ordinal);
    }

    /// <summary>Registers nginx's configuration (checked by nginx -t, reloaded by nginx's signal), captures it, then deploys one answering bad-v2.</summary>
    private static void CaptureThenDeployAnotherBody(RollbackSession session, NginxServer nginx)
    {
        Skip.If(nginx.SkipReason is not null, nginx.SkipReason);
        session.SetVariable("ConfigPath", nginx.ConfigPath);
        session.Run("param($reload, $validator) Register-RollbackTarget -Name edge -Kind ConfigurationFile -Settings @{ Path = $ConfigPath; Validator = $validator; ReloadCommand = $reload }",
            new Hashtable { ["reload"] = nginx.ReloadCommand, ["validator"] = nginx.TestCommand }).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target edge").One("RollbackPoint");
        nginx.Deploy(nginx.Config("bad-v2"));
        Assert.Equal("bad-v2", nginx.WaitForBody("bad-v2", ReloadPatience));
    }
}
