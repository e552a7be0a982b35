using System;

namespace Rollback;

/// <summary>
/// What a rollback decision is made from: the service's measurements and what people know. Rates and shares are
/// fractions (0.123 is 12.3%), latencies are seconds. A measurement is either one value held for a stated time (a
/// person's account: "12.3% for 4 minutes") or a series from a metrics source, from which the decision computes how
/// long each threshold has held.
/// </summary>
public sealed class DecisionInputs
{
    /// <summary>Share of requests or instances served successfully, 0..1 (the latest value when a series is given).</summary>
    public double? Availability { get; init; }

    /// <summary>How long availability has been at about <see cref="Availability"/>.</summary>
    public TimeSpan AvailabilityDuration { get; init; }

    public MetricSeries? AvailabilitySeries { get; init; }

    /// <summary>Share of transactions that failed, 0..1.</summary>
    public double? ErrorRate { get; init; }

    /// <summary>How many consecutive minutes the error rate has been at about <see cref="ErrorRate"/>.</summary>
    public TimeSpan ErrorRateDuration { get; init; }

    public MetricSeries? ErrorRateSeries { get; init; }

    /// <summary>95th percentile response time now, in seconds.</summary>
    public double? LatencyP95 { get; init; }

    public MetricSeries? LatencyP95Series { get; init; }

    /// <summary>The 95th percentile response time before the change, in seconds.</summary>
    public double? LatencyBaseline { get; init; }

    public bool DataCorruption { get; init; }

    public bool SecurityVulnerability { get; init; }

    /// <summary>A critical business function is lost completely.</summary>
    public bool CriticalFunctionLost { get; init; }

    /// <summary>Some non-critical features are lost.</summary>
    public bool NonCriticalFeaturesLost { get; init; }

    /// <summary>Share of users affected, 0..1, for the severity matrix; estimated from error rate and availability when absent.</summary>
    public double? AffectedUsers { get; init; }

    /// <summary>Where the measurements came from: "parameters", or the metrics source and its queries.</summary>
    public string Source { get; init; } = "parameters";

    /// <summary>When the measurements were taken.</summary>
    public DateTimeOffset? MeasuredAt { get; init; }

    /// <summary>How long the value satisfying <paramref name="condition"/> has held: from the series, else the stated duration.</summary>
    internal static TimeSpan HeldFor(double? value, TimeSpan duration, MetricSeries? series, Func<double, bool> condition)
    {
        if (series is not null)
        {
            return series.HeldFor(condition);
        }

        return value is { } v && !double.IsNaN(v) && condition(v) ? duration : TimeSpan.Zero;
    }
}
