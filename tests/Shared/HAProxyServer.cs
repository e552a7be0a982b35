using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace Rollback.Testing;

/// <summary>
/// A real HAProxy (the Debian package's binary) on 127.0.0.1, started by one test in master-worker mode in the
/// foreground with its own configuration, pid file and admin stats socket (a Unix socket in a temp folder, and the same
/// runtime API on a TCP port) and stopped by the master's PID. One frontend on a free port sends every request to the
/// backend 'app', whose servers are the test's own HTTP servers (blue and green, each answering its version), checked by
/// HAProxy every 200 ms on /health. When HAProxy is not installed or does not start, <see cref="SkipReason"/> says why.
/// Linked source; it uses no Rollback type.
/// </summary>
public sealed class HAProxyServer : IDisposable
{
    public const string Backend = "app";
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly IReadOnlyList<HAProxyBackendServer> _servers;
    private LoopbackProcess? _process;

    public HAProxyServer(params HAProxyBackendServer[] servers)
    {
        _servers = servers;
        Root = Path.Combine(Path.GetTempPath(), "rollback-haproxy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        ConfigPath = Path.Combine(Root, "haproxy.cfg");
        SocketPath = Path.Combine(Root, "admin.sock");
        Port = Loopback.FreePort();
        RuntimePort = Loopback.FreePort();
        Url = Loopback.Url(Port);
        Binary = LoopbackProcess.FindOnPath("haproxy") ?? (File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : null);
        if (Binary is null)
        {
            SkipReason = "HAProxy is not installed (no 'haproxy' on PATH nor /usr/sbin/haproxy): apt-get install haproxy, as .ci/run does.";
            return;
        }

        File.WriteAllText(ConfigPath, Config());
        SkipReason = Start();
    }

    /// <summary>Why the tests that need HAProxy skip; null when it runs.</summary>
    public string? SkipReason { get; private set; }

    public string Root { get; }

    public string ConfigPath { get; }

    /// <summary>The runtime API as a Unix socket (level admin).</summary>
    public string SocketPath { get; }

    /// <summary>The same runtime API on 127.0.0.1 (level admin).</summary>
    public int RuntimePort { get; }

    public string RuntimeTcp => "127.0.0.1:" + RuntimePort;

    public int Port { get; }

    /// <summary>The frontend: every path goes to the backend.</summary>
    public Uri Url { get; }

    public Uri HealthUrl => new(Url, "health");

    public string? Binary { get; }

    /// <summary>The master's PID (the process this fixture started).</summary>
    public int? ProcessId => _process?.ProcessId;

    /// <summary>The whole configuration: global (pid file, both stats sockets), defaults, the frontend and the backend.</summary>
    public string Config() => $$"""
        global
            pidfile {{Path.Combine(Root, "haproxy.pid")}}
            stats socket {{SocketPath}} mode 600 level admin
            stats socket ipv4@127.0.0.1:{{RuntimePort}} level admin
        defaults
            mode http
            timeout connect 2s
            timeout client 30s
            timeout server 30s
            timeout check 5s
        frontend web
            bind 127.0.0.1:{{Port}}
            default_backend {{Backend}}
        backend {{Backend}}
            balance roundrobin
            option httpchk GET /health
        {{string.Join("\n", _servers.Select(s => $"    server {s.Name} 127.0.0.1:{s.Url.Port} check inter 200ms fall 3 rise 1 weight {s.Weight}{(s.Enabled ? string.Empty : " disabled")}"))}}

        """;

    /// <summary>Sends one runtime API command over the Unix socket, as socat does, and returns the answer.</summary>
    public string Runtime(string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
        socket.Send(Encoding.ASCII.GetBytes(command + "\n"));
        var answer = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = socket.Receive(buffer)) > 0)
        {
            answer.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }

    /// <summary>'deploy': what a blue-green deployment does by hand through the runtime API.</summary>
    public void SetServer(string server, string state, int? weight = null)
    {
        if (weight is int w)
        {
            Runtime($"set server {Backend}/{server} weight {w}");
        }

        Runtime($"set server {Backend}/{server} state {state}");
    }

    /// <summary>
    /// The configuration file edited as a person would: <paramref name="enable"/>'s server line loses 'disabled', and
    /// <paramref name="disable"/>'s gains it (when given). HAProxy reads it at its next reload or restart.
    /// </summary>
    public void EditConfig(string enable, string? disable)
    {
        var lines = File.ReadAllLines(ConfigPath).Select(line =>
            line.TrimStart().StartsWith($"server {enable} ", StringComparison.Ordinal) ? line.Replace(" disabled", string.Empty, StringComparison.Ordinal)
            : disable is not null && line.TrimStart().StartsWith($"server {disable} ", StringComparison.Ordinal) && !line.EndsWith(" disabled", StringComparison.Ordinal) ? line + " disabled"
            : line);
        File.WriteAllText(ConfigPath, string.Join("\n", lines) + "\n");
    }

    /// <summary>Waits until <paramref name="count"/> requests in a row answer <paramref name="version"/> only; false after <paramref name="patience"/>.</summary>
    public bool WaitForAnswers(string version, TimeSpan patience, int count = 5) => ProxyAnswers.WaitFor(_http, HealthUrl, version, patience, count);

    /// <summary>HAProxy's status of a server as 'show stat' reports it (UP, DOWN, MAINT, DRAIN...).</summary>
    public string Status(string server)
    {
        var lines = Runtime("show stat").Split('\n');
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var row = lines.Select(l => l.Split(',')).FirstOrDefault(r => r.Length > 1 && r[0] == Backend && r[1] == server);
        return row is null ? "(none)" : row[Array.IndexOf(header, "status")];
    }

    /// <summary>Waits until HAProxy reports <paramref name="server"/> with a status starting <paramref name="status"/> (its checks run every 200 ms).</summary>
    public bool WaitForStatus(string server, string status, TimeSpan patience)
    {
        var watch = Stopwatch.StartNew();
        while (!Status(server).StartsWith(status, StringComparison.Ordinal))
        {
            if (watch.Elapsed > patience)
            {
                return false;
            }

            Thread.Sleep(50);
        }

        return true;
    }

    /// <summary>What <paramref name="count"/> requests through the frontend answer, counted by version (or by failure).</summary>
    public Dictionary<string, int> Answers(int count) => ProxyAnswers.Count(_http, HealthUrl, count);

    /// <summary>The version one request through the frontend answers ('v2.3.1'), or what went wrong.</summary>
    public string Get() => ProxyAnswers.Get(_http, HealthUrl);

    /// <summary>HAProxy's own reload (SIGUSR2 to the master): a new worker reads the configuration file again.</summary>
    public void Reload()
    {
        Signal("USR2");
        WaitUntilServing();
    }

    /// <summary>A plain restart: the master stopped by its PID, then started again on the same ports.</summary>
    public void Restart()
    {
        _process?.Dispose();
        SkipReason = Start();
    }

    /// <summary>Stops HAProxy (its master, by the PID this fixture started, and the worker with it).</summary>
    public void Stop() => _process?.Dispose();

    public void Dispose()
    {
        _process?.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless; a failed test must not be hidden behind a cleanup error.
        }
    }

    private string? Start()
    {
        try
        {
            _process = new LoopbackProcess("haproxy", Binary!, new[] { "-W", "-db", "-f", ConfigPath }, logLimit: 16_000);
            return _process.WaitUntilReady(_http, HealthUrl, response => (int)response.StatusCode < 500, StartPatience)
                ?? (WaitForSocket() ? null : "HAProxy's stats socket did not appear: " + _process.Log);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"HAProxy could not be started: {ex.Message}";
        }
    }

    private bool WaitForSocket()
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StartPatience)
        {
            try
            {
                if (Runtime("show info").Contains("Name: HAProxy", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            Thread.Sleep(50);
        }

        return false;
    }

    private void WaitUntilServing()
    {
        Thread.Sleep(200);
        WaitForSocket();
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process!.ProcessId}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }
}

/// <summary>A server of the fixture's backend: its name, the test's HTTP server behind it, its weight, and whether it starts enabled.</summary>
public sealed record HAProxyBackendServer(string Name, Uri Url, int Weight = 100, bool Enabled = true);
