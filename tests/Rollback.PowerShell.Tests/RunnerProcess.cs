using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Rollback.PowerShell.Tests;

/// <summary>What a run of the runner printed and how it exited.</summary>
internal sealed record RunnerOutcome(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// The runner as users start it: its own process (src/Rollback.Runner's build output, with Modules/ beside it), output
/// and error captured, stopped by its PID when it outlives the test's patience. Colours are off (NO_COLOR, which pwsh
/// honours) so tests read plain text, and CI is unset unless a test sets it, so no run depends on where it runs.
/// </summary>
internal static class RunnerProcess
{
    private static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(120);

    public static string RunnerPath { get; } = Path.Combine(
        RollbackSession.RepoRoot, "src", "Rollback.Runner", "bin", BuildConfiguration, "net10.0",
        OperatingSystem.IsWindows() ? "rollback-runner.exe" : "rollback-runner");

    /// <summary>The configuration this test assembly was built in (its folder: bin/&lt;configuration&gt;/net10.0), which built the runner too.</summary>
    private static string BuildConfiguration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static RunnerOutcome Run(IEnumerable<string> arguments, string? input = null, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? patience = null) =>
        RunAsync(arguments, input, environment, patience, whileRunning: null).GetAwaiter().GetResult();

    /// <summary>Runs the runner; <paramref name="whileRunning"/> gets its PID while it runs (to send Ctrl+C).</summary>
    public static async Task<RunnerOutcome> RunAsync(
        IEnumerable<string> arguments,
        string? input,
        IReadOnlyDictionary<string, string?>? environment,
        TimeSpan? patience,
        Func<int, Task>? whileRunning)
    {
        if (!File.Exists(RunnerPath))
        {
            throw new InvalidOperationException($"The runner is not built at {RunnerPath}: dotnet build Rollback.Module.sln.");
        }

        var start = new ProcessStartInfo(SignalReset.Value ? "env" : RunnerPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (SignalReset.Value)
        {
            // env replaces itself with the runner (same PID), after putting SIGINT back to its default.
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(RunnerPath);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("CI");
        start.Environment.Remove(Rollback.Runner.RunnerSession.ModulePathVariable);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(patience ?? DefaultPatience);
        try
        {
            if (whileRunning is not null)
            {
                await whileRunning(process.Id);
            }

            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The runner (PID {process.Id}) did not finish within {patience ?? DefaultPatience}: is it waiting for input?\n{await output}\n{await error}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return new RunnerOutcome(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Whether the runner is started through coreutils' <c>env --default-signal=INT</c> (8.31 and later). A process
    /// started in the background by a non-interactive shell (<c>dotnet test … &amp;</c> in a script) has SIGINT
    /// ignored, every process it starts inherits that, and .NET leaves an inherited ignored SIGINT ignored: a runner
    /// started from such a test run could never see Ctrl+C. Users' runners get SIGINT as their shell gives it.
    /// </summary>
    private static readonly Lazy<bool> SignalReset = new(() =>
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo("env") { ArgumentList = { "--default-signal=INT", "true" }, UseShellExecute = false, RedirectStandardError = true })!;
            probe.WaitForExit();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    /// <summary>Sends what Ctrl+C sends a console process on Unix (SIGINT), by the process's own PID.</summary>
    public static void SendCtrlC(int processId)
    {
        if (IgnoresSigInt(processId))
        {
            throw new InvalidOperationException(
                $"The runner (PID {processId}) inherited SIGINT ignored from the process that started the tests (a background job of a non-interactive shell), and env --default-signal is not available to reset it: run the tests in the foreground.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", processId.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -INT {processId} failed with {kill.ExitCode}.");
        }
    }

    /// <summary>Reads the process's ignored-signal mask (Linux /proc): bit 1 is SIGINT (signal 2).</summary>
    private static bool IgnoresSigInt(int processId)
    {
        var status = $"/proc/{processId}/status";
        if (!File.Exists(status))
        {
            return false;
        }

        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
            {
                var mask = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return (mask & 0b10) != 0;
            }
        }

        return false;
    }
}
