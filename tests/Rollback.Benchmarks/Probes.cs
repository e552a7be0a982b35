using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Rollback.Engine;

namespace Rollback.Benchmarks;

/// <summary>
/// A reporter that timestamps the engine's phase changes (its Rollback progress records) and the completion
/// of each parallel file pass (verify, hash), so one real rollback can be split into phases without touching the engine.
/// </summary>
internal sealed class PhaseClock : IRollbackReporter
{
    public const string ArtifactsVerified = "artifacts verified";
    public const string TreeHashed = "tree hashed";
    public const string Finished = "finished";

    private readonly Stopwatch _watch = new();
    private readonly List<(string Name, TimeSpan At, TimeSpan Cpu)> _marks = new();
    private TimeSpan _cpuStart;

    /// <summary>
    /// The CPU time to take at each mark (the process's, less a reader thread's), so each phase also has the CPU time it
    /// used, which the machine's load does not stretch; none when null.
    /// </summary>
    public Func<TimeSpan>? Cpu { get; set; }

    public void Start()
    {
        _marks.Clear();
        _cpuStart = Cpu?.Invoke() ?? TimeSpan.Zero;
        _watch.Restart();
    }

    /// <summary>The CPU time used from <see cref="Start"/> to the mark at <paramref name="at"/> (to now when no mark was then).</summary>
    public TimeSpan CpuAt(TimeSpan at)
    {
        if (at == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        foreach (var (_, markAt, cpu) in _marks)
        {
            if (markAt == at)
            {
                return cpu - _cpuStart;
            }
        }

        return (Cpu?.Invoke() ?? TimeSpan.Zero) - _cpuStart;
    }

    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>When the first mark named <paramref name="name"/> at or after <paramref name="after"/> happened, or null.</summary>
    public TimeSpan? First(string name, TimeSpan after)
    {
        foreach (var (markName, at, _) in _marks)
        {
            if (markName == name && at >= after)
            {
                return at;
            }
        }

        return null;
    }

    /// <summary>The engine's phase marks are named by the percentage it reports (5 readiness, 20 safety capture, 50 restore, 90 verify).</summary>
    public static string Phase(int percent) => "phase " + percent.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Progress(ProgressUpdate update)
    {
        var at = _watch.Elapsed;
        TimeSpan Cpu() => this.Cpu?.Invoke() ?? TimeSpan.Zero;
        switch (update.ActivityId)
        {
            case ProgressActivity.Rollback:
                _marks.Add((update.Completed ? Finished : Phase(update.PercentComplete), at, Cpu()));
                break;
            case ProgressActivity.Verify when update.Completed:
                _marks.Add((ArtifactsVerified, at, Cpu()));
                break;
            case ProgressActivity.Capture when update.Completed:
                _marks.Add((TreeHashed, at, Cpu()));
                break;
            default:
                break;
        }
    }

    public void Verbose(string message)
    {
    }

    public void Warning(string message)
    {
    }
}

/// <summary>
/// What a client of the service sees: a thread that checks, in a tight loop, that a file of the live
/// release is there, and records the longest stretch in which it was not (from the last poll that saw it
/// to the next poll that saw it again), plus the poll resolution that bounds a zero.
/// </summary>
internal sealed class PresenceWatcher : IDisposable
{
    private readonly string _path;
    private readonly Thread _thread;
    private volatile bool _stop;
    private volatile string? _stat;

    public PresenceWatcher(string path)
    {
        _path = path;
        _thread = new Thread(Poll) { IsBackground = true, Name = "presence watcher" };
        _thread.Start();
    }

    public long Polls { get; private set; }

    /// <summary>The reader thread's own CPU time so far (so a measurement of the whole process can leave it out).</summary>
    public TimeSpan CpuTime => _stat is null ? TimeSpan.Zero : CpuClock.Read(_stat).Own;

    public long MissingPolls { get; private set; }

    public TimeSpan LongestGap { get; private set; }

    public TimeSpan LongestPollInterval { get; private set; }

    public void Dispose() => Stop();

    /// <summary>Stops polling; the figures are final afterwards.</summary>
    public void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    private void Poll()
    {
        _stat = CpuClock.ThreadStatFile();
        long lastPresent = 0;
        long previous = Stopwatch.GetTimestamp();
        long longestGap = 0;
        long longestInterval = 0;
        long polls = 0;
        long missing = 0;
        var inGap = false;
        while (!_stop)
        {
            var present = File.Exists(_path);
            var now = Stopwatch.GetTimestamp();
            polls++;
            longestInterval = Math.Max(longestInterval, now - previous);
            previous = now;
            if (present)
            {
                if (inGap && lastPresent != 0)
                {
                    longestGap = Math.Max(longestGap, now - lastPresent);
                }

                inGap = false;
                lastPresent = now;
            }
            else
            {
                missing++;
                inGap = true;
            }
        }

        if (inGap)
        {
            longestGap = Math.Max(longestGap, Stopwatch.GetTimestamp() - lastPresent);
        }

        Polls = polls;
        MissingPolls = missing;
        LongestGap = Stopwatch.GetElapsedTime(0, longestGap);
        LongestPollInterval = Stopwatch.GetElapsedTime(0, longestInterval);
    }
}

/// <summary>
/// CPU time from /proc (Linux): the process's own and that of its waited-for children (cp, sync), in clock ticks of
/// 10 ms. Unlike wall time it does not stretch when other work shares the machine, so it shows what a step costs.
/// </summary>
internal static class CpuClock
{
    private const double TickSeconds = 0.01;

    public static bool Available => File.Exists("/proc/self/stat");

    /// <summary>The stat file of the calling thread, or null where there is none.</summary>
    public static string? ThreadStatFile() =>
        Directory.Exists("/proc/thread-self") && new DirectoryInfo("/proc/thread-self").LinkTarget is { } task ? Path.Combine("/proc", task, "stat") : null;

    /// <summary>The process's CPU time (user + system) and its waited-for children's.</summary>
    public static (TimeSpan Own, TimeSpan Children) Process() => Available ? Read("/proc/self/stat") : (TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>
    /// As <see cref="Process"/>, to the microsecond (getrusage(2), Linux): for steps of tens of milliseconds, which ticks of
    /// 10 ms would round to 0, 10 or 20.
    /// </summary>
    public static (TimeSpan Own, TimeSpan Children) Precise()
    {
        // struct rusage on 64-bit Linux: ru_utime and ru_stime (each seconds then microseconds) and 14 counters, 18 longs.
        const int Self = 0, Children = -1;
        var self = new long[18];
        var children = new long[18];
        static TimeSpan Total(long[] usage) => TimeSpan.FromTicks(((usage[0] + usage[2]) * TimeSpan.TicksPerSecond) + ((usage[1] + usage[3]) * 10));
        return OperatingSystem.IsLinux() && getrusage(Self, self) == 0 && getrusage(Children, children) == 0 ? (Total(self), Total(children)) : Process();
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int getrusage(int who, long[] usage);

    public static (TimeSpan Own, TimeSpan Children) Read(string statFile)
    {
        // The command name (field 2) may hold spaces: the fields after it are counted from its closing parenthesis.
        var text = File.ReadAllText(statFile);
        var fields = text.Substring(text.LastIndexOf(')') + 2).Split(' ');
        static long At(string[] f, int field) => long.Parse(f[field - 3], System.Globalization.CultureInfo.InvariantCulture);
        return (TimeSpan.FromSeconds((At(fields, 14) + At(fields, 15)) * TickSeconds), TimeSpan.FromSeconds((At(fields, 16) + At(fields, 17)) * TickSeconds));
    }
}
