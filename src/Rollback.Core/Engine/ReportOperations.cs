using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Reports;

namespace Rollback.Engine;

/// <summary>
/// Incident reports, each a self-contained HTML file and a Markdown file beside it: one run (a target's or a plan's,
/// from its result: the timeline of its steps or stages and members, readiness, decision, approvals, verification and
/// its journal entries with their hashes), or a period of the journal (recoveries per target against a recovery-time
/// objective). Reads only; writes nothing but the two files.
/// </summary>
public sealed class ReportOperations : EnginePart
{
    public static readonly TimeSpan DefaultRecoveryTimeObjective = TimeSpan.FromMinutes(2);

    private readonly HistoryOperations _history;

    internal ReportOperations(EngineServices engine, HistoryOperations history)
        : base(engine)
    {
        _history = history;
    }

    /// <summary>The report of one run, from its result; <paramref name="readiness"/> and <paramref name="decision"/> when the caller has them.</summary>
    public ReportFiles ExportRun(RollbackResult result, ReadinessReport? readiness, RollbackDecision? decision, string htmlPath)
    {
        CheckPath(htmlPath);
        var isPlan = result.Members.Count > 0;
        var document = new ReportDocument($"Rollback of {result.Target}: {result.Status}",
            $"{(isPlan ? "Plan run " + result.PlanRunId : "Run")} started {ReportDocument.Utc(result.StartedAt)}; report written {ReportDocument.Utc(Engine.Now)} by {Engine.User}.");
        document.Add("Summary")
            .Fact("Service", $"{result.Target} ({result.Kind})")
            .Fact("Versions", $"{result.FromVersion} → {result.ToVersion}")
            .Fact("Status", result.Status.ToString())
            .Fact("Reason", result.Reason)
            .Fact("Run by", result.User)
            .Fact("Started", ReportDocument.Utc(result.StartedAt))
            .Fact("Duration", ReportDocument.Time(result.Duration))
            .Fact("Downtime", ReportDocument.Time(result.Downtime))
            .Fact("Recovery time", result.RecoveryTime is { } recovery ? ReportDocument.Time(recovery) : null)
            .Fact("Safety point", result.SafetyPointId)
            .Fact("Error", result.ErrorId)
            .Fact("Message", result.Message);

        var bars = isPlan ? TimelineChart.PlanOf(result) : TimelineChart.StepsOf(result, TimeSpan.Zero);
        var timeline = document.Add("Timeline");
        timeline.Svg = TimelineChart.Timeline(bars, $"Timeline of the rollback of {result.Target}");
        timeline.Table("Bar", "Status", "Start", "Duration", "Downtime");
        foreach (var bar in bars)
        {
            timeline.Row(bar.Label.Trim(), bar.Status, "+" + ReportDocument.Time(bar.Start), ReportDocument.Time(bar.Duration),
                bar.Downtime.Count == 0 ? string.Empty : ReportDocument.Time(TimeSpan.FromTicks(bar.Downtime.Sum(d => d.Duration.Ticks))));
        }

        timeline.Note(isPlan
            ? "One bar per stage and per member that ran, at its own start; hatched: the member's switch, when its target was down."
            : "One bar per step, laid end to end from their durations after the lock and readiness; hatched: the switch, when the target was down; then verification.");

        var ready = document.Add("Readiness checks");
        if (readiness is null)
        {
            ready.Note("Not given: pass the ReadinessReport with -Readiness (the rollback itself passed its readiness gate, or it would not have run).");
        }
        else
        {
            Checks(ready.Fact("Ready", readiness.IsReady ? "yes" : "no"), readiness.Checks);
        }

        var decided = document.Add("Decision and approvals")
            .Fact("Approved by", result.ApprovedBy.Count == 0 ? "nobody" : string.Join(", ", result.ApprovedBy))
            .Fact("Severity", result.Severity)
            .Fact("Automatic trigger", result.Trigger);
        if (decision is not null)
        {
            decided.Fact("Decision", $"{decision.Action} ({decision.SeverityLabel}), {decision.RequiredApprovals} approval(s) required")
                .Table("Threshold", "Kind", "Observed", "Threshold", "Held for", "Held", "Message");
            foreach (var fired in decision.FiredThresholds)
            {
                decided.Row(fired.Name.ToString(), fired.Kind.ToString(), Number(fired.Observed), Number(fired.Threshold),
                    $"{Durations.Describe(fired.Duration)} of {Durations.Describe(fired.RequiredDuration)}", fired.Held ? "yes" : "no", fired.Message);
            }
        }

        var verified = Checks(document.Add("Verification"), result.Verification);
        foreach (var health in result.Health)
        {
            verified.Row(health.Healthy ? "Pass" : "Fail", "Health " + health.Uri, string.Empty, health.Detail);
        }

        Journal(document, isPlan
            ? _history.Get(new HistoryFilter { PlanRunId = result.PlanRunId })
            : EntriesOf(result.JournalSequence));
        return Write(document, htmlPath);
    }

    /// <summary>The report of a period: every rollback journaled from <paramref name="since"/> to <paramref name="until"/>, recoveries per target against <paramref name="objective"/>.</summary>
    public ReportFiles ExportPeriod(DateTimeOffset since, DateTimeOffset? until, IReadOnlyList<string> targets, TimeSpan objective, string htmlPath)
    {
        CheckPath(htmlPath);
        if (objective <= TimeSpan.Zero)
        {
            throw new RollbackException(RollbackErrorId.InvalidReportArguments, RollbackErrorCategory.InvalidArgument,
                $"-RecoveryTimeObjective must be more than zero, not {objective:g}.", objective);
        }

        var end = until ?? Engine.Now;
        var entries = _history.Get(new HistoryFilter { Action = HistoryAction.Rollback, Since = since })
            .Where(e => e.Time <= end && (targets.Count == 0 || targets.Contains(e.Target, StringComparer.OrdinalIgnoreCase))).ToList();
        var document = new ReportDocument($"Rollbacks from {ReportDocument.Utc(since)} to {ReportDocument.Utc(end)}",
            $"{entries.Count} rollback(s) journaled; recovery-time objective {ReportDocument.Time(objective)}; report written {ReportDocument.Utc(Engine.Now)} by {Engine.User}.");
        var byTarget = entries.GroupBy(e => e.Target, StringComparer.OrdinalIgnoreCase).OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase).ToList();
        var rows = new List<(string, TimeSpan, TimeSpan)>();
        var table = document.Add("Recoveries per target").Table("Target", "Rollbacks", "Recovered", "Failed or refused", "Mean recovery", "Worst recovery", "Within RTO");
        foreach (var group in byTarget)
        {
            var recoveries = group.Where(e => e.RecoveryTime is not null).Select(e => e.RecoveryTime!.Value).ToList();
            var mean = recoveries.Count == 0 ? (TimeSpan?)null : TimeSpan.FromTicks((long)recoveries.Average(r => r.Ticks));
            var worst = recoveries.Count == 0 ? (TimeSpan?)null : recoveries.Max();
            if (mean is { } m && worst is { } w)
            {
                rows.Add((group.Key, m, w));
            }

            table.Row(group.Key, Count(group.Count()), Count(recoveries.Count), Count(group.Count(e => e.Status != HistoryStatus.Succeeded && e.Status != nameof(RollbackStatus.AlreadyCurrent))),
                mean is { } a ? ReportDocument.Time(a) : "-", worst is { } b ? ReportDocument.Time(b) : "-",
                recoveries.Count == 0 ? "-" : $"{Count(recoveries.Count(r => r <= objective))} of {Count(recoveries.Count)}");
        }

        var chart = document.Add("Recovery time against the objective");
        chart.Svg = TimelineChart.Recoveries(rows, objective, "Mean and worst recovery time per target");
        chart.Note($"Per target: the mean recovery (upper bar) and the worst (lower bar), from the start of the rollback to verified health; dashed: the recovery-time objective ({ReportDocument.Time(objective)}).");
        var within = document.Add("Rollbacks").Table("Seq", "Time", "Target", "Status", "From → to", "Recovery", "Reason", "User", "Approved by");
        foreach (var entry in entries)
        {
            within.Row(Count(entry.Sequence), ReportDocument.Utc(entry.Time), entry.Target, entry.Status, $"{entry.From} → {entry.To}",
                entry.RecoveryTime is { } r ? ReportDocument.Time(r) : "-", entry.Reason ?? string.Empty, entry.User, string.Join(", ", entry.ApprovedBy));
        }

        Journal(document, entries);
        return Write(document, htmlPath);
    }

    private static ReportSection Checks(ReportSection section, IReadOnlyList<CheckResult> checks)
    {
        section.Table("Status", "Check", "ErrorId", "Message");
        foreach (var check in checks)
        {
            section.Row(check.Status.ToString(), check.Name, check.ErrorId ?? string.Empty, check.Message);
        }

        return section;
    }

    private void Journal(ReportDocument document, IReadOnlyList<HistoryEntry> entries)
    {
        var verification = _history.Verify();
        var section = document.Add("Journal")
            .Fact("Chain", verification.IsValid ? $"intact: {verification.EntryCount} entries, each hash chained to the one before" : $"BROKEN: {verification.Message}")
            .Table("Seq", "Time", "Action", "Target", "Status", "Hash", "Previous hash");
        foreach (var entry in entries)
        {
            section.Row(Count(entry.Sequence), ReportDocument.Utc(entry.Time), entry.Action, entry.Target, entry.Status, entry.Hash, entry.PreviousHash);
        }

        section.Note("Get-RollbackHistory -Verify checks the chain again; a changed or removed entry breaks every hash after it.");
    }

    /// <summary>A single run's entries: the outcome at that sequence and its intent (the same attempt).</summary>
    private IReadOnlyList<HistoryEntry> EntriesOf(long sequence)
    {
        var all = _history.Get(new HistoryFilter());
        var outcome = all.FirstOrDefault(e => e.Sequence == sequence);
        return outcome?.AttemptId is { } attempt
            ? all.Where(e => e.AttemptId == attempt).ToList()
            : outcome is null ? Array.Empty<HistoryEntry>() : new[] { outcome };
    }

    private static ReportFiles Write(ReportDocument document, string htmlPath)
    {
        try
        {
            var (html, markdown) = document.Write(htmlPath);
            return new ReportFiles { HtmlPath = html, MarkdownPath = markdown };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RollbackException(RollbackErrorId.ReportUnwritable, RollbackErrorCategory.WriteError,
                $"The report cannot be written to '{htmlPath}': {ex.Message} Choose a folder you may write.", htmlPath, ex);
        }
    }

    private static void CheckPath(string htmlPath)
    {
        if (string.IsNullOrWhiteSpace(htmlPath) || !Path.IsPathRooted(htmlPath) || Directory.Exists(htmlPath))
        {
            throw new RollbackException(RollbackErrorId.InvalidReportArguments, RollbackErrorCategory.InvalidArgument,
                $"-Path must name the HTML file to write (the Markdown goes beside it), not '{htmlPath}'.", htmlPath);
        }
    }

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "-";
}
