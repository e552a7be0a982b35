using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Rollback.Analyzers.CodeFixes;
using Xunit;

namespace Rollback.Analyzers.Tests;

/// <summary>The code fixes, applied in an AdhocWorkspace; the fixed text is compared whole and re-analysed.</summary>
public sealed class CodeFixTests
{
    [Fact]
    public async Task AddsSupportsShouldProcessToTheCmdletAttribute()
    {
        var source = """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Remove, "Thing")]
            [OutputType(typeof(string))]
            public sealed class RemoveThingCommand : PSCmdlet
            {
            }
            """;
        var expected = """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Remove, "Thing", SupportsShouldProcess = true)]
            [OutputType(typeof(string))]
            public sealed class RemoveThingCommand : PSCmdlet
            {
            }
            """;

        Assert.Equal(expected, await FixAsync(source, "RB1002", new AddSupportsShouldProcessCodeFix()));
    }

    [Fact]
    public async Task TurnsSupportsShouldProcessFalseIntoTrue()
    {
        var source = """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Set, "Thing", SupportsShouldProcess = false, ConfirmImpact = ConfirmImpact.Low)]
            [OutputType(typeof(string))]
            public sealed class SetThingCommand : PSCmdlet
            {
            }
            """;

        Assert.Equal(source.Replace("SupportsShouldProcess = false", "SupportsShouldProcess = true", System.StringComparison.Ordinal), await FixAsync(source, "RB1002", new AddSupportsShouldProcessCodeFix()));
    }

    [Fact]
    public async Task AddsTheMissingOutputTypeAfterTheCmdletAttribute()
    {
        var source = """
            using System.Management.Automation;
            using Rollback.Engine;

            namespace Sample;

            /// <summary>Gets a thing.</summary>
            [Cmdlet(VerbsCommon.Get, "Thing")]
            public sealed class GetThingCommand : PSCmdlet
            {
                protected override void ProcessRecord() => WriteObject(new Thing());
            }
            """;
        var expected = """
            using System.Management.Automation;
            using Rollback.Engine;

            namespace Sample;

            /// <summary>Gets a thing.</summary>
            [Cmdlet(VerbsCommon.Get, "Thing")]
            [OutputType(typeof(Thing))]
            public sealed class GetThingCommand : PSCmdlet
            {
                protected override void ProcessRecord() => WriteObject(new Thing());
            }
            """;

        Assert.Equal(expected, await FixAsync(source, "RB1003", new AddOutputTypeCodeFix()));
    }

    [Fact]
    public async Task AddsAnOutputTypeForAnUndeclaredWrittenType()
    {
        var source = """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Get, "Thing")]
            [OutputType(typeof(string))]
            public sealed class GetThingCommand : PSCmdlet
            {
                protected override void ProcessRecord() => WriteObject(42);
            }
            """;
        var expected = """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Get, "Thing")]
            [OutputType(typeof(int))]
            [OutputType(typeof(string))]
            public sealed class GetThingCommand : PSCmdlet
            {
                protected override void ProcessRecord() => WriteObject(42);
            }
            """;

        Assert.Equal(expected, await FixAsync(source, "RB1003", new AddOutputTypeCodeFix()));
    }

    /// <summary>Applies the first fix offered for the only <paramref name="id"/> diagnostic; the result must be free of that id.</summary>
    private static async Task<string> FixAsync(string source, string id, CodeFixProvider fix)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(projectId, "Snippet", "Snippet", LanguageNames.CSharp)
            .WithProjectCompilationOptions(projectId, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable))
            .WithProjectParseOptions(projectId, new CSharpParseOptions(LanguageVersion.Latest))
            .AddMetadataReferences(projectId, AnalyzerHarness.References)
            .AddDocument(documentId, "Snippet.cs", SourceText.From(source))
            .AddDocument(DocumentId.CreateNewId(projectId), "Prelude.cs", SourceText.From(AnalyzerHarness.Prelude));
        Assert.True(workspace.TryApplyChanges(solution));
        var document = workspace.CurrentSolution.GetDocument(documentId)!;

        var diagnostics = await DiagnosticsAsync(document.Project, id);
        var diagnostic = Assert.Single(diagnostics);
        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        var first = Assert.Single(actions);
        var operations = await first.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var fixedDocument = changed.GetDocument(documentId)!;
        Assert.Empty(await DiagnosticsAsync(fixedDocument.Project, id));
        return (await fixedDocument.GetTextAsync()).ToString();
    }

    private static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(Project project, string id)
    {
        var compilation = (await project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var all = await compilation.WithAnalyzers(AnalyzerHarness.AllAnalyzers).GetAnalyzerDiagnosticsAsync();
        return all.Where(d => d.Id == id).ToImmutableArray();
    }
}
