using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Playwright;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Export-RollbackReport's files opened in a real browser: Debian's chromium driven by Microsoft.Playwright (the system
/// browser through ExecutablePath, nothing downloaded), over reports of a real FileSystemRelease rollback, a plan run
/// of two "servers" and a period. The timeline has one bar per step (per stage and member for a plan), the page logs no
/// console error, and a screenshot of each is kept under TestResults/report. Skips, saying why, without chromium.
/// </summary>
public sealed class ReportBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly RollbackSession _session = new();

    public ReportBrowserTests()
    {
        foreach (var server in new[] { "web1", "web2" })
        {
            var root = Path.Combine(_session.Root, server);
            foreach (var release in new[] { "v2.3.1", "v2.4.0" })
            {
                Directory.CreateDirectory(Path.Combine(root, "releases", release));
                File.WriteAllText(Path.Combine(root, "releases", release, "app.dll"), "build " + release);
            }

            Directory.CreateSymbolicLink(Path.Combine(root, "current"), Path.Combine(root, "releases", "v2.3.1"));
        }

        _session.Run("""
            'web1', 'web2' | ForEach-Object { Register-RollbackTarget -Name $_ -Kind FileSystemRelease -Settings @{ Root = (Join-Path $TestRoot $_) } | Out-Null }
            Register-RollbackTarget -Name release -Kind Plan -Settings @{ Stages = 'web1', 'web2' } | Out-Null
            """).AssertNoErrors();
    }

    public static string ArtifactFolder { get; } = Path.Combine(RollbackSession.RepoRoot, "TestResults", "report");

    public void Dispose() => _session.Dispose();

    [SkippableFact]
    public async Task ARunsReportOpensWithOneBarPerStepTheSwitchHatchedAndNoConsoleError()
    {
        Skip.If(!File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (as .ci/run does) to open the report in a real browser.");
        var point = _session.Run("New-RollbackPoint -Target web1").One("RollbackPoint").GetString("Id");
        Deploy("web1");
        var html = Path.Combine(_session.Root, "reports", "run.html");

        var run = _session.Run($"""
            $report = Get-RollbackPoint -Target web1 -Id '{point}' | Test-RollbackReadiness
            $result = $report | Invoke-Rollback -Reason 'error rate 12%' -ApprovedBy oncall -Confirm:$false
            $result
            $result | Export-RollbackReport -Path '{html}' -Readiness $report -Decision (Get-RollbackDecision -ErrorRate 0.123 -ErrorRateMinutes 4)
            """);

        run.AssertNoErrors();
        var result = run.Output.Single(o => o.BaseObject.GetType().FullName == "Rollback.RollbackResult");
        var steps = ((IEnumerable<object>)result.Get("Steps")!).Count();
        var files = run.Output.Single(o => o.BaseObject.GetType().FullName == "Rollback.ReportFiles");
        Assert.Equal((html, Path.ChangeExtension(html, ".md")), (files.GetString("HtmlPath"), files.GetString("MarkdownPath")));
        var markdown = File.ReadAllText(Path.ChangeExtension(html, ".md"));
        Assert.Contains("## Timeline", markdown, StringComparison.Ordinal);
        Assert.Contains(result.GetString("JournalHash")!, markdown, StringComparison.Ordinal);

        var page = await OpenAsync(html, "run-timeline.png");

        Assert.Empty(page.Errors);
        Assert.Equal(steps, page.Bars);
        Assert.True(page.Downtime >= 1, "the switch is hatched on its bar");
        Assert.Contains("Rollback of web1: Succeeded", page.Title, StringComparison.Ordinal);
        Assert.Contains("ErrorRateAbove", page.Text, StringComparison.Ordinal);
        Assert.Contains("PointExists", page.Text, StringComparison.Ordinal);
        Assert.Contains("intact", page.Text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task APlanRunsReportHasABarPerStageAndMemberAndAPeriodReportItsRecoveriesAgainstTheObjective()
    {
        Skip.If(!File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (as .ci/run does) to open the report in a real browser.");
        var point = _session.Run("New-RollbackPoint -Target release").One("RollbackPoint").GetString("Id");
        Deploy("web1");
        Deploy("web2");
        var plan = Path.Combine(_session.Root, "reports", "plan.html");
        var period = Path.Combine(_session.Root, "reports", "period.html");

        var run = _session.Run($"""
            Invoke-Rollback -Target release -PointId '{point}' -Reason 'bad release' -Confirm:$false | Export-RollbackReport -Path '{plan}' | Out-Null
            Export-RollbackReport -Since (Get-Date).AddHours(-1) -Path '{period}' | Out-Null
            """);

        run.AssertNoErrors();
        var planPage = await OpenAsync(plan, "plan-timeline.png");
        Assert.Empty(planPage.Errors);
        Assert.Equal(2 + 2, planPage.Bars);
        Assert.Equal(2, planPage.Downtime);
        var periodPage = await OpenAsync(period, "period-recoveries.png");
        Assert.Empty(periodPage.Errors);
        Assert.Equal(3, periodPage.Recoveries);
        Assert.Contains("RTO 2 min", periodPage.Text, StringComparison.Ordinal);
    }

    private void Deploy(string server)
    {
        var current = Path.Combine(_session.Root, server, "current");
        File.Delete(current);
        Directory.CreateSymbolicLink(current, Path.Combine(_session.Root, server, "releases", "v2.4.0"));
    }

    /// <summary>Opens the file in chromium and reads what the test asserts; the browser and its processes are gone when it returns.</summary>
    private static async Task<Page> OpenAsync(string html, string screenshot)
    {
        var before = Chromiums();
        var errors = new List<string>();
        Page opened;
        using (var playwright = await Playwright.CreateAsync())
        {
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = new[] { "--no-sandbox" } });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    errors.Add(message.Text);
                }
            };
            page.PageError += (_, error) => errors.Add(error);
            var answer = await page.GotoAsync(new Uri(html).AbsoluteUri);
            Assert.NotNull(answer);
            Assert.True(answer!.Ok);
            Directory.CreateDirectory(ArtifactFolder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactFolder, screenshot), FullPage = true });
            opened = new Page(errors, await page.TitleAsync(), await page.InnerTextAsync("body"),
                await page.Locator("svg rect.bar[data-step]").CountAsync(), await page.Locator("svg rect.downtime").CountAsync(), await page.Locator("svg rect.recovery-mean").CountAsync());
            await browser.CloseAsync();
        }

        // The browser's processes end with it: none started for this page is left.
        var left = Chromiums().Except(before).ToList();
        for (var wait = 0; left.Count > 0 && wait < 50; wait++)
        {
            await Task.Delay(100);
            left = Chromiums().Except(before).ToList();
        }

        Assert.True(left.Count == 0, $"chromium processes left running: {string.Join(", ", left)}");
        Assert.True(File.Exists(Path.Combine(ArtifactFolder, screenshot)));
        return opened;
    }

    private static HashSet<int> Chromiums() =>
        Process.GetProcesses().Where(p => p.ProcessName.StartsWith("chromium", StringComparison.Ordinal) || p.ProcessName.StartsWith("chrome", StringComparison.Ordinal)).Select(p => p.Id).ToHashSet();

    private sealed record Page(List<string> Errors, string Title, string Text, int Bars, int Downtime, int Recoveries);
}
