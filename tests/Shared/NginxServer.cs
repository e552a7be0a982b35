using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// A real nginx (the Debian package's binary) on 127.0.0.1, started by one test with its own prefix, configuration, pid
/// file, logs and temp folders in a temp folder, and stopped by its master's PID when the test ends. It runs in the
/// foreground (daemon off), so the process the test started is the master that reloads. The configuration answers
/// every request with one body, so what nginx answers says which configuration it runs. When nginx is not installed
/// or does not start, <see cref="SkipReason"/> says why. Linked source; it uses no Rollback type.
/// </summary>
public sealed class NginxServer : IDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Func<HttpResponseMessage, bool> _isReady = response => response.IsSuccessStatusCode;
    private LoopbackProcess? _process;

    /// <summary>Starts nginx serving <paramref name="body"/> from <see cref="ConfigPath"/>.</summary>
    public NginxServer(string body)
        : this(server => server.Config(body), response => response.IsSuccessStatusCode)
    {
    }

    /// <summary>
    /// Starts nginx with the configuration <paramref name="configuration"/> writes for it (it may use <see cref="Port"/>
    /// and <see cref="Root"/>), ready once a request answers as <paramref name="isReady"/> wants.
    /// </summary>
    public NginxServer(Func<NginxServer, string> configuration, Func<HttpResponseMessage, bool> isReady)
    {
        Root = Path.Combine(Path.GetTempPath(), "rollback-nginx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "conf"));
        ConfigPath = Path.Combine(Root, "conf", "nginx.conf");
        Port = Loopback.FreePort();
        Url = Loopback.Url(Port);
        Binary = LoopbackProcess.FindOnPath("nginx") ?? (File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : null);
        if (Binary is null)
        {
            SkipReason = "nginx is not installed (no 'nginx' on PATH nor /usr/sbin/nginx): apt-get install nginx-light, as .ci/run does.";
            return;
        }

        File.WriteAllText(ConfigPath, configuration(this));
        _isReady = isReady;
        SkipReason = Start();
    }

    /// <summary>
    /// nginx as a proxy in front of blue and green: an upstream 'app' with both (green down, so blue takes every
    /// request) and the upstreams 'app_blue' and 'app_green' with one each; the server sends every request to
    /// <paramref name="proxyPass"/> ('app', or 'app_blue' for a proxy_pass switch).
    /// </summary>
    public static NginxServer Proxy(Uri blue, Uri green, string proxyPass = "app") =>
        new(server => server.ProxyConfig(blue, green, proxyPass), response => (int)response.StatusCode < 500);

    /// <summary>Why the tests that need nginx skip; null when it runs.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>The temp folder holding the prefix, the configuration, the pid file and the logs.</summary>
    public string Root { get; }

    /// <summary>The configuration file the master was started with (and re-reads on reload).</summary>
    public string ConfigPath { get; }

    public int Port { get; }

    public Uri Url { get; }

    public string? Binary { get; }

    /// <summary>The master's PID (the process this fixture started), and its pid file.</summary>
    public int? ProcessId => _process?.ProcessId;

    public string PidPath => Path.Combine(Root, "nginx.pid");

    /// <summary>Where the proxy configuration's health requests go through nginx.</summary>
    public Uri HealthUrl => new(Url, "health");

    /// <summary>A ReloadCommand for this server: nginx's own 'reload' signal, {0} the configuration file.</summary>
    public string ReloadCommand => $"'{Binary}' -p '{Root}' -e '{ErrorLog}' -c {{0}} -s reload";

    /// <summary>A Validator for this server: 'nginx -t' of the candidate file.</summary>
    public string TestCommand => $"'{Binary}' -t -q -p '{Root}' -e '{ErrorLog}' -c {{0}}";

    private string ErrorLog => Path.Combine(Root, "error.log");

    // What every configuration of this fixture starts with: its own pid file, logs and temp folders, and 'http {'.
    private string Head => $$"""
        pid {{PidPath}};
        error_log {{ErrorLog}};
        events { worker_connections 256; }
        http {
            access_log off;
            client_body_temp_path {{Path.Combine(Root, "body")}};
            proxy_temp_path {{Path.Combine(Root, "proxy")}};
            fastcgi_temp_path {{Path.Combine(Root, "fastcgi")}};
            uwsgi_temp_path {{Path.Combine(Root, "uwsgi")}};
            scgi_temp_path {{Path.Combine(Root, "scgi")}};
        """;

    /// <summary>A whole configuration for this server that answers every request with <paramref name="body"/>.</summary>
    public string Config(string body) => $$"""
        daemon off;
        worker_processes 1;
        {{Head}}
            server {
                listen 127.0.0.1:{{Port}};
                location / { default_type text/plain; return 200 "{{body}}"; }
            }
        }
        """;

    /// <summary>The proxy configuration of <see cref="Proxy"/>.</summary>
    public string ProxyConfig(Uri blue, Uri green, string proxyPass) => $$"""
        daemon off;
        worker_processes 1;
        {{Head}}
            upstream app {
                server 127.0.0.1:{{blue.Port}} weight=1;
                server 127.0.0.1:{{green.Port}} weight=1 down;  # green: the next release
            }
            upstream app_blue { server 127.0.0.1:{{blue.Port}}; }
            upstream app_green { server 127.0.0.1:{{green.Port}}; }
            server {
                listen 127.0.0.1:{{Port}};
                location / { proxy_pass http://{{proxyPass}}; proxy_set_header Host $http_host; proxy_next_upstream off; }
            }
        }

        """;

    /// <summary>What a deployment tool does: write a configuration and send nginx's reload signal (which a broken one fails).</summary>
    public void Deploy(string configuration)
    {
        File.WriteAllText(ConfigPath, configuration);
        var reload = new ProcessStartInfo(Binary!) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", Root, "-e", ErrorLog, "-c", ConfigPath, "-s", "reload" })
        {
            reload.ArgumentList.Add(argument);
        }

        using var process = Process.Start(reload)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
    }

    /// <summary>What nginx answers now (the body, or why there is none).</summary>
    public string Get()
    {
        try
        {
            return _http.GetStringAsync(Url).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return "(no answer: " + ex.Message + ")";
        }
    }

    /// <summary>
    /// Asks until nginx answers <paramref name="expected"/> or <paramref name="patience"/> has passed, and returns the
    /// last answer. A reload is asynchronous (new workers start, old ones finish their requests), so the answer right
    /// after the signal may still come from the old configuration.
    /// </summary>
    public string WaitForBody(string expected, TimeSpan patience)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var body = Get();
            if (body == expected || watch.Elapsed > patience)
            {
                return body;
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>What <paramref name="count"/> requests to <see cref="HealthUrl"/> answer, counted by version (or by failure).</summary>
    public Dictionary<string, int> Answers(int count) => ProxyAnswers.Count(_http, HealthUrl, count);

    /// <summary>Waits until requests to <see cref="HealthUrl"/> answer <paramref name="version"/> only; false after <paramref name="patience"/>.</summary>
    public bool WaitForAnswers(string version, TimeSpan patience) => ProxyAnswers.WaitFor(_http, HealthUrl, version, patience);

    /// <summary>nginx's graceful reload, as 'nginx -s reload' sends it: SIGHUP to the master this fixture started.</summary>
    public void Reload()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-HUP {_process!.ProcessId}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>A plain restart: the master stopped by its PID, then started again on the same port with the file as it is.</summary>
    public void Restart()
    {
        _process?.Dispose();
        SkipReason = Start();
    }

    /// <summary>Stops nginx (its master, by the PID this test started, and the workers with it).</summary>
    public void Stop() => _process?.Dispose();

    private string? Start()
    {
        try
        {
            _process = new LoopbackProcess("nginx", Binary!, new[] { "-p", Root, "-e", ErrorLog, "-c", ConfigPath }, logLimit: 16_000);
            return _process.WaitUntilReady(_http, Url, _isReady, StartPatience);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"nginx could not be started: {ex.Message}";
        }
    }

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
}
