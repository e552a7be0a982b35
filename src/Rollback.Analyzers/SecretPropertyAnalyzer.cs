using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rollback.Analyzers;

/// <summary>
/// RB1007 (warning): a public type has no public string property named like a secret: *Password*, *Secret*Value*,
/// *Token*, *ConnectionString*.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SecretPropertyAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.SecretProperty];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(Analyze, SymbolKind.Property);
    }

    /// <summary>True when a property name says it holds a secret.</summary>
    public static bool NamesSecret(string name)
    {
        if (Contains(name, "Password") || Contains(name, "Token") || Contains(name, "ConnectionString"))
        {
            return true;
        }

        var secret = name.IndexOf("Secret", StringComparison.OrdinalIgnoreCase);
        return secret >= 0 && name.IndexOf("Value", secret + "Secret".Length, StringComparison.OrdinalIgnoreCase) >= 0;
    }

    private static bool Contains(string name, string part) => name.IndexOf(part, StringComparison.OrdinalIgnoreCase) >= 0;

    private static void Analyze(SymbolAnalysisContext context)
    {
        var property = (IPropertySymbol)context.Symbol;
        if (property.IsOverride || property.DeclaredAccessibility != Accessibility.Public || property.Type.SpecialType != SpecialType.System_String
            || property.GetMethod is null || !NamesSecret(property.Name) || !IsPublic(property.ContainingType))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Descriptors.SecretProperty, property.Locations[0], property.Name, property.ContainingType.Name));
    }

    private static bool IsPublic(INamedTypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility != Accessibility.Public)
            {
                return false;
            }
        }

        return type is not null;
    }
}
