using System;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Clock skew through the cmdlets, against the CodeDeploy endpoint whose signature check runs on a wrong clock (and
/// whose Date header tells that clock): one correction said in verbose, and AwsClockSkewed with its recommended action
/// when the skew persists.
/// </summary>
public sealed class AwsClockSkewCmdletTests : IDisposable
{
    private static readonly System.Text.Json.Nodes.JsonObject Good = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.2.zip", "zip", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");

    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly RollbackSession _session = new();

    public AwsClockSkewCmdletTests()
    {
        _ = MotoFixture.OriginalAwsEnvironment.Count;
        MotoFixture.UseTestCredentials();
        _endpoint.AddApplication("Chargeworx");
        _endpoint.AddDeploymentGroup("Chargeworx", "Production", instances: 1);
        _endpoint.AddDeployment("Chargeworx", "Production", Good, "Succeeded", "v1.2.2");
        _session.SetVariable("EndpointUrl", _endpoint.Url.ToString());
        _session.Run("Register-RollbackTarget -Name api -Kind CodeDeployDeploymentGroup -Settings @{ ApplicationName = 'Chargeworx'; DeploymentGroupName = 'Production'; CheckRevisionBundle = $false; Region = 'us-east-1'; EndpointUrl = $EndpointUrl }")
            .One("RollbackTarget");
        _endpoint.Verifier.AllowedSkew = TimeSpan.FromMinutes(5);
    }

    public void Dispose()
    {
        ForgetCorrection();
        _session.Dispose();
        _endpoint.Dispose();
    }

    [Fact]
    public void ASkewedClockIsCorrectedOnceAndTheCorrectionIsSaidInVerbose()
    {
        _endpoint.Verifier.Clock = () => DateTimeOffset.UtcNow.AddMinutes(20);

        var run = _session.Run("New-RollbackPoint -Target api -Verbose");

        run.AssertNoErrors();
        run.One("RollbackPoint");
        var refused = Assert.Single(_endpoint.Rejections);
        Assert.StartsWith("Signature expired", refused.Message, StringComparison.Ordinal);
        // The Date header has whole seconds: the correction is 20 minutes give or take one.
        var said = Assert.Single(run.Verbose, v => v.Contains("CodeDeploy GetDeploymentGroup", StringComparison.Ordinal));
        Assert.Matches(@"this machine's clock is (20 min [01] s|19 min 59 s) behind the endpoint's", said);

        // Later commands sign with the corrected time from the start.
        var report = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness").One("ReadinessReport");
        Assert.Equal(true, report.Get("IsReady"));
        Assert.Single(_endpoint.Rejections);
    }

    [Fact]
    public void APersistentSkewIsAwsClockSkewedWithARecommendedAction()
    {
        // A clock that runs away: each look at it is 20 minutes later, so no correction ever catches up.
        var looks = 0;
        _endpoint.Verifier.Clock = () => DateTimeOffset.UtcNow.AddMinutes(20 * Interlocked.Increment(ref looks));

        var run = _session.Run("New-RollbackPoint -Target api");

        var error = run.SingleError("AwsClockSkewed");
        Assert.Equal("SecurityError", error.CategoryInfo.Category.ToString());
        Assert.Contains("NTP", error.ErrorDetails?.RecommendedAction ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(2, _endpoint.Rejections.Count);
        Assert.Empty(run.Output);
    }

    /// <summary>
    /// The SDK keeps clock corrections for the life of the process, in the AWSSDK.Core the module loaded (its own load
    /// context on PowerShell 7); a later test's endpoint may reuse this port, so the correction goes back to none.
    /// </summary>
    private void ForgetCorrection()
    {
        var key = new Uri(_endpoint.Url.GetLeftPart(UriPartial.Authority)).ToString();
        foreach (var core in AssemblyLoadContext.All.SelectMany(c => c.Assemblies).Where(a => a.GetName().Name == "AWSSDK.Core"))
        {
            core.GetType("Amazon.Runtime.CorrectClockSkew")?
                .GetMethod("SetClockCorrectionForEndpoint", BindingFlags.Static | BindingFlags.NonPublic)?
                .Invoke(null, new object[] { key, TimeSpan.Zero });
        }
    }
}
