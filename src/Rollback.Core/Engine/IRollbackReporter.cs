namespace Rollback.Engine;

/// <summary>
/// How the engine and providers talk to whoever runs them (a cmdlet's streams, a test, another host).
/// Always called on the thread that called the engine, which is what PowerShell's streams require.
/// </summary>
public interface IRollbackReporter
{
    void Progress(ProgressUpdate update);

    void Verbose(string message);

    void Warning(string message);
}

/// <summary>One progress record. A fixed <see cref="ActivityId"/> per kind of work; always closed with <see cref="Completed"/>.</summary>
public sealed class ProgressUpdate
{
    public int ActivityId { get; init; }

    /// <summary>The activity this one is a part of (a plan's member under the plan), or -1 for none.</summary>
    public int ParentActivityId { get; init; } = -1;

    public required string Activity { get; init; }

    public string Status { get; init; } = "Working";

    public string? CurrentOperation { get; init; }

    public int PercentComplete { get; init; } = -1;

    public bool Completed { get; init; }
}

/// <summary>A reporter that discards everything.</summary>
public sealed class NullReporter : IRollbackReporter
{
    public static NullReporter Instance { get; } = new();

    public void Progress(ProgressUpdate update)
    {
    }

    public void Verbose(string message)
    {
    }

    public void Warning(string message)
    {
    }
}
