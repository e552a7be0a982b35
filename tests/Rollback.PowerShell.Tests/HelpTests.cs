using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Every exported cmdlet has real help (the MAML the build compiles from docs/cmdlets/*.md, not the synopsis PowerShell
/// makes up from the syntax), with examples whose code parses, and its help and its code agree parameter by parameter.
/// Get-Help runs in the hosted runspace, as a user would call it.
/// </summary>
public sealed class HelpTests
{
    public static TheoryData<string> ExportedCmdlets()
    {
        using var session = new RollbackSession();
        var data = new TheoryData<string>();
        foreach (var name in CommandsOf(session).Select(c => c.Name).Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void HelpCoversEveryExpectedCmdlet()
    {
        // A guard against the theories below passing vacuously: the module must export the cmdlets they check.
        Assert.Equal(ModuleSurfaceTests.ExpectedCmdlets.Length, ExportedCmdlets().Count);
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void CmdletHasWrittenSynopsisDescriptionAndExamples(string name)
    {
        using var session = new RollbackSession();

        var help = HelpOf(session, name);

        var synopsis = Assert.IsType<string>(help.Properties["Synopsis"]?.Value).Trim();
        Assert.False(string.IsNullOrEmpty(synopsis), $"{name} has an empty synopsis.");
        Assert.False(synopsis.StartsWith(name, StringComparison.OrdinalIgnoreCase), $"{name}'s synopsis is the generated syntax: {synopsis}");
        Assert.EndsWith(".", synopsis, StringComparison.Ordinal);

        Assert.NotEmpty(Texts(help.Properties["description"]?.Value));

        var examples = Items(help, "examples", "example");
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            Assert.False(string.IsNullOrWhiteSpace(example.Properties["code"]?.Value?.ToString()), $"{name} has an example without code.");
            Assert.Contains(name, example.Properties["code"]!.Value!.ToString()!, StringComparison.OrdinalIgnoreCase);
            Assert.NotEmpty(Texts(example.Properties["remarks"]?.Value));
        }

        var links = Items(help, "relatedLinks", "navigationLink").Select(l => l.Properties["linkText"]?.Value?.ToString()).ToList();
        Assert.Contains("about_Rollback", links);
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void HelpDescribesEveryParameterAndNoOther(string name)
    {
        using var session = new RollbackSession();
        var command = CommandsOf(session).Single(c => c.Name == name);
        var actual = command.Parameters.Keys.Where(k => !Cmdlet.CommonParameters.Contains(k)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(actual);

        var help = HelpOf(session, name);
        var documented = Items(help, "parameters", "parameter").ToDictionary(p => p.Properties["name"]!.Value!.ToString()!, StringComparer.OrdinalIgnoreCase);

        Assert.Empty(actual.Except(documented.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal));
        Assert.Empty(documented.Keys.Except(actual, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal));
        foreach (var (parameter, entry) in documented)
        {
            Assert.True(Texts(entry.Properties["description"]?.Value).Any(t => t.Length > 10), $"{name} -{parameter} has no description.");
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void EveryCmdletHasAtLeastTwoExamplesWhoseCodeParses(string name)
    {
        using var session = new RollbackSession();
        var help = HelpOf(session, name);

        var examples = Items(help, "examples", "example");
        Assert.True(examples.Count >= 2, $"{name} has {examples.Count} example(s); write at least two.");
        foreach (var example in examples)
        {
            var code = example.Properties["code"]!.Value!.ToString()!;
            Parser.ParseInput(code, out _, out var errors);
            Assert.True(errors.Length == 0, $"{name}, '{example.Properties["title"]?.Value}': {string.Join("; ", errors.Select(e => $"{e.Message} at {e.Extent.StartLineNumber}:{e.Extent.StartColumnNumber}"))}");
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void HelpStatesTypeAliasesRequiredPositionAndPipelineInputAsTheCodeDeclares(string name)
    {
        using var session = new RollbackSession();
        var command = CommandsOf(session).Single(c => c.Name == name);
        var help = HelpOf(session, name);

        foreach (var entry in Items(help, "parameters", "parameter"))
        {
            var parameterName = entry.Properties["name"]!.Value!.ToString()!;
            var parameter = command.Parameters[parameterName];
            var declared = parameter.ParameterSets.Values;

            // Help names the type as users see it: a nullable value type by its value type, an array as Element[].
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            var documentedType = (entry.Properties["type"]?.Value as PSObject)?.Properties["name"]?.Value?.ToString();
            Assert.True(type.Name == documentedType, $"{name} -{parameterName}: help says type {documentedType}, code says {type.Name}.");

            var aliases = entry.Properties["aliases"]?.Value?.ToString() ?? "none";
            var documentedAliases = aliases == "none" ? new List<string>() : aliases.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            Assert.Equal(parameter.Aliases.Order(StringComparer.OrdinalIgnoreCase), documentedAliases.Order(StringComparer.OrdinalIgnoreCase));

            // A parameter in several sets is documented once: required if any set requires it, the position it has.
            var required = declared.Any(s => s.IsMandatory);
            Assert.Equal(required.ToString(), entry.Properties["required"]?.Value?.ToString(), ignoreCase: true);

            var positions = declared.Select(s => s.Position).Where(p => p >= 0).Distinct().ToList();
            var position = positions.Count == 0 ? "named" : positions.Single().ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(position == entry.Properties["position"]?.Value?.ToString(), $"{name} -{parameterName}: help says position {entry.Properties["position"]?.Value}, code says {position}.");

            var byValue = declared.Any(s => s.ValueFromPipeline);
            var byName = declared.Any(s => s.ValueFromPipelineByPropertyName);
            var pipeline = entry.Properties["pipelineInput"]?.Value?.ToString() ?? string.Empty;
            Assert.True(byValue == pipeline.Contains("ByValue", StringComparison.Ordinal), $"{name} -{parameterName}: pipeline by value is {byValue}, help says '{pipeline}'.");
            Assert.True(byName == pipeline.Contains("ByPropertyName", StringComparison.Ordinal), $"{name} -{parameterName}: pipeline by property name is {byName}, help says '{pipeline}'.");
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void HelpSyntaxListsTheCmdletsParameterSets(string name)
    {
        using var session = new RollbackSession();
        var command = CommandsOf(session).Single(c => c.Name == name);
        var help = HelpOf(session, name);

        // Each set in the code appears in the help's syntax with exactly its parameters (common parameters aside).
        var expected = command.ParameterSets
            .Select(s => string.Join(",", s.Parameters.Select(p => p.Name).Where(p => !Cmdlet.CommonParameters.Contains(p)).Order(StringComparer.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal);
        var documented = Items(help, "syntax", "syntaxItem")
            .Select(item => string.Join(",", ParameterNames(item).Order(StringComparer.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, documented);
    }

    internal static IEnumerable<CommandInfo> CommandsOf(RollbackSession session) =>
        session.Run("Get-Command -Module Rollback").Output.Select(o => (CommandInfo)o.BaseObject);

    private static PSObject HelpOf(RollbackSession session, string name)
    {
        var result = session.Run("param($name) Get-Help -Name $name -Full", new Dictionary<string, object> { ["name"] = name });
        result.AssertNoErrors();
        var help = Assert.Single(result.Output);
        Assert.Equal("Cmdlet", help.Properties["Category"]?.Value?.ToString());
        return help;
    }

    /// <summary>The objects under help.container.item (each level a PSObject; a single item is not wrapped in an array).</summary>
    private static List<PSObject> Items(PSObject help, string container, string item)
    {
        if (help.Properties[container]?.Value is not PSObject holder || holder.Properties[item]?.Value is not { } value)
        {
            return new List<PSObject>();
        }

        return AsObjects(value);
    }

    private static IEnumerable<string> ParameterNames(PSObject syntaxItem) =>
        syntaxItem.Properties["parameter"]?.Value is { } value
            ? AsObjects(value).Select(p => p.Properties["name"]!.Value!.ToString()!)
            : Enumerable.Empty<string>();

    /// <summary>The text of a help description: an array of objects with a Text property.</summary>
    private static List<string> Texts(object? description) =>
        description is null
            ? new List<string>()
            : AsObjects(description).Select(d => d.Properties["Text"]?.Value?.ToString()?.Trim() ?? string.Empty).Where(t => t.Length > 0).ToList();

    private static List<PSObject> AsObjects(object value)
    {
        var unwrapped = value is PSObject wrapped && wrapped.BaseObject is System.Collections.IEnumerable and not string ? wrapped.BaseObject : value;
        return unwrapped is System.Collections.IEnumerable items and not string
            ? items.Cast<object>().Select(PSObject.AsPSObject).ToList()
            : new List<PSObject> { PSObject.AsPSObject(unwrapped) };
    }
}
