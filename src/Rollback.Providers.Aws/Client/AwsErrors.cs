using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Rollback.Errors;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// Turns an AWS error response into the module's ErrorIds. Not-found comes in two shapes: AWS itself answers 400 with
/// a ResourceNotFoundException (or XxxDoesNotExistException) type, emulators and some front ends answer 404; both
/// map to AwsResourceNotFound. The AWS error (code, request id, status) stays on the inner AmazonServiceException.
/// </summary>
internal static class AwsErrors
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    };

    private static readonly HashSet<string> ExpiredCodes = new(StringComparer.Ordinal)
    {
        "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
    };

    private static readonly HashSet<string> InvalidCredentialCodes = new(StringComparer.Ordinal)
    {
        "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch",
        "IncompleteSignature", "MissingAuthenticationToken", "AuthFailure", "InvalidAccessKeyId",
    };

    private static readonly HashSet<string> AccessDeniedCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "NotAuthorized",
    };

    private static readonly HashSet<string> InvalidRequestCodes = new(StringComparer.Ordinal)
    {
        "ValidationException", "InvalidParameterException", "InvalidParameterValue", "InvalidParameterValueException",
        "InvalidRequestException", "MissingParameter", "SerializationException",
    };

    /// <summary>The AWS error code without a namespace ("aws.protocols#X", "com.amazonaws.x#X") or URL suffix ("X:http://...").</summary>
    public static string NormalizeCode(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return string.Empty;
        }

        var code = raw!.Trim();
        var colon = code.IndexOf(':');
        if (colon > 0)
        {
            code = code.Substring(0, colon);
        }

        var hash = code.LastIndexOf('#');
        return hash >= 0 ? code.Substring(hash + 1) : code;
    }

    public static bool IsThrottling(string code, HttpStatusCode status) => ThrottlingCodes.Contains(code) || (int)status == 429;

    public static bool IsTransientServerError(HttpStatusCode status) =>
        status is HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    public static bool IsNotFound(string code, HttpStatusCode status) =>
        code.EndsWith("NotFoundException", StringComparison.Ordinal) || code.EndsWith("NotFound", StringComparison.Ordinal)
        || code.EndsWith("DoesNotExistException", StringComparison.Ordinal) || (status == HttpStatusCode.NotFound && code.Length == 0)
        // The XML services name a missing thing NoSuchX (S3's NoSuchBucket/NoSuchKey/NoSuchVersion, CloudFront's NoSuchDistribution).
        || (code.StartsWith("NoSuch", StringComparison.Ordinal) && code.Length > "NoSuch".Length);

    /// <summary>
    /// The code and message of a JSON protocol's error answer (awsJson and restJson alike): the code from the body's
    /// __type (or code), else from the X-Amzn-ErrorType header restJson services send; the message from the body.
    /// </summary>
    public static (string Code, string? Message) ReadJsonError(AwsHttpAnswer answer)
    {
        var header = NormalizeCode(answer.Header("X-Amzn-ErrorType"));
        var text = answer.Text;
        if (string.IsNullOrWhiteSpace(text))
        {
            return (header, null);
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (header, TrimText(text));
            }

            string? Find(params string[] names) => names
                .Select(n => document.RootElement.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
                .FirstOrDefault(v => v is not null);

            var code = NormalizeCode(Find("__type", "code", "Code"));
            return (code.Length == 0 ? header : code, Find("message", "Message", "errorMessage"));
        }
        catch (JsonException)
        {
            return (header, TrimText(text));
        }
    }

    /// <summary>
    /// The code and message of a Query protocol's error answer (ELBv2, RDS, IAM, STS...): an XML
    /// &lt;ErrorResponse&gt;&lt;Error&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;/Error&gt;&lt;/ErrorResponse&gt; (or EC2's
    /// &lt;Response&gt;&lt;Errors&gt;&lt;Error&gt;); a body that is not XML is kept as the message, trimmed.
    /// </summary>
    public static (string Code, string? Message) ReadXmlError(AwsHttpAnswer answer)
    {
        var header = NormalizeCode(answer.Header("X-Amzn-ErrorType"));
        if (string.IsNullOrWhiteSpace(answer.Text))
        {
            return (header, null);
        }

        try
        {
            var error = System.Xml.Linq.XElement.Parse(answer.Text).DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Error");
            string? Find(string name) => error?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            var code = NormalizeCode(Find("Code"));
            return (code.Length == 0 ? header : code, Find("Message") ?? (error is null ? TrimText(answer.Text) : null));
        }
        catch (System.Xml.XmlException)
        {
            return (header, TrimText(answer.Text));
        }
    }

    /// <summary>The AWS error code behind a RollbackException from this client, or empty.</summary>
    public static string CodeOf(Exception exception) => exception.InnerException is AmazonServiceException service ? service.ErrorCode ?? string.Empty : string.Empty;

    private static string TrimText(string text) => text.Length <= 300 ? text : text.Substring(0, 300) + "...";

    public static RollbackException FromResponse(AwsServiceInfo service, string operation, HttpStatusCode status, string code, string? message, string? requestId, int attempts)
    {
        var errorType = (int)status >= 500 ? ErrorType.Receiver : ErrorType.Sender;
        var awsText = string.IsNullOrWhiteSpace(message) ? code : $"{(code.Length == 0 ? "error" : code)}: {message}";
        var where = $"{service.ServiceId} {operation} failed: {awsText} (HTTP {(int)status}, AWS request id {requestId ?? "none"}{(attempts > 1 ? $", after {attempts} attempts" : string.Empty)}).";
        var inner = new AmazonServiceException(where, errorType, code, requestId, status);

        if (IsNotFound(code, status))
        {
            return new RollbackException(AwsErrorId.AwsResourceNotFound, RollbackErrorCategory.ObjectNotFound,
                where + " Check the name or id, the region and the account the credentials belong to.", operation, inner);
        }

        if (AwsClockSkew.IsSkewError(status, code, message))
        {
            return ClockSkewed(service, operation, null, status, code, message, requestId, attempts, null, null);
        }

        if (ExpiredCodes.Contains(code))
        {
            return new RollbackException(AwsErrorId.AwsCredentialsExpired, RollbackErrorCategory.SecurityError,
                where + " The credentials have expired: refresh them (aws sso login, a new session token) and try again.", operation, inner);
        }

        if (InvalidCredentialCodes.Contains(code))
        {
            return new RollbackException(AwsErrorId.AwsCredentialsInvalid, RollbackErrorCategory.SecurityError,
                where + " The endpoint did not accept the credentials or their signature: check the access key, the secret key, the region and the clock.", operation, inner);
        }

        if (AccessDeniedCodes.Contains(code) || (status == HttpStatusCode.Forbidden && code.Length == 0))
        {
            return new RollbackException(AwsErrorId.AwsAccessDenied, RollbackErrorCategory.PermissionDenied,
                where + $" Grant the caller's IAM policy the permission {service.SigningName}:{operation} on this resource, or use another profile.", operation, inner);
        }

        if (IsThrottling(code, status))
        {
            return new RollbackException(AwsErrorId.AwsThrottled, RollbackErrorCategory.ResourceBusy,
                where + " AWS kept throttling the request past the retry budget: wait and try again, or lower the request rate.", operation, inner);
        }

        if (InvalidRequestCodes.Contains(code))
        {
            return new RollbackException(AwsErrorId.AwsInvalidRequest, RollbackErrorCategory.InvalidOperation,
                where + " The service refused the request as it stands; the message says why.", operation, inner);
        }

        return new RollbackException(AwsErrorId.AwsRequestFailed,
            (int)status >= 500 ? RollbackErrorCategory.ResourceUnavailable : RollbackErrorCategory.InvalidOperation,
            where + ((int)status >= 500 ? " The service failed on its side; try again later." : string.Empty), operation, inner);
    }

    /// <summary>
    /// The endpoint refused the request's time and the SDK's correction did not help (the skew persisted after one
    /// correction, the answer carried no server time to correct from, or correction is turned off in AWSConfigs).
    /// </summary>
    public static RollbackException ClockSkewed(AwsServiceInfo service, string operation, Uri? endpoint, HttpStatusCode status, string code, string? message, string? requestId, int attempts, DateTime? signedAt, TimeSpan? correction)
    {
        var awsText = string.IsNullOrWhiteSpace(message) ? code : $"{(code.Length == 0 ? "error" : code)}: {message}";
        var where = $"{service.ServiceId} {operation} failed: {awsText} (HTTP {(int)status}, AWS request id {requestId ?? "none"}{(attempts > 1 ? $", after {attempts} attempts" : string.Empty)}).";
        var clock = signedAt is null
            ? string.Empty
            : string.Format(System.Globalization.CultureInfo.InvariantCulture, " The last attempt was signed at {0:yyyy-MM-dd HH:mm:ss}Z{1}.", signedAt.Value,
                correction is { } c && c != TimeSpan.Zero ? $" (local clock corrected by {c.TotalSeconds:+0;-0} s for {endpoint?.Authority ?? "this endpoint"})" : string.Empty);
        return new RollbackException(AwsErrorId.AwsClockSkewed, RollbackErrorCategory.SecurityError,
            where + clock + " The endpoint refused the request's time and correcting for its clock did not help: set this machine's clock right (NTP: timedatectl, chronyc or w32tm /resync), check the endpoint's own clock, and try again.",
            operation, new AmazonServiceException(where, ErrorType.Sender, code, requestId, status));
    }

    public static RollbackException Unreachable(AwsServiceInfo service, string operation, Uri endpoint, string why, int attempts, Exception? inner) =>
        new(AwsErrorId.AwsEndpointUnreachable, RollbackErrorCategory.ResourceUnavailable,
            $"{service.ServiceId} {operation}: the endpoint {endpoint} {why} ({attempts} attempt{(attempts == 1 ? string.Empty : "s")}). Check the endpoint URL, the region and the network (proxy, VPC endpoint, DNS).",
            operation, inner);

    public static RollbackException InvalidResponse(AwsServiceInfo service, string operation, string? requestId, Exception inner, string format = "JSON") =>
        new(AwsErrorId.AwsResponseInvalid, RollbackErrorCategory.InvalidData,
            $"{service.ServiceId} {operation}: the response could not be read as the service's {format} (AWS request id {requestId ?? "none"}): {inner.Message}",
            operation, inner);
}
