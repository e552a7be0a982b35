using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;
using static Rollback.Analyzers.Tests.AnalyzerHarness;

namespace Rollback.Analyzers.Tests;

/// <summary>RB1004 (error ids), RB1005 (layering), RB1006 (console), RB1007 (secrets), RB1008 (paths).</summary>
public sealed class ModuleRuleTests
{
    [Fact]
    public async Task Rb1004FiresOnInlineIdsAndNotSpecifiedButAcceptsCatalogueConstantsAndCarriedIds()
    {
        var source = """
            using System;
            using System.Management.Automation;
            using Rollback.Errors;

            public static class Errors
            {
                public static ErrorRecord Inline(Exception e) => new ErrorRecord(e, "SomethingBroke", ErrorCategory.InvalidData, null);
                public static ErrorRecord Unspecified(Exception e) => new ErrorRecord(e, RollbackErrorId.TargetNotFound, ErrorCategory.NotSpecified, null);
                public static ErrorRecord Catalogue(Exception e) => new ErrorRecord(e, RollbackErrorId.TargetNotFound, ErrorCategory.ObjectNotFound, null);
                public static ErrorRecord Carried(RollbackException e, ErrorCategory category) => new ErrorRecord(e, e.ErrorId, category, null);
                public static ErrorRecord Either(RollbackException? e) => new ErrorRecord(new Exception(), e?.ErrorId ?? RollbackErrorId.RollbackFailed, ErrorCategory.WriteError, null);
                public static RollbackException Thrown(string id) => new RollbackException(id, RollbackErrorCategory.InvalidArgument, "m");
                public static RollbackException Good() => new RollbackException(RollbackErrorId.RollbackFailed, RollbackErrorCategory.InvalidArgument, "m");
                public static RollbackException Vague() => new RollbackException(RollbackErrorId.RollbackFailed, RollbackErrorCategory.NotSpecified, "m");
            }
            """;

        Assert.Equal(
            [
                At("RB1004", source, "\"SomethingBroke\""),
                At("RB1004", source, "TargetNotFound, ErrorCategory.NotSpecified", "ErrorCategory.NotSpecified"),
                At("RB1004", source, "new RollbackException(id,", "id"),
                At("RB1004", source, "RollbackErrorCategory.NotSpecified"),
            ],
            await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1004TakesTheCatalogueFromConfiguration()
    {
        var source = """
            using System;
            using System.Management.Automation;

            public sealed class MyIds
            {
                public const string Broken = nameof(Broken);
            }

            public static class Errors
            {
                public static ErrorRecord Make(Exception e) => new ErrorRecord(e, MyIds.Broken, ErrorCategory.InvalidData, null);
            }
            """;

        Assert.Equal([At("RB1004", source, "MyIds.Broken")], await AnalyzeAsync(source));
        Assert.Empty(await AnalyzeAsync(source, options: new Dictionary<string, string> { ["rollback_error_id_catalog"] = "MyIds" }));
    }

    [Fact]
    public async Task Rb1004AcceptsAProvidersOwnMarkedCatalogueAndStillRejectsStringsAndUnmarkedClasses()
    {
        var source = """
            using System;
            using System.Management.Automation;
            using Rollback.Errors;

            namespace Rollback.Errors
            {
                [AttributeUsage(AttributeTargets.Class)]
                public sealed class ErrorIdCatalogAttribute : Attribute { }

                public sealed class ErrorIdInfo
                {
                    public ErrorIdInfo(string errorId, string recommendedAction) { ErrorId = errorId; }
                    public string ErrorId { get; }
                }
            }

            [ErrorIdCatalog]
            public static class QueueErrorId
            {
                public const string QueueMissing = nameof(QueueMissing);
            }

            public static class LooseErrorId
            {
                public const string Loose = nameof(Loose);
            }

            public static class Errors
            {
                public static RollbackException Owned() => new RollbackException(QueueErrorId.QueueMissing, RollbackErrorCategory.ObjectNotFound, "m");
                public static ErrorRecord OwnedRecord(Exception e) => new ErrorRecord(e, QueueErrorId.QueueMissing, ErrorCategory.ObjectNotFound, null);
                public static ErrorIdInfo Declared() => new ErrorIdInfo(QueueErrorId.QueueMissing, "Create the queue.");
                public static RollbackException Unmarked() => new RollbackException(LooseErrorId.Loose, RollbackErrorCategory.ObjectNotFound, "m");
                public static RollbackException Inline() => new RollbackException("QueueMissing", RollbackErrorCategory.ObjectNotFound, "m");
                public static ErrorIdInfo DeclaredInline() => new ErrorIdInfo("QueueMissing", "Create the queue.");
            }
            """;

        Assert.Equal(
            [
                At("RB1004", source, "LooseErrorId.Loose"),
                At("RB1004", source, "\"QueueMissing\", RollbackErrorCategory", "\"QueueMissing\""),
                At("RB1004", source, "\"QueueMissing\", \"Create", "\"QueueMissing\""),
            ],
            await AnalyzeAsync(source));
    }

    [Theory]
    [InlineData("Engine")]
    [InlineData("Provider")]
    public async Task Rb1005FiresOnPowerShellTypesInTheEngineAndProviders(string layer)
    {
        var source = """
            using System.Management.Automation;

            public static class Leaky
            {
                public static object Wrap(object value) => new PSObject(value);
            }
            """;

        Assert.Equal(
            ["RB1005 (no location)", At("RB1005", source, "Automation"), At("RB1005", source, "PSObject")],
            await AnalyzeAsync(source, layer));
        Assert.Empty(await AnalyzeAsync(source, "Cmdlets"));
    }

    [Fact]
    public async Task Rb1005FiresOnProviderTypesInTheCmdletLayerButNotOnTheCatalogue()
    {
        var providers = Compile("""
            namespace Rollback.Providers.Fake
            {
                public sealed class FakeProvider { public static string Kind => "Fake"; }
            }
            """, "Rollback.Providers.Fake").ToMetadataReference();
        var source = """
            using Rollback.Engine;
            using Rollback.Providers.Fake;

            public static class Direct
            {
                public static string Kind() => FakeProvider.Kind;
                public static RollbackEngine Engine() => new RollbackEngine();
            }
            """;

        Assert.Equal([At("RB1005", source, "FakeProvider")], await AnalyzeAsync(source, "Cmdlets", extraReferences: [providers]));
        Assert.DoesNotContain(await AnalyzeAsync(source, "Engine", extraReferences: [providers]), d => d != "RB1005 (no location)");
    }

    [Fact]
    public async Task Rb1006FiresOnConsoleInTheModuleButNotInHostsOrTests()
    {
        var source = """
            using System;

            public static class Chatty
            {
                public static void Say(string text) => Console.WriteLine(text);
                public static bool Redirected => Console.IsOutputRedirected;
            }
            """;

        Assert.Equal(
            [At("RB1006", source, "Console.WriteLine(text)"), At("RB1006", source, "Console.IsOutputRedirected")],
            await AnalyzeAsync(source, "Cmdlets"));
        Assert.Equal(2, (await AnalyzeAsync(source, "Engine")).Count(d => d.StartsWith("RB1006", System.StringComparison.Ordinal)));
        Assert.Empty(await AnalyzeAsync(source, "Host"));
        Assert.Empty(await AnalyzeAsync(source, "Tests"));
    }

    [Fact]
    public async Task Rb1007WarnsOnPublicStringSecretsOnly()
    {
        var source = """
            using System.Security;

            public sealed class Result
            {
                public string AdminPassword { get; set; } = "";
                public string SecretValue { get; set; } = "";
                public string ApiToken { get; set; } = "";
                public string ConnectionString { get; set; } = "";
                public string SecretId { get; set; } = "";
                public SecureString? Password { get; set; }
                internal string InternalToken { get; set; } = "";
            }

            internal sealed class Hidden
            {
                public string Password { get; set; } = "";
            }
            """;

        var diagnostics = await DiagnosticsAsync(source);
        Assert.Equal(
            [At("RB1007", source, "AdminPassword"), At("RB1007", source, "SecretValue"), At("RB1007", source, "ApiToken"), At("RB1007", source, "ConnectionString")],
            diagnostics.Select(Render));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
    }

    [Fact]
    public async Task Rb1008FiresOnUnresolvedPathsAndWildcardLiteralPaths()
    {
        var source = """
            using System.Management.Automation;

            [Cmdlet(VerbsCommon.Get, "Raw")]
            [OutputType(typeof(string))]
            public sealed class GetRawCommand : PSCmdlet
            {
                [Parameter]
                public string Path { get; set; } = "";

                protected override void ProcessRecord() => WriteObject(System.IO.File.ReadAllText(Path));
            }

            [Cmdlet(VerbsCommon.Get, "Resolved")]
            [OutputType(typeof(string))]
            public sealed class GetResolvedCommand : PSCmdlet
            {
                [Parameter]
                [SupportsWildcards]
                public string Path { get; set; } = "";

                [Parameter]
                [SupportsWildcards]
                public string LiteralPath { get; set; } = "";

                protected override void ProcessRecord()
                {
                    foreach (var path in GetResolvedProviderPathFromPSPath(Path, out _))
                    {
                        WriteObject(path);
                    }

                    WriteObject(SessionState.Path.GetUnresolvedProviderPathFromPSPath(LiteralPath));
                }
            }
            """;

        Assert.Equal(
            [At("RB1008", source, "public string Path { get; set; } = \"\";\n\n    protected override void ProcessRecord() => WriteObject(System.IO", "Path"), At("RB1008", source, "LiteralPath { get", "LiteralPath")],
            await AnalyzeAsync(source));
    }
}
