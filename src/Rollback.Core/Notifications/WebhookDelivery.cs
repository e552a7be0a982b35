using System;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Rollback.Providers;

namespace Rollback.Notifications;

/// <summary>
/// Posts one body to a webhook, retrying what may pass on a later try: no connection, a timed-out attempt, 408, 429 and
/// 5xx answers. Between tries it waits 1 s, 2 s, 4 s... (at most <see cref="MaxBackoff"/>), or what a 429's or 503's
/// Retry-After asks (at most <see cref="MaxRetryAfter"/>). Other answers (400, 403, 404: a wrong or revoked webhook) are
/// final at once. Every wait and every attempt's timeout runs on the given time. What it says never holds the address.
/// </summary>
internal static class WebhookDelivery
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    /// <summary>Delivers <paramref name="body"/>; the outcome says whether, after how many attempts, and why not.</summary>
    public static DeliveryOutcome Post(Uri webhook, string body, int maxAttempts, TimeSpan timeout, TimeProvider time, CancellationToken cancellation)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        string failure = string.Empty;
        for (var attempt = 1; ; attempt++)
        {
            var (delivered, retry, why, retryAfter) = Attempt(client, webhook, body, timeout, time, cancellation);
            if (delivered)
            {
                return new DeliveryOutcome(true, attempt, null);
            }

            failure = why;
            if (!retry || attempt >= maxAttempts)
            {
                return new DeliveryOutcome(false, attempt, failure);
            }

            var wait = retryAfter ?? Backoff(attempt);
            time.Wait(wait, cancellation);
        }
    }

    /// <summary>The wait after the <paramref name="attempt"/>th failure: 1 s, doubling, at most <see cref="MaxBackoff"/>.</summary>
    public static TimeSpan Backoff(int attempt)
    {
        var seconds = FirstBackoff.TotalSeconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        return seconds >= MaxBackoff.TotalSeconds ? MaxBackoff : TimeSpan.FromSeconds(seconds);
    }

    private static (bool Delivered, bool Retry, string Why, TimeSpan? RetryAfter) Attempt(HttpClient client, Uri webhook, string body, TimeSpan timeout, TimeProvider time, CancellationToken cancellation)
    {
        using var deadline = time.Deadline(timeout, cancellation);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).GetAwaiter().GetResult();
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return (true, false, string.Empty, null);
            }

            var retry = status is 408 or 429 || status >= 500;
            var why = $"the webhook answered HTTP {status.ToString(CultureInfo.InvariantCulture)} ({response.ReasonPhrase})";
            return (false, retry, why, retry ? RetryAfter(response, time) : null);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return (false, true, $"no answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s", null);
        }
        catch (HttpRequestException ex)
        {
            // Not ex.Message: some handlers put the address in it, and the address is the secret.
            var socket = FindSocketError(ex);
            return (false, true, socket is null ? "the connection failed" : $"the connection failed ({socket})", null);
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? asked = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        if (asked is not { } wait)
        {
            return null;
        }

        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    private static SocketError? FindSocketError(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }
}

/// <summary>How one delivery ended: delivered or not, after how many attempts, and why not (no address in it).</summary>
internal sealed record DeliveryOutcome(bool Delivered, int Attempts, string? Failure);
