using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Rollback.Testing;

/// <summary>
/// The server side of AWS Signature Version 4 for the test endpoints: recomputes the signature of a received request
/// from the test's secret key and says why it does not match. Written from the published algorithm (canonical request,
/// string to sign, derived key), independent of the SDK signer the module uses, so a module request that the SDK
/// signs wrongly, or does not sign, is caught. Its own faithfulness is checked against botocore, which signs the same
/// request in a test, and by the AWS CLI tests, whose every request goes through it.
/// </summary>
public sealed class SigV4Verifier
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private const string AmzDateFormat = "yyyyMMdd'T'HHmmss'Z'";

    public SigV4Verifier(string accessKeyId, string secretAccessKey, string region, string service)
    {
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        Region = region;
        Service = service;
    }

    public string AccessKeyId { get; }

    public string SecretAccessKey { get; }

    public string Region { get; }

    public string Service { get; }

    /// <summary>The clock the endpoint judges request dates by (a test moves it to provoke clock-skew errors).</summary>
    public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>How far a request's X-Amz-Date may be from <see cref="Clock"/> (15 minutes, as most services allow; some allow 5).</summary>
    public TimeSpan AllowedSkew { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Null when <paramref name="amzDate"/> is within <paramref name="allowed"/> of <paramref name="now"/>; else the
    /// InvalidSignatureException a service answers, in AWS's words, with the server time in parentheses:
    /// "Signature expired: X is now earlier than Y (NOW - 5 min.)" or "Signature not yet current: X is still later than Y (NOW + 5 min.)".
    /// </summary>
    public static SignatureFault? TimeFault(string amzDate, DateTimeOffset now, TimeSpan allowed)
    {
        if (!DateTimeOffset.TryParseExact(amzDate, AmzDateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return new SignatureFault("IncompleteSignatureException", "The request carries no valid X-Amz-Date header.");
        }

        if (signedAt < now - allowed)
        {
            return Expired(amzDate, now, allowed);
        }

        if (signedAt > now + allowed)
        {
            return new SignatureFault("InvalidSignatureException",
                $"Signature not yet current: {amzDate} is still later than {Format(now + allowed)} ({Format(now)} + {allowed.TotalMinutes:0} min.)");
        }

        return null;
    }

    /// <summary>The refusal of an expired signature, whatever the request's date (an endpoint that refuses every time).</summary>
    public static SignatureFault Expired(string amzDate, DateTimeOffset now, TimeSpan allowed) =>
        new("InvalidSignatureException", $"Signature expired: {amzDate} is now earlier than {Format(now - allowed)} ({Format(now)} - {allowed.TotalMinutes:0} min.)");

    /// <summary>
    /// Null when the request is signed correctly with the test credentials; else the AWS error type and message a real
    /// service would answer with (MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException).
    /// </summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="rawPathAndQuery">The request target as sent (still percent-encoded).</param>
    /// <param name="headers">Every received header; names compared case-insensitively.</param>
    /// <param name="body">The body bytes as received.</param>
    public SignatureFault? Verify(string method, string rawPathAndQuery, IReadOnlyDictionary<string, string> headers, byte[] body)
    {
        if (!headers.TryGetValue("Authorization", out var authorization) || string.IsNullOrWhiteSpace(authorization))
        {
            return new SignatureFault("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return new SignatureFault("IncompleteSignatureException", $"Authorization header requires the {Algorithm} algorithm: '{authorization}'.");
        }

        var parts = authorization.Substring(Algorithm.Length + 1)
            .Split(',')
            .Select(p => p.Trim())
            .Select(p => p.Split(new[] { '=' }, 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaderList) || !parts.TryGetValue("Signature", out var signature))
        {
            return new SignatureFault("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return new SignatureFault("IncompleteSignatureException", $"Credential should be scoped to a valid region, service and aws4_request: '{credential}'.");
        }

        if (scope[0] != AccessKeyId)
        {
            return new SignatureFault("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (scope[2] != Region || scope[3] != Service)
        {
            return new SignatureFault("InvalidSignatureException", $"Credential should be scoped to region '{Region}' and service '{Service}', not '{scope[2]}'/'{scope[3]}'.");
        }

        if (!headers.TryGetValue("X-Amz-Date", out var amzDate) ||
            !DateTimeOffset.TryParseExact(amzDate, AmzDateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            return new SignatureFault("IncompleteSignatureException", "The request carries no valid X-Amz-Date header.");
        }

        if (scope[1] != amzDate.Substring(0, 8))
        {
            return new SignatureFault("InvalidSignatureException", $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope[1]}' != '{amzDate.Substring(0, 8)}'.");
        }

        var timeFault = TimeFault(amzDate, Clock(), AllowedSkew);
        if (timeFault is not null)
        {
            return timeFault;
        }

        var signedHeaders = signedHeaderList.Split(';');
        foreach (var required in new[] { "host", "x-amz-date" }.Concat(headers.ContainsKey("X-Amz-Target") ? new[] { "x-amz-target" } : Array.Empty<string>()))
        {
            if (!signedHeaders.Contains(required, StringComparer.Ordinal))
            {
                return new SignatureFault("InvalidSignatureException", $"'{required}' must be a signed header.");
            }
        }

        var payloadHash = Hex(SHA256.HashData(body));
        if (headers.TryGetValue("X-Amz-Content-SHA256", out var declaredHash) && !string.Equals(declaredHash, payloadHash, StringComparison.Ordinal))
        {
            return new SignatureFault("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }

        var canonical = CanonicalRequest(method, rawPathAndQuery, headers, signedHeaders, payloadHash);
        if (canonical is null)
        {
            return new SignatureFault("InvalidSignatureException", "A signed header is missing from the request.");
        }

        var expected = Sign(SecretAccessKey, amzDate, string.Join("/", scope.Skip(1)), scope[1], Region, Service, canonical);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return new SignatureFault("InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.\n\nThe Canonical String for this request should have been\n'" + canonical + "'");
        }

        return null;
    }

    /// <summary>The canonical request of SigV4 (non-S3 services: path segments encoded twice), or null when a signed header is absent.</summary>
    public static string? CanonicalRequest(string method, string rawPathAndQuery, IReadOnlyDictionary<string, string> headers, IReadOnlyList<string> signedHeaders, string payloadHash)
    {
        var queryStart = rawPathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart < 0 ? rawPathAndQuery : rawPathAndQuery.Substring(0, queryStart);
        var rawQuery = queryStart < 0 ? string.Empty : rawPathAndQuery.Substring(queryStart + 1);
        if (rawPath.Length == 0)
        {
            rawPath = "/";
        }

        var path = string.Join("/", rawPath.Split('/').Select(segment => Encode(segment)));
        var query = string.Join("&", rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split(new[] { '=' }, 2))
            .Select(pair => (Name: Encode(Uri.UnescapeDataString(pair[0])), Value: Encode(Uri.UnescapeDataString(pair.Length > 1 ? pair[1] : string.Empty))))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

        var canonicalHeaders = new StringBuilder();
        foreach (var name in signedHeaders)
        {
            if (!headers.TryGetValue(name, out var value))
            {
                return null;
            }

            canonicalHeaders.Append(name).Append(':').Append(CollapseSpaces(value.Trim())).Append('\n');
        }

        return $"{method}\n{path}\n{query}\n{canonicalHeaders}\n{string.Join(";", signedHeaders)}\n{payloadHash}";
    }

    /// <summary>The hex signature of a canonical request.</summary>
    public static string Sign(string secretAccessKey, string amzDate, string credentialScope, string date, string region, string service, string canonicalRequest)
    {
        var stringToSign = $"{Algorithm}\n{amzDate}\n{credentialScope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        return Hex(Hmac(key, stringToSign));
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(AmzDateFormat, CultureInfo.InvariantCulture);

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static string CollapseSpaces(string value)
    {
        var text = new StringBuilder(value.Length);
        var lastWasSpace = false;
        foreach (var c in value)
        {
            var isSpace = c == ' ';
            if (!(isSpace && lastWasSpace))
            {
                text.Append(c);
            }

            lastWasSpace = isSpace;
        }

        return text.ToString();
    }

    /// <summary>RFC 3986 percent-encoding of everything but the unreserved characters, upper-case hex.</summary>
    private static string Encode(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~')
            {
                text.Append(c);
            }
            else
            {
                text.Append('%').Append(((int)b).ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}

/// <summary>Why a request's signature was refused: the AWS error type and message.</summary>
public sealed record SignatureFault(string ErrorType, string Message);
