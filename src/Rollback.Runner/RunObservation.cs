using System.Threading;

namespace Rollback.Runner;

/// <summary>What the runner saw pass through <c>Out-Default</c> during one run of a script or command.</summary>
/// <remarks>
/// One per process: the runner runs one script or command and exits, and the session's <c>Out-Default</c>
/// reaches this instance through <see cref="Current"/> (a session cannot hand an object to an ISS entry).
/// Counted with Interlocked because background runspaces may render through Out-Default too.
/// </remarks>
internal sealed class RunObservation
{
    private int _errorRecords;
    private int _failedRollbacks;

    internal static RunObservation Current { get; } = new();

    public int ErrorRecords => Volatile.Read(ref _errorRecords);

    public int FailedRollbacks => Volatile.Read(ref _failedRollbacks);

    internal void CountErrorRecord() => Interlocked.Increment(ref _errorRecords);

    internal void CountFailedRollback() => Interlocked.Increment(ref _failedRollbacks);
}
