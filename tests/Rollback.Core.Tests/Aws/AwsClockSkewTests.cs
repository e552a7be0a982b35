using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using Amazon.Runtime;
using Rollback.Providers.Aws;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.Client;
using Rollback.Providers.Aws.SecretsManager;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// Clock-skew correction against loopback endpoints whose clocks are deliberately wrong: each judges request times by
/// its own clock (5 minutes either way), refuses the others with AWS's 403 InvalidSignatureException "Signature
/// expired" / "Signature not yet current" and stamps its Date header with its clock. Signatures are still checked by
/// botocore, so the re-signed request is the SDK signer's work too. Every endpoint here is new (its own port), and its
/// correction, which the SDK keeps for the life of the process, is cleared when the test ends.
/// </summary>
public sealed class AwsClockSkewTests : IClassFixture<MotoFixture>, IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private readonly MotoFixture _aws;
    private readonly List<AwsTestEndpoint> _endpoints = new();
    private readonly TempFolder _folder = new();

    public AwsClockSkewTests(MotoFixture aws)
    {
        _aws = aws;
    }

    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
        {
            ForgetCorrection(endpoint.Url);
            endpoint.Dispose();
        }

        _folder.Dispose();
    }

    [SkippableTheory]
    [InlineData(20)]
    [InlineData(-20)]
    public void TheFirstCallIsCorrectedOnceAndTheNextIsSignedRightFromTheStart(int minutes)
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("skew");
        _aws.CreateSecret(name, "one");
        var endpoint = Skewed(TimeSpan.FromMinutes(minutes));

        // One attempt and a budget of 5: the skew retry must be outside both.
        using (var client = Client(endpoint, maxAttempts: 1, budget: 5))
        {
            Assert.Equal(name, client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult().Name);

            Assert.Equal(2, endpoint.RequestDates.Count);
            Assert.Single(endpoint.TimeRefusals);
            Assert.StartsWith(minutes > 0 ? "Signature expired" : "Signature not yet current", endpoint.TimeRefusals.Single().Split(": ", 2)[1], StringComparison.Ordinal);
            AssertWithinWindow(endpoint, endpoint.RequestDates.Last());
            Assert.InRange(client.Transport.ClockCorrection.TotalMinutes, minutes - 1, minutes + 1);
            Assert.Equal(5, client.Transport.RetryBudgetAvailable);
            var notice = Assert.Single(client.Transport.TakeNotices());
            Assert.Contains(minutes > 0 ? "behind" : "ahead of", notice, StringComparison.Ordinal);
            Assert.Contains(endpoint.Url.Authority, notice, StringComparison.Ordinal);
            Assert.DoesNotContain(AwsTestEndpoint.SecretKey, notice, StringComparison.Ordinal);
        }

        // A new client (the providers make one per call) to the same endpoint signs with the correction from the start.
        using (var again = Client(endpoint, maxAttempts: 1, budget: 5))
        {
            Assert.Equal(name, again.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult().Name);
            Assert.Equal(3, endpoint.RequestDates.Count);
            Assert.Single(endpoint.TimeRefusals);
            AssertWithinWindow(endpoint, endpoint.RequestDates.Last());
            Assert.Empty(again.Transport.TakeNotices());
        }

        Assert.Empty(endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void CorrectionsArePerEndpoint()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("per-endpoint");
        _aws.CreateSecret(name, "one");
        var skewed = Skewed(TimeSpan.FromMinutes(20));
        var right = Skewed(TimeSpan.Zero);

        using (var client = Client(skewed))
        {
            client.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult();
        }

        using var other = Client(right);
        Assert.Equal(name, other.DescribeSecretAsync(new DescribeSecretRequest { SecretId = name }).GetAwaiter().GetResult().Name);

        Assert.Equal(2, skewed.RequestDates.Count);
        Assert.Single(right.RequestDates);
        Assert.Empty(right.TimeRefusals);
        AssertWithinWindow(right, right.RequestDates.Single());
        Assert.Equal(TimeSpan.Zero, other.Transport.ClockCorrection);
        Assert.Equal(TimeSpan.Zero, AwsClockSkew.CorrectionFor(_aws.EndpointUrl));
        Assert.Empty(skewed.FailuresOfMainKey);
        Assert.Empty(right.FailuresOfMainKey);
    }

    [SkippableFact]
    public void APersistentSkewIsAwsClockSkewedAfterOneCorrectionAndChangesNothing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("persistent");
        var ids = _aws.CreateSecret(name, "one", "two");
        var before = _aws.Stages(name);
        var endpoint = Skewed(TimeSpan.FromMinutes(20));
        endpoint.RefuseEveryTime = true;
        using var client = Client(endpoint, budget: 50);

        var error = Assert.Throws<RollbackException>(() => client.UpdateSecretVersionStageAsync(new UpdateSecretVersionStageRequest
        {
            SecretId = name,
            VersionStage = "AWSCURRENT",
            MoveToVersionId = ids[0],
            RemoveFromVersionId = ids[1],
        }).GetAwaiter().GetResult());

        Assert.Equal(AwsErrorId.AwsClockSkewed, error.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, error.Category);
        Assert.Equal("InvalidSignatureException", AwsErrors.CodeOf(error));
        Assert.Matches("AWS request id test-[0-9a-f]{32}", error.Message);
        Assert.Contains("after 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains("clock", error.Message, StringComparison.Ordinal);
        // One correction and one resend, nothing more; the retry budget untouched; the secret as it was.
        Assert.Equal(2, endpoint.RequestDates.Count);
        Assert.Equal(2, endpoint.TimeRefusals.Count);
        Assert.Equal(0, endpoint.Count("UpdateSecretVersionStage"));
        Assert.Equal(50, client.Transport.RetryBudgetAvailable);
        Assert.Equal(before.OrderBy(p => p.Key).Select(p => p.Key + "=" + string.Join("+", p.Value)), _aws.Stages(name).OrderBy(p => p.Key).Select(p => p.Key + "=" + string.Join("+", p.Value)));
        // The correction is the one the first refusal's Date gave; the second refusal does not move it again.
        Assert.InRange(client.Transport.ClockCorrection.TotalMinutes, 19, 21);
        Assert.Empty(endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ASecretsManagerRollbackThroughASkewedEndpointWorksEndToEnd()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("skew-rollback");
        var ids = _aws.CreateSecret(name, "good-1", "good-2");
        var endpoint = Skewed(TimeSpan.FromMinutes(-20));
        var reporter = new RecordingReporter();
        var store = new RollbackStore(Path.Combine(_folder.Path, "store"));
        var engine = new RollbackEngine(store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(SecretsManagerSecretProvider).Assembly)), reporter, null, "tester");
        engine.Targets.Register("app", SecretsManagerSecretProvider.KindName, new SettingsDictionary(new[]
        {
            Pair("SecretId", name),
            Pair("Region", AwsTestEndpoint.Region),
            Pair("EndpointUrl", endpoint.Url.ToString()),
            Pair("TimeoutSeconds", "15"),
        }), replace: false);

        var point = engine.Points.Create("app", "before deploy");
        var bad = _aws.PutValue(name, "bad-3");
        var readiness = engine.Readiness.Test("app", point.Id);
        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "bad secret" });

        Assert.Equal(ids[1], point.Version);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(bad, result.FromVersion);
        Assert.Equal(ids[1], result.ToVersion);
        Assert.Contains("AWSCURRENT", _aws.Stages(name)[ids[1]]);
        Assert.Contains("AWSPREVIOUS", _aws.Stages(name)[bad]);
        // Only the very first request was refused; every later one was signed with the corrected time.
        Assert.Single(endpoint.TimeRefusals);
        Assert.True(endpoint.RequestDates.Count > 4, $"{endpoint.RequestDates.Count} requests");
        foreach (var date in endpoint.RequestDates.Skip(1))
        {
            AssertWithinWindow(endpoint, date);
        }

        Assert.Equal(1, endpoint.Count("UpdateSecretVersionStage"));
        Assert.Contains(reporter.Verbose, m => m.Contains("clock is", StringComparison.Ordinal) && m.Contains("ahead of", StringComparison.Ordinal));
        Assert.Empty(endpoint.FailuresOfMainKey);
    }

    [Theory]
    [InlineData(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", true)]
    [InlineData(400, "RequestExpired", "Request has expired.", true)]
    [InlineData(400, "InvalidSignatureException", "Signature expired: 20250101T000000Z is now earlier than 20250101T001000Z (20250101T001500Z - 5 min.)", true)]
    [InlineData(403, "SignatureDoesNotMatch", "Signature not yet current: 20250101T003000Z is still later than 20250101T002000Z (20250101T001500Z + 5 min.)", true)]
    [InlineData(403, "", "Signature expired: 20250101T000000Z is now earlier than 20250101T001000Z (20250101T001500Z - 5 min.)", true)]
    [InlineData(400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.", false)]
    [InlineData(400, "AccessDeniedException", "Signature expired", false)]
    [InlineData(400, "ExpiredTokenException", "The security token included in the request is expired", false)]
    public void SkewErrorsAreTheOnesTheSdksTreatAsSkew(int status, string code, string message, bool skew)
    {
        Assert.Equal(skew, AwsClockSkew.IsSkewError((HttpStatusCode)status, code, message));
        var mapped = AwsErrors.FromResponse(AwsServiceInfo.SecretsManager, "DescribeSecret", (HttpStatusCode)status, code, message, "req-1", 1);
        Assert.Equal(skew, mapped.ErrorId == AwsErrorId.AwsClockSkewed);
    }

    [Fact]
    public void WithoutADateHeaderTheSdkTakesTheServerTimeFromTheMessage()
    {
        var endpoint = new Uri($"http://skew-{Guid.NewGuid():N}.invalid/");
        var now = DateTime.UtcNow;
        var server = now.AddMinutes(20);
        var message = SigV4Verifier.Expired(now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture), server, Window).Message;
        try
        {
            Assert.True(AwsClockSkew.TryCorrect(endpoint, now, HttpStatusCode.BadRequest, "InvalidSignatureException", message, dateHeader: null));
            Assert.InRange(AwsClockSkew.CorrectionFor(endpoint).TotalMinutes, 19.9, 20.1);
            Assert.InRange((CorrectClockSkew.GetCorrectedUtcNowForEndpoint(endpoint.ToString()) - server).TotalMinutes, -0.1, 0.1);
        }
        finally
        {
            ForgetCorrection(endpoint);
        }
    }

    [Fact]
    public void ASkewTheSdkCannotMeasureIsNotCorrected()
    {
        var endpoint = new Uri($"http://skew-{Guid.NewGuid():N}.invalid/");
        var now = DateTime.UtcNow;

        // No Date header and no server time in the message; and a Date within the SDK's 5-minute threshold.
        Assert.False(AwsClockSkew.TryCorrect(endpoint, now, HttpStatusCode.Forbidden, string.Empty, "Signature expired", dateHeader: null));
        Assert.False(AwsClockSkew.TryCorrect(endpoint, now, HttpStatusCode.BadRequest, "InvalidSignatureException", "Signature expired",
            now.AddMinutes(2).ToString("r", CultureInfo.InvariantCulture)));
        Assert.Equal(TimeSpan.Zero, AwsClockSkew.CorrectionFor(endpoint));
    }

    /// <summary>
    /// The SDK keeps corrections for the life of the process and offers no public way to drop one; a test endpoint's
    /// port may be reused by a later test's endpoint, so each test puts its endpoints back to no correction.
    /// </summary>
    private static void ForgetCorrection(Uri endpoint)
    {
        var set = typeof(CorrectClockSkew).GetMethod("SetClockCorrectionForEndpoint", BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("AWSSDK.Core no longer has CorrectClockSkew.SetClockCorrectionForEndpoint: update the test cleanup.");
        set.Invoke(null, new object[] { new Uri(endpoint.GetLeftPart(UriPartial.Authority)).ToString(), TimeSpan.Zero });
    }

    private static void AssertWithinWindow(AwsTestEndpoint endpoint, string amzDate)
    {
        var signedAt = DateTimeOffset.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.True((endpoint.Now - signedAt).Duration() < Window, $"signed at {amzDate}, the endpoint's clock says {endpoint.Now:u}");
    }

    private static KeyValuePair<string, object?> Pair(string key, object value) => new(key, value);

    private AwsTestEndpoint Skewed(TimeSpan offset)
    {
        var endpoint = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "secretsmanager");
        endpoint.ClockOffset = offset;
        endpoint.AllowedSkew = Window;
        _endpoints.Add(endpoint);
        return endpoint;
    }

    private static SecretsManagerClient Client(AwsTestEndpoint endpoint, int maxAttempts = 3, int budget = 500) =>
        new(new AwsClientOptions
        {
            Region = AwsTestEndpoint.Region,
            EndpointUrl = endpoint.Url,
            MaxAttempts = maxAttempts,
            RetryBudget = budget,
            BaseDelay = TimeSpan.FromMilliseconds(20),
            AttemptTimeout = TimeSpan.FromSeconds(15),
        });

    private sealed class RecordingReporter : IRollbackReporter
    {
        public List<string> Verbose { get; } = new();

        public void Progress(ProgressUpdate update)
        {
        }

        void IRollbackReporter.Verbose(string message) => Verbose.Add(message);

        public void Warning(string message)
        {
        }
    }
}
