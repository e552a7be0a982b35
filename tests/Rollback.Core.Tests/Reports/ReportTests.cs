using System;
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
/// objective, and bad arguments refused with nothing written. The browser's view is ReportBrowserTests'.
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
}
