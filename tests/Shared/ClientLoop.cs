using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;

namespace Rollback.Testing;

/// <summary>What the client loop saw between two instants.</summary>
public sealed record LoadWindow(TimeSpan Length, int Requests, int Failed, TimeSpan LongestGap, TimeSpan MedianLatency);

/// <summary>
/// One request at a time through a proxy, back to back (2 s timeout each), on a thread of its own, each one recorded:
/// what the traffic benchmark and the zero-failed-requests tests count while traffic moves. Linked source.
/// </summary>
public sealed class ClientLoop : IDisposable
{
    /// <summary>How long a window goes on after its action, so late failures count.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly ConcurrentQueue<(long Start, long End, bool Ok)> _log = new();
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
        return new LoadWindow(Stopwatch.GetElapsedTime(start, end), seen.Count, seen.Count(r => !r.Ok), gaps.Max(),
            latencies.Count == 0 ? TimeSpan.Zero : latencies[latencies.Count / 2]);
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
            bool ok;
            try
            {
                using var response = _http.GetAsync(_url, _stop.Token).GetAwaiter().GetResult();
                ok = response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                ok = false;
            }

            _log.Enqueue((start, Stopwatch.GetTimestamp(), ok));
        }
    }
}
