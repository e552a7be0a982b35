using System;
using System.Collections.Generic;

namespace Rollback;

/// <summary>
/// The outcome of checking one health endpoint, retries included: what it answered last, how long that took, how
/// many attempts were made, and why the last one failed. <see cref="Healthy"/> false is a normal answer, not an error;
/// <see cref="ErrorId"/> says which error a caller that wants one should raise.
/// </summary>
public sealed class HealthCheckResult
{
    /// <summary>The endpoint, without any user information it was given with.</summary>
    public required Uri Uri { get; init; }

    public bool Healthy { get; init; }

    /// <summary>The HTTP status of the last answer; null when no answer came.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The overall status the body reported ("Healthy", "healthy", ...), when it reported one.</summary>
    public string? ReportedStatus { get; init; }

    public string? ReportedVersion { get; init; }

    /// <summary>The version the endpoint had to report; null when the version was not checked.</summary>
    public string? ExpectedVersion { get; init; }

    /// <summary>The time the last attempt took, from sending the request to the end of the body.</summary>
    public TimeSpan? Latency { get; init; }

    public int Attempts { get; init; }

    /// <summary>The time from the first attempt to the result, waits between attempts included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>What the last attempt found, in a sentence.</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>The named checks the body reported (ASP.NET Core's checks or entries), in the order it listed them.</summary>
    public IReadOnlyList<HealthCheckEntry> Checks { get; init; } = Array.Empty<HealthCheckEntry>();

    /// <summary>Why the last failed attempt failed; null when the first attempt was healthy.</summary>
    public string? LastFailure { get; init; }

    /// <summary>For an unhealthy result: the ErrorId (HealthEndpointUnreachable, HealthCheckFailed, HealthResponseInvalid, VersionMismatch).</summary>
    public string? ErrorId { get; init; }

    public DateTimeOffset CheckedAt { get; init; }

    /// <summary>The target whose settings named the endpoint, when it came from one.</summary>
    public string? Target { get; init; }

    public override string ToString() => $"{Uri} {(Healthy ? "Healthy" : "Unhealthy")}";
}

/// <summary>One named check inside a health response, e.g. "database": "Healthy".</summary>
public sealed class HealthCheckEntry
{
    public required string Name { get; init; }

    public required string Status { get; init; }

    /// <summary>True for Healthy and Degraded (the service still serves), false otherwise.</summary>
    public bool Healthy { get; init; }

    public string? Description { get; init; }

    public TimeSpan? Duration { get; init; }

    public override string ToString() => $"{Name}={Status}";
}
