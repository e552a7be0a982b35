using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rollback.Analyzers;

/// <summary>
/// RB1008: a cmdlet parameter named Path or LiteralPath follows PowerShell's conventions: the cmdlet (or a base class
/// in source) resolves it through the session (GetResolvedProviderPathFromPSPath, GetUnresolvedProviderPathFromPSPath,
/// SessionState.Path...), and LiteralPath does not declare [SupportsWildcards].
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PathParameterAnalyzer : DiagnosticAnalyzer
{
    private static readonly string[] ResolvingMethods =
    [
        "GetResolvedProviderPathFromPSPath", "GetUnresolvedProviderPathFromPSPath", "GetResolvedPSPathFromPSPath",
        "GetResolvedProviderPathFromProviderPath", "GetUnresolvedPSPathFromKeyPath",
    ];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.PathParameter];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var powerShell = PowerShellSymbols.From(start.Compilation);
            if (powerShell?.ParameterAttribute is null)
            {
                return;
            }

            start.RegisterSymbolAction(symbol => Analyze(symbol, powerShell, powerShell.ParameterAttribute), SymbolKind.Property);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, PowerShellSymbols powerShell, INamedTypeSymbol parameterAttribute)
    {
        var property = (IPropertySymbol)context.Symbol;
        var isPath = property.Name == "Path";
        if ((!isPath && property.Name != "LiteralPath") || !Symbols.DerivesFrom(property.ContainingType, powerShell.Cmdlet))
        {
            return;
        }

        var attributes = property.GetAttributes();
        if (!attributes.Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, parameterAttribute)))
        {
            return;
        }

        var cmdlet = property.ContainingType.Name;
        if (!isPath && powerShell.SupportsWildcardsAttribute is { } wildcards && attributes.Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, wildcards)))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.PathParameter, property.Locations[0], property.Name, cmdlet,
                "declares [SupportsWildcards]: -LiteralPath takes every character literally; remove the attribute and offer wildcards on -Path"));
        }

        if (!ResolvesPaths(property.ContainingType, context))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.PathParameter, property.Locations[0], property.Name, cmdlet,
                "is never resolved through the session: turn it into a provider path with GetResolvedProviderPathFromPSPath (-Path, wildcards) or SessionState.Path.GetUnresolvedProviderPathFromPSPath (-LiteralPath) before using it"));
        }
    }

    private static bool ResolvesPaths(INamedTypeSymbol type, SymbolAnalysisContext context)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var reference in current.DeclaringSyntaxReferences)
            {
                var names = reference.GetSyntax(context.CancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>().Select(i => i.Expression switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                    _ => string.Empty,
                });
                if (names.Any(name => Array.IndexOf(ResolvingMethods, name) >= 0))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
