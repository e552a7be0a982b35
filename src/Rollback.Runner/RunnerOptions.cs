using System;
using System.Collections.Generic;
using System.Threading;

namespace Rollback.Runner;

/// <summary>What one run of the runner does: either <see cref="Command"/> or <see cref="File"/>, never both.</summary>
public sealed record RunnerOptions
{
    /// <summary>Script text run as a script block in the global scope, like <c>pwsh -Command</c>.</summary>
    public string? Command { get; init; }

    /// <summary>A script file run by path (relative to the working directory), so <c>$PSScriptRoot</c> works.</summary>
    public string? File { get; init; }

    /// <summary>The module manifest to import; null means <c>ROLLBACK_MODULE_PATH</c> or the copy beside the runner.</summary>
    public string? ModulePath { get; init; }

    /// <summary>Whether a person can answer prompts (confirmation, Read-Host, credentials) and watch progress.</summary>
    public bool Interactive { get; init; }

    /// <summary>Arguments for the script file; <c>-Name value</c> pairs bind by name as with <c>pwsh -File</c>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    /// <summary>Cancelling it stops the running pipeline, so the cmdlets' StopProcessing runs (Ctrl+C).</summary>
    public CancellationToken Cancellation { get; init; }
}
