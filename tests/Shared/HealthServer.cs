using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// A real HTTP server on 127.0.0.1 (HttpListener on a free port) whose answers the test switches while it runs:
/// healthy, unhealthy, wrong version, slow, failing then healthy, not JSON. Every request is recorded.
/// </summary>
public sealed class HealthServer : LoopbackHttpServer
{
    private readonly ConcurrentQueue<HealthRequest> _requests = new();
    private Func<HealthRequest, HealthAnswer> _handler;

    public HealthServer(Func<HealthRequest, HealthAnswer>? handler = null)
    {
        _handler = handler ?? (_ => HealthAnswer.Healthy("v1"));
        WarmUp();
    }

    public Uri BaseUri => Url;

    public IReadOnlyList<HealthRequest> Requests => _requests.ToList();

    public Uri Uri(string path = "health") => new(BaseUri, path);

    /// <summary>Answers every following request with <paramref name="handler"/>.</summary>
    public void Respond(Func<HealthRequest, HealthAnswer> handler) => Volatile.Write(ref _handler, handler);

    public void Respond(HealthAnswer answer) => Respond(_ => answer);

    /// <summary>An address on 127.0.0.1 where nothing listens: connecting is refused.</summary>
    public static Uri ClosedPort() => new(Loopback.Url(Loopback.ClosedPort()), "health");

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync().ConfigureAwait(false);
        }

        var request = new HealthRequest(context.Request.HttpMethod, context.Request.Url?.AbsolutePath ?? "/", HeadersOf(context.Request), body);
        _requests.Enqueue(request);
        var answer = Volatile.Read(ref _handler)(request);
        if (answer.Delay > TimeSpan.Zero)
        {
            await Task.Delay(answer.Delay, Stopping).ConfigureAwait(false);
        }

        await RespondAsync(context, answer.Status, answer.ContentType, answer.Body).ConfigureAwait(false);
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
