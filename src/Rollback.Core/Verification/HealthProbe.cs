using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;

namespace Rollback.Verification;

/// <summary>
/// Checks an HTTP(S) health endpoint with HttpClient: status code, latency, the body's status, named checks and
/// version. Retries with exponential back-off until healthy or until the timeout, and reports every attempt.
/// </summary>
public sealed class HealthProbe : IHealthProbe
{
    private const int MaxBodyBytes = 1024 * 1024;
    private const int ExcerptLength = 160;
    private const string Redacted = "***";

    private readonly Random _random = new();

    public HealthCheckResult Check(HealthProbeOptions options, OperationContext context)
    {
        var reporter = context.Reporter;
        var cancellation = context.Cancellation;
        var uri = WithoutUserInfo(options.Uri);
        var started = context.Timestamp();
        var attempts = 0;
        string? lastFailure = null;
        Attempt attempt;
        using var handler = new HttpClientHandler();
        if (options.TrustedCertificate is not null)
        {
            handler.ServerCertificateCustomValidationCallback = TrustedCertificate.Callback(options.TrustedCertificate);
        }

        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = System.Threading.Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxBodyBytes };
        try
        {
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                attempts++;
                // No attempt starts after the timeout, and each may take up to RequestTimeout (itself at most the timeout).
                attempt = Send(client, options, uri, options.RequestTimeout < options.Timeout ? options.RequestTimeout : options.Timeout, context);
                reporter.Verbose($"Health check {attempts} of {uri}: {attempt.Detail}");
                if (attempt.ErrorId is null)
                {
                    break;
                }

                lastFailure = attempt.Detail;
                var wait = Backoff(options, attempts);
                var remaining = options.Timeout - context.ElapsedSince(started);
                if (remaining <= TimeSpan.Zero || attempts >= options.MaxAttempts)
                {
                    break;
                }

                if (wait > remaining)
                {
                    wait = remaining;
                }

                reporter.Progress(new ProgressUpdate
                {
                    ActivityId = ProgressActivity.Health,
                    Activity = $"Health check of {uri}",
                    Status = $"Attempt {attempts.ToString(CultureInfo.InvariantCulture)} failed; retrying in {wait.TotalSeconds:N1} s",
                    CurrentOperation = attempt.Detail,
                    PercentComplete = (int)Math.Min(99, 100 * context.ElapsedSince(started).TotalMilliseconds / Math.Max(1, options.Timeout.TotalMilliseconds)),
                });
                context.Wait(wait);
            }
        }
        finally
        {
            reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Health, Activity = $"Health check of {uri}", Completed = true });
        }

        return new HealthCheckResult
        {
            Uri = uri,
            Healthy = attempt.ErrorId is null,
            StatusCode = attempt.StatusCode,
            ReportedStatus = attempt.Response?.Status,
            ReportedVersion = attempt.Response?.Version,
            ExpectedVersion = options.ExpectedVersion,
            Latency = attempt.Latency,
            Attempts = attempts,
            Elapsed = context.ElapsedSince(started),
            Detail = attempt.Detail,
            Checks = attempt.Response?.Checks ?? Array.Empty<HealthCheckEntry>(),
            LastFailure = lastFailure,
            ErrorId = attempt.ErrorId,
            CheckedAt = context.Now,
            Target = options.Target,
        };
    }

    /// <summary>The wait after a failed attempt: the interval doubled per attempt, capped, optionally jittered.</summary>
    public TimeSpan Backoff(HealthProbeOptions options, int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 20));
        var wait = TimeSpan.FromMilliseconds(Math.Min(options.RetryInterval.TotalMilliseconds * factor, options.MaxRetryInterval.TotalMilliseconds));
        if (options.Jitter)
        {
            double share;
            lock (_random)
            {
                share = 0.5 + (_random.NextDouble() / 2);
            }

            wait = TimeSpan.FromMilliseconds(wait.TotalMilliseconds * share);
        }

        return wait;
    }

    /// <summary>The endpoint as shown in results and messages: any user:password@ part removed.</summary>
    public static Uri WithoutUserInfo(Uri uri) =>
        uri.IsAbsoluteUri && uri.UserInfo.Length > 0 ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri : uri;

    private static Attempt Send(HttpClient client, HealthProbeOptions options, Uri display, TimeSpan timeout, OperationContext context)
    {
        var cancellation = context.Cancellation;
        using var attemptCancellation = context.Time.Deadline(timeout, cancellation);
        var started = context.Timestamp();
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(options.Method.ToUpperInvariant()), options.Uri);
            if (options.Body is not null)
            {
                request.Content = new StringContent(options.Body, Encoding.UTF8);
                if (MediaTypeHeaderValue.TryParse(options.ContentType, out var contentType))
                {
                    request.Content.Headers.ContentType = contentType;
                }
            }

            foreach (var header in options.Headers)
            {
                // Content-Type and its kind belong to the body's headers; they only mean something when there is a body.
                if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value) && request.Content is not null)
                {
                    request.Content.Headers.Remove(header.Key);
                    request.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            if (options.BearerToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Reveal(options.BearerToken));
            }

            using var response = client.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptCancellation.Token).GetAwaiter().GetResult();
            var body = response.Content is null ? string.Empty : response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            var latency = context.ElapsedSince(started);
            return Judge(options, (int)response.StatusCode, response.ReasonPhrase, response.Content?.Headers.ContentType?.MediaType, Scrub(body, options), latency);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return Attempt.Failed(RollbackErrorId.HealthEndpointUnreachable, $"No answer from {display} within {timeout.TotalSeconds:N1} s.", context.ElapsedSince(started));
        }
        catch (HttpRequestException ex)
        {
            var reason = Scrub(Innermost(ex), options);
            var tooLarge = reason.IndexOf("buffer", StringComparison.OrdinalIgnoreCase) >= 0 && reason.IndexOf("size", StringComparison.OrdinalIgnoreCase) >= 0;
            return tooLarge
                ? Attempt.Failed(RollbackErrorId.HealthResponseInvalid, $"{display} answered with a body larger than {MaxBodyBytes / 1024} KiB.", context.ElapsedSince(started))
                : Attempt.Failed(RollbackErrorId.HealthEndpointUnreachable, $"{display} cannot be reached: {reason}", context.ElapsedSince(started));
        }
    }

    private static Attempt Judge(HealthProbeOptions options, int statusCode, string? reasonPhrase, string? mediaType, string body, TimeSpan latency)
    {
        var response = HealthResponse.Parse(body, mediaType);
        var answer = $"{statusCode.ToString(CultureInfo.InvariantCulture)} {reasonPhrase} in {latency.TotalMilliseconds:N0} ms";
        var failedChecks = response.Checks.Where(c => !c.Healthy).ToList();
        var checks = response.Checks.Count == 0 ? string.Empty : "; checks " + string.Join(", ", response.Checks.Select(c => c.Name + "=" + c.Status));

        var expectedStatus = options.ExpectedStatusCodes.Count == 0 ? statusCode is >= 200 and < 300 : options.ExpectedStatusCodes.Contains(statusCode);
        if (!expectedStatus)
        {
            var expected = options.ExpectedStatusCodes.Count == 0 ? "2xx" : string.Join(" or ", options.ExpectedStatusCodes);
            return Attempt.Failed(RollbackErrorId.HealthCheckFailed, $"{answer}, expected {expected}{StatusText(response)}{checks}.", latency, statusCode, response);
        }

        if (response.Invalid is not null)
        {
            return Attempt.Failed(RollbackErrorId.HealthResponseInvalid, $"{answer}, but {response.Invalid}: '{Excerpt(body)}'.", latency, statusCode, response);
        }

        if (!response.StatusHealthy || failedChecks.Count > 0)
        {
            var failing = failedChecks.Count == 0 ? string.Empty : "; failing checks: " + string.Join(", ", failedChecks.Select(Describe));
            return Attempt.Failed(RollbackErrorId.HealthCheckFailed, $"{answer}{StatusText(response)}{failing}.", latency, statusCode, response);
        }

        if (options.MaxLatency is { } max && latency > max)
        {
            return Attempt.Failed(RollbackErrorId.HealthCheckFailed, $"{answer}: slower than the allowed {max.TotalMilliseconds:N0} ms.", latency, statusCode, response);
        }

        if (options.ExpectedVersion is { } expectedVersion)
        {
            if (response.Version is null)
            {
                var why = response.IsJson ? "its JSON has no 'version'" : "its body is not a version";
                return Attempt.Failed(RollbackErrorId.VersionMismatch, $"{answer}, but {why}; expected {expectedVersion}.", latency, statusCode, response);
            }

            if (!HealthResponse.SameVersion(expectedVersion, response.Version))
            {
                return Attempt.Failed(RollbackErrorId.VersionMismatch, $"{answer}: reports version {response.Version}, expected {expectedVersion}.", latency, statusCode, response);
            }
        }

        var version = response.Version is null ? string.Empty : ", version " + response.Version;
        var degraded = response.Degraded ? " (degraded: still serving)" : string.Empty;
        return new Attempt(null, $"{answer}{StatusText(response)}{degraded}{version}{checks}.", latency, statusCode, response);
    }

    private static string StatusText(HealthResponse response) => response.Status is null ? string.Empty : ", status " + response.Status;

    private static string Describe(HealthCheckEntry check) =>
        check.Description is null ? $"{check.Name}={check.Status}" : $"{check.Name}={check.Status} ({check.Description})";

    private static string Excerpt(string body)
    {
        var flat = body.Replace('\r', ' ').Replace('\n', ' ').Trim();
        return flat.Length <= ExcerptLength ? flat : flat.Substring(0, ExcerptLength) + "...";
    }

    /// <summary>A server may echo request headers back: no header value or token sent survives into what is reported.</summary>
    private static string Scrub(string text, HealthProbeOptions options)
    {
        var secrets = options.Headers.Values.Where(v => v.Length >= 4).ToList();
        if (options.BearerToken is not null)
        {
            var token = Reveal(options.BearerToken);
            if (token.Length > 0)
            {
                secrets.Add(token);
            }
        }

        foreach (var secret in secrets)
        {
            text = text.Replace(secret, Redacted);
        }

        return text;
    }

    private static string Innermost(Exception ex)
    {
        var messages = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            messages = inner.Message;
        }

        return messages;
    }

    /// <summary>The token as text, for the moment a request is built. The unmanaged copy is zeroed at once.</summary>
    private static string Reveal(SecureString secret)
    {
        var pointer = IntPtr.Zero;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(secret);
            return Marshal.PtrToStringUni(pointer) ?? string.Empty;
        }
        finally
        {
            if (pointer != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(pointer);
            }
        }
    }

    private sealed class Attempt
    {
        public Attempt(string? errorId, string detail, TimeSpan? latency, int? statusCode, HealthResponse? response)
        {
            ErrorId = errorId;
            Detail = detail;
            Latency = latency;
            StatusCode = statusCode;
            Response = response;
        }

        public string? ErrorId { get; }

        public string Detail { get; }

        public TimeSpan? Latency { get; }

        public int? StatusCode { get; }

        public HealthResponse? Response { get; }

        public static Attempt Failed(string errorId, string detail, TimeSpan elapsed, int? statusCode = null, HealthResponse? response = null) =>
            new(errorId, detail, statusCode is null ? null : (TimeSpan?)elapsed, statusCode, response);

        public override string ToString() => Detail;
    }
}
