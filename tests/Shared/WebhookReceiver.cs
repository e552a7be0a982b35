using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>
/// A webhook receiver on 127.0.0.1 that keeps every request it gets (path, body, when) and answers as the test scripts
/// it: a queue of answers given in order (a status, a Retry-After, or no answer at all until the client gives up),
/// then 200 to everything. Linked source; it uses no Rollback type.
/// </summary>
public sealed class WebhookReceiver : LoopbackHttpServer
{
    private readonly object _gate = new();
    private readonly Queue<Answer> _script = new();
    private readonly List<Received> _received = new();

    /// <summary>Answers to give to the next requests, in order; after them, 200.</summary>
    public WebhookReceiver Then(params Answer[] answers)
    {
        lock (_gate)
        {
            foreach (var answer in answers)
            {
                _script.Enqueue(answer);
            }
        }

        return this;
    }

    /// <summary>Every request so far, in the order they came.</summary>
    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_gate)
            {
                return _received.ToList();
            }
        }
    }

    /// <summary>The bodies of the requests answered 2xx, parsed.</summary>
    public IReadOnlyList<JsonElement> Delivered => Requests.Where(r => r.Status is >= 200 and < 300).Select(r => r.Json).ToList();

    /// <summary>The address of a webhook on this receiver, with a path that stands for the secret part of a real one.</summary>
    public Uri Webhook(string secretPath = "services/T0001/B0001/s3cr3tT0k3n") => new(Url, secretPath);

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var body = Encoding.UTF8.GetString(await ReadBodyAsync(context.Request).ConfigureAwait(false));
        Answer answer;
        lock (_gate)
        {
            answer = _script.Count > 0 ? _script.Dequeue() : Answer.Ok;
            _received.Add(new Received(context.Request.Url?.AbsolutePath ?? string.Empty, context.Request.ContentType ?? string.Empty, body, DateTimeOffset.UtcNow, answer.Hang ? 0 : answer.Status));
        }

        if (answer.Hang)
        {
            // No answer: the client's timeout ends the attempt; the server's disposal ends this wait.
            await Task.Delay(Timeout.Infinite, Stopping).ConfigureAwait(false);
            return;
        }

        if (answer.RetryAfter is { } retryAfter)
        {
            context.Response.Headers["Retry-After"] = ((int)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        await RespondAsync(context, answer.Status, "text/plain", answer.Status < 300 ? "ok" : "no").ConfigureAwait(false);
    }

    /// <summary>How to answer one request.</summary>
    public sealed record Answer(int Status, TimeSpan? RetryAfter = null, bool Hang = false)
    {
        public static Answer Ok { get; } = new(200);

        public static Answer NoAnswer { get; } = new(0, Hang: true);
    }

    /// <summary>One request: its path, content type, body and arrival, and the status it was answered (0: not answered).</summary>
    public sealed record Received(string Path, string ContentType, string Body, DateTimeOffset At, int Status)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    }
}
