using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;

namespace Rollback.Testing;

/// <summary>What the client loop saw between two instants; <see cref="Failures"/> says why each failed request failed.</summary>
/// <summary>
/// What the client loop saw between two instants: <see cref="Failed"/> requests had no good answer (even once sent again
/// after a reset connection, see <see cref="Retried"/>); <see cref="Failures"/> says why each failed.
/// </summary>
public sealed record LoadWindow(TimeSpan Length, int Requests, int Failed, TimeSpan LongestGap, TimeSpan MedianLatency, int Retried, IReadOnlyList<string> Failures)
{
    /// <summary>For an assertion's message: how many failed and why (the status or the exception, with when it ended), and how many were sent again.</summary>
    public string Describe() => $"{Failed} of {Requests} requests failed in {Length.TotalMilliseconds:0} ms ({Retried} sent again after a reset connection): {string.Join("; ", Failures.DefaultIfEmpty("none"))}";
}

/// <summary>
/// One request at a time through a proxy, back to back (2 s timeout each; sent once more when the connection is reset
/// before an answer, as HTTP clients do), on a thread of its own, each one recorded:
/// what the traffic benchmark and the zero-failed-requests tests count while traffic moves. Linked source.
/// </summary>
public sealed class ClientLoop : IDisposable
{
    /// <summary>How long a window goes on after its action, so late failures count.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private const string ResetPrefix = "connection reset before an answer: ";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ConcurrentQueue<(long Start, long End, bool Ok, bool Retried, string? Why)> _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly Uri _url;

    public ClientLoop(Uri url)
    {
        _url = url;
        _thread = new Thread(Loop) { IsBackground = true, Name = "client loop" };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="action"/> and reports the requests that ended from just before it until <see cref="Settle"/> after it.</summary>
    public LoadWindow Window(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        Thread.Sleep(Settle);
        var end = Stopwatch.GetTimestamp();
        var seen = _log.Where(r => r.End >= start && r.End <= end).OrderBy(r => r.End).ToList();
        var gaps = new List<TimeSpan>();
        var last = start;
        foreach (var request in seen.Where(r => r.Ok))
        {
            gaps.Add(Stopwatch.GetElapsedTime(last, request.End));
            last = request.End;
        }

        gaps.Add(Stopwatch.GetElapsedTime(last, end));
        var latencies = seen.Where(r => r.Ok).Select(r => Stopwatch.GetElapsedTime(r.Start, r.End)).OrderBy(l => l).ToList();
        var failures = seen.Where(r => !r.Ok)
            .Select(r => $"{r.Why} after {Stopwatch.GetElapsedTime(r.Start, r.End).TotalMilliseconds:0} ms, ending {Stopwatch.GetElapsedTime(start, r.End).TotalMilliseconds:0} ms into the window")
            .ToList();
        return new LoadWindow(Stopwatch.GetElapsedTime(start, end), seen.Count, failures.Count, gaps.Max(),
            latencies.Count == 0 ? TimeSpan.Zero : latencies[latencies.Count / 2], seen.Count(r => r.Retried), failures);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(5000);
        _http.Dispose();
        _stop.Dispose();
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var start = Stopwatch.GetTimestamp();
            var why = Send();
            var retried = why is not null && why.StartsWith(ResetPrefix, StringComparison.Ordinal);
            if (retried)
            {
                why = Send();
            }

            _log.Enqueue((start, Stopwatch.GetTimestamp(), why is null, retried, why));
        }
    }

    // One GET: null when it succeeded, else why not. A connection the server reset before answering is told apart, as the
    // one failure an HTTP client may retry on its own for an idempotent request (RFC 9110, 9.2.2): nginx's old workers
    // close their idle kept-alive connections when a reload retires them, and a request sent on one at that instant is
    // reset. Browsers and .NET's own handler (when it knows the connection was reused) send it again on a new connection.
    private string? Send()
    {
        try
        {
            using var response = _http.GetAsync(_url, _stop.Token).GetAwaiter().GetResult();
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException ex) when (ex.InnerException is System.IO.IOException)
        {
            return $"{ResetPrefix}{ex.InnerException.Message}";
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return ex is OperationCanceledException ? "timed out" : $"{ex.GetType().Name}: {ex.Message}";
        }
    }
}
