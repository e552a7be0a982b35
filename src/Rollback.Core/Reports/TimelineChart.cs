using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Rollback.Reports;

/// <summary>One bar of a timeline: a step, a stage or a member, from its start (since the run began) for its duration.</summary>
internal sealed record TimelineBar(string Label, string Css, TimeSpan Start, TimeSpan Duration, string Status)
{
    /// <summary>Stretches of this bar during which the target was down (the switch), since the run began.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan Duration)> Downtime { get; init; } = Array.Empty<(TimeSpan, TimeSpan)>();

    /// <summary>The data-step name of a bar that stands for one step or member (what a reader counts), or null for a phase.</summary>
    public string? Step { get; init; }

    public TimeSpan End => Start + Duration;
}

/// <summary>
/// The SVG charts of a report: a timeline (each bar on one time axis, the switch's downtime hatched on its bars) and the
/// recoveries of a period (per target, the mean and worst recovery time as bars against the recovery-time objective).
/// </summary>
internal static class TimelineChart
{
    private const int Width = 1000;
    private const int LabelWidth = 240;
    private const int PlotWidth = Width - LabelWidth - 30;
    private const int RowHeight = 22;
    private const int Top = 28;

    /// <summary>
    /// The bars of a single target's run, each at its recorded start: the lead (lock and readiness, up to the first step),
    /// each step, then verification. An entry written before steps were journaled is one bar for the whole run.
    /// </summary>
    public static List<TimelineBar> StepsOf(HistoryEntry run, DateTimeOffset origin, string prefix = "")
    {
        var bars = new List<TimelineBar>();
        var start = StartOf(run);
        if (run.Steps is null)
        {
            // Journaled in the current form but without steps: refused or stopped before its first step.
            bars.Add(new TimelineBar(prefix + (run.StartedAt is null ? "rollback (steps not recorded)" : "rollback (no step ran)"), "bar", start - origin, run.Duration, run.Status));
            return bars;
        }

        var at = start;
        var first = run.Steps.Count > 0 ? run.Steps[0].StartedAt : null;
        if (first is { } firstStart && firstStart > start)
        {
            bars.Add(new TimelineBar(prefix + "lock and readiness", "lead", start - origin, firstStart - start, "Pass"));
        }

        foreach (var step in run.Steps)
        {
            var stepStart = step.StartedAt ?? at;
            bars.Add(new TimelineBar(prefix + step.Name, "bar", stepStart - origin, step.Duration, step.Status.ToString())
            {
                Step = prefix + step.Name,
                Downtime = step.InSwitch ? new[] { (stepStart - origin, step.Duration) } : Array.Empty<(TimeSpan, TimeSpan)>(),
            });
            at = stepStart + step.Duration;
        }

        if (run.VerificationDuration is { } verification && verification > TimeSpan.Zero)
        {
            bars.Add(new TimelineBar(prefix + "verification", "verify", (run.VerificationStartedAt ?? at) - origin, verification, "Pass"));
        }

        return bars;
    }

    /// <summary>
    /// The bars of a plan run: each stage at its recorded start, under it each member that ran at its own start (members
    /// of a stage that ran in parallel overlap), its switch hatched. <paramref name="entryOf"/> finds a member's own entry
    /// of the run by its sequence. An entry written before stages were journaled: the plan as one bar, then each member
    /// entry of the run.
    /// </summary>
    public static List<TimelineBar> PlanOf(HistoryEntry plan, Func<long, HistoryEntry?> entryOf, IReadOnlyList<HistoryEntry> runEntries)
    {
        var origin = StartOf(plan);
        if (plan.Steps is null || plan.Members is null)
        {
            var bars = StepsOf(plan, origin);
            bars.AddRange(runEntries.Where(e => e.Action == HistoryAction.Rollback && e.PlanStage is not null).Select(e => Member(e.Target, e.Status, e, origin)));
            return bars;
        }

        var timeline = new List<TimelineBar>();
        var at = origin;
        foreach (var step in plan.Steps)
        {
            var stepStart = step.StartedAt ?? at;
            timeline.Add(new TimelineBar(step.Name, "bar", stepStart - origin, step.Duration, step.Status.ToString()) { Step = step.Name });
            at = stepStart + step.Duration;
            var stage = step.Name.StartsWith("Stage ", StringComparison.Ordinal) && int.TryParse(step.Name.Substring("Stage ".Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;
            foreach (var member in plan.Members.Where(m => m.Stage == stage && m.Sequence is not null))
            {
                if (entryOf(member.Sequence!.Value) is { } entry)
                {
                    timeline.Add(Member(member.Target, member.Status.ToString(), entry, origin));
                }
            }
        }

        return timeline;
    }

    /// <summary>When a run started: recorded, or (entries written before it was) its entry's time less its duration.</summary>
    public static DateTimeOffset StartOf(HistoryEntry run) => run.StartedAt ?? run.Time - run.Duration;

    private static TimelineBar Member(string target, string status, HistoryEntry entry, DateTimeOffset origin) =>
        new($"  {target}", "bar", StartOf(entry) - origin, entry.Duration, status)
        {
            Step = target,
            Downtime = StepsOf(entry, origin).SelectMany(b => b.Downtime).ToArray(),
        };

    public static string Timeline(IReadOnlyList<TimelineBar> bars, string caption)
    {
        var total = Math.Max(1, bars.Count == 0 ? 1 : bars.Max(b => b.End.Ticks));
        var height = Top + (bars.Count * RowHeight) + 30;
        var svg = Open(height, caption);
        Axis(svg, TimeSpan.FromTicks(total), height - 24);
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = Top + (i * RowHeight);
            Text(svg, 8, y + 15, bar.Label);
            var x = X(bar.Start.Ticks, total);
            var width = Math.Max(1.5, X(bar.End.Ticks, total) - x);
            svg.Append("<rect class=\"").Append(bar.Css).Append(' ').Append(ReportDocument.Encode(bar.Status)).Append('"');
            if (bar.Step is not null)
            {
                svg.Append(" data-step=\"").Append(ReportDocument.Encode(bar.Step.Trim())).Append('"');
            }

            svg.Append(Attributes(x, y + 4, width, RowHeight - 8)).Append("><title>")
                .Append(ReportDocument.Encode($"{bar.Label.Trim()}: {bar.Status}, {ReportDocument.Time(bar.Duration)} from +{ReportDocument.Time(bar.Start)}"))
                .Append("</title></rect>\n");
            foreach (var (start, duration) in bar.Downtime)
            {
                var dx = X(start.Ticks, total);
                svg.Append("<rect class=\"downtime\"").Append(Attributes(dx, y + 2, Math.Max(2, X((start + duration).Ticks, total) - dx), RowHeight - 4))
                    .Append("><title>").Append(ReportDocument.Encode($"Downtime (the switch): {ReportDocument.Time(duration)}")).Append("</title></rect>\n");
            }
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Per target, the mean recovery (bar) and the worst (a thinner bar), against the objective (a dashed line).</summary>
    public static string Recoveries(IReadOnlyList<(string Target, TimeSpan Mean, TimeSpan Worst)> rows, TimeSpan objective, string caption)
    {
        var total = (long)(Math.Max(objective.Ticks, rows.Count == 0 ? 0 : rows.Max(r => r.Worst.Ticks)) * 1.1) + 1;
        var height = Top + (rows.Count * RowHeight * 2) + 30;
        var svg = Open(height, caption);
        Axis(svg, TimeSpan.FromTicks(total), height - 24);
        for (var i = 0; i < rows.Count; i++)
        {
            var (target, mean, worst) = rows[i];
            var y = Top + (i * RowHeight * 2);
            Text(svg, 8, y + 15, target);
            svg.Append("<rect class=\"recovery-mean\" data-target=\"").Append(ReportDocument.Encode(target)).Append('"')
                .Append(Attributes(LabelWidth, y + 4, Math.Max(1.5, X(mean.Ticks, total) - LabelWidth), RowHeight - 8))
                .Append("><title>").Append(ReportDocument.Encode($"{target}: mean recovery {ReportDocument.Time(mean)}")).Append("</title></rect>\n");
            svg.Append("<rect class=\"recovery-worst\" data-target=\"").Append(ReportDocument.Encode(target)).Append('"')
                .Append(Attributes(LabelWidth, y + RowHeight + 2, Math.Max(1.5, X(worst.Ticks, total) - LabelWidth), RowHeight - 14))
                .Append("><title>").Append(ReportDocument.Encode($"{target}: worst recovery {ReportDocument.Time(worst)}")).Append("</title></rect>\n");
        }

        var rto = X(objective.Ticks, total);
        svg.Append("<line class=\"rto\"").Append(Line(rto, Top - 6, rto, height - 24)).Append("><title>")
            .Append(ReportDocument.Encode($"Recovery-time objective: {ReportDocument.Time(objective)}")).Append("</title></line>\n");
        Text(svg, rto + 4, Top - 10, "RTO " + ReportDocument.Time(objective));
        return svg.Append("</svg>").ToString();
    }

    private static StringBuilder Open(int height, string caption)
    {
        var svg = new StringBuilder();
        svg.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").Append(Width).Append("\" height=\"").Append(height)
            .Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(height).Append("\"><title>").Append(ReportDocument.Encode(caption)).Append("</title>\n")
            .Append("<defs><pattern id=\"downtime\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">")
            .Append("<rect width=\"3\" height=\"6\" fill=\"#cf222e\" fill-opacity=\"0.55\"/></pattern></defs>\n");
        return svg;
    }

    private static void Axis(StringBuilder svg, TimeSpan total, int y)
    {
        svg.Append("<line class=\"axis\"").Append(Line(LabelWidth, y, LabelWidth + PlotWidth, y)).Append("/>\n");
        for (var tick = 0; tick <= 4; tick++)
        {
            var x = LabelWidth + (PlotWidth * tick / 4.0);
            svg.Append("<line class=\"grid\"").Append(Line(x, Top - 4, x, y)).Append("/>\n");
            Text(svg, x - 12, y + 16, ReportDocument.Time(TimeSpan.FromTicks(total.Ticks * tick / 4)));
        }
    }

    private static void Text(StringBuilder svg, double x, double y, string text) =>
        svg.Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\">").Append(ReportDocument.Encode(text)).Append("</text>\n");

    private static double X(long ticks, long total) => LabelWidth + (PlotWidth * (double)ticks / total);

    private static string Attributes(double x, double y, double width, double height) =>
        $" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(width)}\" height=\"{N(height)}\"";

    private static string Line(double x1, double y1, double x2, double y2) => $" x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\"";

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
