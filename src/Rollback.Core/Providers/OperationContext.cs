using System;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;

namespace Rollback.Providers;

/// <summary>
/// What every call of the provider contract gets, and what the engine, the watcher and the health probe work with:
/// the caller's cancellation (Ctrl+C reaches remote calls and waits), the reporter (progress, verbose, warning) and
/// the one time source, which also waits. A test hands it a fake time source, so retries, holds and patience take
/// no real time.
/// </summary>
public class OperationContext
{
    public OperationContext(IRollbackReporter reporter, TimeProvider time, CancellationToken cancellation)
    {
        Reporter = reporter;
        Time = time;
        Cancellation = cancellation;
    }

    /// <summary>No reporting, the system clock, no cancellation: for hosts and tests that need none of them.</summary>
    public static OperationContext None { get; } = new(NullReporter.Instance, TimeProvider.System, CancellationToken.None);

    public IRollbackReporter Reporter { get; }

    public TimeProvider Time { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>
    /// The hashes of files already read in this operation, reused for a file not touched since. The engine gives every
    /// context of one rollback the same one; any other context has its own, so nothing outlives an operation.
    /// </summary>
    public HashReuse Hashes { get; init; } = new();

    /// <summary>
    /// Listings of a point's tree that a check of this operation has made (readiness proving the point's tree), for a kind's
    /// check of the same tree (its modes and owners) to take instead of listing it again. Each operation has its own.
    /// </summary>
    public TreeListings Listings { get; init; } = new();

    /// <summary>
    /// Where the store keeps the secret values given as a SecureString or PSCredential (the engine sets it on every
    /// context it makes); a kind reads a secret setting with <see cref="Reveal"/>, never from this folder itself.
    /// </summary>
    public string SecretsDirectory { get; init; } = string.Empty;

    /// <summary>
    /// The value of a secret setting (a token, a password), read where its reference points (env:NAME, file:/path, or the
    /// store); SecretUnavailable when it is not there or not user-only. Use it for the call that needs it, never keep it.
    /// </summary>
    public string Reveal(Settings.SecretReference secret) => secret.Reveal(SecretsDirectory);

    /// <summary>Now, on the context's time.</summary>
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Waits <paramref name="delay"/> on the context's time; Ctrl+C ends the wait with OperationCanceledException.</summary>
    public void Wait(TimeSpan delay) => Time.Wait(delay, Cancellation);

    /// <summary>A time to measure from, on the context's time (see <see cref="ElapsedSince"/>).</summary>
    public long Timestamp() => Time.GetTimestamp();

    public TimeSpan ElapsedSince(long timestamp) => Time.GetElapsedTime(timestamp);

    /// <summary>The same reporter and time with another cancellation (a stop after Ctrl+C that has a time budget of its own).</summary>
    public OperationContext WithCancellation(CancellationToken cancellation) => new(Reporter, Time, cancellation) { Hashes = Hashes, SecretsDirectory = SecretsDirectory };

    /// <summary>The same time, hashes and cancellation with another reporter (work that runs beside the calling thread, see <see cref="Engine.DeferredReporter"/>).</summary>
    internal OperationContext WithReporter(IRollbackReporter reporter) => new(reporter, Time, Cancellation) { Hashes = Hashes, SecretsDirectory = SecretsDirectory };
}

/// <summary>Waiting on a <see cref="TimeProvider"/> from synchronous code (the engine runs on the caller's thread).</summary>
public static class TimeProviderWaits
{
    /// <summary>Blocks for <paramref name="delay"/> of <paramref name="time"/>'s time, or until cancelled (OperationCanceledException).</summary>
    public static void Wait(this TimeProvider time, TimeSpan delay, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        if (delay > TimeSpan.Zero)
        {
            time.Delay(delay, cancellation).GetAwaiter().GetResult();
        }
    }

    /// <summary>A token cancelled after <paramref name="delay"/> of <paramref name="time"/>'s time or when <paramref name="cancellation"/> is.</summary>
    public static CancellationTokenSource Deadline(this TimeProvider time, TimeSpan delay, CancellationToken cancellation)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var timer = time.CreateTimer(static state => Cancel((CancellationTokenSource)state!), linked, delay, Timeout.InfiniteTimeSpan);
        linked.Token.Register(static state => ((ITimer)state!).Dispose(), timer);
        return linked;
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The deadline's owner has finished and disposed it before the timer fired: nothing left to cancel.
        }
    }
}
