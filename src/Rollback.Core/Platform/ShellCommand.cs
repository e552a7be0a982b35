using System;
using System.Diagnostics;
using System.Threading;

namespace Rollback.Platform;

/// <summary>
/// A command template from a target's settings (a Validator such as 'nginx -t -c {0}', a ReloadCommand such as
/// 'systemctl reload app', a schema migration's RollbackCommand such as 'npm run migrate:rollback') run through the
/// platform's shell, with {0} standing for one file path. Shared by the kinds that run such templates.
/// </summary>
internal static class ShellCommand
{
    public const string PathPlaceholder = "{0}";

    /// <summary>
    /// The command line: every {0} replaced by <paramref name="path"/> quoted for the shell, every other character kept
    /// as written. Not string.Format: a literal brace ('awk "{print $1}"', a JSON argument) is part of a command, not
    /// a format error.
    /// </summary>
    public static string CommandLine(string template, string path) => template.Replace(PathPlaceholder, Quote(path));

    /// <summary>
    /// Runs <paramref name="commandLine"/> in <paramref name="workingDirectory"/> and waits for it, at most
    /// <paramref name="timeout"/>; Ctrl+C (<paramref name="cancellation"/>) kills it and throws. Its output is
    /// returned, never written anywhere: the caller decides where it may go.
    /// </summary>
    public static Outcome Run(string commandLine, string workingDirectory, TimeSpan timeout, CancellationToken cancellation)
    {
        using var process = Process.Start(StartInfo(commandLine, workingDirectory)) ?? throw new InvalidOperationException($"Cannot start '{commandLine}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (!process.WaitForExit(100))
        {
            if (cancellation.IsCancellationRequested || deadline.Elapsed >= timeout)
            {
                Kill(process);
                cancellation.ThrowIfCancellationRequested();
                return new Outcome(null, string.Empty);
            }
        }

        // The parameterless wait also waits for the output pipes to close, so the output is complete.
        process.WaitForExit();
        return new Outcome(process.ExitCode, (stderr.Result + stdout.Result).Trim());
    }

    /// <summary>
    /// How <paramref name="commandLine"/> is started through the platform's shell (/bin/sh -c, cmd.exe /d /c) in
    /// <paramref name="workingDirectory"/>, its output redirected: for a caller that adds environment variables or follows
    /// the process itself.
    /// </summary>
    public static ProcessStartInfo StartInfo(string commandLine, string workingDirectory)
    {
        var shell = NativeFileSystem.IsWindows
            ? new ProcessStartInfo("cmd.exe", "/d /c " + commandLine)
            : new ProcessStartInfo("/bin/sh", "-c " + QuoteArgument(commandLine));
        shell.UseShellExecute = false;
        shell.RedirectStandardOutput = true;
        shell.RedirectStandardError = true;
        shell.WorkingDirectory = workingDirectory;
        return shell;
    }

    /// <summary><paramref name="text"/> quoted as one word for the platform's shell.</summary>
    public static string Quote(string text) =>
        NativeFileSystem.IsWindows ? "\"" + text + "\"" : "'" + text.Replace("'", "'\\''") + "'";

    public static string Truncate(string text, int length) => text.Length <= length ? text : text.Substring(0, length) + "...";

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It ended between the wait and the kill.
        }
    }

    /// <summary>
    /// Quotes one argument by the rules .NET uses to split ProcessStartInfo.Arguments on every platform
    /// (netstandard2.0 has no ArgumentList): backslashes are literal except before a double quote.
    /// </summary>
    private static string QuoteArgument(string argument)
    {
        var quoted = new System.Text.StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            quoted.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes);
            backslashes = 0;
            quoted.Append(c);
        }

        return quoted.Append('\\', backslashes * 2).Append('"').ToString();
    }

    /// <summary>How a command ended: its exit code (null when it ran past its timeout and was killed) and its output.</summary>
    public sealed record Outcome(int? ExitCode, string Output);
}
