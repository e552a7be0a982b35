using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Plans;
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

    /// <summary>
    /// The report of one run, from the journal entry its result names (so it is the report the same run gets from history
    /// later); <paramref name="readiness"/> and <paramref name="decision"/>, when given, in place of the ones journaled with it.
    /// </summary>
    public ReportFiles ExportRun(RollbackResult result, ReadinessReport? readiness, RollbackDecision? decision, string htmlPath)
    {
        CheckPath(htmlPath);
        var all = _history.Get(new HistoryFilter());
        var run = all.FirstOrDefault(e => e.Sequence == result.JournalSequence && e.Hash == result.JournalHash && e.Action == HistoryAction.Rollback)
            ?? throw NotFound(result.Status == RollbackStatus.WhatIf
                ? $"The result of '{result.Target}' is a -WhatIf result: nothing ran and nothing was journaled, so there is no run to report."
                : $"The journal of this store holds no entry {result.JournalSequence} with the hash of that rollback of '{result.Target}': export it with the -StorePath of the store it ran against.",
                result);
        return Export(run, all, readiness, decision, htmlPath);
    }

    /// <summary>
    /// The report of the run journaled at <paramref name="sequence"/> (Get-RollbackHistory's Sequence, a result's
    /// JournalSequence): a rollback's entry, or its intent (the report is of its outcome); a plan's entry is its plan run.
    /// </summary>
    public ReportFiles ExportEntry(long sequence, ReadinessReport? readiness, RollbackDecision? decision, string htmlPath)
    {
        CheckPath(htmlPath);
        var all = _history.Get(new HistoryFilter());
        var entry = all.FirstOrDefault(e => e.Sequence == sequence)
            ?? throw NotFound($"The journal of this store has no entry {sequence}: Get-RollbackHistory lists the entries and their sequences.", sequence);
        var run = entry.Action == HistoryAction.Intent && entry.AttemptId is { } attempt
            ? all.LastOrDefault(e => e.AttemptId == attempt && e.Action == HistoryAction.Rollback)
            : entry.Action == HistoryAction.Rollback ? entry : null;
        return Export(run ?? throw NotFound($"Entry {sequence} is a {entry.Action} of '{entry.Target}', not a rollback: a report is of a rollback (Get-RollbackHistory -Action Rollback lists them).", sequence),
            all, readiness, decision, htmlPath);
    }

    /// <summary>The report of a plan run, by the id every journal entry of the run carries (the plan result's PlanRunId).</summary>
    public ReportFiles ExportPlanRun(string planRunId, ReadinessReport? readiness, RollbackDecision? decision, string htmlPath)
    {
        CheckPath(htmlPath);
        var all = _history.Get(new HistoryFilter());
        var run = all.LastOrDefault(e => e.Action == HistoryAction.Rollback && e.PlanStage is null && string.Equals(e.PlanRunId, planRunId, StringComparison.OrdinalIgnoreCase))
            ?? throw NotFound($"The journal of this store holds no rollback of a plan with the run id '{planRunId}': Get-RollbackHistory -Action Rollback shows each plan run's PlanRunId.", planRunId);
        return Export(run, all, readiness, decision, htmlPath);
    }

    /// <summary>A run's report, made from its journal entry (and, for a plan, its members' entries of the run).</summary>
    private ReportFiles Export(HistoryEntry run, IReadOnlyList<HistoryEntry> all, ReadinessReport? readiness, RollbackDecision? decision, string htmlPath)
    {
        var isPlan = run.Members is not null || string.Equals(run.Kind, PlanKind.KindName, StringComparison.OrdinalIgnoreCase) || run.PlanRunId is not null && run.PlanStage is null;
        var startedAt = TimelineChart.StartOf(run);
        var document = new ReportDocument($"Rollback of {run.Target}: {run.Status}",
            $"{(isPlan ? "Plan run " + run.PlanRunId : "Run")} started {ReportDocument.Utc(startedAt)}; report written {ReportDocument.Utc(Engine.Now)} by {Engine.User}.");
        document.Add("Summary")
            .Fact("Service", run.Kind is null ? run.Target : $"{run.Target} ({run.Kind})")
            .Fact("Versions", $"{run.From} → {run.To}")
            .Fact("Status", run.Status)
            .Fact("Reason", run.Reason)
            .Fact("Run by", run.User)
            .Fact("Started", ReportDocument.Utc(startedAt))
            .Fact("Duration", ReportDocument.Time(run.Duration))
            .Fact("Downtime", run.Downtime is { } downtime ? ReportDocument.Time(downtime) : null)
            .Fact("Recovery time", run.RecoveryTime is { } recovery ? ReportDocument.Time(recovery) : null)
            .Fact("Safety point", run.SafetyPointId)
            .Fact("Error", run.ErrorId)
            .Fact("Message", run.Message);

        var runEntries = isPlan
            ? all.Where(e => run.PlanRunId is not null && string.Equals(e.PlanRunId, run.PlanRunId, StringComparison.OrdinalIgnoreCase)).ToList()
            : EntriesOf(all, run);
        var bySequence = isPlan ? runEntries.ToDictionary(e => e.Sequence) : new Dictionary<long, HistoryEntry>();
        var bars = isPlan
            ? TimelineChart.PlanOf(run, sequence => bySequence.TryGetValue(sequence, out var member) ? member : null, runEntries)
            : TimelineChart.StepsOf(run, startedAt);
        var timeline = document.Add("Timeline");
        timeline.Svg = TimelineChart.Timeline(bars, $"Timeline of the rollback of {run.Target}");
        timeline.Table("Bar", "Status", "Start", "Duration", "Downtime");
        foreach (var bar in bars)
        {
            timeline.Row(bar.Label.Trim(), bar.Status, "+" + ReportDocument.Time(bar.Start), ReportDocument.Time(bar.Duration),
                bar.Downtime.Count == 0 ? string.Empty : ReportDocument.Time(TimeSpan.FromTicks(bar.Downtime.Sum(d => d.Duration.Ticks))));
        }

        // An entry of the current form (it records its start) without steps was refused or stopped before its first step.
        var current = run.StartedAt is not null;
        timeline.Note(run.Steps is null
            ? current
                ? "No step ran: the rollback ended before its first step (see its status and message)."
                : "This entry was journaled before steps and their times were: the run is one bar from its start, each member of a plan run one bar of its own."
            : isPlan
            ? "One bar per stage and per member that ran, each at its recorded start (members of a stage run in parallel overlap); hatched: the member's switch, when its target was down."
            : "One bar per step at its recorded start and for its duration, after the lock and readiness; hatched: the switch, when the target was down; then verification.");

        var checks = readiness?.Checks ?? run.Readiness;
        var ready = document.Add("Readiness checks");
        if (checks is null)
        {
            ready.Note(current
                ? "Not checked: the rollback ended before its readiness checks (see its message)."
                : "Not journaled with this entry (written before readiness checks were): pass the ReadinessReport with -Readiness.");
        }
        else
        {
            Checks(ready.Fact("Ready", checks.All(c => c.Status != CheckStatus.Fail) ? "yes" : "no"), checks);
        }

        var decided = document.Add("Decision and approvals")
            .Fact("Approved by", run.ApprovedBy.Count == 0 ? "nobody" : string.Join(", ", run.ApprovedBy))
            .Fact("Severity", run.Severity)
            .Fact("Automatic trigger", run.Trigger);
        var fired = decision is null ? run.Decision : HistoryDecision.Of(decision);
        if (fired is null)
        {
            decided.Note("No decision was journaled with this rollback (Watch-Deployment journals the one it rolls back on); pass one with -Decision.");
        }
        else
        {
            decided.Fact("Decision", $"{fired.Action} ({fired.Severity}), {fired.RequiredApprovals} approval(s) required")
                .Table("Threshold", "Kind", "Observed", "Threshold", "Held for", "Held", "Message");
            foreach (var threshold in fired.FiredThresholds)
            {
                decided.Row(threshold.Name.ToString(), threshold.Kind.ToString(), Number(threshold.Observed), Number(threshold.Threshold),
                    $"{Durations.Describe(threshold.Duration)} of {Durations.Describe(threshold.RequiredDuration)}", threshold.Held ? "yes" : "no", threshold.Message);
            }
        }

        var verified = Checks(document.Add("Verification"), run.Verification ?? Array.Empty<CheckResult>());
        if (run.Verification is null)
        {
            verified.Note(current ? "None ran: the rollback ended before the switch." : "Not journaled with this entry (written before verification checks were).");
        }

        Journal(document, runEntries);
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

    /// <summary>A single run's entries: its outcome and its intent (the same attempt).</summary>
    private static IReadOnlyList<HistoryEntry> EntriesOf(IReadOnlyList<HistoryEntry> all, HistoryEntry outcome) =>
        outcome.AttemptId is { } attempt ? all.Where(e => e.AttemptId == attempt).ToList() : new[] { outcome };

    private static RollbackException NotFound(string message, object target) =>
        new(RollbackErrorId.ReportRunNotFound, RollbackErrorCategory.ObjectNotFound, message, target);

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
