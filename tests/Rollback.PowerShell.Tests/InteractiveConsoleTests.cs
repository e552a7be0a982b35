using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The runner with no arguments, in a real terminal (see <see cref="TerminalConsole"/>): what a user sees after typing
/// at its prompt, pressing Tab, Up and Down, Ctrl+C. Each test starts its own console on a store of its own.
/// </summary>
public sealed class InteractiveConsoleTests : IDisposable
{
    private readonly string _folder;
    private readonly string _site;
    private TerminalConsole? _console;

    public InteractiveConsoleTests()
    {
        _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "rollback-console-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        _site = Directory.CreateDirectory(Path.Combine(_folder, "site")).FullName;
        File.WriteAllText(Path.Combine(_site, "VERSION"), "v1");
    }

    public void Dispose()
    {
        _console?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [SkippableFact]
    public void PromptShowsAndCmdletOutputRendersThroughItsFormatView()
    {
        var console = Start();

        var shown = console.Run(Register("checkout-api"));

        Assert.Contains(shown, line => Regex.IsMatch(line, @"^Name\s+Kind\s+Settings\s+RegisteredAt\s+RegisteredBy$"));
        Assert.Contains(shown, line => Regex.IsMatch(line, @"^checkout-api\s+Directory\s+"));
    }

    [SkippableFact]
    public void TabCompletesRegisteredTargetsAndTheCompletedLineRuns()
    {
        var console = Start();
        console.Run(Register("billing") + " | Out-Null");
        console.Run(Register("checkout-api") + " | Out-Null");

        console.Type("Invoke-Rollback -Target ");
        console.Press(TerminalConsole.Tab);
        var first = TargetOnCurrentLine(console, "Invoke-Rollback -Target ");
        console.Press(TerminalConsole.Tab);
        var second = TargetOnCurrentLine(console, "Invoke-Rollback -Target ", not: first);
        console.Press(TerminalConsole.ShiftTab);
        Assert.Equal(first, TargetOnCurrentLine(console, "Invoke-Rollback -Target ", not: second));
        Assert.Equal(["billing", "checkout-api"], new[] { first, second }.Order(StringComparer.Ordinal));

        // Ctrl+U clears the line; a completed name is part of what runs.
        console.Press(TerminalConsole.CtrlU);
        console.WaitFor("an empty prompt", lines => lines[^1] == console.Prompt);
        console.Type("Get-RollbackTarget -Name chec");
        console.Press(TerminalConsole.Tab);
        console.WaitFor("the completed name", lines => lines[^1] == $"{console.Prompt} Get-RollbackTarget -Name checkout-api");
        var prompts = console.PromptCount();
        console.Press(TerminalConsole.EnterKey);
        var lines = console.WaitForPrompt(prompts + 1);

        var output = lines.SkipWhile(line => line != $"{console.Prompt} Get-RollbackTarget -Name checkout-api").ToList();
        Assert.Contains(output, line => line.StartsWith("checkout-api ", StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.StartsWith("billing ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void UpAndDownWalkTheHistoryAndEnterRunsTheRecalledLine()
    {
        var console = Start();
        Assert.Equal(["first 6"], console.Run("\"first \" + (2*3)"));
        Assert.Equal(["second"], console.Run("'second'"));

        console.Press(TerminalConsole.Up);
        console.Press(TerminalConsole.Up);
        console.WaitFor("the first line recalled", lines => lines[^1] == $"{console.Prompt} \"first \" + (2*3)");
        console.Press(TerminalConsole.Down);
        console.WaitFor("the second line recalled", lines => lines[^1] == $"{console.Prompt} 'second'");
        console.Press(TerminalConsole.Up);
        console.WaitFor("the first line again", lines => lines[^1] == $"{console.Prompt} \"first \" + (2*3)");
        var prompts = console.PromptCount();
        console.Press(TerminalConsole.EnterKey);

        var lines = console.WaitForPrompt(prompts + 1);
        Assert.Equal(2, lines.Count(line => line == "first 6"));
    }

    [SkippableFact]
    public void CtrlCStopsTheRunningCommandAndTheConsoleGoesOn()
    {
        var console = Start();
        var prompts = console.Enter("'sleeping'; Start-Sleep -Seconds 600; 'not reached'");
        console.WaitFor("the command running", lines => lines[^1] == "sleeping");

        console.Press(TerminalConsole.CtrlC);

        var lines = console.WaitForPrompt(prompts + 1);
        Assert.DoesNotContain("not reached", lines);
        Assert.Equal([$"alive {console.RunnerPid}"], console.Run("\"alive $PID\""));
    }

    [SkippableFact]
    public void CtrlCAtThePromptDropsTheLineAndAnUnfinishedCommand()
    {
        var console = Start();
        var prompts = console.Enter("'unterminated");
        console.WaitFor("the continuation prompt", lines => lines[^1] == ">>");
        console.Type("'abandoned'");

        console.Press(TerminalConsole.CtrlC);

        var lines = console.WaitForPrompt(prompts + 1);
        Assert.Equal(">> 'abandoned'^C", lines[^2]);
        Assert.Equal(["kept"], console.Run("'kept'"));
        Assert.DoesNotContain(console.Lines(), line => line == "abandoned" || line.Contains("ParserError", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ALineLongerThanTheWindowWrapsAndEditsInPlace()
    {
        var console = Start();
        var text = new string('x', TerminalConsole.Width + 30);
        var prompts = console.PromptCount();

        console.Type($"'{text}'.Length + 15");
        console.Press(TerminalConsole.Left);
        console.Press(TerminalConsole.Backspace);
        console.Type("2");
        console.Press(TerminalConsole.EnterKey);

        var lines = console.WaitForPrompt(prompts + 1);
        var echo = lines.ToList().FindLastIndex(line => line.StartsWith(console.Prompt + " '", StringComparison.Ordinal));
        Assert.Equal($"{console.Prompt} '{text}'.Length + 25", lines[echo]);
        Assert.Equal((text.Length + 25).ToString(System.Globalization.CultureInfo.InvariantCulture), lines[echo + 1]);
    }

    [SkippableFact]
    public void ProgressShowsWhileACommandRunsAndIsGoneAfterIt()
    {
        var console = Start();
        var done = Path.Combine(_folder, "done");
        var prompts = console.Enter(
            $"$n = 0; while (-not (Test-Path '{done}')) {{ $n++; Write-Progress -Activity 'Copying release' -Status \"file $n\" -PercentComplete ($n % 100); Start-Sleep -Milliseconds 100 }}; 'copied'");

        console.WaitFor("the progress bar", lines => lines.Any(line => line.StartsWith("Copying release [", StringComparison.Ordinal) && line.Contains("file ", StringComparison.Ordinal)));
        File.WriteAllText(done, string.Empty);

        var lines = console.WaitForPrompt(prompts + 1);
        Assert.Equal("copied", lines[^2]);
        Assert.DoesNotContain(lines, line => line.StartsWith("Copying release", StringComparison.Ordinal));
    }

    private static string TargetOnCurrentLine(TerminalConsole console, string typed, string? not = null)
    {
        var prefix = $"{console.Prompt} {typed}";
        var lines = console.WaitFor(
            $"a target completed after '{typed}'",
            shown => shown[^1].StartsWith(prefix, StringComparison.Ordinal) && shown[^1].Length > prefix.Length && shown[^1][prefix.Length..] != not);
        return lines[^1][prefix.Length..];
    }

    private string Register(string name) =>
        $"Register-RollbackTarget -Name {name} -Kind Directory -Settings @{{ Path = '{_site}'; VersionFile = 'VERSION' }}";

    private TerminalConsole Start()
    {
        Skip.If(TerminalConsole.TmuxPath is null, "tmux is not installed (apt-get install tmux, as .ci/run does): these tests read the console from a real terminal.");
        _console = new TerminalConsole(_folder, new Dictionary<string, string>
        {
            ["HOME"] = _folder,
            ["ROLLBACK_STORE"] = Path.Combine(_folder, "store"),
        });
        _console.WaitFor("the banner and the first prompt", lines =>
            lines.Any(line => line.StartsWith("The Rollback module is imported", StringComparison.Ordinal)) && lines[^1] == _console.Prompt,
            TerminalConsole.StartPatience);
        return _console;
    }
}
