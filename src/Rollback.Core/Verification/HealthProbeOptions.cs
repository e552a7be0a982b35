using System;
using System.Collections.Generic;
using System.Security;
using System.Security.Cryptography.X509Certificates;

namespace Rollback.Verification;

/// <summary>How to check one endpoint: what to send, what counts as healthy, and how long to keep trying.</summary>
public sealed class HealthProbeOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxRetryInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    public required Uri Uri { get; init; }

    /// <summary>The version the endpoint must report; null does not check the version.</summary>
    public string? ExpectedVersion { get; init; }

    /// <summary>Status codes that count as an answer; empty means any 2xx.</summary>
    public IReadOnlyList<int> ExpectedStatusCodes { get; init; } = Array.Empty<int>();

    public string Method { get; init; } = "GET";

    /// <summary>A request body (a synthetic transaction); sent with <see cref="ContentType"/>.</summary>
    public string? Body { get; init; }

    public string ContentType { get; init; } = "application/json";

    /// <summary>Extra request headers. Their values never appear in output or messages, only their names.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>A bearer token, turned into text only while a request is sent and never written anywhere.</summary>
    public SecureString? BearerToken { get; init; }

    /// <summary>One certificate to accept even when it does not chain to a trusted root; nothing else is relaxed.</summary>
    public X509Certificate2? TrustedCertificate { get; init; }

    /// <summary>An answer slower than this is unhealthy; null does not check latency.</summary>
    public TimeSpan? MaxLatency { get; init; }

    /// <summary>How long to keep retrying, from the first attempt: no attempt starts later (the last may run up to <see cref="RequestTimeout"/> beyond it).</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The first wait between attempts; each later wait doubles, up to <see cref="MaxRetryInterval"/>.</summary>
    public TimeSpan RetryInterval { get; init; } = DefaultRetryInterval;

    public TimeSpan MaxRetryInterval { get; init; } = DefaultMaxRetryInterval;

    /// <summary>Waits a random 50-100% of each back-off step, so a fleet of checkers does not retry in step.</summary>
    public bool Jitter { get; init; }

    /// <summary>
    /// At most this many attempts; null retries until <see cref="Timeout"/>. A watcher polls with one attempt per poll,
    /// so a poll is one observation and the watch's own interval does the waiting.
    /// </summary>
    public int? MaxAttempts { get; init; }

    /// <summary>The longest one attempt may take (at most <see cref="Timeout"/>).</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>The target the endpoint belongs to, copied into the result.</summary>
    public string? Target { get; init; }
}
