using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rollback.Analyzers;

/// <summary>
/// RB1005: the engine and provider assemblies (RollbackLayer Engine or Provider) reference no
/// System.Management.Automation type; the cmdlet assembly (RollbackLayer Cmdlets) references no provider type.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayeringAnalyzer : DiagnosticAnalyzer
{
    public const string EngineLayer = "Engine";
    public const string ProviderLayer = "Provider";
    public const string CmdletsLayer = "Cmdlets";

    private const string PowerShellNamespace = "System.Management.Automation";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.Layering];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var layer = RollbackOptions.Layer(start.Options);
            if (string.Equals(layer, EngineLayer, StringComparison.OrdinalIgnoreCase) || string.Equals(layer, ProviderLayer, StringComparison.OrdinalIgnoreCase))
            {
                if (start.Compilation.ReferencedAssemblyNames.Any(a => a.Name == PowerShellNamespace))
                {
                    start.RegisterCompilationEndAction(end => end.ReportDiagnostic(Diagnostic.Create(Descriptors.Layering, Location.None,
                        "The " + layer + " assembly references System.Management.Automation: remove the reference; only the cmdlet layer may use PowerShell")));
                }

                start.RegisterSyntaxNodeAction(node => AnalyzeName(node, layer, IsPowerShell, "the PowerShell type"), SyntaxKind.IdentifierName, SyntaxKind.GenericName);
            }
            else if (string.Equals(layer, CmdletsLayer, StringComparison.OrdinalIgnoreCase))
            {
                var prefix = RollbackOptions.Get(start.Options, null, RollbackOptions.ProviderAssemblyPrefixKey, RollbackOptions.DefaultProviderAssemblyPrefix);
                var contractName = RollbackOptions.Get(start.Options, null, RollbackOptions.ProviderContractKey, RollbackOptions.DefaultProviderContract);
                var contract = start.Compilation.GetTypeByMetadataName(contractName);
                var self = start.Compilation.Assembly;
                start.RegisterSyntaxNodeAction(node => AnalyzeName(node, layer, symbol => IsProvider(symbol, prefix, contract, self), "the provider type"), SyntaxKind.IdentifierName, SyntaxKind.GenericName);
            }
        });
    }

    private static void AnalyzeName(SyntaxNodeAnalysisContext context, string layer, Func<ISymbol, bool> forbidden, string what)
    {
        var name = (SimpleNameSyntax)context.Node;

        // Report a qualified name once, on its last part.
        if ((name.Parent is QualifiedNameSyntax qualified && qualified.Left == name)
            || (name.Parent is MemberAccessExpressionSyntax access && access.Expression == name && context.SemanticModel.GetSymbolInfo(name, context.CancellationToken).Symbol is INamespaceSymbol))
        {
            return;
        }

        var symbol = context.SemanticModel.GetSymbolInfo(name, context.CancellationToken).Symbol;

        // A static member reached through a type name: the type name is the one reported.
        if (symbol is not null and not ITypeSymbol and not INamespaceSymbol && name.Parent is MemberAccessExpressionSyntax member && member.Name == name
            && context.SemanticModel.GetSymbolInfo(member.Expression, context.CancellationToken).Symbol is ITypeSymbol)
        {
            return;
        }

        var subject = symbol switch
        {
            ITypeSymbol type => (ISymbol)type,
            INamespaceSymbol ns => ns,
            IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => constructor.ContainingType,
            { ContainingType: { } owner } => owner,
            _ => null,
        };
        if (subject is null || !forbidden(subject))
        {
            return;
        }

        var display = subject.ToDisplayString();
        var fix = string.Equals(layer, CmdletsLayer, StringComparison.OrdinalIgnoreCase)
            ? "reach providers through the engine and ProviderCatalog, so adding a provider touches no cmdlet"
            : "keep PowerShell types in the cmdlet layer and give the engine a plain .NET type";
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.Layering, name.GetLocation(), "The " + layer + " layer references " + what + " '" + display + "': " + fix));
    }

    private static bool IsPowerShell(ISymbol symbol)
    {
        var ns = symbol is INamespaceSymbol namespaceSymbol ? namespaceSymbol.ToDisplayString() : Symbols.NamespaceOf(symbol);
        return ns == PowerShellNamespace || ns.StartsWith(PowerShellNamespace + ".", StringComparison.Ordinal);
    }

    private static bool IsProvider(ISymbol symbol, string assemblyPrefix, INamedTypeSymbol? contract, IAssemblySymbol self)
    {
        if (symbol is not INamedTypeSymbol type || SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, self))
        {
            return false;
        }

        if (type.ContainingAssembly is { } assembly && assembly.Name.StartsWith(assemblyPrefix, StringComparison.Ordinal))
        {
            return true;
        }

        return contract is not null && type.TypeKind == TypeKind.Class && !type.IsAbstract && type.AllInterfaces.Contains(contract, SymbolEqualityComparer.Default);
    }
}
