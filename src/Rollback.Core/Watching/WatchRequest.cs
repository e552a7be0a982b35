using System;
using System.Collections.Generic;
using System.Threading;
using Rollback.Metrics;

namespace Rollback.Watching;

/// <summary>What the person (or ShouldProcess) says when an automatic trigger holds.</summary>
public enum RollbackConsent
{
    Proceed,
    Declined,
    WhatIf,
}

/// <summary>
/// What Watch-Deployment (or any host) asks of the <see cref="DeploymentWatcher"/>: which target to watch, the point to
/// roll back to, how often and for how long, and where the measurements come from. Null sources mean the target's own
/// settings: its HealthUri endpoints and, when it has a PrometheusUrl, its metrics queries.
/// </summary>
public sealed class WatchRequest
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromMinutes(15);

    public required string Target { get; init; }

    public required string PointId { get; init; }

    /// <summary>Why the watch may roll back; the journal gets it with the trigger that held.</summary>
    public required string Reason { get; init; }

    /// <summary>The time between polls.</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>The window: after it, the watch ends without acting (a final WindowEnded record).</summary>
    public TimeSpan Duration { get; init; } = DefaultDuration;

    /// <summary>Endpoints to watch instead of the target's HealthUri settings; empty watches no endpoint.</summary>
    public IReadOnlyList<Uri>? HealthUris { get; init; }

    /// <summary>A version every endpoint must report during the watch; null does not check it.</summary>
    public string? ExpectedVersion { get; init; }

    /// <summary>Status codes that count as healthy for <see cref="HealthUris"/>; empty means any 2xx.</summary>
    public IReadOnlyList<int> ExpectedStatusCodes { get; init; } = Array.Empty<int>();

    /// <summary>An answer slower than this is unhealthy (for <see cref="HealthUris"/>).</summary>
    public TimeSpan? MaxLatency { get; init; }

    /// <summary>How long one health request or metrics read may take; null: the interval, between 1 and 10 seconds.</summary>
    public TimeSpan? ProbeTimeout { get; init; }

    /// <summary>Metrics queries instead of the target's settings.</summary>
    public MetricsQueries? Metrics { get; init; }

    /// <summary>Watch the health endpoints only, even when the target names a Prometheus server.</summary>
    public bool HealthOnly { get; init; }

    /// <summary>The thresholds; null resolves <see cref="PolicyPath"/>, the target's PolicyPath, or the built-in policy.</summary>
    public RollbackPolicy? Policy { get; init; }

    public string? PolicyPath { get; init; }

    /// <summary>Approvers recorded with the rollback (an automatic trigger lets the on-call proceed alone).</summary>
    public IReadOnlyList<string> ApprovedBy { get; init; } = Array.Empty<string>();

    /// <summary>Asked once, when an automatic trigger has held, before anything changes; null proceeds.</summary>
    public Func<FiredThreshold, RollbackConsent>? Confirm { get; init; }

    public CancellationToken Cancellation { get; init; }
}
