using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Rollback.Providers;

namespace Rollback.PowerShell;

/// <summary>Tab completion for -Kind: the kinds of the providers installed beside the engine.</summary>
public sealed class KindCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return ProviderCatalog.Default.Providers
            .Where(p => p.Kind.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => p.Kind, StringComparer.Ordinal)
            .Select(p => new CompletionResult(p.Kind, p.Kind, CompletionResultType.ParameterValue, p.Description));
    }
}
