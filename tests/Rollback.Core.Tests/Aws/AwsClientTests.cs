using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Amazon.Runtime;
using Rollback.Providers.Aws;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.SecretsManager;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>The shared AWS client against moto behind the signature-checking endpoint, and the faults moto cannot make.</summary>
public sealed class AwsClientTests : IClassFixture<MotoFixture>
{
    private readonly MotoFixture _aws;

    public AwsClientTests(MotoFixture aws)
    {
        _aws = aws;
    }

    [SkippableFact]
    public void EveryRequestIsSignedSoBotocoreVerifiesIt()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("signed");
        var ids = _aws.CreateSecret(name, "one", "two");

        using var client = Client();
        var described = client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult();
        var listed = client.ListSecretVersionIdsAsync(new ListSecretVersionIdsRequest { SecretId = name, IncludeDeprecated = true }).GetAwaiter().GetResult();

        Assert.Equal(name, described.Name);
        Assert.Contains("AWSCURRENT", described.VersionIdsToStages![ids[1]]);
        Assert.Equal(ids.OrderBy(i => i), listed.Versions!.Select(v => v.VersionId).OrderBy(i => i));
        Assert.NotNull(listed.Versions!.First().CreatedDate);
        Assert.Empty(_aws.Endpoint!.FailuresOfMainKey);
    }

    [SkippableFact]
    public void SessionTokenIsSentAndSigned()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("session");
        _aws.CreateSecret(name, "one");

        using var client = Client(credentials: new SessionAWSCredentials(AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, "session-token-for-tests"));
        Assert.Equal(name, client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult().Name);
        Assert.Empty(_aws.Endpoint!.FailuresOfMainKey);
    }

    [SkippableFact]
    public void AWrongSecretKeyFailsTheSignatureCheckAndMapsToCredentialsInvalid()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var before = _aws.Endpoint!.SignatureFailures.Count;
        using var client = Client(credentials: new BasicAWSCredentials(AwsTestEndpoint.OtherAccessKey, AwsTestEndpoint.SecretKey));

        var error = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "whatever" }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsCredentialsInvalid, error.ErrorId);
        Assert.Contains("AWS request id test-", error.Message, StringComparison.Ordinal);
        Assert.True(_aws.Endpoint.SignatureFailures.Count > before, "the endpoint must have rejected the signature");
        Assert.Contains(_aws.Endpoint.SignatureFailures, f => f.StartsWith(AwsTestEndpoint.OtherAccessKey, StringComparison.Ordinal) && f.Contains("does not verify", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void TheEndpointRefusesAnUnsignedRequest()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var http = new System.Net.Http.HttpClient();
        using var request = new System.Net.Http.HttpRequestMessage(System.Net.Http.HttpMethod.Post, _aws.EndpointUrl)
        {
            Content = new System.Net.Http.StringContent("{\"SecretId\":\"x\"}"),
        };
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "secretsmanager.DescribeSecret");

        using var response = http.Send(request);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(_aws.Endpoint!.SignatureFailures, f => f.StartsWith("unsigned: no Authorization header", StringComparison.Ordinal));
        _aws.Endpoint.SignatureFailures.Clear();
    }

    [SkippableFact]
    public void UnknownSecretIsResourceNotFoundFromMoto()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var client = Client();

        var error = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = MotoFixture.UniqueName("missing") }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsResourceNotFound, error.ErrorId);
        Assert.Equal(RollbackErrorCategory.ObjectNotFound, error.Category);
        Assert.Equal("ResourceNotFoundException", AwsErrors.CodeOf(error));
    }

    [Theory]
    [InlineData(400, "{\"__type\":\"ResourceNotFoundException\",\"Message\":\"Secrets Manager can't find the specified secret.\"}")]
    [InlineData(400, "{\"__type\":\"com.amazonaws.secretsmanager#ResourceNotFoundException\",\"message\":\"not found\"}")]
    [InlineData(404, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"not found\"}")]
    [InlineData(404, "")]
    public void BothNotFoundShapesMapToResourceNotFound(int status, string body)
    {
        var error = AwsErrors.FromResponse(AwsServiceInfo.SecretsManager, "DescribeSecret", (System.Net.HttpStatusCode)status, AwsErrors.NormalizeCode(ReadType(body)), "not found", "req-1", 1);

        Assert.Equal(AwsErrorId.AwsResourceNotFound, error.ErrorId);
        Assert.Contains("AWS request id req-1", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AccessDeniedIsNotRetriedAndCarriesTheRequestId()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("denied");
        _aws.CreateSecret(name, "one");
        using var client = Client();
        _aws.Endpoint!.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:DescribeSecret\"}", "DescribeSecret"));
        var before = _aws.Endpoint.Count("DescribeSecret");

        var error = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsAccessDenied, error.ErrorId);
        Assert.Equal(RollbackErrorCategory.PermissionDenied, error.Category);
        Assert.Contains("secretsmanager:DescribeSecret", error.Message, StringComparison.Ordinal);
        Assert.Matches("AWS request id test-[0-9a-f]{32}", error.Message);
        Assert.Equal(before + 1, _aws.Endpoint.Count("DescribeSecret"));
    }

    [SkippableFact]
    public void ThrottlingThenSuccessIsRetriedWithBackoff()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("throttled");
        _aws.CreateSecret(name, "one");
        using var client = Client();
        const string throttled = "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}";
        _aws.Endpoint!.Enqueue(new ScriptedAnswer(400, throttled, "DescribeSecret"));
        _aws.Endpoint.Enqueue(new ScriptedAnswer(429, throttled, "DescribeSecret"));
        var before = _aws.Endpoint.Count("DescribeSecret");

        var described = client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult();

        Assert.Equal(name, described.Name);
        Assert.Equal(before + 3, _aws.Endpoint.Count("DescribeSecret"));
        Assert.Empty(_aws.Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsIsAwsThrottled()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var client = Client();
        for (var i = 0; i < 3; i++)
        {
            _aws.Endpoint!.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", "ListSecretVersionIds"));
        }

        var error = Assert.Throws<RollbackException>(() => client.ListSecretVersionIdsAsync(new ListSecretVersionIdsRequest { SecretId = "x" }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsThrottled, error.ErrorId);
        Assert.Contains("after 3 attempts", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A500StormStopsAtTheRetryBudget()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        // A budget of 12 tokens pays for two retries (5 each): the first request gets its 3 attempts, the second only 1.
        using var client = Client(maxAttempts: 3, budget: 12);
        for (var i = 0; i < 10; i++)
        {
            _aws.Endpoint!.Enqueue(new ScriptedAnswer(500, "{\"__type\":\"InternalServiceError\",\"message\":\"boom\"}", "DescribeSecret"));
        }

        var before = _aws.Endpoint!.Count("DescribeSecret");
        var first = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "storm" }).GetAwaiter().GetResult());
        var afterFirst = _aws.Endpoint.Count("DescribeSecret");
        var second = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "storm" }).GetAwaiter().GetResult());
        _aws.Endpoint.ClearScript();

        Assert.Equal(AwsErrorId.AwsRequestFailed, first.ErrorId);
        Assert.Equal(RollbackErrorCategory.ResourceUnavailable, first.Category);
        Assert.Contains("after 3 attempts", first.Message, StringComparison.Ordinal);
        Assert.Equal(3, afterFirst - before);
        Assert.Equal(1, _aws.Endpoint.Count("DescribeSecret") - afterFirst);
        Assert.Equal(AwsErrorId.AwsRequestFailed, second.ErrorId);
        Assert.Equal(2, client.Transport.RetryBudgetAvailable);
    }

    [SkippableFact]
    public void ExpiredCredentialsMapToAwsCredentialsExpired()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var client = Client();
        _aws.Endpoint!.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"ExpiredTokenException\",\"message\":\"The security token included in the request is expired\"}", "DescribeSecret"));

        var error = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "x" }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsCredentialsExpired, error.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, error.Category);
    }

    [Fact]
    public void AnEndpointThatDoesNotAnswerFailsWithinTheAttemptTimeouts()
    {
        using var silent = new SilentEndpoint();
        using var client = new SecretsManagerClient(new AwsClientOptions
        {
            Region = "us-east-1",
            EndpointUrl = silent.Url,
            Credentials = new BasicAWSCredentials(AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey),
            AttemptTimeout = TimeSpan.FromMilliseconds(700),
            MaxAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(10),
        });
        var watch = Stopwatch.StartNew();

        var error = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "x" }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsEndpointUnreachable, error.ErrorId);
        Assert.Contains("did not answer within 0.7 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("2 attempts", error.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void ARefusedConnectionIsEndpointUnreachable()
    {
        using var client = new SecretsManagerClient(new AwsClientOptions
        {
            Region = "us-east-1",
            EndpointUrl = Loopback.Url(Loopback.ClosedPort()),
            Credentials = new BasicAWSCredentials(AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey),
            MaxAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(10),
        });

        var error = Assert.Throws<RollbackException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "x" }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsEndpointUnreachable, error.ErrorId);
    }

    [Fact]
    public void CancellationStopsARequestThatHangs()
    {
        using var silent = new SilentEndpoint();
        using var client = new SecretsManagerClient(new AwsClientOptions
        {
            Region = "us-east-1",
            EndpointUrl = silent.Url,
            Credentials = new BasicAWSCredentials(AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey),
            AttemptTimeout = TimeSpan.FromSeconds(30),
        });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        Assert.ThrowsAny<OperationCanceledException>(() => client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = "x" }, cancel.Token).GetAwaiter().GetResult());
    }

    [Fact]
    public void TheDefaultEndpointIsRegionalAndCodeDeployHasItsTargetPrefix()
    {
        using var client = new AwsJsonClient(AwsServiceInfo.SecretsManager, new AwsClientOptions
        {
            Region = "eu-west-1",
            Credentials = new BasicAWSCredentials("a", "b"),
        });
        using var china = new AwsJsonClient(AwsServiceInfo.CodeDeploy, new AwsClientOptions { Region = "cn-north-1", Credentials = new BasicAWSCredentials("a", "b") });

        Assert.Equal(new Uri("https://secretsmanager.eu-west-1.amazonaws.com/"), client.Endpoint);
        Assert.Equal(new Uri("https://codedeploy.cn-north-1.amazonaws.com.cn/"), china.Endpoint);
        Assert.Equal("CodeDeploy_20141006", AwsServiceInfo.CodeDeploy.TargetPrefix);
    }

    [Fact]
    public void CodeDeployBodiesAreCamelCaseWhileTheTypesKeepTheSdkNames()
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new CodeDeployProbe { ApplicationName = "app", S3Location = new S3Probe { ETag = "e" } }, AwsServiceInfo.CodeDeploy.JsonOptions);
        var back = System.Text.Json.JsonSerializer.Deserialize<CodeDeployProbe>("{\"applicationName\":\"app\",\"createTime\":1700000000.5}", AwsServiceInfo.CodeDeploy.JsonOptions)!;

        Assert.Equal("{\"applicationName\":\"app\",\"s3Location\":{\"eTag\":\"e\"}}", body);
        Assert.Equal("app", back.ApplicationName);
        Assert.Equal(new DateTime(2023, 11, 14, 22, 13, 20, 500, DateTimeKind.Utc), back.CreateTime);
        Assert.Equal("{\"SecretId\":\"s\"}", System.Text.Json.JsonSerializer.Serialize(new DescribeSecretRequest { SecretId = "s" }, AwsServiceInfo.SecretsManager.JsonOptions));
    }

    private SecretsManagerClient Client(AWSCredentials? credentials = null, int maxAttempts = 3, int budget = 500) =>
        new(new AwsClientOptions
        {
            Region = AwsTestEndpoint.Region,
            EndpointUrl = _aws.EndpointUrl,
            Credentials = credentials,
            MaxAttempts = maxAttempts,
            RetryBudget = budget,
            BaseDelay = TimeSpan.FromMilliseconds(20),
            AttemptTimeout = TimeSpan.FromSeconds(15),
        });

    private static string ReadType(string body)
    {
        if (body.Length == 0)
        {
            return string.Empty;
        }

        using var document = System.Text.Json.JsonDocument.Parse(body);
        return document.RootElement.GetProperty("__type").GetString()!;
    }

    private sealed class CodeDeployProbe
    {
        public string? ApplicationName { get; set; }

        public S3Probe? S3Location { get; set; }

        public DateTime? CreateTime { get; set; }
    }

    private sealed class S3Probe
    {
        public string? ETag { get; set; }
    }
}
