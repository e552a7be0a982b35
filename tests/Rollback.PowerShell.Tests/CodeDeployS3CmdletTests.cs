using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Test-RollbackReadiness and Invoke-Rollback in a hosted runspace on a CodeDeployDeploymentGroup target whose S3
/// bundle lives in moto's versioned S3 (S3EndpointUrl, through the endpoint that checks every S3 signature with
/// botocore) and whose deployments live on the loopback CodeDeploy endpoint (EndpointUrl).
/// </summary>
public sealed class CodeDeployS3CmdletTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string App = "Chargeworx";
    private const string Group = "Production";
    private const string Key = "api/v1.2.2.zip";

    private readonly MotoFixture _aws;
    private readonly S3TestBucket? _bundles;
    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly RollbackSession _session = new();

    public CodeDeployS3CmdletTests(MotoFixture aws)
    {
        _aws = aws;
        _bundles = aws.SkipReason is null ? new S3TestBucket(aws.Moto.Url, "rollback-ps-bundles") : null;
        _endpoint.AddApplication(App);
        _endpoint.AddDeploymentGroup(App, Group, instances: 2);
    }

    public void Dispose()
    {
        _session.Dispose();
        _endpoint.Dispose();
        _bundles?.Dispose();
    }

    [SkippableFact]
    public void ReadinessReportsADeletedBundleVersionAndInvokeRollbackRefuses()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var bundles = _bundles!;
        var good = bundles.Objects.Put(bundles.Name, Key, "bundle v1.2.2");
        bundles.Objects.Put(bundles.Name, Key, "bundle v1.2.3");
        _endpoint.AddDeployment(App, Group, CodeDeployEndpoint.S3Revision(bundles.Name, Key, "zip", good.VersionId, good.ETag), "Succeeded", "v1.2.2");
        _session.SetVariable("EndpointUrl", _endpoint.Url.ToString());
        _session.SetVariable("S3EndpointUrl", bundles.Endpoint.Url.ToString());
        _session.Run("Register-RollbackTarget -Name api -Kind CodeDeployDeploymentGroup -Settings @{ ApplicationName = 'Chargeworx'; DeploymentGroupName = 'Production'; S3EndpointUrl = $S3EndpointUrl; Region = 'us-east-1'; EndpointUrl = $EndpointUrl }")
            .One("RollbackTarget");
        _session.Run("New-RollbackPoint -Target api -Note 'before v1.2.3'").One("RollbackPoint");
        var ready = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness").One("ReadinessReport");
        Assert.Equal(true, ready.Get("IsReady"));

        bundles.Objects.DeleteVersion(good);
        var report = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness").One("ReadinessReport");
        var refused = _session.Run("Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'errors' -Confirm:$false");

        Assert.Equal(false, report.Get("IsReady"));
        var check = ((IEnumerable)report.Get("Checks")!).Cast<object>().Select(PSObject.AsPSObject).Single(c => c.GetString("Name") == "RevisionBundlePresent");
        Assert.Equal("Fail", check.GetString("Status"));
        Assert.Equal("RevisionBundleMissing", check.GetString("ErrorId"));
        Assert.Contains(good.VersionId, check.GetString("Message"), StringComparison.Ordinal);
        var error = refused.SingleError("RollbackNotReady");
        Assert.Contains("RevisionBundleMissing", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
        Assert.Empty(bundles.Endpoint.FailuresOfMainKey);
        Assert.Contains(bundles.Endpoint.Operations, o => o.StartsWith("HEAD /" + bundles.Name + "/", StringComparison.Ordinal));
        Assert.Empty(_endpoint.Rejections);
    }
}
