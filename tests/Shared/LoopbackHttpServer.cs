using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// An HTTP server on 127.0.0.1 for tests (HttpListener on a free port, bound again on another when the port is taken
/// between asking and binding). It accepts requests until disposed and hands each, on its own task, to
/// <see cref="HandleAsync"/>; a handler that fails because the client gave up (a timeout under test) or the server is
/// stopping ends quietly. Dispose stops accepting, waits for the accept loop and cancels <see cref="Stopping"/>.
/// Requests arrive only once the constructor has returned <see cref="Url"/>, so a subclass's constructor finishes before
/// its handler runs. Linked source; it uses no Rollback type.
/// </summary>
public abstract class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private bool _disposed;

    // Answered by this class itself, never handed to HandleAsync: the request WarmUp sends.
    private const string WarmUpPath = "/.loopback-warm-up";

    private static readonly TimeSpan WarmUpPatience = TimeSpan.FromSeconds(30);

    protected LoopbackHttpServer()
    {
        Stopping = _stopping.Token;
        (_listener, Url) = Listen();
        _loop = Task.Run(AcceptAsync);
        WarmUp();
    }

    /// <summary>http://127.0.0.1:port/.</summary>
    public Uri Url { get; }

    /// <summary>Cancelled when the server is disposed.</summary>
    protected CancellationToken Stopping { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Answers one request (on its own task, so requests are answered side by side).</summary>
    protected abstract Task HandleAsync(HttpListenerContext context);

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || _disposed)
        {
            return;
        }

        _disposed = true;
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

    /// <summary>The request's headers by name, case-insensitive.</summary>
    protected static Dictionary<string, string> HeadersOf(HttpListenerRequest request) =>
        request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => request.Headers[k] ?? string.Empty, StringComparer.OrdinalIgnoreCase);

    /// <summary>The request's body as it came.</summary>
    protected async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer, Stopping).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>Answers with <paramref name="status"/> and <paramref name="body"/> (UTF-8) and closes the response; set other headers before.</summary>
    protected async Task RespondAsync(HttpListenerContext context, int status, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes, Stopping).ConfigureAwait(false);
        context.Response.Close();
    }

    private static (HttpListener Listener, Uri Url) Listen()
    {
        for (var attempt = 0; ; attempt++)
        {
            var url = Loopback.Url(Loopback.FreePort());
            var listener = new HttpListener();
            listener.Prefixes.Add(url.ToString());
            try
            {
                listener.Start();
                return (listener, url);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task AcceptAsync()
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

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    /// <summary>
    /// One request through the listener and an HttpClient before any test's: the first request of a process compiles
    /// both sides' code, which on a loaded 2-core CI machine took more than the 1 s a test gave its probe (a probe that
    /// should have seen a wrong version saw no answer at all). It also proves the listener answers.
    /// </summary>
    private void WarmUp()
    {
        using var client = new HttpClient { Timeout = WarmUpPatience };
        using var answer = client.GetAsync(new Uri(Url, WarmUpPath)).GetAwaiter().GetResult();
        answer.EnsureSuccessStatusCode();
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            if (context.Request.Url?.AbsolutePath == WarmUpPath)
            {
                await RespondAsync(context, 204, "text/plain", string.Empty).ConfigureAwait(false);
                return;
            }

            await HandleAsync(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpListenerException or IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The client gave up or the server is stopping.
        }
    }
}
