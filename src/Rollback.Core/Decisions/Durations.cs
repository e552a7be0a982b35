using System;
using System.Collections.Generic;
using System.Globalization;

namespace Rollback;

/// <summary>Durations as people write them in runbooks: "3 min", "45 s", "1 h 30 min", "250 ms".</summary>
public static class Durations
{
    public static string Describe(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            return "-" + Describe(value.Negate());
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            return value.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture) + " ms";
        }

        var parts = new List<string>();
        if (value.Days > 0)
        {
            parts.Add(value.Days.ToString(CultureInfo.InvariantCulture) + " d");
        }

        if (value.Hours > 0)
        {
            parts.Add(value.Hours.ToString(CultureInfo.InvariantCulture) + " h");
        }

        if (value.Minutes > 0)
        {
            parts.Add(value.Minutes.ToString(CultureInfo.InvariantCulture) + " min");
        }

        var seconds = value.Seconds + (value.Milliseconds / 1000.0);
        if (seconds > 0 || parts.Count == 0)
        {
            parts.Add(seconds.ToString("0.#", CultureInfo.InvariantCulture) + " s");
        }

        return string.Join(" ", parts);
    }

    /// <summary>A fraction as a percentage: 0.123 → "12.3%".</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    /// <summary>Seconds as milliseconds: 0.25 → "250 ms".</summary>
    public static string Seconds(double seconds) => Describe(TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)));
}
