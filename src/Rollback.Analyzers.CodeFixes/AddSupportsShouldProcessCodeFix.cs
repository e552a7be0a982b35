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

namespace Rollback.Analyzers.CodeFixes;

/// <summary>RB1002: adds SupportsShouldProcess = true to the [Cmdlet] attribute (or turns a false into true).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddSupportsShouldProcessCodeFix))]
[Shared]
public sealed class AddSupportsShouldProcessCodeFix : CodeFixProvider
{
    private const string Title = "Add SupportsShouldProcess = true";

    public override ImmutableArray<string> FixableDiagnosticIds => [Descriptors.ShouldProcess.Id];

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(Descriptors.FixProperty, out var fix) || fix != Descriptors.AddSupportsShouldProcess)
            {
                continue;
            }

            if (root?.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, token => Fix(context.Document, root, attribute, token), nameof(AddSupportsShouldProcessCodeFix)),
                diagnostic);
        }
    }

    private static Task<Document> Fix(Document document, SyntaxNode root, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var arguments = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        var existing = arguments.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "SupportsShouldProcess");
        var value = SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression);
        AttributeArgumentListSyntax updated;
        if (existing is not null)
        {
            updated = arguments.ReplaceNode(existing, existing.WithExpression(value));
        }
        else
        {
            var argument = SyntaxFactory.AttributeArgument(value).WithNameEquals(SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("SupportsShouldProcess")));
            updated = arguments.AddArguments(argument);
        }

        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(attribute, attribute.WithArgumentList(updated))));
    }
}
