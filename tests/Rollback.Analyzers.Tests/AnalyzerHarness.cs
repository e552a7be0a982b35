using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace Rollback.Analyzers.Tests;

/// <summary>
/// Compiles snippets against the running runtime's assemblies plus PowerShellStandard.Library's
/// System.Management.Automation, runs the RB analyzers through CompilationWithAnalyzers, and renders each
/// diagnostic as "ID line:column-line:column" (1-based) so tests assert ids and spans exactly.
/// </summary>
internal static class AnalyzerHarness
{
    /// <summary>Stand-ins for the module's engine, catalogue and carrier types, as the real ones are named.</summary>
    public const string Prelude = """
        namespace Rollback.Errors
        {
            public static class RollbackErrorId
            {
                public const string TargetNotFound = nameof(TargetNotFound);
                public const string RollbackFailed = nameof(RollbackFailed);
            }

            public enum RollbackErrorCategory { InvalidArgument, ObjectNotFound, NotSpecified }

            public sealed class RollbackException : System.Exception
            {
                public RollbackException(string errorId, RollbackErrorCategory category, string message) : base(message)
                {
                    ErrorId = errorId;
                    Category = category;
                }

                public string ErrorId { get; }

                public RollbackErrorCategory Category { get; }
            }
        }

        namespace Rollback.Engine
        {
            public sealed class Thing { public string Name { get; set; } = ""; }

            public sealed class RollbackEngine
            {
                public Thing GetThing(string name) => new Thing { Name = name };
                public Thing CreateThing(string name) => new Thing { Name = name };
                public void RemoveThing(Thing thing) { }
                public PointOperations Points { get; } = new PointOperations();
            }

            public sealed class PointOperations
            {
                public Thing Get(string name) => new Thing { Name = name };
                public Thing Create(string name) => new Thing { Name = name };
            }
        }
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
    {
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Where(p => !Path.GetFileName(p).StartsWith("System.Management.Automation", StringComparison.Ordinal));
        return platform.Append(TestPathsAttribute.PowerShell).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers =>
        typeof(Descriptors).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    public static CSharpCompilation Compile(string source, string assemblyName = "Snippet", IEnumerable<MetadataReference>? extraReferences = null)
    {
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(source, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: "Snippet.cs"),
            CSharpSyntaxTree.ParseText(Prelude, CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path: "Prelude.cs"),
        };
        var compilation = CSharpCompilation.Create(assemblyName, trees, References.AddRange(extraReferences ?? []),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The snippet does not compile:\n" + string.Join("\n", errors));
        return compilation;
    }

    /// <summary>Runs the analyzers (all of them by default) and returns "ID line:col-line:col" for the snippet's diagnostics.</summary>
    public static async Task<IReadOnlyList<string>> AnalyzeAsync(string source, string layer = "Cmdlets", IReadOnlyDictionary<string, string>? options = null, IEnumerable<MetadataReference>? extraReferences = null)
    {
        var diagnostics = await DiagnosticsAsync(source, layer, options, extraReferences);
        return diagnostics.Select(Render).ToList();
    }

    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(string source, string layer = "Cmdlets", IReadOnlyDictionary<string, string>? options = null, IEnumerable<MetadataReference>? extraReferences = null)
    {
        var compilation = Compile(source, extraReferences: extraReferences);
        var chosen = AllAnalyzers;
        var all = new Dictionary<string, string>(options ?? new Dictionary<string, string>()) { ["build_property.RollbackLayer"] = layer };
        var analyzerOptions = new AnalyzerOptions([], new TestOptionsProvider(all));
        var withAnalyzers = compilation.WithAnalyzers(chosen, new CompilationWithAnalyzersOptions(analyzerOptions, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        var result = await withAnalyzers.GetAllDiagnosticsAsync(CancellationToken.None);
        var failures = result.Where(d => d.Id == "AD0001").ToList();
        Assert.True(failures.Count == 0, "An analyzer threw:\n" + string.Join("\n", failures));
        return result.Where(d => d.Id.StartsWith("RB", StringComparison.Ordinal) && (d.Location == Location.None || d.Location.SourceTree?.FilePath == "Snippet.cs"))
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    public static string Render(Diagnostic diagnostic)
    {
        if (diagnostic.Location == Location.None)
        {
            return diagnostic.Id + " (no location)";
        }

        var span = diagnostic.Location.GetLineSpan();
        return $"{diagnostic.Id} {span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1}:{span.EndLinePosition.Character + 1}";
    }

    /// <summary>"ID line:col-line:col" of the only occurrence of <paramref name="text"/> in the source.</summary>
    public static string At(string id, string source, string text)
    {
        var start = source.IndexOf(text, StringComparison.Ordinal);
        Assert.True(start >= 0, "Not in the snippet: " + text);
        Assert.True(source.IndexOf(text, start + 1, StringComparison.Ordinal) < 0, "Not unique in the snippet: " + text);
        var (line, column) = Position(source, start);
        var (endLine, endColumn) = Position(source, start + text.Length);
        return $"{id} {line}:{column}-{endLine}:{endColumn}";
    }

    /// <summary>"ID line:col-line:col" of the first <paramref name="text"/> inside the only occurrence of <paramref name="context"/>.</summary>
    public static string At(string id, string source, string context, string text)
    {
        var outer = source.IndexOf(context, StringComparison.Ordinal);
        Assert.True(outer >= 0 && source.IndexOf(context, outer + 1, StringComparison.Ordinal) < 0, "Not unique in the snippet: " + context);
        var start = source.IndexOf(text, outer, StringComparison.Ordinal);
        Assert.True(start >= 0 && start + text.Length <= outer + context.Length, "Not inside the context: " + text);
        var (line, column) = Position(source, start);
        var (endLine, endColumn) = Position(source, start + text.Length);
        return $"{id} {line}:{column}-{endLine}:{endColumn}";
    }

    private static (int Line, int Column) Position(string source, int offset)
    {
        var before = source.Substring(0, offset);
        var line = before.Count(c => c == '\n') + 1;
        var column = offset - (before.LastIndexOf('\n') + 1) + 1;
        return (line, column);
    }

    private sealed class TestOptionsProvider : AnalyzerConfigOptionsProvider
    {
        private readonly DictionaryOptions _options;

        public TestOptionsProvider(IReadOnlyDictionary<string, string> values) => _options = new DictionaryOptions(values);

        public override AnalyzerConfigOptions GlobalOptions => _options;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _options;
    }

    private sealed class DictionaryOptions : AnalyzerConfigOptions
    {
        private readonly IReadOnlyDictionary<string, string> _values;

        public DictionaryOptions(IReadOnlyDictionary<string, string> values) => _values = values;

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => _values.TryGetValue(key, out value);
    }
}
