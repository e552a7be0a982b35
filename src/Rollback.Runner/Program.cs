using System;
using System.IO;
using System.Reflection;
using Microsoft.PowerShell;

namespace Rollback.Runner;

public static class Program
{
    /// <summary>The runner's version without the build's source revision (what follows '+').</summary>
    public static string InformationalVersion => ProductVersion(typeof(Program).Assembly).Split('+')[0];

    public static int Main(string[] args)
    {
        var inCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        var commandLine = RunnerCommandLine.Parse(args, inCi);
        if (commandLine.Error is not null)
        {
            Console.Error.WriteLine(commandLine.Error);
            Console.Error.WriteLine();
            Console.Error.WriteLine(RunnerCommandLine.Usage);
            return RunnerExitCode.UsageError;
        }

        RunnerSession.AddModulesFolderToModulePath();
        string? modulePath = null;
        if (!commandLine.IsServerMode)
        {
            modulePath = RunnerSession.ResolveModulePath(commandLine.ModulePath, out var named);
            if (!File.Exists(modulePath) && !Directory.Exists(modulePath))
            {
                if (named)
                {
                    Console.Error.WriteLine($"The module '{modulePath}' does not exist. Pass --module <path to Rollback.psd1> or set {RunnerSession.ModulePathVariable}.");
                    return RunnerExitCode.ScriptFailed;
                }

                // A bare runner (no module staged beside it) is still a pwsh; say so once.
                Console.Error.WriteLine($"WARNING: The Rollback module was not found at '{modulePath}'; running without it.");
                modulePath = null;
            }
        }

        // The line editor serves a console on a terminal; redirected input is read as pwsh reads it, line by line.
        var editLines = !commandLine.RunsScriptAndExits && !commandLine.IsServerMode && !Console.IsInputRedirected && !Console.IsOutputRedirected;
        var state = RunnerSession.Create(modulePath, watchOutput: commandLine.RunsScriptAndExits, editLines);

        // pwsh's console stops the running pipeline on Ctrl+C; the runner only notes that it happened, to exit 130.
        var interrupted = false;
        void OnCancel(object? sender, ConsoleCancelEventArgs e) => interrupted = true;
        Console.CancelKeyPress += OnCancel;
        int exitCode;
        try
        {
            exitCode = ConsoleShell.Start(state, Banner(modulePath is not null), RunnerCommandLine.Usage, [.. commandLine.PwshArguments]);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }

        return commandLine.RunsScriptAndExits
            ? RunnerExitCode.Compose(exitCode, RunObservation.Current.FailedRollbacks, RunObservation.Current.ErrorRecords, interrupted)
            : exitCode;
    }

    private static string Banner(bool moduleImported) =>
        $"Rollback runner {InformationalVersion} on PowerShell {ProductVersion(typeof(System.Management.Automation.PSObject).Assembly).Split(' ')[0]}" +
        (moduleImported ? Environment.NewLine + "The Rollback module is imported: Get-Command -Module Rollback, Get-Help about_Rollback." : string.Empty);

    // The informational version is the product's ("7.6.10 SHA: ..."); the assembly version is not (7.6.0.500).
    private static string ProductVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
}
