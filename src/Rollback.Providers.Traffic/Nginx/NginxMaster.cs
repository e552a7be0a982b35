using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Providers.Traffic.Nginx;

/// <summary>
/// The running nginx: its master process (the PID its pid file names), the workers it runs, and its graceful reload
/// (SIGHUP: the master reads the configuration again and starts new workers, and the old ones stop accepting, finish
/// the requests they have and exit). Linux: the workers are read from /proc.
/// </summary>
internal sealed class NginxMaster
{
    private const int SignalHangUp = 1;

    private NginxMaster(int processId, string pidFile)
    {
        ProcessId = processId;
        PidFile = pidFile;
    }

    public int ProcessId { get; }

    public string PidFile { get; }

    /// <summary>The master <paramref name="pidFile"/> names, running; NginxNotRunning (nothing changed) otherwise.</summary>
    public static NginxMaster Find(string pidFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(pidFile).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw NotRunning(pidFile, $"its pid file '{pidFile}' cannot be read ({ex.Message})");
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 1)
        {
            throw NotRunning(pidFile, $"its pid file '{pidFile}' holds no process id");
        }

        if (!ProcessLiveness.OtherRuns(pid))
        {
            throw NotRunning(pidFile, $"process {pid} named by '{pidFile}' does not run (a stale pid file)");
        }

        return new NginxMaster(pid, pidFile);
    }

    /// <summary>The configuration file the master was started with ('-c'), when its command line says; else null.</summary>
    public string? ConfigFile()
    {
        try
        {
            var words = File.ReadAllText($"/proc/{ProcessId.ToString(CultureInfo.InvariantCulture)}/cmdline").Split('\0');
            var at = Array.IndexOf(words, "-c");
            return at >= 0 && at + 1 < words.Length ? words[at + 1] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The master's child processes now (its workers, and cache processes).</summary>
    public HashSet<int> Children()
    {
        var children = new HashSet<int>();
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return children;
        }

        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
                if (fields.Length > 1 && fields[0] is not ("Z" or "X") && fields[1] == ProcessId.ToString(CultureInfo.InvariantCulture))
                {
                    children.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                // It ended while being read.
            }
        }

        return children;
    }

    /// <summary>
    /// Sends the reload signal and waits until a worker that did not run before has started (the new configuration
    /// serves new connections), then until the old workers have finished their requests and exited (their idle
    /// keep-alive connections would otherwise still be answered by the old configuration). Returns how it ended: the
    /// old workers still running after <paramref name="patience"/> are named, not a failure; no new worker by then is
    /// <see cref="ReloadOutcome.Started"/> false (nginx kept its running configuration).
    /// </summary>
    public ReloadOutcome Reload(TimeSpan patience, System.Threading.CancellationToken cancellation)
    {
        var before = Children();
        if (UnixMethods.kill(ProcessId, SignalHangUp) != 0)
        {
            throw NotRunning(PidFile, $"the reload signal to process {ProcessId} failed (errno {Marshal.GetLastWin32Error()})");
        }

        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return new ReloadOutcome(true, Array.Empty<int>());
        }

        // Real time, not the operation's clock: this waits for processes, which no virtual clock speeds up.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var isNew = false;
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var now = Children();
            isNew |= now.Any(pid => !before.Contains(pid));
            var old = now.Where(before.Contains).ToList();
            if (isNew && old.Count == 0)
            {
                return new ReloadOutcome(true, old);
            }

            if (started.Elapsed >= patience)
            {
                return new ReloadOutcome(isNew, old);
            }

            System.Threading.Thread.Sleep(20);
        }
    }

    private static RollbackException NotRunning(string pidFile, string why) =>
        new(TrafficErrorId.NginxNotRunning, RollbackErrorCategory.ResourceUnavailable,
            $"nginx does not run: {why}. Start nginx (or set PidFile to the pid file of the one that serves); nothing was changed.", pidFile);

    private static class UnixMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int kill(int pid, int signal);
    }
}

/// <summary>How a reload ended: whether new workers started, and the old workers still finishing their requests.</summary>
internal sealed record ReloadOutcome(bool Started, IReadOnlyList<int> OldWorkers);
