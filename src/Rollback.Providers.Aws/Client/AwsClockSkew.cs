using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Transform;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// Clock-skew correction as the AWS SDKs do it, done by AWSSDK.Core itself. The SDK keeps one clock correction per
/// endpoint for the life of the process (<see cref="CorrectClockSkew"/>, behind a reader-writer lock), and its SigV4
/// signer already signs every request with <c>CorrectClockSkew.GetCorrectedUtcNowForEndpoint(request.Endpoint)</c>.
/// What sets a correction is the SDK's retry policy (<see cref="RetryPolicy.Retry"/>): given a skew error it reads the
/// server's time from the response's Date header (or from the error message, "... (20250101T120000Z - 5 min.)"),
/// stores <c>server time - local time</c> for the endpoint and answers "retry". Its setter is internal, so this class
/// hands the failed attempt to that public entry point, with a retry policy that retries nothing else: the SDK decides
/// whether it is a skew and computes the offset; the client only resends. AWSConfigs.CorrectForClockSkew (off) and
/// AWSConfigs.ManualClockCorrection (set) are honoured, as the SDK honours them.
/// </summary>
internal static class AwsClockSkew
{
    private static readonly HashSet<string> SkewCodes = new(StringComparer.Ordinal)
    {
        "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture",
    };

    private static readonly HashSet<string> SignatureCodes = new(StringComparer.Ordinal)
    {
        "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
    };

    private static readonly string[] SkewPhrases =
    {
        "Signature expired", "Signature not yet current", "signature is not yet valid", "Signature not yet valid",
    };

    private static readonly OnlyClockSkew Policy = new();

    /// <summary>
    /// True for the answers the SDKs treat as a skewed clock: RequestTimeTooSkewed, RequestExpired and
    /// RequestInTheFuture; InvalidSignatureException, SignatureDoesNotMatch or AuthFailure whose message says the
    /// signature expired or is not yet valid; a 403 with no known code saying "Signature expired".
    /// </summary>
    public static bool IsSkewError(HttpStatusCode status, string code, string? message)
    {
        if (SkewCodes.Contains(code))
        {
            return true;
        }

        var saysSkew = message is not null && Array.Exists(SkewPhrases, p => message.IndexOf(p, StringComparison.OrdinalIgnoreCase) >= 0);
        return saysSkew && (SignatureCodes.Contains(code) || (status == HttpStatusCode.Forbidden && code.Length == 0));
    }

    /// <summary>The correction the SDK holds for an endpoint (what its signer adds to the local clock); zero when none.</summary>
    public static TimeSpan CorrectionFor(Uri signingEndpoint) => CorrectClockSkew.GetClockCorrectionForEndpoint(signingEndpoint.ToString());

    /// <summary>
    /// Hands a skew error to the SDK's retry policy, which sets the endpoint's correction when it can read the server's
    /// time and the skew is past its threshold (5 minutes). True when it did and the request should be signed again.
    /// </summary>
    /// <param name="signingEndpoint">The endpoint exactly as given to the signer (its correction is keyed by it).</param>
    /// <param name="signedAt">The X-Amz-Date the refused request was signed with.</param>
    /// <param name="status">The HTTP status of the refusal.</param>
    /// <param name="code">The AWS error code, empty when there was none.</param>
    /// <param name="message">The AWS error message as the service sent it.</param>
    /// <param name="dateHeader">The response's Date header, as sent (RFC 1123), or null.</param>
    public static bool TryCorrect(Uri signingEndpoint, DateTime signedAt, HttpStatusCode status, string code, string? message, string? dateHeader)
    {
        var request = new DefaultRequest(new ProbeRequest(), "rollback")
        {
            HttpMethod = "POST",
            Endpoint = signingEndpoint,
            SignedAt = signedAt,
        };
        var context = new ExecutionContext(new RequestContext(false) { Request = request }, new ResponseContext());
        var error = new AmazonServiceException(
            message ?? string.Empty,
            new HttpErrorResponseException(new ErrorResponse(status, dateHeader)),
            ErrorType.Sender,
            code.Length == 0 ? null : code,
            null,
            status);
        return Policy.Retry(context, error);
    }

    /// <summary>Reads the X-Amz-Date the signer wrote ("yyyyMMddTHHmmssZ").</summary>
    public static DateTime? ParseAmzDate(string? value) =>
        value is not null && DateTime.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    /// <summary>"20 min 3 s ahead of" / "4 s behind": how this machine's clock compares with the endpoint's.</summary>
    public static string Describe(TimeSpan correction)
    {
        var size = TimeSpan.FromSeconds(Math.Round(correction.Duration().TotalSeconds));
        var text = size.TotalHours >= 1
            ? string.Format(CultureInfo.InvariantCulture, "{0} h {1} min", (int)size.TotalHours, size.Minutes)
            : size.TotalMinutes >= 1
                ? string.Format(CultureInfo.InvariantCulture, "{0} min {1} s", (int)size.TotalMinutes, size.Seconds)
                : string.Format(CultureInfo.InvariantCulture, "{0} s", (int)size.TotalSeconds);
        // The correction is server time minus local time: positive means the local clock is behind.
        return text + (correction >= TimeSpan.Zero ? " behind" : " ahead of");
    }

    /// <summary>A retry policy that retries nothing but what the SDK's own clock-skew check says to.</summary>
    private sealed class OnlyClockSkew : RetryPolicy
    {
        public OnlyClockSkew()
        {
            Logger = Amazon.Runtime.Internal.Util.Logger.GetLogger(typeof(AwsClockSkew));
            MaxRetries = 1;
        }

        public override bool CanRetry(IExecutionContext executionContext) => true;

        public override bool RetryForException(IExecutionContext executionContext, Exception exception) => false;

        public override bool RetryLimitReached(IExecutionContext executionContext) => false;

        public override void WaitBeforeRetry(IExecutionContext executionContext)
        {
        }

        public override System.Threading.Tasks.Task<bool> RetryForExceptionAsync(IExecutionContext executionContext, Exception exception) => System.Threading.Tasks.Task.FromResult(false);

        public override System.Threading.Tasks.Task WaitBeforeRetryAsync(IExecutionContext executionContext) => System.Threading.Tasks.Task.CompletedTask;
    }

    /// <summary>The refused response as the SDK's retry policy reads it: status and Date header.</summary>
    private sealed class ErrorResponse : IWebResponseData
    {
        private readonly string? _date;

        public ErrorResponse(HttpStatusCode status, string? date)
        {
            StatusCode = status;
            _date = date;
        }

        public long ContentLength => 0;

        public string ContentType => string.Empty;

        public HttpStatusCode StatusCode { get; }

        public bool IsSuccessStatusCode => false;

        public IHttpResponseBody ResponseBody => throw new NotSupportedException("The body of a refused request has already been read.");

        public string[] GetHeaderNames() => _date is null ? Array.Empty<string>() : new[] { "Date" };

        public bool IsHeaderPresent(string headerName) => _date is not null && string.Equals(headerName, "Date", StringComparison.OrdinalIgnoreCase);

        public string GetHeaderValue(string headerName) => IsHeaderPresent(headerName) ? _date! : string.Empty;
    }

    /// <summary>The SDK's request type wants an original request; only endpoint, method and signing time matter here.</summary>
    private sealed class ProbeRequest : AmazonWebServiceRequest
    {
    }
}
