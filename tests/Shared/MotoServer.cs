using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Rollback.Testing;

/// <summary>
/// moto (a third-party AWS emulator, `moto_server`) on 127.0.0.1 with a free port, started once per test class or
/// collection, bounded: ready within 30 s or the tests skip with <see cref="SkipReason"/>. Shared by the engine and the
/// cmdlet tests (linked source; it uses no Rollback type).
/// </summary>
public sealed class MotoServer : IDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);

    private readonly Process? _process;
    private readonly StringBuilder _log = new();

    public MotoServer()
    {
        var binary = FindOnPath("moto_server");
        if (binary is null)
        {
            SkipReason = "moto is not installed (no 'moto_server' on PATH): pip install 'moto[server]', as .ci/run does.";
            return;
        }

        try
        {
            var port = FreePort();
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
            _process = Process.Start(start)!;
            _process.ErrorDataReceived += (_, e) => Log(e.Data);
            _process.OutputDataReceived += (_, e) => Log(e.Data);
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            SkipReason = WaitUntilReady();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            SkipReason = $"moto_server could not be started: {ex.Message}";
        }
    }

    /// <summary>Null when moto answers; else why the tests skip.</summary>
    public string? SkipReason { get; }

    public Uri Url { get; } = new("http://127.0.0.1:1/");

    public string ProcessLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

    private string? WaitUntilReady()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StartPatience)
        {
            if (_process!.HasExited)
            {
                return $"moto_server exited with code {_process.ExitCode}: {ProcessLog}";
            }

            try
            {
                using var response = http.GetAsync(new Uri(Url, "moto-api/")).GetAwaiter().GetResult();
                if ((int)response.StatusCode < 500)
                {
                    return null;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Threading.Tasks.TaskCanceledException)
            {
                // Not listening yet.
            }

            Thread.Sleep(200);
        }

        return $"moto_server did not answer within {StartPatience.TotalSeconds} s: {ProcessLog}";
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 32_000)
            {
                _log.AppendLine(line);
            }
        }
    }
}
