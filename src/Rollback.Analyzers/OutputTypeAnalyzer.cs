using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Rollback.Analyzers;

/// <summary>
/// RB1003: every cmdlet declares [OutputType], and every object it passes to WriteObject is of a declared type
/// (with enumerateCollection: true, the element type of the collection).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OutputTypeAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.OutputType];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var powerShell = PowerShellSymbols.From(start.Compilation);
            if (powerShell?.OutputTypeAttribute is null)
            {
                return;
            }

            start.RegisterSyntaxNodeAction(node => Analyze(node, powerShell, powerShell.OutputTypeAttribute), SyntaxKind.ClassDeclaration);
        });
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, PowerShellSymbols powerShell, INamedTypeSymbol outputTypeAttribute)
    {
        var declaration = (ClassDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol type)
        {
            return;
        }

        var attribute = powerShell.CmdletAttributeOf(type);
        if (attribute is null)
        {
            return;
        }

        var declaredTypes = new List<ITypeSymbol>();
        var declaredNames = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
        var anyDeclared = false;
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var outputType in current.GetAttributes().Where(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, outputTypeAttribute)))
            {
                anyDeclared = true;
                foreach (var argument in outputType.ConstructorArguments)
                {
                    var values = argument.Kind == TypedConstantKind.Array ? argument.Values : [argument];
                    foreach (var value in values)
                    {
                        if (value.Value is ITypeSymbol declared)
                        {
                            declaredTypes.Add(declared);
                        }
                        else if (value.Value is string name)
                        {
                            declaredNames.Add(name);
                        }
                    }
                }
            }
        }

        var written = new List<(SyntaxNode Argument, ITypeSymbol Type)>();
        foreach (var invocation in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (context.SemanticModel.GetOperation(invocation, context.CancellationToken) is not IInvocationOperation operation
                || operation.TargetMethod.Name != "WriteObject"
                || !Symbols.DerivesFrom(operation.TargetMethod.ContainingType, powerShell.Cmdlet))
            {
                continue;
            }

            var sent = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
            if (sent is null || sent.ArgumentKind != ArgumentKind.Explicit)
            {
                continue;
            }

            var value = sent.Value is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : sent.Value;
            var valueType = value.Type;
            if (valueType is null)
            {
                continue;
            }

            var enumerate = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1);
            if (enumerate?.Value.ConstantValue is { HasValue: true, Value: true })
            {
                valueType = Symbols.ElementType(valueType) ?? context.SemanticModel.Compilation.GetSpecialType(SpecialType.System_Object);
            }

            written.Add((sent.Syntax, valueType));
        }

        var cmdletName = PowerShellSymbols.CmdletName(attribute);
        if (!anyDeclared)
        {
            var types = written.Select(w => w.Type).Distinct<ITypeSymbol>(SymbolEqualityComparer.Default).ToList();
            var properties = ImmutableDictionary<string, string?>.Empty;
            var hint = "name the type of the objects it writes, e.g. [OutputType(typeof(RollbackResult))]";
            if (types.Count > 0)
            {
                properties = properties.Add(Descriptors.FixProperty, Descriptors.AddOutputType)
                    .Add(Descriptors.OutputTypesProperty, string.Join(";", types.Select(t => Symbols.MetadataName(t))));
                hint = string.Join(" and ", types.Select(t => "[OutputType(typeof(" + t.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "))]"));
            }

            context.ReportDiagnostic(Diagnostic.Create(Descriptors.OutputType, declaration.Identifier.GetLocation(), properties, cmdletName,
                "declares no [OutputType]: add " + hint));
            return;
        }

        foreach (var (argument, writtenType) in written)
        {
            if (declaredTypes.Any(d => Symbols.IsAssignableTo(writtenType, d)) || declaredNames.Contains(Symbols.MetadataName(writtenType)) || declaredNames.Contains(writtenType.ToDisplayString()))
            {
                continue;
            }

            var display = writtenType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(Descriptors.FixProperty, Descriptors.AddOutputType)
                .Add(Descriptors.OutputTypesProperty, Symbols.MetadataName(writtenType));
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.OutputType, argument.GetLocation(), properties, cmdletName,
                "writes '" + display + "', which no [OutputType] declares: add [OutputType(typeof(" + display + "))] or write a declared type"));
        }
    }
}
