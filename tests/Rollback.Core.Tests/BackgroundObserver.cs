using System;
using System.Threading;

namespace Rollback.Tests;

/// <summary>
/// Runs a check over and over while a test switches something, so the test can prove that no observer ever saw a
/// half-done switch. It runs on a thread of its own and has made its first observation before the constructor returns:
/// on the thread pool of a busy test run it might start only after the switching is over, and prove nothing.
/// </summary>
internal sealed class BackgroundObserver : IDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);

    private readonly Thread _thread;
    private readonly ManualResetEventSlim _observed = new();
    private volatile bool _stopping;
    private int _observations;
    private Exception? _failure;

    public BackgroundObserver(Action observe)
    {
        _thread = new Thread(() => Loop(observe)) { IsBackground = true, Name = "test observer" };
        _thread.Start();
        if (!_observed.Wait(StartPatience))
        {
            Stop();
            throw new TimeoutException($"The observer made no observation within {StartPatience.TotalSeconds} s.");
        }
    }

    /// <summary>Stops the observer and returns how many observations it made; rethrows what the check threw.</summary>
    public int Stop()
    {
        _stopping = true;
        _thread.Join();
        if (_failure is not null)
        {
            throw new InvalidOperationException("The observer's check threw: " + _failure.Message, _failure);
        }

        return Volatile.Read(ref _observations);
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _observed.Dispose();
    }

    private void Loop(Action observe)
    {
        try
        {
            while (!_stopping)
            {
                observe();
                Interlocked.Increment(ref _observations);
                _observed.Set();
            }
        }
        catch (Exception ex)
        {
            // Unhandled on this thread it would end the test process: Stop rethrows it on the test's thread instead.
            _failure = ex;
            _observed.Set();
        }
    }
}
