using System;
using System.Collections.Generic;

namespace Rollback.Runner;

/// <summary>The parsed command line: options to run, a request for help, or what was wrong with it.</summary>
public sealed class RunnerCommandLine
{
    public const string Usage =
        """
        Usage: rollback-runner --file <script.ps1> [script arguments...]
               rollback-runner --command "<PowerShell text>"

        Runs a script or command with the Rollback module imported, on machines without pwsh.

        Options:
          --file <path>        Run a script file (relative to the working directory). Everything
                               after the path is passed to the script; -Name value binds by name.
          --command <text>     Run PowerShell text in the global scope.
          --module <psd1>      The module manifest to import (default: ROLLBACK_MODULE_PATH, or
                               Modules/Rollback/Rollback.psd1 beside the runner).
          --non-interactive    Never prompt and draw no progress; a confirmation prompt fails the
                               run instead. Implied when input is redirected or CI=true.
          --help               Show this text.

        Exit codes: 0 success; 1 a terminating or unhandled error; 2 a rollback result Failed or
        VerificationFailed; N when the script says exit N; 64 bad usage; 130 stopped by Ctrl+C.
        """;

    private RunnerCommandLine(RunnerOptions? options, bool showHelp, string? error)
    {
        Options = options;
        ShowHelp = showHelp;
        Error = error;
    }

    /// <summary>The run to do; null when help was asked for or the command line was wrong.</summary>
    public RunnerOptions? Options { get; }

    public bool ShowHelp { get; }

    /// <summary>What was wrong with the command line, for the user; null when it was fine.</summary>
    public string? Error { get; }

    /// <param name="args">The arguments after the program name.</param>
    /// <param name="interactiveByDefault">Whether a person is at the console (input not redirected, not CI).</param>
    public static RunnerCommandLine Parse(IReadOnlyList<string> args, bool interactiveByDefault)
    {
        string? command = null;
        string? file = null;
        string? module = null;
        var nonInteractive = false;
        var scriptArguments = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--help" or "-h" or "-?" or "/?":
                    return new RunnerCommandLine(null, showHelp: true, null);
                case "--non-interactive":
                    nonInteractive = true;
                    break;
                case "--module":
                    if (!TryTakeValue(args, ref i, out module))
                    {
                        return Fail("--module needs the path of a module manifest (Rollback.psd1).");
                    }

                    break;
                case "--command":
                    if (command is not null || !TryTakeValue(args, ref i, out command))
                    {
                        return Fail("--command needs exactly one PowerShell text argument.");
                    }

                    break;
                case "--file":
                    if (!TryTakeValue(args, ref i, out file))
                    {
                        return Fail("--file needs the path of a script file.");
                    }

                    // Everything after the script path belongs to the script, as with pwsh -File.
                    for (i++; i < args.Count; i++)
                    {
                        scriptArguments.Add(args[i]);
                    }

                    break;
                default:
                    return Fail($"Unknown argument '{arg}'.");
            }
        }

        if (command is null && file is null)
        {
            return Fail("Give a script to run with --file or a command with --command.");
        }

        if (command is not null && file is not null)
        {
            return Fail("Give either --file or --command, not both.");
        }

        var options = new RunnerOptions
        {
            Command = command,
            File = file,
            ModulePath = module,
            Interactive = interactiveByDefault && !nonInteractive,
            Arguments = scriptArguments,
        };
        return new RunnerCommandLine(options, showHelp: false, null);
    }

    private static RunnerCommandLine Fail(string error) => new(null, showHelp: false, error);

    private static bool TryTakeValue(IReadOnlyList<string> args, ref int index, out string? value)
    {
        if (index + 1 < args.Count && !string.IsNullOrEmpty(args[index + 1]) && !args[index + 1].StartsWith("--", StringComparison.Ordinal))
        {
            index++;
            value = args[index];
            return true;
        }

        value = null;
        return false;
    }
}
