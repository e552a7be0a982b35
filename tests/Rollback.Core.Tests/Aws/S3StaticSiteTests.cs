using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.CloudFront;
using Rollback.Providers.Aws.S3;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The S3StaticSite kind end to end through the engine, against moto's S3 (a versioned bucket) and CloudFront (a
/// distribution whose origin is the site's prefix), every request through endpoints that check its SigV4 signature
/// with botocore; a loopback edge caches each path until an invalidation in moto names it, so the site shows the old
/// version only when the right paths were invalidated. After each rollback (or refusal) the AWS CLI v2 reads the objects
/// through the same S3 endpoint. Faults moto cannot produce (access denied, throttling) are scripted by that endpoint;
/// an invalidation still InProgress (moto's are Completed at once) comes from a wrapper around the real client.
/// </summary>
public sealed class S3StaticSiteTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string Target = "site";
    private readonly MotoFixture _aws;
    private readonly TempFolder _folder = new();
    private readonly List<MotoStaticSite> _sites = new();
    private RollbackEngine _engine;

    public S3StaticSiteTests(MotoFixture aws)
    {
        _aws = aws;
        _engine = Engine(new S3StaticSiteProvider());
    }

    public void Dispose()
    {
        foreach (var site in _sites)
        {
            site.Dispose();
        }

        _folder.Dispose();
    }

    [SkippableFact]
    public void RollbackCopiesTheVersionsBackDeletesWhatWasAddedInvalidatesAndTheSiteServesTheOldVersion()
    {
        var site = Site();
        site.Deploy(("index.html", "<h1>v1</h1>"), ("app.js", "one()"), ("logo.png", "png"), ("version.txt", "v1"));
        Register(site, withSiteUrl: true);
        var point = _engine.Points.Create(Target, "v1 live");
        Assert.Equal("v1", point.Version);
        Assert.Equal("4", point.Metadata["Objects"]);

        // The bad deployment: new page, script and marker, one asset added; the edge caches what it serves.
        site.Deploy(("index.html", "<h1>v2</h1>"), ("app.js", "two()"), ("new.js", "added()"), ("version.txt", "v2"));
        Assert.Equal("v2", Edge(site, "version.txt"));
        Assert.Equal("<h1>v2</h1>", Edge(site, ""));

        var readiness = _engine.Readiness.Test(Target, point.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        Assert.Contains(readiness.Checks, c => c.Name == "CapturedVersionsExist" && c.Message.Contains("copies 3 back and deletes 1", StringComparison.Ordinal));
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "v2 broke checkout" });

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal("v2", result.FromVersion);
        Assert.Equal("v1", result.ToVersion);
        Assert.Equal(new[] { "RestoreObjects", "VerifyObjects", "InvalidateCache", "FollowInvalidation", "VerifySite" },
            result.Steps.Select(s => s.Name).Where(n => n is "RestoreObjects" or "VerifyObjects" or "InvalidateCache" or "FollowInvalidation" or "VerifySite"));
        Assert.Equal("3", result.Details[S3StaticSiteProvider.CopiedDetail]);
        Assert.Equal("1", result.Details[S3StaticSiteProvider.DeletedDetail]);
        Assert.Equal("COMPLETED", result.Details[S3StaticSiteProvider.InvalidationStatusDetail]);
        // Assets first, then the page, the marker last; then the delete.
        var writes = site.S3Endpoint.Operations.Where(o => o.StartsWith("PUT ", StringComparison.Ordinal) || o.StartsWith("DELETE ", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "PUT /" + site.Bucket + "/site/app.js", "PUT /" + site.Bucket + "/site/index.html", "PUT /" + site.Bucket + "/site/version.txt", "DELETE /" + site.Bucket + "/site/new.js" }, writes);
        var invalidated = Assert.Single(site.Invalidations());
        Assert.Equal(new[] { "/", "/app.js", "/index.html", "/new.js", "/version.txt" }, invalidated.OrderBy(p => p, StringComparer.Ordinal));

        // What viewers get, and what the AWS CLI reads.
        Assert.Equal("<h1>v1</h1>", Edge(site, ""));
        Assert.Equal("v1", Edge(site, "version.txt"));
        Assert.Equal("<h1>v1</h1>", CliRead(site, "site/index.html"));
        Assert.Equal("one()", CliRead(site, "site/app.js"));
        Assert.Null(CliRead(site, "site/new.js"));
        var versions = Cli(site, "s3api", "list-object-versions", "--bucket", site.Bucket, "--prefix", "site/new.js");
        Assert.Single(versions["Versions"]!.AsArray());
        Assert.Single(versions["DeleteMarkers"]!.AsArray());
        Assert.Empty(site.S3Endpoint.FailuresOfMainKey);
        Assert.Empty(site.CloudFrontEndpoint.FailuresOfMainKey);

        // Rolling back to the same point again changes nothing; the safety point undoes the rollback.
        var again = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "again" });
        Assert.Equal(RollbackStatus.AlreadyCurrent, again.Status);
        Assert.Equal(4, site.S3Endpoint.Operations.Count(o => o.StartsWith("PUT ", StringComparison.Ordinal) || o.StartsWith("DELETE ", StringComparison.Ordinal)));
        var undo = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = result.SafetyPointId!, Reason = "undo" });
        Assert.True(undo.Status == RollbackStatus.Succeeded, undo.Message);
        Assert.Equal("added()", CliRead(site, "site/new.js"));
        Assert.Equal("v2", Edge(site, "version.txt"));
    }

    [SkippableFact]
    public void TheInvalidationIsFollowedWhileInProgressAndGivingUpIsCloudFrontInvalidationInProgress()
    {
        var site = Site();
        site.Deploy(("index.html", "one"));
        var reads = 0;
        _engine = Engine(new S3StaticSiteProvider(t => new S3Client(AwsClientOptions.FromSettings(t.Settings)),
            t => new SlowInvalidation(new CloudFrontClient(AwsClientOptions.FromSettings(t.Settings, t.Settings.GetString(S3StaticSiteProvider.CloudFrontEndpointUrlSetting))), () => ++reads < 3)));
        Register(site, withSiteUrl: false, ("PollSeconds", "0.01"));
        var point = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "two"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "x" });

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(3, reads);
        Assert.Equal("COMPLETED", result.Details[S3StaticSiteProvider.InvalidationStatusDetail]);

        // A follow that runs out of patience says the invalidation goes on; the objects are back.
        _engine = Engine(new S3StaticSiteProvider(t => new S3Client(AwsClientOptions.FromSettings(t.Settings)),
            t => new SlowInvalidation(new CloudFrontClient(AwsClientOptions.FromSettings(t.Settings, t.Settings.GetString(S3StaticSiteProvider.CloudFrontEndpointUrlSetting))), () => true)));
        Register(site, withSiteUrl: false, ("PollSeconds", "0.01"), ("FollowMinutes", "0.002"));
        var second = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "three"));
        var stuck = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = second.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, stuck.Status);
        Assert.Equal(AwsErrorId.CloudFrontInvalidationInProgress, stuck.ErrorId);
        Assert.Contains("aws cloudfront get-invalidation", stuck.Message, StringComparison.Ordinal);
        Assert.Equal("one", CliRead(site, "site/index.html"));
    }

    [SkippableFact]
    public void ABucketWithoutVersioningIsRefusedAtCaptureAndSuspendedVersioningFailsReadiness()
    {
        var plain = Site(versioned: false);
        plain.Objects.Put(plain.Bucket, "site/index.html", "one");
        Register(plain, withSiteUrl: false);

        var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create(Target, null));

        Assert.Equal(AwsErrorId.S3VersioningDisabled, refused.ErrorId);
        Assert.Contains("put-bucket-versioning", refused.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Points.GetAll(Target));

        var site = Site();
        site.Deploy(("index.html", "one"));
        Register(site, withSiteUrl: false);
        var point = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "two"));
        site.Objects.SetVersioning(site.Bucket, "Suspended");

        var readiness = _engine.Readiness.Test(Target, point.Id);

        Assert.False(readiness.IsReady);
        Assert.Equal(AwsErrorId.S3VersioningDisabled, Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail).ErrorId);
        AssertNothingWritten(site, "two");
    }

    [SkippableFact]
    public void AnExpiredVersionFailsReadinessAndNothingIsCopied()
    {
        var site = Site();
        var v1 = site.Deploy(("index.html", "one"), ("app.js", "one()"));
        Register(site, withSiteUrl: false);
        var point = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "two"), ("app.js", "two()"));
        // What a NoncurrentVersionExpiration rule does once the version is old enough.
        site.Objects.DeleteVersion(v1["app.js"]);

        var readiness = _engine.Readiness.Test(Target, point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "x" }));

        var check = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.S3ObjectVersionMissing, check.ErrorId);
        Assert.Contains("site/app.js (version " + v1["app.js"].VersionId + ")", check.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertNothingWritten(site, "two");
    }

    [SkippableFact]
    public void AnUnknownBucketIsAwsResourceNotFoundAndNoPointIsKept()
    {
        var site = Site();
        Register(site, withSiteUrl: false, ("BucketName", "rollback-no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]));

        var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create(Target, null));

        Assert.Equal(AwsErrorId.AwsResourceNotFound, refused.ErrorId);
        Assert.Contains("NoSuchBucket", refused.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Points.GetAll(Target));
    }

    [SkippableFact]
    public void AccessDeniedOnTheFirstCopyChangesNothing()
    {
        var site = Site();
        site.Deploy(("index.html", "one"));
        Register(site, withSiteUrl: false);
        var point = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "two"));
        site.S3Endpoint.Enqueue(new ScriptedAnswer(403, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: s3:PutObject</Message></Error>", "PUT"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsAccessDenied, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "RestoreObjects" && s.Status == StepStatus.Failed);
        Assert.Equal("0", result.Details[S3StaticSiteProvider.CopiedDetail]);
        Assert.Equal("two", CliRead(site, "site/index.html"));
        Assert.Empty(site.Invalidations());
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsIsAwsThrottledAndChangesNothing()
    {
        var site = Site();
        site.Deploy(("index.html", "one"));
        Register(site, withSiteUrl: false, ("MaxAttempts", "2"));
        var point = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "two"));
        for (var i = 0; i < 2; i++)
        {
            site.S3Endpoint.Enqueue(new ScriptedAnswer(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>", "PUT"));
        }

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsThrottled, result.ErrorId);
        Assert.Contains("after 2 attempts", result.Message, StringComparison.Ordinal);
        Assert.Equal("two", CliRead(site, "site/index.html"));
    }

    [SkippableFact]
    public void ASiteThatKeepsServingTheBadVersionFailsVerification()
    {
        var site = Site();
        site.Deploy(("index.html", "one"), ("version.txt", "v1"));
        // Without a distribution nothing invalidates the edge's cache: the site keeps serving v2.
        Register(site, withSiteUrl: true, ("DistributionId", string.Empty), ("VerifySeconds", "0.5"));
        var point = _engine.Points.Create(Target, null);
        site.Deploy(("index.html", "two"), ("version.txt", "v2"));
        Assert.Equal("v2", Edge(site, "version.txt"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "x" });

        Assert.Equal(AwsErrorId.S3SiteVerificationFailed, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "VerifySite" && s.Status == StepStatus.Failed);
        Assert.Equal("v1", CliRead(site, "site/version.txt"));
    }

    [Fact]
    public void InvalidationPathsFollowTheOriginPathAndFallBackToEverything()
    {
        var distribution = new Distribution
        {
            DefaultRootObject = "index.html",
            Origins = { new Origin { Id = "o", DomainName = "www-example.s3.eu-west-1.amazonaws.com", OriginPath = "/site" } },
        };

        var paths = InvalidationPaths.For(new[] { "site/index.html", "site/docs/index.html", "site/a b+c.css", "other/x.js" }, distribution, "www-example");
        var none = InvalidationPaths.For(new[] { "site/index.html" }, distribution, "another-bucket");
        var many = InvalidationPaths.For(Enumerable.Range(0, InvalidationPaths.MaxPaths + 1).Select(i => $"site/{i}.js"), distribution, "www-example");

        Assert.Equal(new[] { "/", "/a%20b%2Bc.css", "/docs/", "/docs/index.html", "/index.html" }, paths);
        Assert.Equal(new[] { "/*" }, none);
        Assert.Equal(new[] { "/*" }, many);
    }

    [Fact]
    public void SettingsNeedABucketAloneAndAMarkerForTheSiteUrl()
    {
        var provider = new S3StaticSiteProvider();
        var slash = Assert.Throws<RollbackException>(() => provider.ValidateSettings(Settings(("BucketName", "www/site"))));
        var siteOnly = Assert.Throws<RollbackException>(() => provider.ValidateSettings(Settings(("BucketName", "www"), ("SiteUrl", "https://www.example.com/"))));
        var normal = provider.ValidateSettings(Settings(("BucketName", " www "), ("Prefix", "/site"), ("VersionMarkerKey", "/version.txt")));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, slash.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, siteOnly.ErrorId);
        Assert.Equal("www", normal.GetString("BucketName"));
        Assert.Equal("site/", normal.GetString("Prefix"));
        Assert.Equal("version.txt", normal.GetString("VersionMarkerKey"));
        Assert.Contains(provider.Schema.ErrorIds, e => e.ErrorId == AwsErrorId.S3ObjectVersionMissing);
    }

    private static SettingsDictionary Settings(params (string Key, string Value)[] pairs) =>
        new(pairs.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));

    private RollbackEngine Engine(IRollbackProvider provider) =>
        new(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new[] { provider }), NullReporter.Instance, null, "tester");

    private MotoStaticSite Site(bool versioned = true)
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var site = new MotoStaticSite(_aws.Moto.Url, versioned);
        _sites.Add(site);
        return site;
    }

    private void Register(MotoStaticSite site, bool withSiteUrl, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["BucketName"] = site.Bucket,
            ["Prefix"] = MotoStaticSite.Prefix,
            ["DistributionId"] = site.DistributionId,
            ["VersionMarkerKey"] = "version.txt",
            ["Region"] = AwsTestEndpoint.Region,
            ["EndpointUrl"] = site.S3Endpoint.Url.ToString(),
            ["CloudFrontEndpointUrl"] = site.CloudFrontEndpoint.Url.ToString(),
            ["PollSeconds"] = "0.05",
        };
        if (withSiteUrl)
        {
            settings["SiteUrl"] = site.Edge.Url.ToString();
        }

        foreach (var (key, value) in extra)
        {
            if (value.Length == 0)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }

        _engine.Targets.Register(Target, S3StaticSiteProvider.KindName, new SettingsDictionary(settings), replace: true);
    }

    private static string? Edge(MotoStaticSite site, string path)
    {
        using var http = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = http.GetAsync(new Uri(site.Edge.Url, path)).GetAwaiter().GetResult();
        return response.IsSuccessStatusCode ? response.Content.ReadAsStringAsync().GetAwaiter().GetResult() : null;
    }

    /// <summary>An object's current content as the AWS CLI v2 reads it through the checking endpoint; null when it does not exist.</summary>
    private static string? CliRead(MotoStaticSite site, string key)
    {
        var file = Path.Combine(Path.GetTempPath(), "rollback-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cli = AwsCli.Find(out var why);
            Skip.If(cli is null, why);
            var answer = cli!.Call(site.S3Endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, "s3api", "get-object", "--bucket", site.Bucket, "--key", key, file);
            if (answer.ExitCode != 0)
            {
                Assert.Contains("NoSuchKey", answer.StandardError, StringComparison.Ordinal);
                return null;
            }

            return File.ReadAllText(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static System.Text.Json.Nodes.JsonObject Cli(MotoStaticSite site, params string[] arguments)
    {
        var cli = AwsCli.Find(out var why);
        Skip.If(cli is null, why);
        var answer = cli!.Call(site.S3Endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, arguments);
        Assert.True(answer.ExitCode == 0, answer.ToString());
        return answer.Json!;
    }

    private static void AssertNothingWritten(MotoStaticSite site, string live)
    {
        Assert.DoesNotContain(site.S3Endpoint.Operations, o => o.StartsWith("PUT ", StringComparison.Ordinal) || o.StartsWith("DELETE ", StringComparison.Ordinal));
        Assert.Equal(live, CliRead(site, "site/index.html"));
        Assert.Empty(site.Invalidations());
        Assert.Empty(site.S3Endpoint.FailuresOfMainKey);
    }

    /// <summary>The real client, except that GetInvalidation says InProgress while <paramref name="inProgress"/> says so (moto's are Completed at once).</summary>
    private sealed class SlowInvalidation(ICloudFrontClient inner, Func<bool> inProgress) : ICloudFrontClient
    {
        public Task<GetDistributionResponse> GetDistributionAsync(GetDistributionRequest request, CancellationToken cancellationToken = default) => inner.GetDistributionAsync(request, cancellationToken);

        public Task<CreateInvalidationResponse> CreateInvalidationAsync(CreateInvalidationRequest request, CancellationToken cancellationToken = default) => inner.CreateInvalidationAsync(request, cancellationToken);

        public async Task<GetInvalidationResponse> GetInvalidationAsync(GetInvalidationRequest request, CancellationToken cancellationToken = default)
        {
            var real = await inner.GetInvalidationAsync(request, cancellationToken).ConfigureAwait(false);
            if (inProgress())
            {
                real.Invalidation.Status = "InProgress";
            }

            return real;
        }

        public void Dispose() => inner.Dispose();
    }
}
