using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rollback.Analyzers;

/// <summary>RB1001: the verb of [Cmdlet] is one of the constants of PowerShell's Verbs* classes.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ApprovedVerbAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.ApprovedVerb];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var powerShell = PowerShellSymbols.From(start.Compilation);
            if (powerShell is null || powerShell.ApprovedVerbs.IsEmpty)
            {
                return;
            }

            start.RegisterSymbolAction(symbolContext => Analyze(symbolContext, powerShell), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, PowerShellSymbols powerShell)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attribute = powerShell.CmdletAttributeOf(type);
        if (attribute is null)
        {
            return;
        }

        var (verb, _) = PowerShellSymbols.VerbAndNoun(attribute);
        if (verb is null || powerShell.ApprovedVerbs.Contains(verb))
        {
            return;
        }

        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) as AttributeSyntax;
        var location = syntax?.ArgumentList?.Arguments.Count > 0 ? syntax.ArgumentList.Arguments[0].GetLocation() : syntax?.GetLocation() ?? type.Locations[0];
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.ApprovedVerb, location, PowerShellSymbols.CmdletName(attribute), verb));
    }
}
