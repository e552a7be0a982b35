using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace Rollback.Runner;

public static class Program
{
    public static int Main(string[] args)
    {
        // A person is there only when input comes from a console and no CI system says otherwise;
        // prompting anywhere else would hang the job until its timeout.
        var interactive = !Console.IsInputRedirected &&
            !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

        using var cancellation = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // The first Ctrl+C stops the pipeline so cmdlets clean up (StopProcessing); a second one,
            // if the stop itself hangs, is left to end the process as usual.
            if (!cancellation.IsCancellationRequested)
            {
                e.Cancel = true;
                cancellation.Cancel();
            }
        }

        Console.CancelKeyPress += OnCancel;
        try
        {
            return Run(args, Console.Out, Console.Error, Console.In, interactive, cancellation.Token);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>Everything Main does, with the console replaced by writers so tests can run it in-process.</summary>
    public static int Run(
        IReadOnlyList<string> args,
        TextWriter output,
        TextWriter error,
        TextReader? input,
        bool interactiveByDefault,
        CancellationToken cancellation = default)
    {
        var commandLine = RunnerCommandLine.Parse(args, interactiveByDefault);
        if (commandLine.ShowHelp)
        {
            output.WriteLine($"rollback-runner {RunnerHost.InformationalVersion}");
            output.WriteLine(RunnerCommandLine.Usage);
            return ScriptRunner.Success;
        }

        if (commandLine.Options is null)
        {
            error.WriteLine(commandLine.Error);
            error.WriteLine();
            error.WriteLine(RunnerCommandLine.Usage);
            return ScriptRunner.UsageError;
        }

        return ScriptRunner.Run(commandLine.Options with { Cancellation = cancellation }, output, error, input);
    }
}
