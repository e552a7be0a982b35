using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// A command run by the runner in its own process and killed with SIGKILL at a named crash point: the module's
/// test-only hook (ROLLBACK_TEST_PAUSE_AT, see src/Rollback.Core/Platform/CrashPoints.cs) makes the child announce
/// that it reached the point in a signal file and block there, so the kill lands at exactly that step. The child is
/// killed by its own PID whatever happens; waiting for the announcement is bounded, and ends early if the child exits.
/// </summary>
internal static class KilledProcess
{
    private const string PointVariable = "ROLLBACK_TEST_PAUSE_AT";
    private const string SignalVariable = "ROLLBACK_TEST_PAUSE_FILE";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>Runs <paramref name="command"/> in the runner, kills it with SIGKILL once it announces <paramref name="crashPoint"/>, and returns its PID.</summary>
    public static int RunAndKillAt(string command, string crashPoint, string workFolder)
    {
        var signal = Path.Combine(workFolder, "crash-signal-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(RunnerProcess.RunnerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in new[] { "--module", RollbackSession.ManifestPath, "--non-interactive", "--command", command })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment[PointVariable] = crashPoint;
        start.Environment[SignalVariable] = signal;
        start.Environment.Remove("CI");

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        try
        {
            var deadline = DateTime.UtcNow + Patience;
            while (!File.Exists(signal))
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException(
                        $"The runner (PID {process.Id}) {(process.HasExited ? $"exited with {process.ExitCode}" : "kept running")} without reaching the crash point '{crashPoint}'.\n{Text(output)}");
                }

                Thread.Sleep(20);
            }

            // SIGKILL: no finally block, no handler, no flush runs in the child, as with kill -9.
            process.Kill();
            process.WaitForExit();
            return process.Id;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
