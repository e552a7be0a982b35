using System;
using System.Collections.Generic;
using System.Linq;

namespace Rollback.Runner;

/// <summary>
/// The runner's own arguments, taken off the front of the command line; everything else is pwsh's and goes to
/// pwsh's own parser unchanged (<c>-File</c>, <c>-Command</c>, <c>-NoExit</c>, <c>-NoProfile</c>, ...).
/// </summary>
/// <remarks>
/// pwsh already accepts <c>--file</c> and <c>--command</c> (one or two dashes, any unambiguous prefix), so old
/// runbooks written for the earlier runner keep working; only <c>--non-interactive</c> (pwsh spells it
/// <c>-NonInteractive</c>) and <c>--module</c> (the runner's own) need the runner. Both are read only before the
/// script or command: what follows <c>-File path</c> belongs to the script, and <c>-Command</c> takes the rest.
/// </remarks>
public sealed class RunnerCommandLine
{
    public const string Usage =
        """
        Usage: rollback-runner [--module <Rollback.psd1>] [pwsh parameters]

        A full pwsh (PowerShell 7.6.10) with the Rollback module imported, for machines without pwsh.
          rollback-runner                                   an interactive console
          rollback-runner -File drill.ps1 -Target api       a script, with its arguments (as pwsh -File)
          rollback-runner -Command "Get-RollbackTarget"     a command (as pwsh -Command)

        Runner options (before -File or -Command):
          --module <path>      The module manifest to import (default: ROLLBACK_MODULE_PATH, or
                               Modules/Rollback/Rollback.psd1 beside the runner, which is also on
                               PSModulePath with Pester, so Import-Module Rollback and Pester work).
          --non-interactive    The earlier runner's spelling of -NonInteractive (as are --file and
                               --command of -File and -Command). Implied when CI=true.

        Exit codes: 0 success; 1 a terminating error, or an error that reached the output unhandled;
        2 a rollback result Failed or VerificationFailed reached the output; N when the script says
        exit N (N other than 0); 64 bad usage; 130 stopped by Ctrl+C.

        Every pwsh parameter works as in pwsh (-NoExit, -NoProfile, -WorkingDirectory, ...);
        rollback-runner -Help describes each.

        """;

    // pwsh's switch names with the shortest prefix it accepts for each (CommandLineParameterParser).
    private static readonly (string Name, string Shortest)[] ScriptSwitches =
        [("file", "f"), ("command", "c"), ("commandwithargs", "commandwithargs"), ("cwa", "cwa"), ("encodedcommand", "e"), ("ec", "e")];

    private static readonly (string Name, string Shortest)[] ServerModeSwitches =
        [("servermode", "s"), ("socketservermode", "so"), ("namedpipeservermode", "nam"), ("sshservermode", "sshs")];

    private static readonly (string Name, string Shortest)[] ValueSwitches =
        [("executionpolicy", "ex"), ("ep", "ep"), ("workingdirectory", "wo"), ("wd", "wd"), ("outputformat", "o"), ("of", "o"),
         ("inputformat", "inp"), ("if", "if"), ("configurationname", "config"), ("configurationfile", "configurationfile"),
         ("custompipename", "cus"), ("windowstyle", "w"), ("settingsfile", "settings"), ("encodedarguments", "encodeda"), ("ea", "ea")];

    private RunnerCommandLine(string? modulePath, IReadOnlyList<string> pwshArguments, string? error, IReadOnlyList<string> options, bool runsScript)
    {
        ModulePath = modulePath;
        PwshArguments = pwshArguments;
        Error = error;
        RunsScript = runsScript;
        KeepsConsole = options.Any(argument => IsSwitch(argument, ("noexit", "noe")));
        IsServerMode = options.Any(argument => ServerModeSwitches.Any(name => IsSwitch(argument, name)));
    }

    /// <summary>The module manifest <c>--module</c> named; null means ROLLBACK_MODULE_PATH or the copy beside the runner.</summary>
    public string? ModulePath { get; }

    /// <summary>What goes to pwsh's parser, with the earlier runner's spellings mapped onto pwsh's.</summary>
    public IReadOnlyList<string> PwshArguments { get; }

    /// <summary>What was wrong with the runner's own arguments; null when they were fine (pwsh judges the rest).</summary>
    public string? Error { get; }

    /// <summary>A script or command runs (-File, -Command or a script path), rather than an interactive console.</summary>
    public bool RunsScript { get; }

    /// <summary>-NoExit: the console stays after the script, so the session, not the script, decides the exit code.</summary>
    public bool KeepsConsole { get; }

    /// <summary>Started by Start-Job or remoting as a pwsh server (-s): no module import, no runner output watch.</summary>
    public bool IsServerMode { get; }

    /// <summary>The run ends with the script (no console after it), so the runner composes its exit code.</summary>
    public bool RunsScriptAndExits => RunsScript && !KeepsConsole && !IsServerMode;

    /// <param name="args">The arguments after the program name.</param>
    /// <param name="inCi">Whether a CI system says so (CI=true): no person can answer a prompt there.</param>
    public static RunnerCommandLine Parse(IReadOnlyList<string> args, bool inCi)
    {
        string? modulePath = null;
        var pwsh = new List<string>();
        var nonInteractive = false;
        var i = 0;
        for (; i < args.Count; i++)
        {
            var argument = args[i];
            if (argument == "--module")
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith('-'))
                {
                    return new RunnerCommandLine(null, args, "--module needs the path of a module manifest (Rollback.psd1).", [], runsScript: false);
                }

                modulePath = args[++i];
            }
            else if (argument == "--non-interactive")
            {
                nonInteractive = true;
            }
            else if (IsScriptSwitch(argument) || !argument.StartsWith('-'))
            {
                // From here on everything is the script's or the command's.
                break;
            }
            else
            {
                pwsh.Add(argument);
                if (TakesValue(argument) && i + 1 < args.Count)
                {
                    pwsh.Add(args[++i]);
                }
            }
        }

        var options = pwsh.ToList();
        var rest = args.Skip(i).ToList();
        var runsScript = rest.Count > 0;
        var alreadyNonInteractive = options.Any(argument => IsSwitch(argument, ("noninteractive", "noni")));
        if ((nonInteractive || (inCi && runsScript)) && !alreadyNonInteractive)
        {
            pwsh.Add("-NonInteractive");
        }

        pwsh.AddRange(rest);
        return new RunnerCommandLine(modulePath, pwsh, null, options, runsScript);
    }

    private static bool IsScriptSwitch(string argument) => ScriptSwitches.Any(name => IsSwitch(argument, name));

    /// <summary>The pwsh switches before the script that take a value, so a value is never read as the script.</summary>
    private static bool TakesValue(string argument) => ValueSwitches.Any(name => IsSwitch(argument, name));

    /// <summary>pwsh's matching: one or two dashes, then any prefix of the name at least as long as its shortest form.</summary>
    private static bool IsSwitch(string argument, (string Name, string Shortest) @switch)
    {
        var (name, shortest) = @switch;
        var key = argument.StartsWith("--", StringComparison.Ordinal) ? argument[2..]
            : argument.StartsWith('-') ? argument[1..]
            : null;
        return key is not null && key.Length >= shortest.Length && name.StartsWith(key, StringComparison.OrdinalIgnoreCase);
    }
}
