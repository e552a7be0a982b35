using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// An external server a test class starts on 127.0.0.1 (moto, Prometheus): its standard output and error go to a log
/// bounded to <c>logLimit</c> characters, it is waited for within a bound, and on Dispose it is killed with everything
/// it started. The owner decides the port, the arguments and what "ready" means, and turns a failure into its
/// SkipReason. Linked source; it uses no Rollback type.
/// </summary>
public sealed class LoopbackProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly int _logLimit;

    /// <summary>
    /// Starts <paramref name="binary"/> with <paramref name="arguments"/>, keeping at most <paramref name="logLimit"/>
    /// characters of its output; <paramref name="name"/> is how messages name it ("moto_server", "Prometheus"). Throws
    /// what <see cref="Process.Start(ProcessStartInfo)"/> throws when it cannot start. <paramref name="environment"/> adds
    /// variables to the ones it inherits.
    /// </summary>
    public LoopbackProcess(string name, string binary, IEnumerable<string> arguments, int logLimit, IReadOnlyDictionary<string, string>? environment = null)
    {
        Name = name;
        _logLimit = logLimit;
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable.Key] = variable.Value;
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public string Name { get; }

    /// <summary>The PID of the process started (the one Dispose stops).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits at most <paramref name="patience"/> for the process to exit; whether it did.</summary>
    public bool WaitForExit(TimeSpan patience) => _process.WaitForExit(patience);

    /// <summary>What the process wrote so far (standard output and error interleaved), up to the bound.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The first file named <paramref name="name"/> in a folder of PATH; null when there is none.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Asks <paramref name="probe"/> every 200 ms until <paramref name="isReady"/> accepts an answer (null), the process
    /// exits, or <paramref name="patience"/> has passed (then why not, with the log).
    /// </summary>
    public string? WaitUntilReady(HttpClient http, Uri probe, Func<HttpResponseMessage, bool> isReady, TimeSpan patience)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                return $"{Name} exited with code {_process.ExitCode}: {Log}";
            }

            try
            {
                using var response = http.GetAsync(probe).GetAwaiter().GetResult();
                if (isReady(response))
                {
                    return null;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening or not answering yet.
            }

            if (watch.Elapsed > patience)
            {
                return $"{Name} did not become ready within {patience.TotalSeconds} s: {Log}";
            }

            Thread.Sleep(200);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < _logLimit)
            {
                _log.AppendLine(line);
            }
        }
    }
}
