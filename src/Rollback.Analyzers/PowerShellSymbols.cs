using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Rollback.Analyzers;

/// <summary>PowerShell's types, found by metadata name so the analyzers need no PowerShell reference.</summary>
internal sealed class PowerShellSymbols
{
    private static readonly string[] VerbClasses =
    [
        "VerbsCommon", "VerbsCommunications", "VerbsData", "VerbsDiagnostic", "VerbsLifecycle", "VerbsOther", "VerbsSecurity",
    ];

    private PowerShellSymbols(Compilation compilation, INamedTypeSymbol cmdletAttribute, INamedTypeSymbol cmdlet)
    {
        CmdletAttribute = cmdletAttribute;
        Cmdlet = cmdlet;
        PSCmdlet = compilation.GetTypeByMetadataName("System.Management.Automation.PSCmdlet");
        OutputTypeAttribute = compilation.GetTypeByMetadataName("System.Management.Automation.OutputTypeAttribute");
        ParameterAttribute = compilation.GetTypeByMetadataName("System.Management.Automation.ParameterAttribute");
        SupportsWildcardsAttribute = compilation.GetTypeByMetadataName("System.Management.Automation.SupportsWildcardsAttribute");
        ErrorRecord = compilation.GetTypeByMetadataName("System.Management.Automation.ErrorRecord");
        ErrorCategory = compilation.GetTypeByMetadataName("System.Management.Automation.ErrorCategory");
        PSObject = compilation.GetTypeByMetadataName("System.Management.Automation.PSObject");
        var verbs = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var name in VerbClasses)
        {
            var type = compilation.GetTypeByMetadataName("System.Management.Automation." + name);
            if (type is null)
            {
                continue;
            }

            foreach (var field in type.GetMembers().OfType<IFieldSymbol>())
            {
                if (field.IsConst && field.ConstantValue is string verb)
                {
                    verbs.Add(verb);
                }
            }
        }

        ApprovedVerbs = verbs.ToImmutableHashSet(System.StringComparer.Ordinal);
    }

    public INamedTypeSymbol CmdletAttribute { get; }

    public INamedTypeSymbol Cmdlet { get; }

    public INamedTypeSymbol? PSCmdlet { get; }

    public INamedTypeSymbol? OutputTypeAttribute { get; }

    public INamedTypeSymbol? ParameterAttribute { get; }

    public INamedTypeSymbol? SupportsWildcardsAttribute { get; }

    public INamedTypeSymbol? ErrorRecord { get; }

    public INamedTypeSymbol? ErrorCategory { get; }

    public INamedTypeSymbol? PSObject { get; }

    public ImmutableHashSet<string> ApprovedVerbs { get; }

    /// <summary>The symbols, or null when the compilation does not reference PowerShell (then no cmdlet rule applies).</summary>
    public static PowerShellSymbols? From(Compilation compilation)
    {
        var attribute = compilation.GetTypeByMetadataName("System.Management.Automation.CmdletAttribute");
        var cmdlet = compilation.GetTypeByMetadataName("System.Management.Automation.Cmdlet");
        return attribute is null || cmdlet is null ? null : new PowerShellSymbols(compilation, attribute, cmdlet);
    }

    /// <summary>The [Cmdlet] attribute of a concrete cmdlet class, or null when the type is not one.</summary>
    public AttributeData? CmdletAttributeOf(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Class || type.IsAbstract || !Symbols.DerivesFrom(type, Cmdlet))
        {
            return null;
        }

        return type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, CmdletAttribute));
    }

    /// <summary>The verb and noun of a [Cmdlet] attribute, as written.</summary>
    public static (string? Verb, string? Noun) VerbAndNoun(AttributeData attribute) =>
        attribute.ConstructorArguments.Length >= 2
            ? (attribute.ConstructorArguments[0].Value as string, attribute.ConstructorArguments[1].Value as string)
            : (null, null);

    public static string CmdletName(AttributeData attribute)
    {
        var (verb, noun) = VerbAndNoun(attribute);
        return verb + "-" + noun;
    }
}
