using System;
using System.Collections.Generic;
using System.Linq;

namespace Rollback;

/// <summary>One value of a metric at one time.</summary>
public readonly record struct MetricSample(DateTimeOffset Time, double Value)
{
    public override string ToString() => $"{Time:u} {Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// A metric over a window at a fixed step (a Prometheus range answer, or one value held for a stated time). Each sample
/// stands for one step of time, so k trailing samples that satisfy a condition mean it has held for k × step.
/// </summary>
public sealed class MetricSeries
{
    public MetricSeries(IEnumerable<MetricSample> samples, TimeSpan step)
    {
        if (step <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be positive.");
        }

        Samples = samples.OrderBy(s => s.Time).ToArray();
        Step = step;
    }

    public IReadOnlyList<MetricSample> Samples { get; }

    public TimeSpan Step { get; }

    /// <summary>The newest sample that is a number (NaN, e.g. 0/0 with no traffic, is no value), or null.</summary>
    public double? Latest
    {
        get
        {
            for (var i = Samples.Count - 1; i >= 0; i--)
            {
                if (!double.IsNaN(Samples[i].Value))
                {
                    return Samples[i].Value;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// How long <paramref name="condition"/> has held without a break up to the newest sample: the trailing samples
    /// that satisfy it, times the step. A NaN sample or a gap longer than one and a half steps ends the run.
    /// </summary>
    public TimeSpan HeldFor(Func<double, bool> condition)
    {
        var count = 0;
        var gap = TimeSpan.FromTicks(Step.Ticks + (Step.Ticks / 2));
        for (var i = Samples.Count - 1; i >= 0; i--)
        {
            var sample = Samples[i];
            if (double.IsNaN(sample.Value) || !condition(sample.Value))
            {
                break;
            }

            if (i < Samples.Count - 1 && Samples[i + 1].Time - sample.Time > gap)
            {
                break;
            }

            count++;
        }

        return TimeSpan.FromTicks(Step.Ticks * count);
    }
}
