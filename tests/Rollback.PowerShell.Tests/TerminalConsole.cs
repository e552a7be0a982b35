using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Rollback.Testing;
using Xunit.Sdk;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The runner's interactive console in a real terminal, as a user has it: tmux runs the runner on a pseudo-terminal of
/// its own (120 x 40, its own server on a socket in a temp folder), keystrokes go in as the bytes a keyboard sends,
/// and the screen is read as tmux rendered it (capture-pane: text only, every VT sequence already applied).
/// </summary>
/// <remarks>
/// tmux rather than a bare pseudo-terminal (<c>script</c>, or openpty from the test): the runner asks the terminal
/// where its cursor is (ESC [6n) before it draws a line, and only a terminal emulator answers; unanswered, .NET waits
/// up to 10 s and then draws at column 0. A rendered screen is also what a user sees, where a byte stream is not
/// (a redraw of a long line reads the same in both only when the redraw is right). tmux is a Debian package, on this
/// machine's image and installed by .ci/run elsewhere; the tests skip, saying so, without it. The runner (the pane's
/// process, leader of its own process group) and the tmux server are killed by their PIDs on Dispose.
/// </remarks>
internal sealed class TerminalConsole : IDisposable
{
    public const int Width = 120;

    /// <summary>The first start of a runner on a loaded machine: loading the engine and the module.</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(120);

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static readonly byte[] EnterKey = [0x0d];
    public static readonly byte[] Tab = [0x09];
    public static readonly byte[] ShiftTab = [0x1b, (byte)'[', (byte)'Z'];
    public static readonly byte[] Up = [0x1b, (byte)'[', (byte)'A'];
    public static readonly byte[] Down = [0x1b, (byte)'[', (byte)'B'];
    public static readonly byte[] Left = [0x1b, (byte)'[', (byte)'D'];
    public static readonly byte[] Backspace = [0x7f];
    public static readonly byte[] CtrlC = [0x03];
    public static readonly byte[] CtrlU = [0x15];

    private const string Pane = "console";

    private readonly string _tmux;
    private readonly string _socket;
    private readonly string _folder;
    private readonly int _serverPid;

    /// <summary>Starts the runner with no arguments (an interactive console) in <paramref name="workingDirectory"/>.</summary>
    public TerminalConsole(string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        _tmux = TmuxPath ?? throw new InvalidOperationException("tmux is not installed.");
        _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "rollback-tty-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        _socket = Path.Combine(_folder, "tmux.sock");
        var configuration = Path.Combine(_folder, "tmux.conf");

        // The screen is the pane alone (no status line); a runner that dies leaves its last screen to read.
        File.WriteAllText(configuration, "set -g status off\nset -g remain-on-exit on\nset -g history-limit 5000\n");
        WorkingDirectory = workingDirectory;

        List<string> start = ["-f", configuration, "new-session", "-d", "-x", Width.ToString(CultureInfo.InvariantCulture), "-y", "40",
            "-s", Pane, "-c", workingDirectory, "--", "env", "-u", "CI", "-u", Rollback.Runner.RunnerSession.ModulePathVariable];
        start.AddRange(environment.Select(variable => $"{variable.Key}={variable.Value}"));
        start.Add(RunnerProcess.RunnerPath);
        Tmux(start);
        try
        {
            var pids = Tmux(["display-message", "-p", "-t", Pane, "#{pane_pid} #{pid}"]).Split(' ');
            RunnerPid = int.Parse(pids[0], CultureInfo.InvariantCulture);
            _serverPid = int.Parse(pids[1], CultureInfo.InvariantCulture);
        }
        catch
        {
            // No PIDs to kill by: this server, on this test's own socket, is told to stop.
            Tmux(["kill-server"]);
            throw;
        }
    }

    public static string? TmuxPath => LoopbackProcess.FindOnPath("tmux");

    /// <summary>The runner's PID (env execs it in the pane's process).</summary>
    public int RunnerPid { get; }

    public string WorkingDirectory { get; }

    /// <summary>What pwsh's default prompt shows in <see cref="WorkingDirectory"/>.</summary>
    public string Prompt => $"PS {WorkingDirectory}>";

    /// <summary>
    /// Every line the terminal shows and has scrolled away, wrapped rows joined, trailing blanks trimmed, blank rows
    /// below the last text left out (an empty screen is one empty line).
    /// </summary>
    public IReadOnlyList<string> Lines()
    {
        var lines = Tmux(["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", Pane])
            .Split('\n')
            .Select(line => line.TrimEnd())
            .Reverse().SkipWhile(line => line.Length == 0).Reverse()
            .ToList();
        return lines.Count == 0 ? [string.Empty] : lines;
    }

    public int PromptCount() => Lines().Count(line => line.StartsWith(Prompt, StringComparison.Ordinal));

    /// <summary>Types <paramref name="text"/> as a user does, one key per character.</summary>
    public void Type(string text) => Tmux(["send-keys", "-t", Pane, "-l", "--", text]);

    /// <summary>Sends the bytes a key sends (<see cref="Up"/>, <see cref="Tab"/>, <see cref="CtrlC"/>, ...).</summary>
    public void Press(byte[] key) =>
        Tmux(["send-keys", "-t", Pane, "-H", .. key.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))]);

    /// <summary>Waits until the screen shows what <paramref name="condition"/> accepts; fails with the screen otherwise.</summary>
    public IReadOnlyList<string> WaitFor(string what, Func<IReadOnlyList<string>, bool> condition, TimeSpan? patience = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var lines = Lines();
            if (condition(lines))
            {
                return lines;
            }

            if (watch.Elapsed > (patience ?? Patience))
            {
                throw new XunitException($"The terminal did not show {what} within {(patience ?? Patience).TotalSeconds} s. The screen:\n{string.Join('\n', lines)}");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Waits until the console is idle at its <paramref name="count"/>th prompt (an empty prompt line last).</summary>
    public IReadOnlyList<string> WaitForPrompt(int count, TimeSpan? patience = null) =>
        WaitFor(
            $"prompt number {count}",
            lines => lines.Count(line => line.StartsWith(Prompt, StringComparison.Ordinal)) >= count && lines[^1] == Prompt,
            patience);

    /// <summary>Types a line and presses Enter; returns how many prompts the screen showed before (for <see cref="WaitForPrompt"/>).</summary>
    public int Enter(string line)
    {
        var prompts = PromptCount();
        Type(line);
        Press(EnterKey);
        return prompts;
    }

    /// <summary>Types a line, presses Enter and returns what the console printed before its next prompt.</summary>
    public IReadOnlyList<string> Run(string line)
    {
        var lines = WaitForPrompt(Enter(line) + 1);
        var echo = lines.ToList().FindLastIndex(shown => shown == $"{Prompt} {line}");
        if (echo < 0)
        {
            throw new XunitException($"The terminal does not show the line typed ({line}). The screen:\n{string.Join('\n', lines)}");
        }

        return lines.Skip(echo + 1).Take(lines.Count - echo - 2).ToList();
    }

    public void Dispose()
    {
        // The runner's process group (with any job it started), then the tmux server: each by its PID.
        Kill($"-{RunnerPid}");
        Kill(_serverPid.ToString(CultureInfo.InvariantCulture));

        // Gone (reaped) before the caller deletes the folders the runner wrote to.
        var watch = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{RunnerPid}") && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(50);
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The server may still be closing its socket; the folder is in the temp folder.
        }
    }

    private static void Kill(string target)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-KILL", "--", target }, UseShellExecute = false, RedirectStandardError = true })!;
        kill.WaitForExit(10_000);
    }

    private string Tmux(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(_tmux)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-S");
        start.ArgumentList.Add(_socket);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The server takes the first client's environment for the pane; none of these belongs in a user's console.
        start.Environment.Remove("TMUX");
        start.Environment.Remove("CI");
        using var tmux = Process.Start(start)!;
        var output = tmux.StandardOutput.ReadToEndAsync();
        var error = tmux.StandardError.ReadToEndAsync();
        if (!tmux.WaitForExit(30_000))
        {
            tmux.Kill();
            throw new XunitException($"tmux {string.Join(' ', start.ArgumentList)} did not finish within 30 s.");
        }

        if (tmux.ExitCode != 0)
        {
            throw new XunitException($"tmux {string.Join(' ', start.ArgumentList)} failed ({tmux.ExitCode}): {error.Result}");
        }

        return output.Result.TrimEnd('\n');
    }
}
