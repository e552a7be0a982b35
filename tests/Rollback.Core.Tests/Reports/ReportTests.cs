using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests.Reports;

/// <summary>
/// The incident report's files from real rollbacks in a temp folder: the timeline's bars and hatched switch, text from
/// the run encoded (a reason cannot become markup), the journal's hashes, the recoveries of a period against the
/// objective, and bad arguments refused with nothing written. A run's report comes from its journal entries: the same
/// exported right after the run or from history later, each step and member at its recorded start, and entries journaled
/// before those were recorded still reported. The browser's view is ReportBrowserTests'.
/// </summary>
public sealed class ReportTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public ReportTests()
    {
        _sandbox.Register("api", "FileSystemRelease", ("Root", _sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0")));
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void ARunsReportHasABarPerStepTheSwitchHatchedAndTheJournalsHashes()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
        var result = _sandbox.Engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = point.Id, Reason = "<script>alert(1)</script> & error rate" });
        var html = _sandbox.PathOf("out", "run.html");

        var files = _sandbox.Engine.Reports.ExportRun(result, null, null, html);

        Assert.Equal(Path.ChangeExtension(html, ".md"), files.MarkdownPath);
        var text = File.ReadAllText(html);
        Assert.Equal(result.Steps.Count, Regex.Count(text, "<rect class=\"bar [^\"]*\" data-step="));
        Assert.Contains(result.Steps, s => s.InSwitch && s.Name == "SwitchCurrent");
        Assert.Equal(result.Steps.Count(s => s.InSwitch), Regex.Count(text, "<rect class=\"downtime\""));
        Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; error rate", text, StringComparison.Ordinal);
        Assert.Contains(result.JournalHash, text, StringComparison.Ordinal);
        var markdown = File.ReadAllText(files.MarkdownPath);
        Assert.Contains($"| SwitchCurrent | Succeeded |", markdown, StringComparison.Ordinal);
        Assert.Contains(result.JournalHash, markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void AReportFromTheJournalOfAPastRunEqualsTheOneWrittenRightAfterIt()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
        var decision = RollbackDecider.Decide(new DecisionInputs { ErrorRate = 0.123, ErrorRateDuration = TimeSpan.FromMinutes(4) },
            RollbackPolicy.Default, DateTimeOffset.UtcNow, "api");
        var result = _sandbox.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "api", PointId = point.Id, Reason = "error rate 12.3%", ApprovedBy = new[] { "oncall" }, Decision = decision, AutomaticTrigger = DecisionTrigger.ErrorRateAbove,
        });
        var rightAfter = _sandbox.Engine.Reports.ExportRun(result, null, null, _sandbox.PathOf("out", "right-after.html"));

        // The day after: other attempts journaled since, and a new engine that has only the store.
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
        _sandbox.Rollback("api", point.Id);
        var later = _sandbox.NewEngine().Reports.ExportEntry(result.JournalSequence, null, null, _sandbox.PathOf("out", "later.html"));

        Assert.Equal(Stable(File.ReadAllText(rightAfter.MarkdownPath)), Stable(File.ReadAllText(later.MarkdownPath)));
        Assert.Equal(Stable(File.ReadAllText(rightAfter.HtmlPath)), Stable(File.ReadAllText(later.HtmlPath)));
        var markdown = File.ReadAllText(later.MarkdownPath);
        Assert.Contains("| Pass | PointExists |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ErrorRateAbove | Automatic | 0.123 |", markdown, StringComparison.Ordinal);
        Assert.Contains("ImmediateRollback", markdown, StringComparison.Ordinal);
        Assert.Contains("| Pass | StateMatchesPoint |", markdown, StringComparison.Ordinal);
        Assert.Contains($"- **Downtime**: {ReportsTime(result.Downtime)}", markdown, StringComparison.Ordinal);

        // Each step's bar is where and as long as the step ran, on the run's time axis.
        var html = File.ReadAllText(later.HtmlPath);
        foreach (var step in result.Steps)
        {
            Assert.NotNull(step.StartedAt);
            Assert.Contains($"| {step.Name} | Succeeded | +{ReportsTime(step.StartedAt!.Value - result.StartedAt)} | {ReportsTime(step.Duration)} |", markdown, StringComparison.Ordinal);
        }

        var bars = Bars(html);
        Assert.Equal(result.Steps.Count, bars.Count);
        Assert.True(bars.Zip(bars.Skip(1)).All(p => p.First.Value.X <= p.Second.Value.X), "the steps' bars run left to right in the order the steps ran");
    }

    [Fact]
    public void MembersOfAStageThatRanInParallelOverlapOnThePlansTimeline()
    {
        // Each configuration's reload waits until the other's has started: the two members of stage 1 are running at once.
        foreach (var (name, other) in new[] { ("east", "west"), ("west", "east") })
        {
            var file = _sandbox.PathOf("etc", name + ".conf");
            Sandbox.WriteFile(file, "good");
            var reload = $"sh -c 'touch {_sandbox.PathOf(name + ".reloading")}; for i in $(seq 400); do [ -e {_sandbox.PathOf(other + ".reloading")} ] && exit 0; sleep 0.05; done; exit 1'";
            _sandbox.Register(name, "ConfigurationFile", ("Path", file), ("ReloadCommand", reload));
        }

        _sandbox.Register("release", "Plan", ("Stages", new[] { "east, west", "api" }), ("ThrottleLimit", "2"));
        var point = _sandbox.Engine.Points.Create("release", null);
        File.WriteAllText(_sandbox.PathOf("etc", "east.conf"), "bad");
        File.WriteAllText(_sandbox.PathOf("etc", "west.conf"), "bad");
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
        var result = _sandbox.Rollback("release", point.Id);
        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        var rightAfter = _sandbox.Engine.Reports.ExportRun(result, null, null, _sandbox.PathOf("out", "plan.html"));

        var later = _sandbox.NewEngine().Reports.ExportPlanRun(result.PlanRunId!, null, null, _sandbox.PathOf("out", "plan-later.html"));

        Assert.Equal(Stable(File.ReadAllText(rightAfter.MarkdownPath)), Stable(File.ReadAllText(later.MarkdownPath)));
        var bars = Bars(File.ReadAllText(later.HtmlPath));
        Assert.Equal(new[] { "Stage 1", "east", "west", "Stage 2", "api" }, bars.Keys);
        var (east, west, api, stage2) = (bars["east"], bars["west"], bars["api"], bars["Stage 2"]);
        Assert.True(east.X < west.X + west.Width && west.X < east.X + east.Width, $"east [{east.X}, +{east.Width}] and west [{west.X}, +{west.Width}] overlap");
        Assert.True(api.X >= Math.Max(east.X + east.Width, west.X + west.Width) - 0.01, "stage 2's member starts after both of stage 1 ended");
        Assert.True(stage2.X <= api.X + 0.01);
        var members = result.Members.ToDictionary(m => m.Target);
        Assert.Equal(members["east"].StartedAt < members["west"].StartedAt, east.X < west.X);
    }

    [SkippableFact]
    public void EntriesJournaledBeforeStepsAndChecksWereStillMakeAReportAndTheChainStaysValid()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        // Lines as the module wrote them before: a rollback of api, and a plan run with one member, none of the new fields.
        var journal = _sandbox.Store.Journal;
        var at = DateTimeOffset.UtcNow.AddDays(-1);
        var old = journal.Append(new HistoryEntry
        {
            Time = at, Target = "api", Action = HistoryAction.Rollback, PointId = "p1", From = "v2.4.0", To = "v2.3.1", Reason = "bad release", User = "oncall",
            Duration = TimeSpan.FromSeconds(3), Status = HistoryStatus.Succeeded, VerificationDuration = TimeSpan.FromSeconds(1), RecoveryTime = TimeSpan.FromSeconds(3),
        });
        journal.Append(new HistoryEntry { Time = at.AddSeconds(5), Target = "api", Action = HistoryAction.Rollback, User = "oncall", Duration = TimeSpan.FromSeconds(2), Status = HistoryStatus.Succeeded, PlanRunId = "release-1", PlanStage = 1 });
        journal.Append(new HistoryEntry { Time = at.AddSeconds(6), Target = "release", Action = HistoryAction.Rollback, User = "oncall", Duration = TimeSpan.FromSeconds(4), Status = HistoryStatus.Succeeded, PlanRunId = "release-1" });
        Assert.DoesNotContain("\"steps\"", File.ReadAllText(journal.Path), StringComparison.Ordinal);

        var single = _sandbox.Engine.Reports.ExportEntry(old.Sequence, null, null, _sandbox.PathOf("out", "old.html"));
        var plan = _sandbox.Engine.Reports.ExportPlanRun("release-1", null, null, _sandbox.PathOf("out", "old-plan.html"));

        var markdown = File.ReadAllText(single.MarkdownPath);
        Assert.Contains("| rollback (steps not recorded) | Succeeded | +0 ms | 3000 ms |", markdown, StringComparison.Ordinal);
        Assert.Contains("Not journaled with this entry", markdown, StringComparison.Ordinal);
        Assert.Contains(old.Hash, markdown, StringComparison.Ordinal);
        Assert.Equal(new[] { "api" }, Bars(File.ReadAllText(plan.HtmlPath)).Keys);

        // A rollback journaled now, with every new field, after the old lines: one valid chain.
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
        var result = _sandbox.Rollback("api", point.Id);
        Assert.NotNull(_sandbox.Engine.History.Get(new HistoryFilter()).Single(e => e.Sequence == result.JournalSequence).Steps);
        Assert.True(_sandbox.Engine.History.Verify().IsValid);
    }

    [Fact]
    public void ARefusedRollbackFromHistoryShowsTheChecksThatRefusedItAndThatNoStepRan()
    {
        var refusal = Assert.Throws<RollbackException>(() => _sandbox.Rollback("api", "20990101-000000-000"));
        var refused = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback }).Single();

        var files = _sandbox.Engine.Reports.ExportEntry(refused.Sequence, null, null, _sandbox.PathOf("out", "refused.html"));

        Assert.Equal(RollbackErrorId.RollbackNotReady, refusal.ErrorId);
        var markdown = File.ReadAllText(files.MarkdownPath);
        Assert.Contains("# Rollback of api: Refused", markdown, StringComparison.Ordinal);
        Assert.Contains("- **Ready**: no", markdown, StringComparison.Ordinal);
        Assert.Contains("| Fail | PointExists |", markdown, StringComparison.Ordinal);
        Assert.Contains("| rollback (no step ran) | Refused |", markdown, StringComparison.Ordinal);
        Assert.Contains("None ran: the rollback ended before the switch.", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunThatIsNotARollbackInThisJournalIsReportRunNotFound()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        var html = _sandbox.PathOf("out", "none.html");
        var whatIf = _sandbox.Engine.Rollbacks.Plan("api", point.Id, "test", Array.Empty<string>());
        var capture = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.Capture }).Single();

        var ids = new[]
        {
            Assert.Throws<RollbackException>(() => _sandbox.Engine.Reports.ExportRun(whatIf, null, null, html)).ErrorId,
            Assert.Throws<RollbackException>(() => _sandbox.Engine.Reports.ExportEntry(capture.Sequence, null, null, html)).ErrorId,
            Assert.Throws<RollbackException>(() => _sandbox.Engine.Reports.ExportEntry(999, null, null, html)).ErrorId,
            Assert.Throws<RollbackException>(() => _sandbox.Engine.Reports.ExportPlanRun("no-such-run", null, null, html)).ErrorId,
        };

        Assert.All(ids, id => Assert.Equal(RollbackErrorId.ReportRunNotFound, id));
        Assert.False(File.Exists(html));
    }

    [Fact]
    public void APeriodsReportShowsMeanAndWorstRecoveryPerTargetAgainstTheObjective()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        for (var i = 0; i < 2; i++)
        {
            Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
            _sandbox.Rollback("api", point.Id);
        }

        var recoveries = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback }).Select(e => e.RecoveryTime!.Value).ToList();
        var html = _sandbox.PathOf("period.html");

        _sandbox.Engine.Reports.ExportPeriod(DateTimeOffset.UtcNow.AddHours(-1), null, Array.Empty<string>(), TimeSpan.FromSeconds(30), html);

        var text = File.ReadAllText(html);
        Assert.Single(Regex.Matches(text, "class=\"recovery-mean\" data-target=\"api\""));
        Assert.Single(Regex.Matches(text, "class=\"recovery-worst\" data-target=\"api\""));
        Assert.Contains("class=\"rto\"", text, StringComparison.Ordinal);
        var markdown = File.ReadAllText(Path.ChangeExtension(html, ".md"));
        Assert.Contains($"| api | 2 | 2 | 0 | {ReportsTime(TimeSpan.FromTicks((long)recoveries.Average(r => r.Ticks)))} | {ReportsTime(recoveries.Max())} | 2 of 2 |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArgumentsAreRefusedAndNothingIsWritten()
    {
        var folder = _sandbox.PathOf("reports");
        Directory.CreateDirectory(folder);

        var asFolder = Assert.Throws<RollbackException>(() => _sandbox.Engine.Reports.ExportPeriod(DateTimeOffset.UtcNow.AddHours(-1), null, Array.Empty<string>(), TimeSpan.FromMinutes(2), folder));
        var zero = Assert.Throws<RollbackException>(() => _sandbox.Engine.Reports.ExportPeriod(DateTimeOffset.UtcNow.AddHours(-1), null, Array.Empty<string>(), TimeSpan.Zero, Path.Combine(folder, "r.html")));

        Assert.Equal(RollbackErrorId.InvalidReportArguments, asFolder.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidReportArguments, zero.ErrorId);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    private static string ReportsTime(TimeSpan value) => Rollback.Reports.ReportDocument.Time(value);

    /// <summary>A report without what belongs to the moment it was written: who wrote it when, and the chain as it stood then.</summary>
    private static string Stable(string report) =>
        Regex.Replace(Regex.Replace(report, @"report written \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z", "report written …"), @"(Chain(?:</dt><dd>|\*\*: ))(intact|BROKEN)[^<\n]*", "$1…");

    /// <summary>The timeline's step and member bars (rect.bar with data-step), in order, with their x and width.</summary>
    private static Dictionary<string, (double X, double Width)> Bars(string html) =>
        Regex.Matches(html, "<rect class=\"bar [^\"]*\" data-step=\"(?<step>[^\"]*)\" x=\"(?<x>[0-9.]+)\" y=\"[0-9.]+\" width=\"(?<w>[0-9.]+)\"")
            .ToDictionary(m => m.Groups["step"].Value, m => (double.Parse(m.Groups["x"].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups["w"].Value, CultureInfo.InvariantCulture)));
}
