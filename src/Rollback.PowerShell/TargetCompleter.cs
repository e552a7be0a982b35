using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Rollback.PowerShell;

/// <summary>Tab completion for -Target and -Name: the targets registered in the store the command line names.</summary>
public sealed class TargetCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionStore.Complete(commandName, fakeBoundParameters, store =>
        {
            var pattern = CompletionStore.Pattern(wordToComplete);
            return store.Targets.GetAll()
                .Where(t => pattern.IsMatch(t.Name))
                .OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase)
                .Select(t => new CompletionResult(t.Name, t.Name, CompletionResultType.ParameterValue,
                    string.Format(CultureInfo.CurrentCulture, CmdletStrings.CompletionTargetTooltip, t.Name, t.Kind)));
        });
}
