using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Rollback.Runner;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The CodeDeployDeploymentGroup kind through the cmdlets and pipeline of the staged module, against the loopback
/// CodeDeploy endpoint, which verifies the SigV4 signature of every request with the test credentials. The module
/// finds those credentials the way users' sessions do, through the SDK's default chain (environment variables here:
/// the same test key as the other AWS tests, so tests in parallel agree on them).
/// </summary>
public sealed class CodeDeployCmdletTests : IDisposable
{
    private const string App = "Chargeworx";
    private const string Group = "Production";

    private static readonly System.Text.Json.Nodes.JsonObject Good = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.2.zip", "zip", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
    private static readonly System.Text.Json.Nodes.JsonObject Bad = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.3.zip", "zip", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh");

    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly RollbackSession _session = new();

    public CodeDeployCmdletTests()
    {
        _ = MotoFixture.OriginalAwsEnvironment.Count;
        MotoFixture.UseTestCredentials();
        _endpoint.AddApplication(App);
        _endpoint.AddDeploymentGroup(App, Group, instances: 3);
        _endpoint.AddDeployment(App, Group, Good, "Succeeded", "v1.2.2");
        _session.SetVariable("EndpointUrl", _endpoint.Url.ToString());
        _session.Run("Register-RollbackTarget -Name api -Kind CodeDeployDeploymentGroup -Settings @{ ApplicationName = 'Chargeworx'; DeploymentGroupName = 'Production'; PollSeconds = 0.01; CheckRevisionBundle = $false; Region = 'us-east-1'; EndpointUrl = $EndpointUrl }")
            .One("RollbackTarget");
    }

    public void Dispose()
    {
        _session.Dispose();
        _endpoint.Dispose();
    }

    private void AssertEverySignatureVerified()
    {
        Assert.Empty(_endpoint.Rejections);
        Assert.NotEmpty(_endpoint.Calls);
    }

    [Fact]
    public void TheSeedPipelineRollsAGroupBackToTheCapturedRevision()
    {
        var point = _session.Run("New-RollbackPoint -Target api -Note 'before v1.2.3'").One("RollbackPoint");
        Assert.Equal("s3://chargeworx-deployments/api/v1.2.2.zip#3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", point.GetString("Version"));
        _endpoint.AddDeployment(App, Group, Bad, "Failed", "v1.2.3");

        var run = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'Error rate 12.3% > 10%' -ApprovedBy oncall -Confirm:$false");

        var result = run.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        var details = (IDictionary)result.Get("Details")!;
        var id = (string)details["CodeDeploy.DeploymentId"]!;
        Assert.Equal("3", details["CodeDeploy.Instances.Succeeded"]);
        Assert.Equal(point.Get("Metadata") is IDictionary metadata ? metadata["DeploymentId"] : null, details["CodeDeploy.CapturedDeploymentId"]);
        var deployment = _endpoint.Deployment(id);
        Assert.Equal("Succeeded", deployment.Status);
        Assert.Contains("Error rate 12.3% > 10%", deployment.Description, StringComparison.Ordinal);
        Assert.Contains(run.Warnings, w => w.Contains("DEPLOYMENT_FAILURE", StringComparison.Ordinal));
        Assert.Contains(run.Progress, p => p.Activity.StartsWith("CodeDeploy deployment " + id, StringComparison.Ordinal) && p.StatusDescription.Contains("succeeded", StringComparison.Ordinal));
        Assert.Contains(run.Progress, p => p.Activity.StartsWith("CodeDeploy deployment", StringComparison.Ordinal) && p.RecordType == ProgressRecordType.Completed);

        var history = _session.Run("Get-RollbackHistory -Target api -Action Rollback -Last 1").One("HistoryEntry");
        Assert.Equal(id, ((IDictionary)history.Get("Details")!)["CodeDeploy.DeploymentId"]);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void WhatIfPlansTheRedeploymentAndCreatesNothing()
    {
        _session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        _endpoint.AddDeployment(App, Group, Bad, "Failed");

        var plan = _session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason drill -WhatIf").One("RollbackResult");

        Assert.Equal("WhatIf", plan.GetString("Status"));
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AFailingRedeploymentIsAnErrorWithItsIdAndTheResultIsStillWritten()
    {
        _session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        _endpoint.AddDeployment(App, Group, Bad, "Failed");
        _endpoint.Script = DeploymentScript.FailsOnInstance(0);

        var run = _session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'errors' -Confirm:$false");

        var error = run.SingleError("CodeDeployDeploymentFailed");
        Assert.Contains("HEALTH_CONSTRAINTS", error.Exception.Message, StringComparison.Ordinal);
        var result = Assert.Single(run.Output);
        Assert.Equal("Failed", result.GetString("Status"));
        AssertEverySignatureVerified();
    }

    [Theory]
    [InlineData("AccessDeniedException", "AwsAccessDenied")]
    [InlineData("ExpiredTokenException", "AwsCredentialsExpired")]
    [InlineData("DeploymentGroupDoesNotExistException", "AwsResourceNotFound")]
    public void AFaultMakesTheTargetNotReadyAndInvokeRollbackRefusesWithoutCreatingADeployment(string fault, string errorId)
    {
        _session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        _endpoint.AddDeployment(App, Group, Bad, "Failed");
        _endpoint.Inject(fault switch
        {
            "AccessDeniedException" => EndpointFault.AccessDenied,
            "ExpiredTokenException" => EndpointFault.ExpiredToken,
            _ => EndpointFault.DeploymentGroupDoesNotExist(Group),
        }, "GetDeploymentGroup");

        var report = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness").One("ReadinessReport");
        Assert.Equal(false, report.Get("IsReady"));
        var checks = ((IEnumerable)report.Get("Checks")!).Cast<object>().Select(PSObject.AsPSObject).ToList();
        Assert.Contains(checks, c => c.GetString("Name") == "TargetReachable" && c.GetString("ErrorId") == errorId);

        var refused = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason r -Confirm:$false");
        var error = refused.SingleError("RollbackNotReady");
        Assert.Contains(errorId, error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AutoRollbackConfigurationIsShownAndSetWithShouldProcess()
    {
        var shown = _session.Run("Get-AutoRollbackConfiguration -Target api -StorePath $StorePath").One("AutoRollbackConfiguration");
        Assert.Equal(false, shown.Get("Enabled"));
        Assert.Equal("Chargeworx/Production", shown.GetString("Resource"));
        Assert.Equal(new[] { "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM" }, ((IEnumerable)shown.Get("MissingRecommendedEvents")!).Cast<string>());

        var whatIf = _session.Run("Set-AutoRollbackConfiguration -Target api -Enable -StorePath $StorePath -WhatIf");
        whatIf.AssertNoErrors();
        Assert.Empty(whatIf.Output);
        Assert.Equal(0, _endpoint.Count("UpdateDeploymentGroup"));

        var set = _session.Run("Get-RollbackTarget api | Set-AutoRollbackConfiguration -Enable -StorePath $StorePath -Confirm:$false").One("AutoRollbackConfiguration");
        Assert.Equal(true, set.Get("Changed"));
        Assert.Equal(true, set.Get("Enabled"));
        Assert.True(_endpoint.GroupAutoRollback(App, Group)!["enabled"]!.GetValue<bool>());
        var entry = _session.Run("Get-RollbackHistory -Target api -Action SetAutoRollback").One("HistoryEntry");
        Assert.Equal("enabled for DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM", entry.GetString("To"));

        var off = _session.Run("Set-AutoRollbackConfiguration -Target api -Disable -StorePath $StorePath -Confirm:$false").One("AutoRollbackConfiguration");
        Assert.Equal(false, off.Get("Enabled"));

        var badEvent = _session.Run("Set-AutoRollbackConfiguration -Target api -Enable -Event DEPLOYMENT_SOMETIMES -StorePath $StorePath -Confirm:$false");
        Assert.Contains("ParameterArgumentValidationError", Assert.Single(badEvent.AllErrors).FullyQualifiedErrorId, StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    [Fact]
    public void AutoRollbackConfigurationOfAKindWithoutOneIsAClearError()
    {
        var folder = System.IO.Path.Combine(_session.Root, "cfg");
        System.IO.Directory.CreateDirectory(folder);
        System.IO.File.WriteAllText(System.IO.Path.Combine(folder, "app.json"), "{}");
        _session.SetVariable("ConfigFile", System.IO.Path.Combine(folder, "app.json"));
        _session.Run("Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $ConfigFile }").One("RollbackTarget");

        var run = _session.Run("Get-AutoRollbackConfiguration -Target cfg, api -StorePath $StorePath");

        run.SingleError("AutoRollbackNotSupported");
        Assert.Equal("api", Assert.Single(run.Output).GetString("Target"));
    }
    [Fact]
    public async Task CtrlCDuringReadinessReachesTheAwsCallThatGetsNoAnswer()
    {
        _session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        // One attempt that may wait ten minutes for its answer: only Ctrl+C reaching the call can end it sooner.
        _session.Run("Register-RollbackTarget -Name api -Kind CodeDeployDeploymentGroup -Settings @{ ApplicationName = 'Chargeworx'; DeploymentGroupName = 'Production'; CheckRevisionBundle = $false; TimeoutSeconds = 600; MaxAttempts = 1; Region = 'us-east-1'; EndpointUrl = $EndpointUrl } -Force")
            .One("RollbackTarget");
        _endpoint.Inject(new EndpointFault(0, string.Empty, string.Empty, NoAnswer: true), "GetDeploymentGroup");
        var callsBefore = _endpoint.Calls.Count;

        using var shell = _session.Shell("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness");
        var invocation = shell.BeginInvoke();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_endpoint.Calls.Count == callsBefore && waited.Elapsed < TimeSpan.FromSeconds(60) && !invocation.IsCompleted)
        {
            await Task.Delay(20);
        }

        shell.BeginStop(null, null);

        // A guard against hanging, not a timing: without the cancellation the call would wait out its ten minutes.
        Assert.True(invocation.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "Ctrl+C did not reach the GetDeploymentGroup call in flight.");
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        // Nothing after the call the stop ended: no retry of it, none of the checks that come after it.
        Assert.Equal(new[] { "GetDeploymentGroup" }, _endpoint.Calls.Skip(callsBefore).Select(c => c.Operation));
        AssertEverySignatureVerified();
    }

    [Fact]
    public async Task CtrlCDuringTheRedeploymentStopsTheAwsDeploymentAndTheJournalSaysSo()
    {
        _session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        _endpoint.AddDeployment(App, Group, Bad, "Failed");
        _endpoint.Script = DeploymentScript.Hangs;

        // Ctrl+C (SIGINT) to the runner, the module's pwsh for machines without one, once the redeployment is being followed.
        var command = $"Get-RollbackPoint -Target api -Latest -StorePath '{_session.StorePath}' | Invoke-Rollback -Reason 'error rate' -Confirm:$false -StorePath '{_session.StorePath}'";
        var run = await RunnerProcess.RunAsync(
            ["--module", RollbackSession.ManifestPath, "-NoProfile", "-Command", command],
            input: null,
            environment: null,
            // Room for a runner that starts slowly on a loaded machine: a Ctrl+C sent before the redeployment is followed
            // would test something else, so the wait for it is bounded only by the run's own patience.
            patience: TimeSpan.FromMinutes(4),
            whileRunning: async pid =>
            {
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (!(_endpoint.Count("CreateDeployment") == 1 && _endpoint.Count("GetDeployment") >= 3) && waited.Elapsed < TimeSpan.FromMinutes(3))
                {
                    await Task.Delay(20);
                }

                Assert.True(_endpoint.Count("GetDeployment") >= 3, $"The runner did not follow the redeployment within {waited.Elapsed.TotalSeconds:F0} s.");
                RunnerProcess.SendCtrlC(pid);
            });

        Assert.True(run.ExitCode == RunnerExitCode.Interrupted, run.ToString());
        var created = Assert.Single(_endpoint.Deployments(App, Group), d => d.Description.Contains("error rate", StringComparison.Ordinal));
        Assert.True(created.StopRequested, "Ctrl+C left the AWS deployment running.");
        Assert.True(created.StopAutoRollback);
        Assert.Equal("Stopped", created.Status);

        // The cmdlet writes its journal entry while the pipeline stops, before the runner exits.
        RunResult history;
        var journal = System.Diagnostics.Stopwatch.StartNew();
        while ((history = _session.Run("Get-RollbackHistory -Target api -Action Rollback -Last 1")).Output.Count == 0 && journal.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        var entry = history.One("HistoryEntry");
        Assert.Equal("OperationCancelled", entry.GetString("ErrorId"));
        Assert.Contains("stopped in AWS", entry.GetString("Message"), StringComparison.Ordinal);
        Assert.Equal(created.Id, ((IDictionary)entry.Get("Details")!)["CodeDeploy.DeploymentId"]);
        AssertEverySignatureVerified();
    }
    [Fact]
    public void StopInProgressLetsTheRollbackStopARunningDeploymentFirst()
    {
        _session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        var running = _endpoint.AddDeployment(App, Group, Bad, "InProgress");

        var refused = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason r -Confirm:$false");
        Assert.Contains("CodeDeployDeploymentInProgress", refused.SingleError("RollbackNotReady").Exception.Message, StringComparison.Ordinal);

        var report = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness -Option @{ StopInProgress = $true }").One("ReadinessReport");
        Assert.Equal(true, report.Get("IsReady"));
        var plan = _session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason r -Option @{ StopInProgress = $true } -WhatIf").One("RollbackResult");
        Assert.Contains(((IEnumerable)plan.Get("Steps")!).Cast<object>().Select(PSObject.AsPSObject), s => s.GetString("Name") == "StopInProgressDeployment");
        Assert.False(_endpoint.Deployment(running).StopRequested);

        var result = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness -Option @{ StopInProgress = $true } | Invoke-Rollback -Reason 'error rate' -Option @{ StopInProgress = $true } -Confirm:$false").One("RollbackResult");

        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.True(_endpoint.Deployment(running).StopRequested);
        Assert.True(_endpoint.Deployment(running).StopAutoRollback);
        Assert.Equal(running, ((IDictionary)result.Get("Details")!)["CodeDeploy.StoppedDeploymentId"]);
        AssertEverySignatureVerified();
    }
}
