using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Rollback.Analyzers;

/// <summary>
/// RB1006: no member of System.Console in the module. Hosts (RollbackLayer Host) and tests (RollbackLayer Tests) own
/// their console and are not checked.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConsoleAnalyzer : DiagnosticAnalyzer
{
    public const string HostLayer = "Host";
    public const string TestsLayer = "Tests";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.Console];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var layer = RollbackOptions.Layer(start.Options);
            var console = start.Compilation.GetTypeByMetadataName("System.Console");
            if (console is null || string.Equals(layer, HostLayer, StringComparison.OrdinalIgnoreCase) || string.Equals(layer, TestsLayer, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            start.RegisterOperationAction(operation => Analyze(operation, console), OperationKind.Invocation, OperationKind.PropertyReference, OperationKind.EventReference, OperationKind.MethodReference);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol console)
    {
        var member = context.Operation switch
        {
            IInvocationOperation invocation => (ISymbol)invocation.TargetMethod,
            IMemberReferenceOperation reference => reference.Member,
            _ => null,
        };
        if (member is null || !SymbolEqualityComparer.Default.Equals(member.ContainingType, console))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Descriptors.Console, context.Operation.Syntax.GetLocation(), "Console." + member.Name));
    }
}
