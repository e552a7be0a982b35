using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Microsoft.PowerShell.Commands;

namespace Rollback.Runner;

/// <summary>
/// The interactive console's line input: the session's <c>PSConsoleHostReadLine</c> (see <see cref="RunnerSession"/>)
/// calls it for every line, and pwsh runs what it returns. Private to the session, as <see cref="WatchRunnerOutputCommand"/> is.
/// </summary>
[Cmdlet(VerbsCommunications.Read, CommandNoun)]
[OutputType(typeof(string))]
internal sealed class ReadRunnerConsoleLineCommand : PSCmdlet
{
    public const string CommandNoun = "RunnerConsoleLine";

    public const string CommandName = "Read-" + CommandNoun;

    protected override void EndProcessing()
    {
        var editor = new ConsoleLineEditor(Complete, History());
        WriteObject(editor.ReadLine());
    }

    /// <summary>What Tab offers in this session: the engine's completion (TabExpansion2's), run in this runspace.</summary>
    private static CommandCompletion? Complete(string input, int cursor)
    {
        using var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        return CommandCompletion.CompleteInput(input, cursor, options: null, shell);
    }

    /// <summary>
    /// The session's history (Get-History), oldest first, without repeats of the line before and without lines that span
    /// several rows (the editor draws one logical line).
    /// </summary>
    private List<string> History()
    {
        var count = SessionState.PSVariable.GetValue("MaximumHistoryCount") is int maximum ? maximum : 4096;
        var lines = InvokeCommand.InvokeScript($"Get-History -Count {count}")
            .Select(entry => (entry.BaseObject as HistoryInfo)?.CommandLine)
            .OfType<string>()
            .Where(line => line.Length > 0 && line.IndexOfAny(['\r', '\n']) < 0);
        var history = new List<string>();
        foreach (var line in lines)
        {
            if (history.Count == 0 || !string.Equals(history[^1], line, StringComparison.Ordinal))
            {
                history.Add(line);
            }
        }

        return history;
    }
}
