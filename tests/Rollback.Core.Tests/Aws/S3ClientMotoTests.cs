using System;
using System.Linq;
using System.Threading;
using Rollback.Providers.Aws;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.S3;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The module's S3 client (HEAD Object) against moto's S3, a real versioned bucket, through the checking endpoint: every
/// request's SigV4 signature is recomputed with botocore's S3 signer. The real AWS CLI sends the same HEAD requests
/// through the same endpoint to the same moto and must read the same answers, which shows the endpoint and the bucket
/// behave as S3 does for an independent client. Skipped, with the reason, without moto, python3 or the CLI.
/// </summary>
public sealed class S3ClientMotoTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly MotoFixture _aws;
    private readonly S3TestBucket? _bundles;

    /// <summary>The test's bucket (set when moto runs, which every test checks first).</summary>
    private S3TestBucket Bundles => _bundles!;

    public S3ClientMotoTests(MotoFixture aws)
    {
        _aws = aws;
        _bundles = aws.SkipReason is null ? new S3TestBucket(aws.Moto.Url, "rollback-bundles") : null;
    }

    public void Dispose()
    {
        _bundles?.Dispose();
    }

    private S3Client Client(int maxAttempts = 1) => new(new AwsClientOptions
    {
        Region = AwsTestEndpoint.Region,
        EndpointUrl = Bundles.Endpoint.Url,
        MaxAttempts = maxAttempts,
        BaseDelay = TimeSpan.FromMilliseconds(5),
    });

    private GetObjectMetadataResponse Head(string key, string? version, string? bucket = null)
    {
        using var client = Client();
        return client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket ?? Bundles.Name, Key = key, VersionId = version }, CancellationToken.None).GetAwaiter().GetResult();
    }

    private RollbackException HeadFails(string key, string? version, string? bucket = null) =>
        Assert.Throws<RollbackException>(() => Head(key, version, bucket));

    private void AssertEverySignatureVerified()
    {
        Assert.Empty(Bundles.Endpoint.FailuresOfMainKey);
        Assert.Contains(Bundles.Endpoint.Operations, o => o.StartsWith("HEAD /" + Bundles.Name + "/", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void HeadReadsEachVersionAndTheCurrentOneWithTheirETagsAndSizes()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, "api/v1.2.2.zip", "bundle one");
        var two = Bundles.Objects.Put(Bundles.Name, "api/v1.2.2.zip", "bundle two, longer");

        var first = Head("api/v1.2.2.zip", one.VersionId);
        var current = Head("api/v1.2.2.zip", null);

        Assert.Equal(one.VersionId, first.VersionId);
        Assert.Equal('"' + one.ETag + '"', first.ETag);
        Assert.Equal("bundle one".Length, first.ContentLength);
        Assert.NotNull(first.LastModified);
        Assert.Null(first.DeleteMarker);
        Assert.Equal(two.VersionId, current.VersionId);
        Assert.Equal('"' + two.ETag + '"', current.ETag);
        Assert.Equal("bundle two, longer".Length, current.ContentLength);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void MissingBucketKeyDeletedVersionAndDeleteMarkerAreAwsResourceNotFound()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, "api/v1.zip", "bundle one");
        Bundles.Objects.Put(Bundles.Name, "api/v1.zip", "bundle two");
        Bundles.Objects.DeleteVersion(one);
        var marker = Bundles.Objects.PutDeleteMarker(Bundles.Name, "api/v1.zip");

        Assert.Equal(AwsErrorId.AwsResourceNotFound, HeadFails("api/v1.zip", one.VersionId).ErrorId);
        var current = HeadFails("api/v1.zip", null);
        Assert.Equal(AwsErrorId.AwsResourceNotFound, current.ErrorId);
        Assert.Contains("delete marker", current.Message, StringComparison.Ordinal);
        Assert.Contains("delete marker", HeadFails("api/v1.zip", marker).Message, StringComparison.Ordinal);
        Assert.Equal(AwsErrorId.AwsResourceNotFound, HeadFails("api/never.zip", null).ErrorId);
        Assert.Equal(AwsErrorId.AwsResourceNotFound, HeadFails("api/v1.zip", null, MotoS3.UniqueBucket("rollback-missing")).ErrorId);
        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void AccessDeniedThrottlingAndA500StormMapByStatusAlone()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var one = Bundles.Objects.Put(Bundles.Name, "api/v1.zip", "bundle one");

        // HEAD answers carry no error body: the status is all there is (scripted, as moto grants everything).
        Bundles.Endpoint.Enqueue(new ScriptedAnswer(403, string.Empty, "HEAD"));
        var denied = HeadFails("api/v1.zip", one.VersionId);
        Assert.Equal(AwsErrorId.AwsAccessDenied, denied.ErrorId);
        Assert.Contains("s3:GetObjectVersion", denied.Message, StringComparison.Ordinal);

        Bundles.Endpoint.Enqueue(new ScriptedAnswer(503, string.Empty, "HEAD"));
        using (var client = Client(maxAttempts: 3))
        {
            var read = client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bundles.Name, Key = "api/v1.zip", VersionId = one.VersionId }).GetAwaiter().GetResult();
            Assert.Equal(one.VersionId, read.VersionId);
        }

        for (var i = 0; i < 3; i++)
        {
            Bundles.Endpoint.Enqueue(new ScriptedAnswer(500, string.Empty, "HEAD"));
        }

        using (var client = Client(maxAttempts: 3))
        {
            var storm = Assert.Throws<RollbackException>(() => client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bundles.Name, Key = "api/v1.zip" }).GetAwaiter().GetResult());
            Assert.Equal(AwsErrorId.AwsRequestFailed, storm.ErrorId);
            Assert.Contains("after 3 attempts", storm.Message, StringComparison.Ordinal);
        }

        AssertEverySignatureVerified();
    }

    [SkippableFact]
    public void TheAwsCliReadsTheSameAnswersThroughTheSameEndpoint()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var cli = AwsCli.Find(out var noCli);
        Skip.If(cli is null, noCli);
        var one = Bundles.Objects.Put(Bundles.Name, "api/v1.2.2.zip", "bundle one");
        var two = Bundles.Objects.Put(Bundles.Name, "api/v1.2.2.zip", "bundle two, longer");
        Bundles.Objects.DeleteVersion(two);

        var ours = Head("api/v1.2.2.zip", one.VersionId);
        var theirs = cli!.Call(Bundles.Endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey,
            "s3api", "head-object", "--bucket", Bundles.Name, "--key", "api/v1.2.2.zip", "--version-id", one.VersionId);
        Assert.True(theirs.ExitCode == 0, theirs.ToString());
        var json = theirs.Json!;
        Assert.Equal(ours.VersionId, json["VersionId"]!.GetValue<string>());
        Assert.Equal(ours.ETag, json["ETag"]!.GetValue<string>());
        Assert.Equal(ours.ContentLength, json["ContentLength"]!.GetValue<long>());

        // The deleted version: the CLI also reads 404, as the module's AwsResourceNotFound.
        Assert.Equal(AwsErrorId.AwsResourceNotFound, HeadFails("api/v1.2.2.zip", two.VersionId).ErrorId);
        var gone = cli.Call(Bundles.Endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey,
            "s3api", "head-object", "--bucket", Bundles.Name, "--key", "api/v1.2.2.zip", "--version-id", two.VersionId);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("404", gone.StandardError, StringComparison.Ordinal);

        // The CLI's own requests passed the same botocore check as the module's.
        Assert.Empty(Bundles.Endpoint.FailuresOfMainKey);
        Assert.True(Bundles.Endpoint.Operations.Count(o => o.StartsWith("HEAD ", StringComparison.Ordinal)) >= 4);
    }
}
