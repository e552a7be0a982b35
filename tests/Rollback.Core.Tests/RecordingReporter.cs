using System;
using System.Collections.Generic;
using Rollback.Engine;

namespace Rollback.Tests;

/// <summary>A reporter that keeps what it is told; <see cref="OnProgress"/> lets a test act at a given moment (Ctrl+C).</summary>
internal sealed class RecordingReporter : IRollbackReporter
{
    public List<ProgressUpdate> Progress { get; } = new();

    public List<string> Verbose { get; } = new();

    public List<string> Warnings { get; } = new();

    public Action<ProgressUpdate>? OnProgress { get; set; }

    /// <summary>Called with each verbose message as it comes (a step beginning: "Step 'X'.").</summary>
    public Action<string>? OnVerbose { get; set; }

    void IRollbackReporter.Progress(ProgressUpdate update)
    {
        Progress.Add(update);
        OnProgress?.Invoke(update);
    }

    void IRollbackReporter.Verbose(string message)
    {
        Verbose.Add(message);
        OnVerbose?.Invoke(message);
    }

    void IRollbackReporter.Warning(string message) => Warnings.Add(message);
}
