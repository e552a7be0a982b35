using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using Amazon.Runtime;
using Rollback.Providers.Aws;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.CodeDeploy;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// Readiness of a CodeDeployDeploymentGroup point whose revision is an S3 bundle, with the bundle in moto's S3 (a real
/// versioned bucket: versions put, deleted, hidden by delete markers) and CodeDeploy on the loopback endpoint. The S3
/// client comes from the target's settings (S3EndpointUrl, apart from CodeDeploy's EndpointUrl) and every S3 request
/// goes through the endpoint that checks its SigV4 signature with botocore. A missing or changed bundle fails readiness
/// with its ErrorId and no CreateDeployment is sent; access denied is a warning, never a silent pass.
/// </summary>
public sealed class CodeDeployS3ReadinessTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string App = "Chargeworx";
    private const string Group = "Production";
    private const string TargetName = "api-prod";
    private const string Check = "RevisionBundlePresent";
    private const string Key = "api/v1.2.2.zip";

    private static readonly JsonObject Bad = CodeDeployEndpoint.S3Revision("chargeworx-deployments", "api/v1.2.3.zip", "zip", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh");

    private readonly MotoFixture _aws;
    private readonly CodeDeployEndpoint _endpoint = new();
    private readonly TempFolder _folder = new();
    private readonly RollbackEngine _engine;
    private readonly S3TestBucket? _bundles;

    /// <summary>The test's bucket (set when moto runs, which every test checks first).</summary>
    private S3TestBucket Bundles => _bundles!;

    public CodeDeployS3ReadinessTests(MotoFixture aws)
    {
        _aws = aws;
        _bundles = aws.SkipReason is null ? new S3TestBucket(aws.Moto.Url, "rollback-bundles") : null;

        _endpoint.AddApplication(App);
        _endpoint.AddDeploymentGroup(App, Group, instances: 2);
        var provider = new CodeDeployDeploymentGroupProvider(target => new CodeDeployClient(new AwsClientOptions
        {
            Region = CodeDeployEndpoint.Region,
            EndpointUrl = AwsClientOptions.FromSettings(target.Settings).EndpointUrl,
            BaseDelay = TimeSpan.FromMilliseconds(10),
            Credentials = new BasicAWSCredentials(CodeDeployEndpoint.AccessKeyId, CodeDeployEndpoint.SecretAccessKey),
        }));
        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { provider }), NullReporter.Instance, null, "tester");
    }

    public void Dispose()
    {
        _bundles?.Dispose();
        _endpoint.Dispose();
        _folder.Dispose();
    }

    /// <summary>The bundle deployed and captured, then a failed deployment of another: the incident.</summary>
    private RollbackPoint Captured(string bucket, string? version, string? eTag, params (string Key, object Value)[] extra)
    {
        _endpoint.AddDeployment(App, Group, CodeDeployEndpoint.S3Revision(bucket, Key, "zip", version, eTag), "Succeeded", "v1.2.2");
        var settings = new List<KeyValuePair<string, object?>>
        {
            new("ApplicationName", App),
            new("DeploymentGroupName", Group),
            new("Region", CodeDeployEndpoint.Region),
            new("EndpointUrl", _endpoint.Url.ToString()),
            new("S3EndpointUrl", Bundles.Endpoint.Url.ToString()),
            new("PollSeconds", "0.01"),
        };
        settings.AddRange(extra.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));
        _engine.Targets.Register(TargetName, CodeDeployDeploymentGroupProvider.KindName, new SettingsDictionary(settings), replace: false);
        var point = _engine.Points.Create(TargetName, "before v1.2.3", CancellationToken.None);
        _endpoint.AddDeployment(App, Group, Bad, "Failed", "v1.2.3");
        return point;
    }

    private CheckResult Readiness(RollbackPoint point, out ReadinessReport report)
    {
        report = _engine.Readiness.Test(TargetName, point.Id, null, CancellationToken.None);
        return report.Checks.Single(c => c.Name == Check);
    }

    /// <summary>Readiness fails with <paramref name="errorId"/>, and Invoke-Rollback's engine call refuses without a CreateDeployment.</summary>
    private void AssertNotReady(RollbackPoint point, string errorId)
    {
        var check = Readiness(point, out var report);
        Assert.False(report.IsReady);
        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.Equal(errorId, check.ErrorId);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = TargetName, PointId = point.Id, Reason = "errors", Cancellation = CancellationToken.None }));
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(errorId, refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _endpoint.Count("CreateDeployment"));
    }

    private void AssertEverySignatureVerified()
    {
        Assert.Empty(Bundles.Endpoint.FailuresOfMainKey);
        Assert.Empty(_endpoint.Rejections);
    }

    [SkippableFact]
    public void AnExistingVersionPassesAndTheRollbackRedeploysIt()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.2");
        Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.3, overwritten on top");
        var point = Captured(Bundles.Name, one.VersionId, one.ETag);

        var check = Readiness(point, out var report);

        Assert.True(report.IsReady, string.Join("; ", report.Checks.Select(c => $"{c.Name} {c.Status} {c.Message}")));
        Assert.Equal(CheckStatus.Pass, check.Status);
        Assert.Contains(one.VersionId, check.Message, StringComparison.Ordinal);
        Assert.Contains($"{"bundle v1.2.2".Length} bytes", check.Message, StringComparison.Ordinal);
        Assert.Contains(Bundles.Endpoint.Operations, o => o.StartsWith($"HEAD /{Bundles.Name}/{Key}?versionId=", StringComparison.Ordinal));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = TargetName, PointId = point.Id, Reason = "errors", Cancellation = CancellationToken.None });
        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(1, _endpoint.Count("CreateDeployment"));
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void ADeletedVersionFailsWithRevisionBundleMissing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.2");
        Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.3");
        var point = Captured(Bundles.Name, one.VersionId, one.ETag);
        Bundles.Objects.DeleteVersion(one);

        AssertNotReady(point, AwsErrorId.RevisionBundleMissing);
        Assert.Contains(one.VersionId, Readiness(point, out _).Message, StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void AnUnversionedBundleUnderADeleteMarkerFailsWithRevisionBundleMissing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.2");
        var point = Captured(Bundles.Name, null, one.ETag);
        Bundles.Objects.PutDeleteMarker(Bundles.Name, Key);

        AssertNotReady(point, AwsErrorId.RevisionBundleMissing);
        Assert.Contains("delete marker", Readiness(point, out _).Message, StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void AnOverwrittenUnversionedBundleFailsWithRevisionBundleChanged()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.2");
        var point = Captured(Bundles.Name, null, one.ETag);
        var two = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.3 under the same key");

        AssertNotReady(point, AwsErrorId.RevisionBundleChanged);
        var message = Readiness(point, out _).Message;
        Assert.Contains(one.ETag, message, StringComparison.Ordinal);
        Assert.Contains(two.ETag, message, StringComparison.Ordinal);
        Assert.DoesNotContain("versionId", string.Join(" ", Bundles.Endpoint.Operations), StringComparison.Ordinal);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void AVersionWhoseETagIsNotTheCapturedOneFailsWithRevisionBundleChanged()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.2");
        var point = Captured(Bundles.Name, one.VersionId, "0123456789abcdef0123456789abcdef");

        AssertNotReady(point, AwsErrorId.RevisionBundleChanged);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void AMissingBucketFailsWithRevisionBundleMissing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var point = Captured(MotoS3.UniqueBucket("rollback-gone"), "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "9b2cf535f27731c974343645a3985328");

        AssertNotReady(point, AwsErrorId.RevisionBundleMissing);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void AccessDeniedOnTheBucketIsAWarningThatSaysTheBundleWasNotChecked()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, Key, "bundle v1.2.2");
        var point = Captured(Bundles.Name, one.VersionId, one.ETag);
        Bundles.Endpoint.Enqueue(new ScriptedAnswer(403, string.Empty, "HEAD")); // moto grants everything: S3's bodiless 403, scripted.

        var check = Readiness(point, out var report);

        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Contains("could not be checked", check.Message, StringComparison.Ordinal);
        Assert.Contains("deployment's own role", check.Message, StringComparison.Ordinal);
        Assert.True(report.IsReady);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void CheckRevisionBundleFalseSkipsTheHeadAndSaysSo()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var point = Captured(MotoS3.UniqueBucket("rollback-gone"), "v", "e", ("CheckRevisionBundle", false));

        var check = Readiness(point, out var report);

        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Contains("was not checked", check.Message, StringComparison.Ordinal);
        Assert.True(report.IsReady);
        Assert.Empty(Bundles.Endpoint.Operations);
        AssertEverySignatureVerified();
    }
}
