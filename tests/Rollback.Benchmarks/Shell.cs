using System;
using System.Diagnostics;

namespace Rollback.Benchmarks;

/// <summary>Runs a baseline command (sha256sum, cp, sync) and fails loudly when it does.</summary>
internal static class Shell
{
    public static void Run(string? workingDirectory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? string.Empty };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{program} {string.Join(" ", arguments)}' exited with {process.ExitCode}: {errors}");
        }
    }
}
