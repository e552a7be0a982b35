using System;
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
    private readonly LoopbackProcess? _process;

    /// <summary>Starts nginx serving <paramref name="body"/> from <see cref="ConfigPath"/>.</summary>
    public NginxServer(string body)
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

        File.WriteAllText(ConfigPath, Config(body));
        try
        {
            _process = new LoopbackProcess("nginx", Binary, new[] { "-p", Root, "-e", ErrorLog, "-c", ConfigPath }, logLimit: 16_000);
            SkipReason = _process.WaitUntilReady(_http, Url, response => response.IsSuccessStatusCode, StartPatience);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            SkipReason = $"nginx could not be started: {ex.Message}";
        }
    }

    /// <summary>Why the tests that need nginx skip; null when it runs.</summary>
    public string? SkipReason { get; }

    /// <summary>The temp folder holding the prefix, the configuration, the pid file and the logs.</summary>
    public string Root { get; }

    /// <summary>The configuration file the master was started with (and re-reads on reload).</summary>
    public string ConfigPath { get; }

    public int Port { get; }

    public Uri Url { get; }

    public string? Binary { get; }

    /// <summary>A ReloadCommand for this server: nginx's own 'reload' signal, {0} the configuration file.</summary>
    public string ReloadCommand => $"'{Binary}' -p '{Root}' -e '{ErrorLog}' -c {{0}} -s reload";

    /// <summary>A Validator for this server: 'nginx -t' of the candidate file.</summary>
    public string TestCommand => $"'{Binary}' -t -q -p '{Root}' -e '{ErrorLog}' -c {{0}}";

    private string ErrorLog => Path.Combine(Root, "error.log");

    /// <summary>A whole configuration for this server that answers every request with <paramref name="body"/>.</summary>
    public string Config(string body) => $$"""
        daemon off;
        worker_processes 1;
        pid {{Path.Combine(Root, "nginx.pid")}};
        error_log {{ErrorLog}};
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path {{Path.Combine(Root, "body")}};
            proxy_temp_path {{Path.Combine(Root, "proxy")}};
            fastcgi_temp_path {{Path.Combine(Root, "fastcgi")}};
            uwsgi_temp_path {{Path.Combine(Root, "uwsgi")}};
            scgi_temp_path {{Path.Combine(Root, "scgi")}};
            server {
                listen 127.0.0.1:{{Port}};
                location / { default_type text/plain; return 200 "{{body}}"; }
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

    /// <summary>Stops nginx (its master, by the PID this test started, and the workers with it).</summary>
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
}
