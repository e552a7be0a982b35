using System;
using System.Collections.Generic;
using System.Linq;
using System.Security;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Testing;
using Rollback.Verification;
using Xunit;

namespace Rollback.Tests.Verification;

/// <summary>
/// The probe against a real HTTP server on 127.0.0.1 whose answers each test switches. Retries and timeouts run on
/// virtual time (each back-off passes at once, so the schedule is exact); latency and request timeouts, which measure
/// the real server, run on real time.
/// </summary>
public sealed class HealthProbeTests : IDisposable
{
    private const string Token = "s3cr3t-bearer-token-0xC0FFEE";

    private readonly HealthServer _server = new();
    private readonly HealthProbe _probe = new();
    private readonly RecordingReporter _reporter = new();
    private readonly VirtualTime _time = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public void SeedShapeAtTheExpectedVersionIsHealthy()
    {
        _server.Respond(HealthAnswer.Healthy("v2.3.1"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), ExpectedVersion = "v2.3.1" });

        Assert.True(result.Healthy, result.Detail);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("healthy", result.ReportedStatus);
        Assert.Equal("v2.3.1", result.ReportedVersion);
        Assert.Equal("v2.3.1", result.ExpectedVersion);
        Assert.Equal(1, result.Attempts);
        Assert.Null(result.LastFailure);
        Assert.Null(result.ErrorId);
        Assert.NotNull(result.Latency);
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Health && p.Completed);
    }

    [Fact]
    public void AspNetCoreShapeReportsEachNamedCheck()
    {
        _server.Respond(HealthAnswer.AspNetCore("Healthy", ("database", "Healthy"), ("identityServer", "Healthy"), ("cache", "Degraded")));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri() });

        Assert.True(result.Healthy, result.Detail);
        Assert.Equal(new[] { "database", "identityServer", "cache" }, result.Checks.Select(c => c.Name));
        Assert.All(result.Checks, c => Assert.True(c.Healthy));
        Assert.Equal("Degraded", result.Checks[2].Status);
    }

    [Fact]
    public void FailingNamedCheckMakesTheEndpointUnhealthy()
    {
        _server.Respond(HealthAnswer.AspNetCore("Unhealthy", ("database", "Unhealthy"), ("cache", "Healthy")));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthCheckFailed, result.ErrorId);
        Assert.Equal(503, result.StatusCode);
        var database = Assert.Single(result.Checks, c => c.Name == "database");
        Assert.False(database.Healthy);
        Assert.Contains("database=Unhealthy", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void EntriesFormWithDescriptionsAndDurationsIsRead()
    {
        _server.Respond(new HealthAnswer(200, """
            {"status":"Unhealthy","totalDuration":"00:00:00.0200000","entries":{
              "db":{"data":{},"description":"Timeout after 5s","duration":"00:00:00.0100000","status":"Unhealthy"},
              "disk":{"data":{},"duration":"00:00:00.0010000","status":"Healthy"}}}
            """));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthCheckFailed, result.ErrorId);
        Assert.Equal("Timeout after 5s", result.Checks[0].Description);
        Assert.Equal(TimeSpan.FromMilliseconds(10), result.Checks[0].Duration);
        Assert.Contains("db=Unhealthy (Timeout after 5s)", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainTextVersionEndpointIsCompared()
    {
        _server.Respond(new HealthAnswer(200, "2.3.1\n", "text/plain"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri("version"), ExpectedVersion = "v2.3.1" });

        Assert.True(result.Healthy, result.Detail);
        Assert.Equal("2.3.1", result.ReportedVersion);
    }

    [Fact]
    public void WrongVersionIsVersionMismatchAfterRetries()
    {
        _server.Respond(HealthAnswer.Healthy("v2.4.0"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), ExpectedVersion = "v2.3.1", Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.Healthy);
        Assert.True(RollbackErrorId.VersionMismatch == result.ErrorId, result.Detail + " | " + result.LastFailure);
        Assert.Equal("v2.4.0", result.ReportedVersion);
        Assert.Contains("reports version v2.4.0, expected v2.3.1", result.LastFailure, StringComparison.Ordinal);
        // Back-off from 200 ms doubling (0.2, 0.4, 0.8 s, then the 0.6 s left of the 2 s), one last attempt at the timeout, no more.
        Assert.Equal(5, result.Attempts);
        Assert.Equal(5, _server.Requests.Count);
        Assert.Equal(new[] { 200.0, 400, 800, 600 }, _time.Waits.Select(w => w.TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(2), result.Elapsed);
    }

    [Fact]
    public void UnavailableEndpointFailsWithHealthCheckFailed()
    {
        _server.Respond(HealthAnswer.Unavailable());

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthCheckFailed, result.ErrorId);
        Assert.Equal(503, result.StatusCode);
        Assert.Contains("expected 2xx", result.Detail, StringComparison.Ordinal);
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Health && !p.Completed && p.Status.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public void ServerErrorsThenHealthyRecoverByRetrying()
    {
        var served = 0;
        _server.Respond(_ => Interlocked.Increment(ref served) <= 2 ? new HealthAnswer(500, "boom", "text/plain") : HealthAnswer.Healthy("v2.3.1"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), ExpectedVersion = "v2.3.1", Timeout = TimeSpan.FromSeconds(5), RetryInterval = TimeSpan.FromMilliseconds(20) });

        Assert.True(result.Healthy, result.Detail);
        Assert.Equal(3, result.Attempts);
        Assert.StartsWith("500", result.LastFailure, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal(new[] { 20.0, 40 }, _time.Waits.Select(w => w.TotalMilliseconds));
    }

    [Fact]
    public void SlowAnswerAboveMaxLatencyIsUnhealthy()
    {
        _server.Respond(HealthAnswer.Healthy("v1") with { Delay = TimeSpan.FromMilliseconds(300) });

        // Latency is the real server's: real time.
        var result = CheckOnRealTime(new HealthProbeOptions { Uri = _server.Uri(), MaxLatency = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(400) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthCheckFailed, result.ErrorId);
        Assert.True(result.Latency >= TimeSpan.FromMilliseconds(250), result.Latency.ToString());
        Assert.Contains("slower than the allowed 100 ms", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void AnswerSlowerThanTheRequestTimeoutIsUnreachable()
    {
        _server.Respond(HealthAnswer.Healthy("v1") with { Delay = TimeSpan.FromSeconds(3) });

        // A real server that answers late: real time, end to end.
        var result = CheckOnRealTime(new HealthProbeOptions { Uri = _server.Uri(), RequestTimeout = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromMilliseconds(300), RetryInterval = TimeSpan.FromMilliseconds(50) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthEndpointUnreachable, result.ErrorId);
        Assert.Null(result.StatusCode);
        Assert.Contains("No answer", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void NonJsonBodyWhereJsonIsExpectedIsHealthResponseInvalid()
    {
        _server.Respond(new HealthAnswer(200, "<html><body>Service Unavailable</body></html>", "application/json"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthResponseInvalid, result.ErrorId);
        Assert.Contains("not valid JSON", result.Detail, StringComparison.Ordinal);
        Assert.Contains("Service Unavailable", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void HtmlPageCannotProveAVersion()
    {
        _server.Respond(new HealthAnswer(200, "<html>login</html>", "text/html"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), ExpectedVersion = "v1", Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.Equal(RollbackErrorId.VersionMismatch, result.ErrorId);
        Assert.Contains("not a version", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ClosedPortIsUnreachable()
    {
        var result = Check(new HealthProbeOptions { Uri = HealthServer.ClosedPort(), Timeout = TimeSpan.FromSeconds(3), RetryInterval = TimeSpan.FromMilliseconds(50) });

        Assert.False(result.Healthy);
        Assert.Equal(RollbackErrorId.HealthEndpointUnreachable, result.ErrorId);
        Assert.Null(result.StatusCode);
        // 50 ms doubling to 1.6 s, cut to the 1.45 s left of the 3 s: seven attempts, however slow each refusal is.
        Assert.Equal(7, result.Attempts);
        Assert.Contains("cannot be reached", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpectedStatusCodeReplacesTheDefault()
    {
        _server.Respond(new HealthAnswer(401, string.Empty, "text/plain"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri("auth/login"), ExpectedStatusCodes = new[] { 401 } });

        Assert.True(result.Healthy, result.Detail);
        Assert.Equal(401, result.StatusCode);
    }

    [Fact]
    public void SyntheticTransactionSendsMethodBodyHeadersAndToken()
    {
        _server.Respond(new HealthAnswer(200, """{"status":"ok","transaction":"t-1"}"""));

        var result = Check(new HealthProbeOptions
        {
            Uri = _server.Uri("api/v1/test-transaction"),
            Method = "post",
            Body = """{"test": true, "amount": 1.00}""",
            Headers = new Dictionary<string, string> { ["X-Drill"] = "rollback" },
            BearerToken = Secure(Token),
        });

        Assert.True(result.Healthy, result.Detail);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/v1/test-transaction", request.Path);
        Assert.Equal("""{"test": true, "amount": 1.00}""", request.Body);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("rollback", request.Headers["X-Drill"]);
        Assert.Equal("Bearer " + Token, request.Headers["Authorization"]);
    }

    [Fact]
    public void TokenEchoedByTheServerNeverReachesTheResultOrMessages()
    {
        // A debugging endpoint that echoes the request's headers in an error page.
        _server.Respond(r => new HealthAnswer(200, "<pre>Authorization: " + r.Headers["Authorization"] + "</pre> not json {", "application/json"));

        var result = Check(new HealthProbeOptions { Uri = _server.Uri(), BearerToken = Secure(Token), Timeout = TimeSpan.FromSeconds(2), RetryInterval = TimeSpan.FromMilliseconds(200) });

        Assert.Equal(RollbackErrorId.HealthResponseInvalid, result.ErrorId);
        Assert.Contains("Bearer ***", result.Detail, StringComparison.Ordinal);
        var everything = string.Join("\n", new[] { result.Detail, result.LastFailure ?? string.Empty, result.ToString() }
            .Concat(_reporter.Verbose).Concat(_reporter.Warnings).Concat(_reporter.Progress.Select(p => p.Activity + p.Status + p.CurrentOperation)));
        Assert.DoesNotContain(Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("C0FFEE", everything, StringComparison.Ordinal);
    }

    [Fact]
    public void UserInfoInTheAddressIsNotReported()
    {
        _server.Respond(HealthAnswer.Healthy("v1"));
        var withPassword = new UriBuilder(_server.Uri()) { UserName = "ops", Password = "hunter2" }.Uri;

        var result = Check(new HealthProbeOptions { Uri = withPassword });

        Assert.DoesNotContain("hunter2", result.Uri.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", string.Join("\n", _reporter.Verbose), StringComparison.Ordinal);
    }

    [Fact]
    public void CancellationStopsRetrying()
    {
        _server.Respond(HealthAnswer.Unavailable());
        using var cancellation = new CancellationTokenSource();
        // Ctrl+C as the first retry is announced: the wait before the second attempt ends it.
        _reporter.OnProgress = p =>
        {
            if (!p.Completed)
            {
                cancellation.Cancel();
            }
        };

        Assert.ThrowsAny<OperationCanceledException>(() =>
            _probe.Check(new HealthProbeOptions { Uri = _server.Uri(), Timeout = TimeSpan.FromSeconds(30), RetryInterval = TimeSpan.FromMilliseconds(100) },
                new OperationContext(_reporter, _time, cancellation.Token)));

        Assert.Single(_server.Requests);
        Assert.Empty(_time.Waits);
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Health && p.Completed);
    }

    [Fact]
    public void CancellationDuringARealWaitEndsItPromptly()
    {
        // Real time end to end: a cancel from another thread ends the real back-off wait, not only the next attempt.
        _server.Respond(HealthAnswer.Unavailable());
        using var cancellation = new CancellationTokenSource();

        // Cancelled once the first request was answered (the probe is then in its one-minute wait), not on a timer: on a
        // loaded machine a timer could fire before the first request, which would prove nothing about the wait.
        var canceller = new Thread(() =>
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (_server.Requests.Count == 0 && DateTime.UtcNow < until)
            {
                Thread.Sleep(10);
            }

            Thread.Sleep(100);
            cancellation.Cancel();
        });
        canceller.Start();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            _probe.Check(new HealthProbeOptions { Uri = _server.Uri(), Timeout = TimeSpan.FromMinutes(5), RetryInterval = TimeSpan.FromMinutes(1) },
                new OperationContext(_reporter, TimeProvider.System, cancellation.Token)));
        canceller.Join();

        Assert.Single(_server.Requests);
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Health && p.Completed);
    }

    [Fact]
    public void BackoffDoublesUpToTheCap()
    {
        var options = new HealthProbeOptions { Uri = new Uri("http://127.0.0.1/"), RetryInterval = TimeSpan.FromMilliseconds(100), MaxRetryInterval = TimeSpan.FromMilliseconds(500) };

        var waits = Enumerable.Range(1, 6).Select(n => _probe.Backoff(options, n).TotalMilliseconds);

        Assert.Equal(new[] { 100.0, 200, 400, 500, 500, 500 }, waits);
    }

    [Fact]
    public void JitterWaitsBetweenHalfAndAllOfTheStep()
    {
        var options = new HealthProbeOptions { Uri = new Uri("http://127.0.0.1/"), RetryInterval = TimeSpan.FromMilliseconds(400), Jitter = true };

        var waits = Enumerable.Range(0, 50).Select(_ => _probe.Backoff(options, 1).TotalMilliseconds).ToList();

        Assert.All(waits, w => Assert.InRange(w, 200, 400));
        Assert.True(waits.Distinct().Count() > 1);
    }

    private static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    private HealthCheckResult Check(HealthProbeOptions options) => _probe.Check(options, new OperationContext(_reporter, _time, CancellationToken.None));

    private HealthCheckResult CheckOnRealTime(HealthProbeOptions options) => _probe.Check(options, new OperationContext(_reporter, TimeProvider.System, CancellationToken.None));
}
