using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.PowerShell;

namespace Rollback.Runner;

/// <summary>Runs one script or command with the Rollback module imported and returns the process exit code.</summary>
public static partial class ScriptRunner
{
    public const int Success = 0;

    /// <summary>A terminating error escaped the script, or it wrote errors and did not say <c>exit</c>.</summary>
    public const int ScriptFailed = 1;

    /// <summary>The script completed but a rollback result it produced was Failed or VerificationFailed.</summary>
    public const int RollbackFailed = 2;

    /// <summary>Bad command line (sysexits EX_USAGE, as pwsh uses for a bad -File).</summary>
    public const int UsageError = 64;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT, what shells report for an interrupted command).</summary>
    public const int Interrupted = 130;

    public const string ModulePathVariable = "ROLLBACK_MODULE_PATH";

    public static string DefaultModulePath => Path.Combine(AppContext.BaseDirectory, "Modules", "Rollback", "Rollback.psd1");

    public static int Run(RunnerOptions options, TextWriter output, TextWriter error, TextReader? input)
    {
        if (string.IsNullOrEmpty(options.Command) == string.IsNullOrEmpty(options.File))
        {
            error.WriteLine("Give exactly one of a command or a script file to run.");
            return UsageError;
        }

        string? scriptPath = null;
        if (options.File is not null)
        {
            // Relative to the working directory, which `dotnet run` leaves as the caller's.
            scriptPath = Path.GetFullPath(options.File);
            if (!System.IO.File.Exists(scriptPath))
            {
                error.WriteLine($"The script file '{scriptPath}' does not exist.");
                return UsageError;
            }
        }

        var host = new RunnerHost(output, error, input, options.Interactive);
        var state = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows())
        {
            // Elsewhere PowerShell has no execution policy; on Windows the machine policy would
            // otherwise refuse to load the module's unsigned format file and the user's script.
            state.ExecutionPolicy = ExecutionPolicy.Bypass;
        }

        using var runspace = RunspaceFactory.CreateRunspace(host, state);
        runspace.Open();

        if (!ImportModule(runspace, options, error))
        {
            return ScriptFailed;
        }

        var observation = new RunObservation();
        using var shell = PowerShell.Create();
        shell.Runspace = runspace;
        if (scriptPath is not null)
        {
            // The script's own block, which keeps its file: $PSScriptRoot and $PSCommandPath work.
            shell.AddScript(FileInvocation(scriptPath, options.Arguments), useLocalScope: false);
        }
        else
        {
            shell.AddScript(options.Command, useLocalScope: false);
        }

        // Errors travel with the output so Out-Default renders them in place, in order.
        shell.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
        shell.AddCommand(new CmdletInfo("Watch-RunnerOutput", typeof(WatchRunnerOutputCommand)))
            .AddParameter(nameof(WatchRunnerOutputCommand.Observer), observation);
        shell.AddCommand("Out-Default");

        var terminated = false;
        using (options.Cancellation.Register(() => shell.BeginStop(null, null)))
        {
            try
            {
                shell.Invoke();
            }
            catch (PipelineStoppedException)
            {
                // Reported below from the invocation state, which also covers a stop that ended quietly.
            }
            catch (RuntimeException ex)
            {
                WriteTerminatingError(error, ex.ErrorRecord);
                terminated = true;
            }
        }

        if (shell.InvocationStateInfo.State == PSInvocationState.Stopped)
        {
            error.WriteLine("The run was stopped.");
            return Interrupted;
        }

        // `exit N` wins over everything, `exit 0` after errors included: the script had the last word.
        if (host.ExitCode is int code)
        {
            return code;
        }

        if (terminated)
        {
            return ScriptFailed;
        }

        if (observation.FailedRollbacks > 0)
        {
            return RollbackFailed;
        }

        // Non-terminating errors the script left unhandled (not caught, not silenced) fail the run:
        // an unattended job must not report success after Invoke-Rollback refused a target.
        return observation.ErrorRecords > 0 || shell.Streams.Error.Count > 0 ? ScriptFailed : Success;
    }

    private static bool ImportModule(Runspace runspace, RunnerOptions options, TextWriter error)
    {
        var configured = options.ModulePath ?? Environment.GetEnvironmentVariable(ModulePathVariable);
        var path = Path.GetFullPath(string.IsNullOrEmpty(configured) ? DefaultModulePath : configured);
        if (!System.IO.File.Exists(path) && !Directory.Exists(path))
        {
            if (string.IsNullOrEmpty(configured))
            {
                // A bare runner (no module staged beside it) still runs plain PowerShell; say so once.
                error.WriteLine($"WARNING: The Rollback module was not found at '{path}'; running without it.");
                return true;
            }

            error.WriteLine($"The module '{path}' does not exist. Pass --module <path to Rollback.psd1> or set {ModulePathVariable}.");
            return false;
        }

        using var shell = PowerShell.Create();
        shell.Runspace = runspace;
        shell.AddCommand("Import-Module")
            .AddParameter("Name", path)
            .AddParameter("ErrorAction", ActionPreference.Stop);
        try
        {
            shell.Invoke();
        }
        catch (RuntimeException ex)
        {
            error.WriteLine($"Could not import the module '{path}'.");
            WriteTerminatingError(error, ex.ErrorRecord);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Builds <c>&amp; 'path' args...</c> so that the PowerShell parser binds the arguments exactly as
    /// <c>pwsh -File</c> would: <c>-Name value</c> pairs by name, a switch stays a switch. The hosting
    /// API cannot express that (a value-less CommandParameter binds $null, AddParameter(name) binds
    /// $true), so arguments become single-quoted literals and only parameter names stay bare.
    /// It invokes the file's script block rather than the file itself: called as a file, the engine
    /// turns <c>exit N</c> into $LASTEXITCODE, indistinguishable from a native command's code; from
    /// its block, <c>exit</c> reaches the host as for a command, so only an explicit exit sets the
    /// code and a script that ends normally after a failed native command still succeeds (as with
    /// <c>pwsh -File</c>).
    /// </summary>
    internal static string FileInvocation(string scriptPath, IReadOnlyList<string> arguments)
    {
        var text = new StringBuilder("& $ExecutionContext.InvokeCommand.GetCommand(").Append(Quote(scriptPath)).Append(", 'ExternalScript').ScriptBlock");
        foreach (var argument in arguments)
        {
            text.Append(' ');
            if (argument == "--")
            {
                // Bare, it keeps its meaning: everything after it is an argument, even "-Name".
                text.Append(argument);
                continue;
            }

            var match = ParameterToken().Match(argument);
            if (!match.Success)
            {
                text.Append(Quote(argument));
                continue;
            }

            text.Append('-').Append(match.Groups["name"].Value);
            if (match.Groups["colon"].Success)
            {
                var value = match.Groups["value"].Value;
                var isBoolean = value.Equals("$true", StringComparison.OrdinalIgnoreCase) ||
                    value.Equals("$false", StringComparison.OrdinalIgnoreCase);
                text.Append(':').Append(isBoolean ? value : Quote(value));
            }
        }

        return text.ToString();
    }

    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^-(?<name>[A-Za-z_][A-Za-z0-9_]*)(?<colon>:(?<value>.*))?$", RegexOptions.Singleline)]
    private static partial Regex ParameterToken();

    private static void WriteTerminatingError(TextWriter error, ErrorRecord record)
    {
        error.WriteLine(record.ErrorDetails?.Message ?? record.Exception.Message);
        var position = record.InvocationInfo?.PositionMessage;
        if (!string.IsNullOrEmpty(position))
        {
            error.WriteLine(position);
        }

        error.WriteLine($"    + CategoryInfo          : {record.CategoryInfo}");
        error.WriteLine($"    + FullyQualifiedErrorId : {record.FullyQualifiedErrorId}");
    }
}
