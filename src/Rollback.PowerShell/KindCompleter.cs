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
        var pattern = CompletionStore.Pattern(wordToComplete);
        try
        {
            return ProviderCatalog.Default.Providers
                .Where(p => pattern.IsMatch(p.Kind))
                .OrderBy(p => p.Kind, StringComparer.Ordinal)
                .Select(p => new CompletionResult(p.Kind, p.Kind, CompletionResultType.ParameterValue, p.Description))
                .ToList();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.IO.IOException or BadImageFormatException or TypeLoadException or System.Reflection.ReflectionTypeLoadException)
        {
            // A provider assembly that cannot load is reported when its kind is used; completion offers nothing instead of failing.
            return Array.Empty<CompletionResult>();
        }
    }
}
