using System;
using System.IO;
using System.Linq;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Register-/Get-/Unregister-RollbackNotification and the messages Invoke-Rollback sends, through the cmdlets, against
/// a webhook receiver on 127.0.0.1: the webhook never in output, errors or the store, a failing receiver a warning
/// with the rollback's own result unchanged, and bad input refused by its FullyQualifiedErrorId.
/// </summary>
public sealed class NotificationCmdletTests : IDisposable
{
    private readonly RollbackSession _session = new();
    private readonly WebhookReceiver _receiver = new();

    public NotificationCmdletTests()
    {
        var root = Path.Combine(_session.Root, "api");
        foreach (var release in new[] { "v2.3.1", "v2.4.0" })
        {
            Directory.CreateDirectory(Path.Combine(root, "releases", release));
            File.WriteAllText(Path.Combine(root, "releases", release, "app.dll"), "build " + release);
        }

        Directory.CreateSymbolicLink(Path.Combine(root, "current"), Path.Combine(root, "releases", "v2.3.1"));
        _session.SetVariable("Hook", _receiver.Webhook().ToString());
        _session.Run("""
            Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = (Join-Path $TestRoot 'api') } | Out-Null
            New-RollbackPoint -Target api | Out-Null
            """).AssertNoErrors();
        File.Delete(Path.Combine(root, "current"));
        Directory.CreateSymbolicLink(Path.Combine(root, "current"), Path.Combine(root, "releases", "v2.4.0"));
    }

    public void Dispose()
    {
        _receiver.Dispose();
        _session.Dispose();
    }

    [Fact]
    public void AChannelGivenAsASecureStringIsToldAboutARollbackAndNeverShowsItsWebhook()
    {
        var registered = _session.Run("""
            Register-RollbackNotification -Name incident -Webhook (ConvertTo-SecureString $Hook -AsPlainText -Force) -Format Slack -Target api -Event Started, Succeeded
            """);
        registered.AssertNoErrors();
        var channel = registered.One("NotificationChannel");
        Assert.Equal("store:_notifications/incident", channel.GetString("Webhook"));
        var shown = string.Join("\n", _session.Run("Get-RollbackNotification | Out-String -Width 200").Output.Select(o => o.ToString()));
        Assert.Contains("store:_notifications/incident", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3tT0k3n", shown, StringComparison.Ordinal);

        var run = _session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'error rate 12%' -ApprovedBy oncall -Confirm:$false -Verbose");

        run.AssertNoErrors();
        Assert.Equal("Succeeded", run.One("RollbackResult").GetString("Status"));
        Assert.Equal(new[] { "Rollback of api started: v2.4.0 → v2.3.1", "Rollback of api succeeded: v2.4.0 → v2.3.1" },
            _receiver.Delivered.Select(b => b.GetProperty("text").GetString()));
        Assert.Contains(run.Verbose, v => v.Contains("Notification channel 'incident' (Slack) was told the Succeeded event of 'api'", StringComparison.Ordinal));
        Assert.All(Directory.EnumerateFiles(_session.StorePath, "*", SearchOption.AllDirectories).Where(f => !f.Contains("_notifications", StringComparison.Ordinal)),
            f => Assert.DoesNotContain("s3cr3tT0k3n", File.ReadAllText(f), StringComparison.Ordinal));
    }

    [Fact]
    public void AFailingReceiverIsAWarningAndTheRollbackStillSucceeds()
    {
        _receiver.Then(Enumerable.Repeat(new WebhookReceiver.Answer(503), 2).ToArray());
        _session.Run("""
            $env:ROLLBACK_CMDLET_TEST_HOOK = $Hook
            Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_CMDLET_TEST_HOOK -Target '*' -Event Succeeded -MaxAttempts 2 | Out-Null
            """).AssertNoErrors();

        var run = _session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'error rate 12%' -Confirm:$false");

        run.AssertNoErrors();
        Assert.Equal("Succeeded", run.One("RollbackResult").GetString("Status"));
        var warning = Assert.Single(run.Warnings);
        Assert.Contains("HTTP 503", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3tT0k3n", warning, StringComparison.Ordinal);
        var entry = _session.Run("Get-RollbackHistory -Action Notify").One("HistoryEntry");
        Assert.Equal("NotificationFailed", entry.GetString("ErrorId"));
        Assert.Equal(2, _receiver.Requests.Count);
    }

    [Theory]
    [InlineData("Register-RollbackNotification -Name x -Webhook $Hook -Target api", "NotificationWebhookInClear")]
    [InlineData("$env:ROLLBACK_CMDLET_NOT_URL = 'not a url'; Register-RollbackNotification -Name x -Webhook env:ROLLBACK_CMDLET_NOT_URL -Target api", "NotificationWebhookInvalid")]
    [InlineData("Register-RollbackNotification -Name x -Webhook (ConvertTo-SecureString 'ftp://host/x' -AsPlainText -Force) -Target api", "NotificationWebhookInvalid")]
    [InlineData("Register-RollbackNotification -Name x -Webhook (ConvertTo-SecureString $Hook -AsPlainText -Force) -Target nope", "TargetNotFound")]
    [InlineData("Register-RollbackNotification -Name x -Webhook (ConvertTo-SecureString $Hook -AsPlainText -Force) -Target api -MaxAttempts 0", "InvalidNotificationSetting")]
    [InlineData("Get-RollbackNotification -Name nope", "NotificationNotFound")]
    [InlineData("Unregister-RollbackNotification -Name nope -Confirm:$false", "NotificationNotFound")]
    public void BadInputIsRefusedByItsErrorIdWithoutTheWebhook(string script, string errorId)
    {
        var run = _session.Run(script);

        var error = run.SingleError(errorId);
        Assert.EndsWith("RollbackNotificationCommand", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3tT0k3n", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(_session.Run("Get-RollbackNotification").Output);
    }

    [Fact]
    public void UnregisterRemovesTheChannelAndWhatIfChangesNothing()
    {
        _session.Run("Register-RollbackNotification -Name incident -Webhook (ConvertTo-SecureString $Hook -AsPlainText -Force) -Target api | Out-Null").AssertNoErrors();

        _session.Run("Get-RollbackNotification | Unregister-RollbackNotification -WhatIf").AssertNoErrors();
        Assert.Single(_session.Run("Get-RollbackNotification").Output);
        var removed = _session.Run("Get-RollbackNotification -Target api | Unregister-RollbackNotification -Force -PassThru");

        removed.AssertNoErrors();
        Assert.Equal("incident", removed.One("NotificationChannel").GetString("Name"));
        Assert.Empty(_session.Run("Get-RollbackNotification").Output);
    }
}
