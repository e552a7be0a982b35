using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.Testing;

/// <summary>A scripted answer the endpoint gives instead of forwarding (throttling, 500s, access denied...).</summary>
public sealed record ScriptedAnswer(int Status, string Body, string? Operation = null);

/// <summary>
/// A loopback HTTP endpoint in front of moto that checks every request's SigV4 signature with botocore (the AWS CLI's
/// signer, run as a python helper: an implementation independent of the SDK for .NET that signs the module's requests)
/// against the test credentials. A request that is unsigned or wrongly signed is answered 403
/// InvalidSignatureException and recorded in <see cref="SignatureFailures"/>, which every test asserts empty (or, for
/// the wrong-key test, not). Scripted answers stand in for the faults moto cannot produce. Every request's operation and
/// body and every response body are recorded for assertions (no GetSecretValue, no canary). With the service "s3" it
/// checks S3's signatures (botocore's S3 signer) and passes HEAD Object answers on with their headers.
/// </summary>
public sealed class AwsTestEndpoint : LoopbackHttpServer
{
    public const string AccessKey = "AKIDROLLBACKTEST0001";
    public const string SecretKey = "rollback/test/secret+key/0123456789abcdef";
    public const string Region = "us-east-1";

    /// <summary>A second test credential, for the tests that sign wrongly on purpose: their failures never mix with the others'.</summary>
    public const string OtherAccessKey = "AKIDROLLBACKTEST0002";
    public const string OtherSecretKey = "rollback/test/other+key/fedcba9876543210";

    /// <summary>The headers S3 answers HEAD Object with besides the x-amz-* ones.</summary>
    private static readonly HashSet<string> S3Headers = new(StringComparer.OrdinalIgnoreCase) { "ETag", "Accept-Ranges" };

    private static readonly HashSet<string> Hop = new(StringComparer.OrdinalIgnoreCase) { "Host", "Content-Length", "Content-Type", "Connection", "Expect", "Transfer-Encoding" };

    private readonly HttpClient _forward = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Process _verifier;
    private readonly object _verifierGate = new();
    private readonly ConcurrentQueue<ScriptedAnswer> _script = new();
    private readonly Uri _upstream;
    private readonly string _service;

    /// <summary>The verifier script's place: copied beside every test assembly that uses this endpoint.</summary>
    public static string VerifierScript => System.IO.Path.Combine(AppContext.BaseDirectory, "sigv4_verify.py");

    /// <summary>An endpoint for one service of a moto server, checked with the verifier beside the test assembly.</summary>
    public static AwsTestEndpoint ForMoto(Uri moto, string service) => new(moto, service, VerifierScript);

    public AwsTestEndpoint(Uri upstream, string service, string verifierScript)
    {
        _upstream = upstream;
        _service = service;
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(verifierScript);
        _verifier = Process.Start(start)!;
    }

    /// <summary>Every failed check, as "access key: why" ("unsigned: ..." without a signature).</summary>
    public ConcurrentQueue<string> SignatureFailures { get; } = new();

    /// <summary>Failures of requests signed with the main test key (or not signed at all): what every test asserts empty.</summary>
    public IReadOnlyList<string> FailuresOfMainKey => SignatureFailures.Where(f => !f.StartsWith(OtherAccessKey, StringComparison.Ordinal)).ToList();

    /// <summary>Every X-Amz-Target operation received, in order (after the signature check).</summary>
    public ConcurrentQueue<string> Operations { get; } = new();

    /// <summary>Every request and response body that passed through.</summary>
    public ConcurrentQueue<string> Traffic { get; } = new();

    /// <summary>
    /// A test-written part of the service for the operations moto lacks (AppConfig's environments and deployments):
    /// given the method, the path with its query and the body of a request whose signature passed, it answers, or
    /// returns null to let moto answer.
    /// </summary>
    public Func<string, string, byte[], ScriptedAnswer?>? Serve { get; set; }

    /// <summary>The next request (for that operation, or any) gets this answer instead of moto's.</summary>
    public void Enqueue(ScriptedAnswer answer) => _script.Enqueue(answer);

    public void ClearScript()
    {
        while (_script.TryDequeue(out _))
        {
        }
    }

    /// <summary>
    /// How far this endpoint's clock is from the machine's. It judges request times by its own clock (with
    /// <see cref="AllowedSkew"/>) and stamps every answer's Date header with it, as a real service whose clock is right
    /// does when the client's is wrong.
    /// </summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>
    /// Null (the default): request times are not checked. Set: a request signed further than this from the endpoint's
    /// clock is refused as AWS refuses it (403 InvalidSignatureException, "Signature expired" / "Signature not yet current").
    /// </summary>
    public TimeSpan? AllowedSkew { get; set; }

    /// <summary>Refuse every request as expired, whatever its time: a skew no correction can fix.</summary>
    public bool RefuseEveryTime { get; set; }

    /// <summary>The endpoint's clock.</summary>
    public DateTimeOffset Now => DateTimeOffset.UtcNow + ClockOffset;

    /// <summary>The X-Amz-Date of every request received, refused ones included, in order.</summary>
    public ConcurrentQueue<string> RequestDates { get; } = new();

    /// <summary>Every request refused for its time, as "X-Amz-Date: message".</summary>
    public ConcurrentQueue<string> TimeRefusals { get; } = new();

    public int Count(string operation) => Operations.Count(o => o.EndsWith("." + operation, StringComparison.Ordinal));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }

        try
        {
            _verifier.StandardInput.Close();
            if (!_verifier.WaitForExit(5_000))
            {
                _verifier.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _verifier.Dispose();
        _forward.Dispose();
    }

    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        var headers = HeadersOf(context.Request);
        Traffic.Enqueue(Encoding.UTF8.GetString(body));
        headers.TryGetValue("X-Amz-Date", out var amzDate);
        RequestDates.Enqueue(amzDate ?? string.Empty);

        var why = Verify(context.Request.HttpMethod, new Uri(Url, context.Request.RawUrl), headers, body);
        if (why is not null)
        {
            SignatureFailures.Enqueue(why);
            await RespondAsync(context, 403, "{\"__type\":\"InvalidSignatureException\",\"message\":\"" + JsonEncodedText.Encode(why) + "\"}").ConfigureAwait(false);
            return;
        }

        if (AllowedSkew is not null || RefuseEveryTime)
        {
            var window = AllowedSkew ?? TimeSpan.FromMinutes(5);
            var now = Now;
            var late = RefuseEveryTime ? SigV4Verifier.Expired(amzDate ?? string.Empty, now, window) : SigV4Verifier.TimeFault(amzDate ?? string.Empty, now, window);
            if (late is not null)
            {
                TimeRefusals.Enqueue($"{amzDate}: {late.Message}");
                await RespondAsync(context, 403, "{\"__type\":\"" + late.ErrorType + "\",\"message\":\"" + JsonEncodedText.Encode(late.Message) + "\"}").ConfigureAwait(false);
                return;
            }
        }

        // awsJson names the operation in X-Amz-Target, the Query protocol in the form's Action (recorded as "Query.Action");
        // S3's and restJson's requests are recorded as "METHOD /path?query".
        headers.TryGetValue("X-Amz-Target", out var target);
        target ??= QueryAction(headers, body);
        Operations.Enqueue(target ?? $"{context.Request.HttpMethod} {context.Request.RawUrl}");
        var operation = target is null ? context.Request.HttpMethod : target.Split('.').Last();
        if (_script.TryPeek(out var scripted) && (scripted.Operation is null || scripted.Operation == operation) && _script.TryDequeue(out scripted))
        {
            await RespondAsync(context, scripted.Status, scripted.Body).ConfigureAwait(false);
            return;
        }

        if (Serve?.Invoke(context.Request.HttpMethod, context.Request.RawUrl ?? "/", body) is { } served)
        {
            Traffic.Enqueue(served.Body);
            await RespondAsync(context, served.Status, served.Body).ConfigureAwait(false);
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), new Uri(_upstream, context.Request.RawUrl)) { Content = new ByteArrayContent(body) };
        foreach (var header in headers.Where(h => !Hop.Contains(h.Key)))
        {
            forward.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (headers.TryGetValue("Content-Type", out var contentType))
        {
            forward.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var answer = await _forward.SendAsync(forward).ConfigureAwait(false);
        var text = await answer.Content.ReadAsStringAsync().ConfigureAwait(false);
        Traffic.Enqueue(text);
        foreach (var header in answer.Headers.Where(h => h.Key.StartsWith("x-amz", StringComparison.OrdinalIgnoreCase) || S3Headers.Contains(h.Key)))
        {
            context.Response.Headers[header.Key] = header.Value.First();
        }

        if (answer.Content.Headers.LastModified is { } modified)
        {
            context.Response.Headers["Last-Modified"] = modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (context.Request.HttpMethod == "HEAD")
        {
            // A HEAD answer says how long the object is and carries no body.
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentLength64 = answer.Content.Headers.ContentLength ?? 0;
            context.Response.Close();
            return;
        }

        await RespondAsync(context, (int)answer.StatusCode, text).ConfigureAwait(false);
    }

    private static string? QueryAction(Dictionary<string, string> headers, byte[] body)
    {
        if (!headers.TryGetValue("Content-Type", out var type) || !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var action = Encoding.UTF8.GetString(body).Split('&').FirstOrDefault(p => p.StartsWith("Action=", StringComparison.Ordinal));
        return action is null ? null : "Query." + Uri.UnescapeDataString(action["Action=".Length..]);
    }

    private Task RespondAsync(HttpListenerContext context, int status, string body)
    {
        context.Response.Headers["Date"] = Now.UtcDateTime.ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["x-amzn-RequestId"] = "test-" + Guid.NewGuid().ToString("N");
        return RespondAsync(context, status, "application/x-amz-json-1.1", body);
    }

    private string? Verify(string method, Uri url, Dictionary<string, string> headers, byte[] body)
    {
        var line = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["method"] = method,
            ["url"] = url.ToString(),
            ["headers"] = headers,
            ["body"] = Convert.ToBase64String(body),
            ["keys"] = new Dictionary<string, string> { [AccessKey] = SecretKey, [OtherAccessKey] = OtherSecretKey },
            ["region"] = Region,
            ["service"] = _service,
        });
        string? answer;
        lock (_verifierGate)
        {
            _verifier.StandardInput.WriteLine(line);
            _verifier.StandardInput.Flush();
            answer = _verifier.StandardOutput.ReadLine();
        }

        if (answer is null)
        {
            return "the botocore verifier did not answer";
        }

        using var document = JsonDocument.Parse(answer);
        return document.RootElement.GetProperty("ok").GetBoolean() ? null : document.RootElement.GetProperty("why").GetString();
    }
}

/// <summary>A loopback port that accepts connections and never answers: an endpoint that hangs.</summary>
public sealed class SilentEndpoint : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = new();
    private readonly CancellationTokenSource _stop = new();

    public SilentEndpoint()
    {
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                    lock (_held)
                    {
                        _held.Add(socket);
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    public Uri Url { get; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_held)
        {
            foreach (var socket in _held)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }
}
