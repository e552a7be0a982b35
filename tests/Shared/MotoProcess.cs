using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// moto (`moto_server`, a third-party AWS emulator shipped with the machine image) on 127.0.0.1 and a free port, for
/// the operations it implements. When it is not installed or does not start, <see cref="SkipReason"/> says why and the
/// tests that need it skip. Stopped (the process tree) on dispose.
/// </summary>
public sealed class MotoProcess : IDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(40);
    private readonly Process? _process;
    private readonly StringBuilder _log = new();

    public MotoProcess()
    {
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "moto_server"))
            .FirstOrDefault(File.Exists);
        if (binary is null)
        {
            SkipReason = "moto is not installed (no 'moto_server' on PATH): pip install 'moto[server]'.";
            return;
        }

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        Url = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, e) => Log(e.Data);
            _process.ErrorDataReceived += (_, e) => Log(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            SkipReason = WaitUntilReady();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            SkipReason = $"moto_server could not be started: {ex.Message}";
        }
    }

    /// <summary>Null when moto answers; else why the tests that need it skip.</summary>
    public string? SkipReason { get; }

    public Uri Url { get; } = new("http://127.0.0.1:1/");

    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    public void Dispose()
    {
        if (_process is null)
        {
            return;
        }

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

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 64_000)
            {
                _log.AppendLine(line);
            }
        }
    }

    private string? WaitUntilReady()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
            {
                return $"moto_server exited with code {_process.ExitCode}: {Log()}";
            }

            try
            {
                using var response = http.GetAsync(new Uri(Url, "moto-api/")).GetAwaiter().GetResult();
                if ((int)response.StatusCode < 500)
                {
                    return null;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            if (watch.Elapsed > StartPatience)
            {
                return $"moto_server did not answer within {StartPatience.TotalSeconds} s: {Log()}";
            }

            Thread.Sleep(200);
        }
    }
}
