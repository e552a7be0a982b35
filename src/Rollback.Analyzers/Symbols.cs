using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Rollback.Analyzers;

/// <summary>Small symbol helpers shared by the rules.</summary>
internal static class Symbols
{
    public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when a value of <paramref name="type"/> is a <paramref name="declared"/> (same, derived or implementing).</summary>
    public static bool IsAssignableTo(ITypeSymbol type, ITypeSymbol declared)
    {
        if (SymbolEqualityComparer.Default.Equals(type, declared))
        {
            return true;
        }

        if (declared is INamedTypeSymbol named && DerivesFrom(type, named))
        {
            return true;
        }

        foreach (var face in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(face, declared))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The T of an IEnumerable&lt;T&gt; the type is or implements; the element type of an array.</summary>
    public static ITypeSymbol? ElementType(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol array)
        {
            return array.ElementType;
        }

        IEnumerable<INamedTypeSymbol> candidates = type is INamedTypeSymbol self ? [self, .. type.AllInterfaces] : type.AllInterfaces;
        foreach (var candidate in candidates)
        {
            if (candidate.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
            {
                return candidate.TypeArguments[0];
            }
        }

        return null;
    }

    public static string MetadataName(ITypeSymbol type) =>
        type.ContainingNamespace is { IsGlobalNamespace: false } ns
            ? (type.ContainingType is { } outer ? MetadataName(outer) + "+" + type.MetadataName : ns.ToDisplayString() + "." + type.MetadataName)
            : type.MetadataName;

    public static string NamespaceOf(ISymbol symbol) =>
        symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : string.Empty;
}
