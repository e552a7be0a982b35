using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace Rollback.Analyzers.CodeFixes;

/// <summary>RB1003: adds [OutputType(typeof(T))] to the cmdlet for each type it writes but does not declare.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddOutputTypeCodeFix))]
[Shared]
public sealed class AddOutputTypeCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => [Descriptors.OutputType.Id];

    public override FixAllProvider? GetFixAllProvider() => null;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(Descriptors.FixProperty, out var fix) || fix != Descriptors.AddOutputType
                || !diagnostic.Properties.TryGetValue(Descriptors.OutputTypesProperty, out var names) || string.IsNullOrEmpty(names))
            {
                continue;
            }

            if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<ClassDeclarationSyntax>() is not { } declaration)
            {
                continue;
            }

            var typeNames = names!.Split(';');
            var title = "Add [OutputType] for " + string.Join(", ", typeNames.Select(n => n.Substring(n.LastIndexOf('.') + 1)));
            context.RegisterCodeFix(
                CodeAction.Create(title, token => FixAsync(context.Document, declaration, typeNames, token), nameof(AddOutputTypeCodeFix) + names),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, ClassDeclarationSyntax declaration, IReadOnlyList<string> typeNames, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var generator = editor.Generator;
        var lists = new List<AttributeListSyntax>();
        foreach (var name in typeNames)
        {
            var type = model?.Compilation.GetTypeByMetadataName(name);
            var typeSyntax = type is null ? SyntaxFactory.ParseTypeName(name) : (TypeSyntax)generator.TypeExpression(type);
            var attribute = SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("OutputType"))
                .AddArgumentListArguments(SyntaxFactory.AttributeArgument(SyntaxFactory.TypeOfExpression(typeSyntax.WithAdditionalAnnotations(Simplifier.Annotation))));
            lists.Add(SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute)));
        }

        // After the [Cmdlet] attribute when there is one, so the class reads [Cmdlet] then [OutputType].
        var attributeLists = declaration.AttributeLists;
        var index = attributeLists.Count;
        for (var i = 0; i < attributeLists.Count; i++)
        {
            if (attributeLists[i].Attributes.Any(a => a.Name.ToString() is "Cmdlet" or "CmdletAttribute" || a.Name.ToString().EndsWith(".Cmdlet", System.StringComparison.Ordinal)))
            {
                index = i + 1;
            }
        }

        var indentation = declaration.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var formatted = lists.Select(l => l.WithLeadingTrivia(indentation).WithTrailingTrivia(SyntaxFactory.EndOfLine("\n"))).ToList();
        if (index == 0 && attributeLists.Count == 0)
        {
            // No attribute lists: the first one takes the class's leading trivia.
            formatted[0] = formatted[0].WithLeadingTrivia(declaration.GetLeadingTrivia());
            var updated = declaration.WithoutLeadingTrivia().WithLeadingTrivia(indentation).WithAttributeLists(SyntaxFactory.List(formatted));
            editor.ReplaceNode(declaration, updated);
        }
        else
        {
            editor.ReplaceNode(declaration, declaration.WithAttributeLists(attributeLists.InsertRange(index, formatted)));
        }

        return editor.GetChangedDocument();
    }
}
