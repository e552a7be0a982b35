using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Rollback.Runner;

/// <summary>The session pwsh starts with: the default one, plus the Rollback module and, for a script run, the output watch.</summary>
public static class RunnerSession
{
    public const string ModulePathVariable = "ROLLBACK_MODULE_PATH";

    /// <summary>The function pwsh's console calls for each line it reads, when a session defines it.</summary>
    public const string ConsoleReadLineFunction = "PSConsoleHostReadLine";

    /// <summary>
    /// Shadows the engine's Out-Default (functions win over cmdlets) with the same command behind the output watch.
    /// pwsh sends every statement's output and unhandled errors of -File and -Command to a command named
    /// Out-Default, so this sees exactly what reaches the user, in order, streamed, and the rendering is the
    /// engine's own (module-qualified, so it cannot call itself).
    /// </summary>
    private const string OutDefaultThroughWatch =
        """
        [CmdletBinding()]
        param(
            [switch] $Transcript,
            [Parameter(ValueFromPipeline = $true)] [psobject] $InputObject
        )
        begin {
            $null = $PSBoundParameters.Remove('InputObject')
            $outDefault = { Watch-RunnerOutput | Microsoft.PowerShell.Core\Out-Default @PSBoundParameters }.GetSteppablePipeline($MyInvocation.CommandOrigin)
            $outDefault.Begin($PSCmdlet)
        }
        process { $outDefault.Process($InputObject) }
        end { $outDefault.End() }
        """;

    /// <summary>Modules/ beside the runner: the staged Rollback module and Pester.</summary>
    public static string ModulesFolder => Path.Combine(AppContext.BaseDirectory, "Modules");

    public static string DefaultModulePath => Path.Combine(ModulesFolder, "Rollback", "Rollback.psd1");

    /// <summary>The manifest to import: --module, else ROLLBACK_MODULE_PATH, else the copy beside the runner.</summary>
    public static string ResolveModulePath(string? fromCommandLine, out bool named)
    {
        var configured = fromCommandLine ?? Environment.GetEnvironmentVariable(ModulePathVariable);
        named = !string.IsNullOrEmpty(configured);
        return Path.GetFullPath(named ? configured! : DefaultModulePath);
    }

    /// <param name="modulePath">The module manifest to import, or null for none.</param>
    /// <param name="watchOutput">Whether to route Out-Default through the output watch (script runs that end with the script).</param>
    /// <param name="editLines">Whether the console reads its lines with the runner's line editor (a console on a terminal).</param>
    public static InitialSessionState Create(string? modulePath, bool watchOutput, bool editLines)
    {
        var state = InitialSessionState.CreateDefault2();
        if (modulePath is not null)
        {
            state.ImportPSModule(modulePath);
        }

        if (watchOutput)
        {
            // Private: only the session's own Out-Default can call it, scripts cannot see it.
            state.Commands.Add(new SessionStateCmdletEntry(WatchRunnerOutputCommand.CommandName, typeof(WatchRunnerOutputCommand), helpFileName: null)
            {
                Visibility = SessionStateEntryVisibility.Private,
            });
            state.Commands.Add(new SessionStateFunctionEntry("Out-Default", OutDefaultThroughWatch));
        }

        if (editLines)
        {
            // pwsh reads each console line through a command of this name when the session has one (PSReadLine's hook).
            state.Commands.Add(new SessionStateCmdletEntry(ReadRunnerConsoleLineCommand.CommandName, typeof(ReadRunnerConsoleLineCommand), helpFileName: null)
            {
                Visibility = SessionStateEntryVisibility.Private,
            });
            state.Commands.Add(new SessionStateFunctionEntry(ConsoleReadLineFunction, ReadRunnerConsoleLineCommand.CommandName));
        }

        return state;
    }

    /// <summary>
    /// Puts Modules/ beside the runner first on PSModulePath, so <c>Import-Module Rollback</c>, <c>Import-Module Pester</c>
    /// and module auto-loading find them, in this session and in jobs it starts (they inherit the environment).
    /// </summary>
    public static void AddModulesFolderToModulePath()
    {
        var current = Environment.GetEnvironmentVariable("PSModulePath");
        var folder = ModulesFolder;
        if (current is not null && Array.Exists(current.Split(Path.PathSeparator), entry => string.Equals(entry, folder, StringComparison.Ordinal)))
        {
            return;
        }

        Environment.SetEnvironmentVariable("PSModulePath", string.IsNullOrEmpty(current) ? folder : folder + Path.PathSeparator + current);
    }
}
