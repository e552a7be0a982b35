using System;
using System.IO;
using System.Linq;
using Rollback.HelpCompiler;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The help compiler's reading of markdown: what an author writes and what Get-Help will show, and a mistake reported
/// with the file and line to fix (the build prints it as an error there).
/// </summary>
public sealed class HelpCompilerTests
{
    private const string Minimal = """
        # Get-Thing

        ## SYNOPSIS
        Gets a thing.

        ## SYNTAX

        ### ByName (Default)
        ```
        Get-Thing [-Name] <string> [[-Count] <int>] [-Force] -Reason <string> [<CommonParameters>]
        ```

        ### Latest
        ```
        Get-Thing -Latest [<CommonParameters>]
        ```

        ## DESCRIPTION
        Gets a thing,
        wrapped over two lines.

        - a list item stays a paragraph of its own

        ## EXAMPLES

        ### Example 1: The thing
        ```powershell
        Get-Thing -Name a -Reason 'drill'
        ```

        Says what it does, with `code` marks dropped.

        ## PARAMETERS

        ### -Name
        The name.

        ```yaml
        Type: String
        Parameter Sets: ByName
        Aliases: N, Id

        Required: True
        Position: 0
        Default value: None
        Accept pipeline input: True (ByPropertyName)
        Accept wildcard characters: False
        ```

        ### CommonParameters
        This cmdlet supports the common parameters.

        ## RELATED LINKS

        [about_Thing]()
        """;

    [Fact]
    public void ReadsSectionsSyntaxExamplesAndParameters()
    {
        var help = HelpMarkdown.Parse("Get-Thing.md", Minimal);

        Assert.Equal("Get-Thing", help.Name);
        Assert.Equal(["Gets a thing."], help.Synopsis);
        Assert.Equal(["Gets a thing, wrapped over two lines.", "- a list item stays a paragraph of its own"], help.Description);

        var byName = help.Syntax[0];
        Assert.Equal(("ByName", true), (byName.ParameterSet, byName.IsDefault));
        Assert.Equal(
            [new SyntaxParameter("Name", true, true, "string"), new SyntaxParameter("Count", false, true, "int"), new SyntaxParameter("Force", false, false, null), new SyntaxParameter("Reason", true, false, "string")],
            byName.Parameters);
        Assert.Equal([new SyntaxParameter("Latest", true, false, null)], help.Syntax[1].Parameters);

        var example = Assert.Single(help.Examples);
        Assert.Equal(("Example 1: The thing", "Get-Thing -Name a -Reason 'drill'"), (example.Title, example.Code));
        Assert.Equal(["Says what it does, with code marks dropped."], example.Remarks);

        var name = Assert.Single(help.Parameters);
        Assert.Equal(("Name", "String", true, 0, "True (ByPropertyName)"), (name.Name, name.Type, name.Required, name.Position, name.PipelineInput));
        Assert.Equal(["ByName"], name.ParameterSets);
        Assert.Equal(["N", "Id"], name.Aliases);
        Assert.Equal(new HelpLink("about_Thing", string.Empty), Assert.Single(help.RelatedLinks));
    }

    [Theory]
    [InlineData("## SYNOPSIS", "## SYNOPSYS", "Unexpected heading 'SYNOPSYS'", 3)]
    [InlineData("Accept wildcard characters: False", "Accept wildcard characters: no", "expected True or False, not 'no'", 38)]
    [InlineData("Get-Thing -Latest [<CommonParameters>]", "Get-Thing [-Latest [<CommonParameters>]", "Cannot read the syntax from '[-Latest [<CommonParameters>]'", 15)]
    [InlineData("### -Name", "### Name", "'### -Name', not '### Name'", 35)]
    public void AMistakeIsReportedAtItsLine(string written, string mistake, string message, int line)
    {
        var ex = Assert.Throws<HelpFormatException>(() => HelpMarkdown.Parse("Get-Thing.md", Minimal.Replace(written, mistake, StringComparison.Ordinal)));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal(line, ex.Line);
        Assert.StartsWith($"Get-Thing.md({line}): error RBHELP: ", ex.ToBuildError(), StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingSectionIsReported()
    {
        var withoutExamples = Minimal[..Minimal.IndexOf("## EXAMPLES", StringComparison.Ordinal)] + Minimal[Minimal.IndexOf("## PARAMETERS", StringComparison.Ordinal)..];

        var ex = Assert.Throws<HelpFormatException>(() => HelpMarkdown.Parse("Get-Thing.md", withoutExamples));

        Assert.Contains("'## EXAMPLES' is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCompilerWritesMamlThatNamesEverySetAndParameter()
    {
        var folder = Directory.CreateTempSubdirectory("rollback-help-");
        try
        {
            var markdown = Minimal.Replace("[-Force] ", string.Empty, StringComparison.Ordinal).Replace("[[-Count] <int>] ", string.Empty, StringComparison.Ordinal)
                .Replace("-Reason <string> ", string.Empty, StringComparison.Ordinal).Replace("Get-Thing -Latest [<CommonParameters>]", "Get-Thing [-Name] <string> [<CommonParameters>]", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder.FullName, "Get-Thing.md"), markdown);
            var output = Path.Combine(folder.FullName, "en-US", "Thing-Help.xml");

            var exitCode = Program.Main([folder.FullName, output]);

            Assert.Equal(0, exitCode);
            var maml = System.Xml.Linq.XDocument.Load(output);
            System.Xml.Linq.XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
            System.Xml.Linq.XNamespace maml2004 = "http://schemas.microsoft.com/maml/2004/10";
            var cmdlet = Assert.Single(maml.Root!.Elements(command + "command"));
            Assert.Equal(2, cmdlet.Element(command + "syntax")!.Elements(command + "syntaxItem").Count());
            var parameter = Assert.Single(cmdlet.Element(command + "parameters")!.Elements(command + "parameter"));
            Assert.Equal(("Name", "true", "0", "N, Id"), (parameter.Element(maml2004 + "name")!.Value, parameter.Attribute("required")!.Value, parameter.Attribute("position")!.Value, parameter.Attribute("aliases")!.Value));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void ASyntaxParameterWithoutADescriptionFailsTheCompile()
    {
        var folder = Directory.CreateTempSubdirectory("rollback-help-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "Get-Thing.md"), Minimal);

            var exitCode = Program.Main([folder.FullName, Path.Combine(folder.FullName, "Thing-Help.xml")]);

            Assert.Equal(1, exitCode);
            Assert.False(File.Exists(Path.Combine(folder.FullName, "Thing-Help.xml")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
