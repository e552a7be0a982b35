using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Watch-Deployment in a hosted runspace: a FileSystemRelease target whose health endpoint (a real HTTP server on
/// 127.0.0.1) serves the health.json of the release 'current' names, 503 when it is not healthy, with a policy whose
/// availability trigger holds after one second. Typed records, -Quiet, ErrorIds, -WhatIf, and Ctrl+C (PowerShell.Stop).
/// </summary>
public sealed class WatchDeploymentTests : IDisposable
{
    private const string Fast = "-Interval 00:00:00.2 -Duration 00:00:20 -PolicyPath $policy";

    private readonly RollbackSession _session = new();
    private readonly HealthServer _server;
    private readonly string _root;

    public WatchDeploymentTests()
    {
        _root = Path.Combine(_session.Root, "api");
        WriteRelease("v2.3.1", "healthy");
        WriteRelease("v2.4.0", "unhealthy");
        Directory.CreateSymbolicLink(Path.Combine(_root, "current"), Path.Combine(_root, "releases", "v2.3.1"));
        _server = new HealthServer(_ =>
        {
            var body = File.ReadAllText(Path.Combine(_root, "current", "health.json"));
            return new HealthAnswer(body.Contains("\"healthy\"", StringComparison.Ordinal) ? 200 : 503, body);
        });
        var policy = Path.Combine(_session.Root, "policy.json");
        File.WriteAllText(policy, """{ "availabilityFor": "00:00:01" }""");
        _session.SetVariable("policy", policy);
        _session.SetVariable("root", _root);
        _session.SetVariable("healthUri", _server.Uri().ToString());
    }

    private string CurrentRelease => Path.GetFileName(new DirectoryInfo(Path.Combine(_root, "current")).LinkTarget!);

    public void Dispose()
    {
        _server.Dispose();
        _session.Dispose();
    }

    [Fact]
    public void RollsBackOnceWhenTheTriggerHoldsAndEmitsTypedRecords()
    {
        Setup();

        var run = _session.Run($"Get-RollbackPoint -Target api -Latest | Watch-Deployment -Reason 'deploy of v2.4.0' {Fast} -Confirm:$false");

        run.AssertNoErrors();
        Assert.All(run.Output, o => RunResult.AssertIsRollbackType(o, "WatchRecord"));
        var final = run.Output[^1];
        Assert.Equal("RolledBack", final.GetString("Action"));
        Assert.Equal(true, final.Get("IsFinal"));
        Assert.Equal("AvailabilityBelow", final.GetString("Trigger"));
        Assert.Single(run.Output, o => o.Get("Rollback") is not null);
        var rollback = PSObject.AsPSObject(final.Get("Rollback")!);
        Assert.Equal("Succeeded", rollback.GetString("Status"));
        Assert.Equal("v2.3.1", rollback.GetString("ToVersion"));
        Assert.Equal("v2.3.1", CurrentRelease);
        Assert.Contains(run.Output, o => o.GetString("Action") == "Pending");
        Assert.Equal(Enumerable.Range(1, run.Output.Count), run.Output.Select(o => (int)o.Get("Poll")!));

        Assert.Contains(run.Progress, p => p.ActivityId == 4206 && p.RecordType == ProgressRecordType.Processing);
        Assert.Contains(run.Progress, p => p.ActivityId == 4206 && p.RecordType == ProgressRecordType.Completed);

        var history = _session.Run("Get-RollbackHistory -Target api -Action Rollback");
        Assert.Equal("AvailabilityBelow", Assert.Single(history.Output).GetString("Trigger"));
    }

    [Fact]
    public void QuietEmitsOnlyChangesAndTheFinalRecord()
    {
        Setup();

        var run = _session.Run($"Watch-Deployment api -Reason 'deploy of v2.4.0' {Fast} -Quiet -Confirm:$false");

        run.AssertNoErrors();
        Assert.All(run.Output, o => Assert.Equal(true, o.Get("Changed")));
        var final = run.Output[^1];
        Assert.Equal("RolledBack", final.GetString("Action"));
        Assert.True((int)final.Get("Poll")! > run.Output.Count, $"{run.Output.Count} records for {final.Get("Poll")} polls");
        Assert.Equal("Pending", run.Output[0].GetString("Action"));
    }

    [Theory]
    [InlineData("-Interval 00:00:05 -Duration 00:00:01", "InvalidWatchArguments", ErrorCategory.InvalidArgument)]
    [InlineData("-Interval 00:00:00 -Duration 00:00:01", "InvalidWatchArguments", ErrorCategory.InvalidArgument)]
    [InlineData("-Step 00:00:00", "InvalidWatchArguments", ErrorCategory.InvalidArgument)]
    [InlineData("-Uri ftp://127.0.0.1/health", "InvalidWatchArguments", ErrorCategory.InvalidArgument)]
    [InlineData("-PolicyPath $root/no-such-policy.json", "PolicyInvalid", ErrorCategory.ReadError)]
    public void NonsenseArgumentsGetTheirErrorId(string arguments, string errorId, ErrorCategory category)
    {
        Setup(prometheusUrl: "http://127.0.0.1:1/");

        var run = _session.Run($"Watch-Deployment api -Reason r {arguments} -Confirm:$false");

        var error = run.SingleError(errorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        Assert.Empty(run.Output);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void TargetWithoutEndpointsOrMetricsIsNothingToWatch()
    {
        Setup(healthUri: false);

        var run = _session.Run("Watch-Deployment api -Reason r -Confirm:$false");

        var error = run.SingleError("NothingToWatch");
        Assert.Equal(ErrorCategory.InvalidOperation, error.CategoryInfo.Category);
        Assert.NotNull(error.ErrorDetails?.RecommendedAction);
        Assert.Equal("TargetNotFound", _session.Run("Watch-Deployment nosuch -Reason r -Confirm:$false").Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void WhatIfShowsTheRollbackAndChangesNothing()
    {
        Setup();

        var run = _session.Run($"Watch-Deployment api -Reason 'deploy of v2.4.0' {Fast} -WhatIf");

        run.AssertNoErrors();
        var final = run.Output[^1];
        Assert.Equal("WhatIf", final.GetString("Action"));
        Assert.Equal("WhatIf", PSObject.AsPSObject(final.Get("Rollback")!).GetString("Status"));
        Assert.Equal("v2.4.0", CurrentRelease);
        Assert.Empty(_session.Run("Get-RollbackHistory -Target api -Action Rollback").Output);
    }

    [Fact]
    public void RollbackThatDoesNotVerifyEndsRollbackFailedWithAnError()
    {
        WriteRelease("v2.3.1", "unhealthy");
        Setup(extraSettings: "; HealthTimeout = '00:00:01'");

        var run = _session.Run($"Watch-Deployment api -Reason 'deploy of v2.4.0' {Fast} -Confirm:$false");

        var final = run.Output[^1];
        Assert.Equal("RollbackFailed", final.GetString("Action"));
        Assert.Equal("VerificationFailed", PSObject.AsPSObject(final.Get("Rollback")!).GetString("Status"));
        var error = Assert.Single(run.Errors);
        Assert.StartsWith("HealthCheckFailed,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.NotNull(error.ErrorDetails?.RecommendedAction);
    }

    [Fact]
    public void StopEndsTheWatchPromptlyWithoutRollingBack()
    {
        WriteRelease("v2.4.0", "healthy");
        Setup();
        using var shell = _session.Shell("Watch-Deployment api -Reason 'deploy of v2.4.0' -Interval 00:00:00.2 -Duration 00:10:00 -Confirm:$false");
        using var output = new PSDataCollection<PSObject>();
        using var first = new ManualResetEventSlim();
        output.DataAdded += (_, _) => first.Set();

        var invocation = shell.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(first.Wait(TimeSpan.FromSeconds(30)), "no record within 30 s");
        var watch = Stopwatch.StartNew();
        shell.Stop();

        Assert.True(invocation.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the watch did not stop");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"stopping took {watch.Elapsed} of a 10-minute watch");
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        Assert.All(output, o => Assert.NotEqual("RolledBack", o.GetString("Action")));
        Assert.Equal("v2.4.0", CurrentRelease);
        Assert.Empty(_session.Run("Get-RollbackHistory -Target api -Action Rollback").Output);
        Assert.DoesNotContain(_session.Run("Get-RollbackHistory -Target api").Output, o => o.GetString("Action") == "Rollback");
    }

    private void WriteRelease(string version, string status)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "releases", version)).FullName;
        File.WriteAllText(Path.Combine(folder, "app.dll"), "build " + version);
        File.WriteAllText(Path.Combine(folder, "health.json"), "{\"status\":\"" + status + "\",\"version\":\"" + version + "\"}");
    }

    /// <summary>Registers 'api', captures v2.3.1 and deploys v2.4.0.</summary>
    private void Setup(bool healthUri = true, string? prometheusUrl = null, string extraSettings = "")
    {
        var settings = "Root = $root" + (healthUri ? "; HealthUri = $healthUri" : string.Empty) + (prometheusUrl is null ? string.Empty : $"; PrometheusUrl = '{prometheusUrl}'") + extraSettings;
        var setup = _session.Run($"Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{{ {settings} }} -Confirm:$false; New-RollbackPoint -Target api -Note 'before v2.4.0'");
        setup.AssertNoErrors();
        var current = Path.Combine(_root, "current");
        File.Delete(current);
        Directory.CreateSymbolicLink(current, Path.Combine(_root, "releases", "v2.4.0"));
    }
}
