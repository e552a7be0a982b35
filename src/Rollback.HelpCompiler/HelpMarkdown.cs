using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace Rollback.HelpCompiler;

/// <summary>
/// Reads one cmdlet's help file in platyPS's layout: <c># Name</c>, then <c>## SYNOPSIS</c>, <c>## SYNTAX</c> (a
/// <c>### Set</c> heading and a fenced syntax line per parameter set), <c>## DESCRIPTION</c>, <c>## EXAMPLES</c>
/// (<c>### Example 1: ...</c>, fenced code, text), <c>## PARAMETERS</c> (<c>### -Name</c>, text, a yaml block),
/// <c>## INPUTS</c> and <c>## OUTPUTS</c> (<c>### Type</c>, text), <c>## NOTES</c>, <c>## RELATED LINKS</c>.
/// </summary>
public static partial class HelpMarkdown
{
    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS"];
    private static readonly string[] OptionalSections = ["INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    public static CmdletHelp Parse(string path, string markdown)
    {
        var blocks = MarkdownBlocks.Read(path, markdown);
        var title = blocks.FirstOrDefault(b => b.Kind == BlockKind.Heading);
        if (title is null || title.Level != 1)
        {
            throw new HelpFormatException(path, title?.Line ?? 0, "The file must start with '# <Cmdlet-Name>'.");
        }

        var sections = Sections(path, blocks.Skip(blocks.IndexOf(title) + 1).ToList());
        var name = title.Text;
        return new CmdletHelp(
            name,
            path,
            Paragraphs(path, sections["SYNOPSIS"]),
            Syntax(path, name, sections["SYNTAX"]),
            Paragraphs(path, sections["DESCRIPTION"]),
            Examples(path, sections["EXAMPLES"]),
            Parameters(path, sections["PARAMETERS"]),
            Types(path, sections.GetValueOrDefault("INPUTS", [])),
            Types(path, sections.GetValueOrDefault("OUTPUTS", [])),
            Paragraphs(path, sections.GetValueOrDefault("NOTES", [])),
            Links(path, sections.GetValueOrDefault("RELATED LINKS", [])));
    }

    /// <summary>
    /// A complete file's parameters and syntax agree: each parameter a syntax line names is described under PARAMETERS,
    /// and each described parameter is in some syntax line.
    /// </summary>
    public static void CheckParametersMatchSyntax(CmdletHelp help)
    {
        var described = help.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var inSyntax = help.Syntax.SelectMany(s => s.Parameters).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in inSyntax.Where(n => !described.Contains(n)))
        {
            throw new HelpFormatException(help.SourcePath, 0, $"The syntax names -{name}, which PARAMETERS does not describe: add '### -{name}'.");
        }

        foreach (var name in described.Where(n => !inSyntax.Contains(n)))
        {
            throw new HelpFormatException(help.SourcePath, 0, $"PARAMETERS describes -{name}, which no syntax line names.");
        }
    }

    private static Dictionary<string, List<Block>> Sections(string path, List<Block> blocks)
    {
        var sections = new Dictionary<string, List<Block>>(StringComparer.Ordinal);
        List<Block>? current = null;
        foreach (var block in blocks)
        {
            if (block.Kind == BlockKind.Heading && block.Level <= 2)
            {
                var heading = block.Text.ToUpperInvariant();
                if (block.Level == 1 || (!RequiredSections.Contains(heading) && !OptionalSections.Contains(heading)))
                {
                    throw new HelpFormatException(path, block.Line, $"Unexpected heading '{block.Text}': the sections are {string.Join(", ", RequiredSections.Concat(OptionalSections))}.");
                }

                if (!sections.TryAdd(heading, current = []))
                {
                    throw new HelpFormatException(path, block.Line, $"The section {heading} appears twice.");
                }
            }
            else if (current is null)
            {
                throw new HelpFormatException(path, block.Line, "Text before the first '## ' section.");
            }
            else
            {
                current.Add(block);
            }
        }

        foreach (var required in RequiredSections.Where(s => !sections.ContainsKey(s)))
        {
            throw new HelpFormatException(path, 0, $"The section '## {required}' is missing.");
        }

        return sections;
    }

    private static List<string> Paragraphs(string path, List<Block> blocks)
    {
        var result = new List<string>();
        foreach (var block in blocks)
        {
            result.Add(block.Kind switch
            {
                BlockKind.Paragraph => block.Text,
                BlockKind.Code => block.Text,
                _ => throw new HelpFormatException(path, block.Line, $"Unexpected heading '{block.Text}' in a section of plain text."),
            });
        }

        return result;
    }

    /// <summary>Splits a section into its <c>###</c> subsections, refusing content before the first one.</summary>
    private static List<(Block Heading, List<Block> Content)> Subsections(string path, List<Block> blocks, string section)
    {
        var result = new List<(Block, List<Block>)>();
        foreach (var block in blocks)
        {
            if (block.Kind == BlockKind.Heading && block.Level == 3)
            {
                result.Add((block, []));
            }
            else if (result.Count == 0 || block.Kind == BlockKind.Heading)
            {
                throw new HelpFormatException(path, block.Line, $"{section} holds '### ' subsections only; this belongs under one.");
            }
            else
            {
                result[^1].Item2.Add(block);
            }
        }

        return result;
    }

    private static List<SyntaxBlock> Syntax(string path, string name, List<Block> blocks)
    {
        var result = new List<SyntaxBlock>();
        foreach (var (heading, content) in Subsections(path, blocks, "SYNTAX"))
        {
            if (content is not [{ Kind: BlockKind.Code } code])
            {
                throw new HelpFormatException(path, heading.Line, $"Parameter set '{heading.Text}' needs exactly one fenced block with its syntax line.");
            }

            var text = string.Join(" ", code.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            const string DefaultMark = " (Default)";
            var isDefault = heading.Text.EndsWith(DefaultMark, StringComparison.OrdinalIgnoreCase);
            var set = isDefault ? heading.Text[..^DefaultMark.Length].Trim() : heading.Text;
            result.Add(new SyntaxBlock(set, isDefault, text, SyntaxLine(path, code.Line + 1, name, text)));
        }

        if (result.Count == 0)
        {
            throw new HelpFormatException(path, 0, "SYNTAX has no parameter set.");
        }

        return result;
    }

    /// <summary>The parameters of a syntax line as PowerShell prints it (Get-Command -Syntax).</summary>
    internal static List<SyntaxParameter> SyntaxLine(string path, int line, string name, string text)
    {
        if (!text.StartsWith(name + " ", StringComparison.OrdinalIgnoreCase) && !text.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            throw new HelpFormatException(path, line, $"The syntax line must start with the cmdlet's name, {name}.");
        }

        var result = new List<SyntaxParameter>();
        var rest = text[name.Length..];
        var position = 0;
        while (position < rest.Length)
        {
            if (char.IsWhiteSpace(rest[position]))
            {
                position++;
                continue;
            }

            var match = SyntaxToken().Match(rest, position);
            if (!match.Success || match.Index != position)
            {
                throw new HelpFormatException(path, line, $"Cannot read the syntax from '{rest[position..]}'.");
            }

            position += match.Length;
            if (match.Groups["common"].Success)
            {
                continue;
            }

            var type = match.Groups["type"].Success ? match.Groups["type"].Value : null;
            if (match.Groups["optpos"].Success)
            {
                result.Add(new SyntaxParameter(match.Groups["optpos"].Value, Required: false, Positional: true, type));
            }
            else if (match.Groups["reqpos"].Success)
            {
                result.Add(new SyntaxParameter(match.Groups["reqpos"].Value, Required: true, Positional: true, type));
            }
            else if (match.Groups["opt"].Success)
            {
                result.Add(new SyntaxParameter(match.Groups["opt"].Value, Required: false, Positional: false, type));
            }
            else
            {
                result.Add(new SyntaxParameter(match.Groups["req"].Value, Required: true, Positional: false, type));
            }
        }

        return result;
    }

    // One parameter of a syntax line: [[-P] <t>] optional positional, [-P] <t> required positional, [-P <t>] or [-P]
    // optional named, -P <t> or -P required named; [<CommonParameters>] is skipped.
    [GeneratedRegex(@"\[<CommonParameters>\](?<common>)|\[\[-(?<optpos>\w+)\]\s+<(?<type>[^>]+)>\]|\[-(?<reqpos>\w+)\]\s+<(?<type>[^>]+)>|\[-(?<opt>\w+)(?:\s+<(?<type>[^>]+)>)?\]|-(?<req>\w+)(?:\s+<(?<type>[^>]+)>)?")]
    private static partial Regex SyntaxToken();

    private static List<HelpExample> Examples(string path, List<Block> blocks)
    {
        var result = new List<HelpExample>();
        foreach (var (heading, content) in Subsections(path, blocks, "EXAMPLES"))
        {
            var code = content.FirstOrDefault(b => b.Kind == BlockKind.Code)
                ?? throw new HelpFormatException(path, heading.Line, $"Example '{heading.Text}' has no fenced code block.");
            if (content.IndexOf(code) != 0)
            {
                throw new HelpFormatException(path, heading.Line, $"Example '{heading.Text}': the code comes first, then the text that explains it.");
            }

            result.Add(new HelpExample(heading.Text, code.Text, Paragraphs(path, content.Skip(1).ToList())));
        }

        return result;
    }

    private static List<ParameterHelp> Parameters(string path, List<Block> blocks)
    {
        var result = new List<ParameterHelp>();
        foreach (var (heading, content) in Subsections(path, blocks, "PARAMETERS"))
        {
            if (heading.Text.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!heading.Text.StartsWith('-'))
            {
                throw new HelpFormatException(path, heading.Line, $"A parameter heading is '### -Name', not '### {heading.Text}'.");
            }

            var yaml = content.Where(b => b.Kind == BlockKind.Code && b.Info == "yaml").ToList();
            if (yaml.Count == 0)
            {
                throw new HelpFormatException(path, heading.Line, $"Parameter {heading.Text} has no yaml block (Type, Parameter Sets, Required, Position, ...).");
            }

            var description = Paragraphs(path, content.Where(b => !yaml.Contains(b)).ToList());
            result.Add(Parameter(path, heading.Text[1..], description, yaml));
        }

        return result;
    }

    /// <summary>
    /// A parameter's fields. platyPS writes one yaml block per group of sets where a parameter differs between sets;
    /// help has one entry per parameter, so the blocks merge: required if any set requires it, the position it has.
    /// </summary>
    private static ParameterHelp Parameter(string path, string name, List<string> description, List<Block> yamlBlocks)
    {
        var fields = yamlBlocks.Select(b => YamlFields(path, b)).ToList();
        string Field(Dictionary<string, string> block, string key, Block source) =>
            block.TryGetValue(key, out var value)
                ? value
                : throw new HelpFormatException(path, source.Line, $"Parameter -{name}: the yaml block has no '{key}:'.");

        var sets = new List<string>();
        var required = false;
        int? position = null;
        for (var i = 0; i < fields.Count; i++)
        {
            var setText = Field(fields[i], "Parameter Sets", yamlBlocks[i]);
            sets.AddRange(setText == "(All)" ? [] : setText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            required |= Boolean(path, yamlBlocks[i], name, Field(fields[i], "Required", yamlBlocks[i]));
            var positionText = Field(fields[i], "Position", yamlBlocks[i]);
            if (!positionText.Equals("Named", StringComparison.OrdinalIgnoreCase))
            {
                position ??= int.TryParse(positionText, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                    ? p
                    : throw new HelpFormatException(path, yamlBlocks[i].Line, $"Parameter -{name}: Position is a number or Named, not '{positionText}'.");
            }
        }

        var first = fields[0];
        var aliases = first.GetValueOrDefault("Aliases", string.Empty);
        return new ParameterHelp(
            name,
            description,
            Field(first, "Type", yamlBlocks[0]),
            sets.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            aliases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            required,
            position,
            first.GetValueOrDefault("Default value", "None"),
            Field(first, "Accept pipeline input", yamlBlocks[0]),
            Boolean(path, yamlBlocks[0], name, Field(first, "Accept wildcard characters", yamlBlocks[0])));
    }

    private static Dictionary<string, string> YamlFields(string path, Block yaml)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in yaml.Text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim()))
            {
                throw new HelpFormatException(path, yaml.Line, $"Cannot read the yaml line '{line}': one 'Key: value' per line, each key once.");
            }
        }

        return fields;
    }

    private static bool Boolean(string path, Block source, string parameter, string text) =>
        bool.TryParse(text, out var value)
            ? value
            : throw new HelpFormatException(path, source.Line, $"Parameter -{parameter}: expected True or False, not '{text}'.");

    private static List<TypeHelp> Types(string path, List<Block> blocks) =>
        Subsections(path, blocks, "INPUTS and OUTPUTS").Select(s => new TypeHelp(s.Heading.Text, Paragraphs(path, s.Content))).ToList();

    private static List<HelpLink> Links(string path, List<Block> blocks)
    {
        var result = new List<HelpLink>();
        foreach (var block in blocks)
        {
            var match = block.Kind == BlockKind.Paragraph ? LinkLine().Match(block.Text) : Match.Empty;
            if (!match.Success)
            {
                throw new HelpFormatException(path, block.Line, "RELATED LINKS holds one '[text](uri)' per paragraph ('[about_Rollback]()' for a help topic).");
            }

            result.Add(new HelpLink(match.Groups["text"].Value, match.Groups["uri"].Value));
        }

        return result;
    }

    [GeneratedRegex(@"^\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)$")]
    private static partial Regex LinkLine();
}
