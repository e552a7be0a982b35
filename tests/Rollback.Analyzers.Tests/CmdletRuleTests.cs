using System.Threading.Tasks;
using Xunit;
using static Rollback.Analyzers.Tests.AnalyzerHarness;

namespace Rollback.Analyzers.Tests;

/// <summary>RB1001 (approved verb), RB1002 (ShouldProcess) and RB1003 (OutputType) on small cmdlets.</summary>
public sealed class CmdletRuleTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using System.Management.Automation;
        using Rollback.Engine;

        public abstract class BaseCmdlet : PSCmdlet
        {
            protected RollbackEngine Engine { get; } = new RollbackEngine();

            protected bool ShouldProcessUnlessForced(string target, string action, bool force) => force || ShouldProcess(target, action);
        }

        """;

    [Fact]
    public async Task Rb1001FiresOnAnInventedVerbAndNotOnAConstantOrAnApprovedLiteral()
    {
        var source = Usings + """
            [Cmdlet("Fetch", "Thing")]
            [OutputType(typeof(Thing))]
            public sealed class FetchThingCommand : BaseCmdlet { }

            [Cmdlet(VerbsCommon.Get, "Thing")]
            [OutputType(typeof(Thing))]
            public sealed class GetThingCommand : BaseCmdlet { }

            [Cmdlet("Test", "Thing")]
            [OutputType(typeof(bool))]
            public sealed class TestThingCommand : BaseCmdlet { }
            """;

        Assert.Equal([At("RB1001", source, "\"Fetch\"")], await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1001IgnoresAbstractBasesAndClassesThatAreNotCmdlets()
    {
        var source = Usings + """
            [Cmdlet("Frobnicate", "Thing")]
            public abstract class AbstractCommand : BaseCmdlet { }

            [Cmdlet("Frobnicate", "Other")]
            public sealed class NotACmdlet { }
            """;

        Assert.Empty(await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1002FiresOnAStateChangingVerbWithoutSupportsShouldProcess()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.Remove, "Thing")]
            [OutputType(typeof(Thing))]
            public sealed class RemoveThingCommand : BaseCmdlet
            {
                protected override void ProcessRecord()
                {
                    if (ShouldProcess("thing"))
                    {
                        Engine.RemoveThing(Engine.GetThing("x"));
                    }
                }
            }
            """;

        Assert.Equal([At("RB1002", source, "Cmdlet(VerbsCommon.Remove, \"Thing\")")], await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1002FiresOnSupportsShouldProcessFalse()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.New, "Thing", SupportsShouldProcess = false)]
            [OutputType(typeof(Thing))]
            public sealed class NewThingCommand : BaseCmdlet { }
            """;

        Assert.Equal([At("RB1002", source, "Cmdlet(VerbsCommon.New, \"Thing\", SupportsShouldProcess = false)")], await AnalyzeAsync(source));
    }

    [Theory]
    [InlineData("Engine.GetThing", "Engine.CreateThing")]
    [InlineData("Engine.Points.Get", "Engine.Points.Create")] // through one of the engine's parts
    public async Task Rb1002FiresOnAnEngineChangeBeforeShouldProcessButNotOnAQuery(string query, string change)
    {
        var source = Usings + $$"""
            [Cmdlet(VerbsCommon.New, "Thing", SupportsShouldProcess = true)]
            [OutputType(typeof(Thing))]
            public sealed class NewThingCommand : BaseCmdlet
            {
                protected override void ProcessRecord()
                {
                    var existing = {{query}}("a");
                    var made = {{change}}(existing.Name);
                    if (ShouldProcess(made.Name))
                    {
                        WriteObject({{change}}("b"));
                    }
                }
            }
            """;

        Assert.Equal([At("RB1002", source, change + "(existing.Name)")], await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1002FollowsHelpersOfTheClassAndAcceptsAHelperThatCallsShouldProcess()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.Remove, "Thing", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
            [OutputType(typeof(Thing))]
            public sealed class RemoveThingCommand : BaseCmdlet
            {
                [Parameter]
                public SwitchParameter Force { get; set; }

                protected override void ProcessRecord()
                {
                    Remove(Engine.GetThing("a"));
                    Unguarded(Engine.GetThing("b"));
                }

                private void Remove(Thing thing)
                {
                    if (!ShouldProcessUnlessForced(thing.Name, "Remove", Force))
                    {
                        return;
                    }

                    Engine.RemoveThing(thing);
                }

                private void Unguarded(Thing thing) => Engine.RemoveThing(thing);
            }
            """;

        // The guard in Remove also covers what follows it in ProcessRecord's walk: the check is "preceded by", in source order.
        var diagnostics = await AnalyzeAsync(source);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task Rb1002FiresInAHelperCalledBeforeAnyGuard()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.Remove, "Thing", SupportsShouldProcess = true)]
            [OutputType(typeof(Thing))]
            public sealed class RemoveThingCommand : BaseCmdlet
            {
                protected override void EndProcessing() => Drop(Engine.GetThing("a"));

                private void Drop(Thing thing) => Engine.RemoveThing(thing);
            }
            """;

        Assert.Equal([At("RB1002", source, "Engine.RemoveThing(thing)")], await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1002DoesNotApplyToReadingVerbs()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.Get, "Thing")]
            [OutputType(typeof(Thing))]
            public sealed class GetThingCommand : BaseCmdlet
            {
                protected override void ProcessRecord() => WriteObject(Engine.CreateThing("a"));
            }
            """;

        Assert.Empty(await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1003FiresOnACmdletWithoutOutputType()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.Get, "Thing")]
            public sealed class GetThingCommand : BaseCmdlet
            {
                protected override void ProcessRecord() => WriteObject(Engine.GetThing("a"));
            }
            """;

        var diagnostics = await DiagnosticsAsync(source);
        Assert.Equal([At("RB1003", source, "GetThingCommand")], System.Linq.Enumerable.Select(diagnostics, Render));
        Assert.Equal("Rollback.Engine.Thing", diagnostics[0].Properties[Descriptors.OutputTypesProperty]);
        Assert.Contains("[OutputType(typeof(Thing))]", diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rb1003FiresOnAnUndeclaredWrittenTypeAndChecksEnumeratedElements()
    {
        var source = Usings + """
            [Cmdlet(VerbsCommon.Get, "Thing")]
            [OutputType(typeof(Thing))]
            public sealed class GetThingCommand : BaseCmdlet
            {
                protected override void ProcessRecord()
                {
                    WriteObject(Engine.GetThing("a"));
                    WriteObject(new List<Thing>(), enumerateCollection: true);
                    WriteObject(new List<string>(), enumerateCollection: true);
                    WriteObject("text");
                }
            }
            """;

        Assert.Equal(
            [At("RB1003", source, "new List<string>()"), At("RB1003", source, "\"text\"")],
            await AnalyzeAsync(source));
    }

    [Fact]
    public async Task Rb1003AcceptsDerivedTypesTypesDeclaredPerParameterSetAndByName()
    {
        var source = Usings + """
            public class Shape { }
            public sealed class Circle : Shape { }

            [Cmdlet(VerbsCommon.Get, "Shape")]
            [OutputType(typeof(Shape), ParameterSetName = new[] { "A" })]
            [OutputType("System.String", ParameterSetName = new[] { "B" })]
            public sealed class GetShapeCommand : BaseCmdlet
            {
                protected override void ProcessRecord()
                {
                    WriteObject(new Circle());
                    WriteObject("named");
                }
            }
            """;

        Assert.Empty(await AnalyzeAsync(source));
    }
}
