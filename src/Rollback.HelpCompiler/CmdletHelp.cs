using System.Collections.Generic;

namespace Rollback.HelpCompiler;

/// <summary>One cmdlet's help as written in its markdown file.</summary>
public sealed record CmdletHelp(
    string Name,
    string SourcePath,
    IReadOnlyList<string> Synopsis,
    IReadOnlyList<SyntaxBlock> Syntax,
    IReadOnlyList<string> Description,
    IReadOnlyList<HelpExample> Examples,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<HelpLink> RelatedLinks);

/// <summary>
/// One parameter set under SYNTAX: its name (the <c>###</c> heading, " (Default)" removed), the syntax line as written
/// and the parameters that line names, with whether the set requires each.
/// </summary>
public sealed record SyntaxBlock(string ParameterSet, bool IsDefault, string Text, IReadOnlyList<SyntaxParameter> Parameters);

/// <summary>A parameter as a syntax line shows it: <c>-Name &lt;type&gt;</c> required, <c>[...]</c> optional, <c>[-Name]</c> positional.</summary>
public sealed record SyntaxParameter(string Name, bool Required, bool Positional, string? ValueType);

/// <summary>An example: its title, its code (the first fenced block) and the text after it.</summary>
public sealed record HelpExample(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>A parameter under PARAMETERS: its description and the fields of its yaml block.</summary>
public sealed record ParameterHelp(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    bool Required,
    int? Position,
    string DefaultValue,
    string PipelineInput,
    bool AcceptsWildcards)
{
    /// <summary>"(All)" in the markdown: the parameter is in every set.</summary>
    public bool InAllParameterSets => ParameterSets.Count == 0;

    public bool IsSwitch => Type == "SwitchParameter";
}

/// <summary>An input or output type with what it means.</summary>
public sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

/// <summary>A related link: <c>[text](uri)</c>, the uri empty for another help topic.</summary>
public sealed record HelpLink(string Text, string Uri);
