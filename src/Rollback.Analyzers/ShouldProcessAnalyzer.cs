using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Rollback.Analyzers;

/// <summary>
/// RB1002: a cmdlet whose verb changes state declares SupportsShouldProcess = true, and its record-processing
/// methods (BeginProcessing, ProcessRecord, EndProcessing, and the helpers of the same class they call) ask
/// ShouldProcess or ShouldContinue before they call a state-changing member of the engine.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ShouldProcessAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Verbs whose cmdlets change something.</summary>
    public static readonly ImmutableHashSet<string> StateChangingVerbs = ImmutableHashSet.Create(StringComparer.Ordinal,
        "Add", "Clear", "Copy", "Disable", "Enable", "Install", "Invoke", "Move", "New", "Publish", "Register", "Remove",
        "Rename", "Reset", "Restart", "Restore", "Resume", "Set", "Start", "Stop", "Suspend", "Uninstall", "Unpublish",
        "Unregister", "Update", "Write", "Undo", "Sync", "Push", "Save", "Submit", "Revoke", "Grant", "Protect", "Unprotect",
        "Lock", "Unlock", "Dismount", "Mount", "Initialize", "Deploy", "Approve", "Deny", "Edit", "Merge", "Optimize", "Repair");

    private static readonly string[] RecordMethods = ["BeginProcessing", "ProcessRecord", "EndProcessing"];

    private static readonly string[] GuardNames = ["ShouldProcess", "ShouldContinue"];

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Descriptors.ShouldProcess];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var powerShell = PowerShellSymbols.From(start.Compilation);
            if (powerShell is null)
            {
                return;
            }

            start.RegisterSyntaxNodeAction(node => Analyze(node, powerShell), SyntaxKind.ClassDeclaration);
        });
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, PowerShellSymbols powerShell)
    {
        var declaration = (ClassDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol type)
        {
            return;
        }

        var attribute = powerShell.CmdletAttributeOf(type);
        var (verb, _) = attribute is null ? (null, null) : PowerShellSymbols.VerbAndNoun(attribute);
        if (attribute is null || verb is null || !StateChangingVerbs.Contains(verb))
        {
            return;
        }

        // The attribute is checked once, on the declaration that carries it.
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) as AttributeSyntax;
        if (attributeSyntax is not null && declaration.AttributeLists.Any(list => list.Attributes.Contains(attributeSyntax)))
        {
            var supports = attribute.NamedArguments.FirstOrDefault(a => a.Key == "SupportsShouldProcess").Value;
            if (supports.Value is not true)
            {
                var properties = ImmutableDictionary<string, string?>.Empty.Add(Descriptors.FixProperty, Descriptors.AddSupportsShouldProcess);
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShouldProcess, attributeSyntax.GetLocation(), properties,
                    PowerShellSymbols.CmdletName(attribute),
                    "changes state (verb '" + verb + "') but does not declare SupportsShouldProcess: add SupportsShouldProcess = true (and a fitting ConfirmImpact) to its [Cmdlet] attribute"));
            }
        }

        var engineTypes = RollbackOptions.List(context.Options, declaration.SyntaxTree, RollbackOptions.EngineTypesKey, RollbackOptions.DefaultEngineTypes);
        var queryPrefixes = RollbackOptions.List(context.Options, declaration.SyntaxTree, RollbackOptions.EngineQueryPrefixesKey, RollbackOptions.DefaultEngineQueryPrefixes);
        var walker = new Walker(context, powerShell, type, engineTypes, queryPrefixes, PowerShellSymbols.CmdletName(attribute));
        foreach (var method in declaration.Members.OfType<MethodDeclarationSyntax>())
        {
            if (Array.IndexOf(RecordMethods, method.Identifier.ValueText) >= 0 && method.Modifiers.Any(SyntaxKind.OverrideKeyword))
            {
                walker.WalkRoot(method);
            }
        }
    }

    /// <summary>Walks a record-processing method in source order, following calls into methods of the same class.</summary>
    private sealed class Walker
    {
        private readonly SyntaxNodeAnalysisContext _context;
        private readonly PowerShellSymbols _powerShell;
        private readonly INamedTypeSymbol _type;
        private readonly ImmutableArray<string> _engineTypes;
        private readonly ImmutableArray<string> _queryPrefixes;
        private readonly string _cmdletName;
        private readonly HashSet<IMethodSymbol> _visited = new(SymbolEqualityComparer.Default);
        private readonly HashSet<SyntaxNode> _reported = [];
        private bool _guarded;

        public Walker(SyntaxNodeAnalysisContext context, PowerShellSymbols powerShell, INamedTypeSymbol type, ImmutableArray<string> engineTypes, ImmutableArray<string> queryPrefixes, string cmdletName)
        {
            _context = context;
            _powerShell = powerShell;
            _type = type;
            _engineTypes = engineTypes;
            _queryPrefixes = queryPrefixes;
            _cmdletName = cmdletName;
        }

        public void WalkRoot(MethodDeclarationSyntax method)
        {
            _guarded = false;
            _visited.Clear();
            Walk(method);
        }

        private void Walk(SyntaxNode body)
        {
            foreach (var invocation in body.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (_context.SemanticModel.GetSymbolInfo(invocation, _context.CancellationToken).Symbol is not IMethodSymbol method)
                {
                    continue;
                }

                if (IsGuard(method, depth: 0))
                {
                    _guarded = true;
                    continue;
                }

                if (IsEngineChange(method))
                {
                    if (!_guarded && _reported.Add(invocation))
                    {
                        _context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShouldProcess, invocation.GetLocation(), _cmdletName,
                            "calls '" + method.ContainingType.Name + "." + method.Name + "' before it asks ShouldProcess: call ShouldProcess(target, action) first and return (or continue) when it says no"));
                    }

                    continue;
                }

                // A helper of this class, declared in this file: follow it with the current state.
                if (SymbolEqualityComparer.Default.Equals(method.ContainingType, _type) && _visited.Add(method.OriginalDefinition))
                {
                    foreach (var reference in method.DeclaringSyntaxReferences)
                    {
                        if (reference.SyntaxTree == _context.Node.SyntaxTree)
                        {
                            Walk(reference.GetSyntax(_context.CancellationToken));
                        }
                    }
                }
            }
        }

        private bool IsEngineChange(IMethodSymbol method)
        {
            if (method.ContainingType is null || !_engineTypes.Contains(Symbols.MetadataName(method.ContainingType.OriginalDefinition)))
            {
                return false;
            }

            return !_queryPrefixes.Any(prefix => method.Name.StartsWith(prefix, StringComparison.Ordinal));
        }

        /// <summary>ShouldProcess/ShouldContinue of the cmdlet, or a source helper that calls one (up to two calls deep).</summary>
        private bool IsGuard(IMethodSymbol method, int depth)
        {
            if (Array.IndexOf(GuardNames, method.Name) >= 0 && method.ContainingType is { } owner && Symbols.DerivesFrom(_type, owner.OriginalDefinition) && Symbols.DerivesFrom(owner, _powerShell.Cmdlet))
            {
                return true;
            }

            if (depth >= 2 || method.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var names = reference.GetSyntax(_context.CancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>().Select(InvokedName);
                if (names.Any(name => Array.IndexOf(GuardNames, name) >= 0))
                {
                    return true;
                }
            }

            return false;
        }

        private static string? InvokedName(InvocationExpressionSyntax invocation) => invocation.Expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            _ => null,
        };
    }
}
