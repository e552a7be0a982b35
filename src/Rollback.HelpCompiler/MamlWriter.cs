using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;

namespace Rollback.HelpCompiler;

/// <summary>
/// Writes cmdlet help as MAML, the XML Get-Help reads from <c>en-US/&lt;module assembly&gt;-Help.xml</c>: details,
/// description, one syntax item per parameter set, parameters, inputs, outputs, notes, examples and related links.
/// </summary>
public static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Write(IEnumerable<CmdletHelp> cmdlets)
    {
        var root = new XElement(
            Msh + "helpItems",
            new XAttribute("schema", "maml"),
            cmdlets.OrderBy(c => c.Name, StringComparer.Ordinal).Select(Cmdlet));
        return new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XComment(" Generated at build from docs/cmdlets/*.md by src/Rollback.HelpCompiler: edit the markdown, not this file. "),
            root);
    }

    private static XElement Cmdlet(CmdletHelp help)
    {
        var parameters = help.Parameters.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var dash = help.Name.IndexOf('-', StringComparison.Ordinal);
        return new XElement(
            Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(
                Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", dash > 0 ? help.Name[..dash] : help.Name),
                new XElement(Command + "noun", dash > 0 ? help.Name[(dash + 1)..] : string.Empty),
                Description(help.Synopsis)),
            Description(help.Description),
            new XElement(
                Command + "syntax",
                help.Syntax.Select(set => new XElement(
                    Command + "syntaxItem",
                    new XElement(Maml + "name", help.Name),
                    set.Parameters.Select(p => Parameter(Documented(help, parameters, p.Name), p.Required))))),
            new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, p.Required))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeEntry(Command + "inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeEntry(Command + "returnValue", t))),
            help.Notes.Count == 0 ? null : new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paragraphs(help.Notes))),
            new XElement(
                Command + "examples",
                help.Examples.Select(e => new XElement(
                    Command + "example",
                    new XElement(Maml + "title", e.Title),
                    new XElement(Dev + "code", e.Code),
                    new XElement(Dev + "remarks", Paragraphs(e.Remarks))))),
            new XElement(
                Command + "relatedLinks",
                help.RelatedLinks.Select(l => new XElement(
                    Maml + "navigationLink",
                    new XElement(Maml + "linkText", l.Text),
                    new XElement(Maml + "uri", l.Uri)))));
    }

    private static ParameterHelp Documented(CmdletHelp help, Dictionary<string, ParameterHelp> parameters, string name) =>
        parameters.TryGetValue(name, out var parameter)
            ? parameter
            : throw new HelpFormatException(help.SourcePath, 0, $"The syntax names -{name}, which PARAMETERS does not describe.");

    /// <summary>A parameter entry; <paramref name="required"/> is the set's (in a syntax item) or the parameter's.</summary>
    private static XElement Parameter(ParameterHelp parameter, bool required)
    {
        var isArray = parameter.Type.EndsWith("[]", StringComparison.Ordinal);
        return new XElement(
            Command + "parameter",
            new XAttribute("required", Flag(required)),
            new XAttribute("variableLength", Flag(isArray)),
            new XAttribute("globbing", Flag(parameter.AcceptsWildcards)),
            new XAttribute("pipelineInput", parameter.PipelineInput),
            new XAttribute("position", parameter.Position?.ToString(CultureInfo.InvariantCulture) ?? "named"),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description),
            parameter.IsSwitch
                ? null
                : new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", Flag(isArray)), parameter.Type),
            new XElement(Dev + "type", new XElement(Maml + "name", parameter.Type), new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", parameter.DefaultValue));
    }

    private static XElement TypeEntry(XName name, TypeHelp type) =>
        new(
            name,
            new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName), new XElement(Maml + "uri")),
            Description(type.Description));

    private static XElement Description(IReadOnlyList<string> paragraphs) => new(Maml + "description", Paragraphs(paragraphs));

    private static IEnumerable<XElement> Paragraphs(IReadOnlyList<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Flag(bool value) => value ? "true" : "false";
}
