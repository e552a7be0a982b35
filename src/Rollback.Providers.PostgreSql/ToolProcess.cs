using System;
using System.Diagnostics;
using System.Text;
using System.Threading;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// Runs one external tool (pg_dump, pg_restore, a migrations bundle, a migration command through the shell) and follows
/// it with the shared RemoteOperationFollower: progress while it runs, and Ctrl+C kills its whole process tree (a shell's
/// children, a bundle's workers), then throws OperationCanceledException. Its output stays in memory (at most 64 000
/// characters): the caller decides what of it may be shown, and masks secrets first.
/// </summary>
internal static class ToolProcess
{
    private const int OutputLimit = 64_000;

    /// <summary>
    /// Starts <paramref name="start"/> (output redirected) and waits for it, followed as <paramref name="activity"/>; a run
    /// longer than <paramref name="patience"/> (a day when absent) is killed and reported as not succeeded.
    /// </summary>
    public static ToolRun Run(ProcessStartInfo start, string name, string activity, int progressId, OperationContext context, Action<int>? started = null, TimeSpan? patience = null)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {name}.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        started?.Invoke(process.Id);
        var follow = RemoteOperationFollower.Follow(new RemoteOperation
        {
            Name = $"{name} (process {process.Id})",
            Activity = activity,
            InitialStatus = "Started",
            PollInterval = TimeSpan.Zero,
            Patience = patience ?? TimeSpan.FromDays(1),
            ProgressActivityId = progressId,
            Read = cancellation =>
            {
                // Waits a little for the tool to end, so a short run ends at once and a long one reports every quarter second.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                wait.CancelAfter(TimeSpan.FromMilliseconds(250));
                try
                {
                    process.WaitForExitAsync(wait.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    return new RemoteOperationState { Status = "Running", Outcome = RemoteOutcome.Running };
                }

                process.WaitForExit();
                return new RemoteOperationState
                {
                    Status = process.ExitCode == 0 ? "Finished" : $"Failed with exit code {process.ExitCode}",
                    Outcome = process.ExitCode == 0 ? RemoteOutcome.Succeeded : RemoteOutcome.Failed,
                };
            },
            Stop = _ =>
            {
                Kill(process);
                return $"{name} (process {process.Id}) was stopped";
            },
        }, context);
        switch (follow.Ending)
        {
            case FollowEnding.Succeeded:
                return new ToolRun(true, follow.LastStatus, 0, Text(output));
            case FollowEnding.Cancelled:
                Kill(process);
                throw follow.Cancellation ?? new OperationCanceledException(context.Cancellation);
            default:
                var ranOut = follow.Ending == FollowEnding.OutOfPatience;
                Kill(process);
                return new ToolRun(false, ranOut ? $"still running after {patience ?? TimeSpan.FromDays(1)}, stopped" : follow.LastStatus, ranOut ? null : process.ExitCode, Text(output));
        }
    }

    /// <summary>The last <paramref name="length"/> characters of <paramref name="text"/>, where a tool says why it failed.</summary>
    public static string Tail(string text, int length) => text.Length > length ? string.Concat("...", text.AsSpan(text.Length - length)) : text;

    /// <summary>Kills the process and everything it started (a shell's children too), and waits for it to go.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
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
            if (output.Length < OutputLimit)
            {
                output.AppendLine(line);
            }
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

/// <summary>How a tool run ended: succeeded or not, the follower's last status ("Failed with exit code 3"), its exit code, what it wrote.</summary>
internal sealed record ToolRun(bool Succeeded, string Status, int? ExitCode, string Output);
