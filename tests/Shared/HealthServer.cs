using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// A real HTTP server on 127.0.0.1 (HttpListener on a free port) whose answers the test switches while it runs:
/// healthy, unhealthy, wrong version, slow, failing then healthy, not JSON. Every request is recorded.
/// </summary>
public sealed class HealthServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<HealthRequest> _requests = new();
    private readonly Task _loop;
    private Func<HealthRequest, HealthAnswer> _handler;

    public HealthServer(Func<HealthRequest, HealthAnswer>? handler = null)
    {
        _handler = handler ?? (_ => HealthAnswer.Healthy("v1"));
        (_listener, BaseUri) = Listen();
        _loop = Task.Run(Serve);
        WarmUp();
    }

    public Uri BaseUri { get; }

    public IReadOnlyList<HealthRequest> Requests => _requests.ToList();

    public Uri Uri(string path = "health") => new(BaseUri, path);

    /// <summary>Answers every following request with <paramref name="handler"/>.</summary>
    public void Respond(Func<HealthRequest, HealthAnswer> handler) => Volatile.Write(ref _handler, handler);

    public void Respond(HealthAnswer answer) => Respond(_ => answer);

    /// <summary>An address on 127.0.0.1 where nothing listens: connecting is refused.</summary>
    public static Uri ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/health");
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener; how it ends does not matter to a test.
        }

        _stopping.Dispose();
    }

    private static (HttpListener Listener, Uri BaseUri) Listen()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = ClosedPort().Port;
            var prefix = $"http://127.0.0.1:{port}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(prefix);
            try
            {
                listener.Start();
                return (listener, new Uri(prefix));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>
    /// One request before the test's own, so the first-use cost of the server and client code paths (JIT, sockets) does
    /// not eat into the short timeouts the tests use. Not recorded.
    /// </summary>
    private void WarmUp()
    {
        var handler = _handler;
        _handler = _ => new HealthAnswer(204, string.Empty, "text/plain");
        using (var client = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            client.GetAsync(Uri("warm-up")).GetAwaiter().GetResult().Dispose();
        }

        _requests.Clear();
        _handler = handler;
    }

    private async Task Serve()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => Answer(context));
        }
    }

    private async Task Answer(HttpListenerContext context)
    {
        try
        {
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync().ConfigureAwait(false);
            }

            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k] ?? string.Empty, StringComparer.OrdinalIgnoreCase);
            var request = new HealthRequest(context.Request.HttpMethod, context.Request.Url?.AbsolutePath ?? "/", headers, body);
            _requests.Enqueue(request);
            var answer = Volatile.Read(ref _handler)(request);
            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay, _stopping.Token).ConfigureAwait(false);
            }

            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = answer.ContentType;
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes, _stopping.Token).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The client gave up (a timeout under test) or the server is stopping.
        }
    }
}

/// <summary>What the server received.</summary>
public sealed record HealthRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>What the server answers.</summary>
public sealed record HealthAnswer(int Status, string Body, string ContentType = "application/json", TimeSpan Delay = default)
{
    /// <summary>Seed 002's shape: {"status":"healthy","version":"v2.3.1","database":"connected"}.</summary>
    public static HealthAnswer Healthy(string version) =>
        new(200, $$"""{"status":"healthy","version":"{{version}}","database":"connected"}""");

    public static HealthAnswer Unavailable() => new(503, """{"status":"unhealthy"}""");

    /// <summary>Seed 000's ASP.NET Core shape with the named checks given.</summary>
    public static HealthAnswer AspNetCore(string status, params (string Name, string Status)[] checks) =>
        new(status == "Unhealthy" ? 503 : 200,
            "{\"status\":\"" + status + "\",\"checks\":{" + string.Join(",", checks.Select(c => $"\"{c.Name}\":\"{c.Status}\"")) + "}}");
}
