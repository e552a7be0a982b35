using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Xml;
using Rollback.Platform;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// Checks a configuration file's content before it replaces a live one: JSON, XML and YAML by real parsers,
/// anything else through a validator command (e.g. 'nginx -t -c {0}') or a caller's delegate.
/// </summary>
internal static class ConfigurationValidation
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    // JSON and YAML are UTF-8 text: bytes that are not valid UTF-8 are refused, never replaced by U+FFFD and written.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // System.Text.Json stops at 64 levels by default, but deeper JSON is valid and real configurations nest deeply;
    // the bound stays so a hostile file cannot exhaust the parser.
    private const int JsonMaxDepth = 1024;

    /// <summary>The parser that fits the file name, or null when only a validator can judge it.</summary>
    public static string? ParserFor(string itemPath) => Path.GetExtension(itemPath).ToUpperInvariant() switch
    {
        ".JSON" => "Json",
        ".XML" or ".CONFIG" or ".CSPROJ" or ".PROPS" => "Xml",
        ".YML" or ".YAML" => "Yaml",
        _ => null,
    };

    /// <summary>Parses <paramref name="candidatePath"/> with the named parser; returns what is wrong, or null when valid.</summary>
    public static Complaint? Parse(string parser, string candidatePath)
    {
        try
        {
            switch (parser)
            {
                case "Json":
                    // appsettings files allow comments and trailing commas; ASP.NET Core's reader accepts both.
                    var json = StrictText(candidatePath);
                    using (JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = JsonMaxDepth }))
                    {
                    }

                    break;
                case "Xml":
                    var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
                    using (var reader = XmlReader.Create(candidatePath, settings))
                    {
                        while (reader.Read())
                        {
                        }
                    }

                    break;
                case "Yaml":
                    using (var text = new StringReader(StrictText(candidatePath)))
                    {
                        new YamlStream().Load(text);
                    }

                    break;
                default:
                    return new Complaint(null, null, null) { Summary = "no parser of that name exists" };
            }

            return null;
        }
        catch (JsonException ex)
        {
            return new Complaint(ex.LineNumber + 1, ex.BytePositionInLine + 1, ex.Message);
        }
        catch (XmlException ex)
        {
            return new Complaint(ex.LineNumber, ex.LinePosition, ex.Message);
        }
        catch (YamlException ex)
        {
            return new Complaint(ex.Start.Line, ex.Start.Column, ex.Message);
        }
        catch (DecoderFallbackException)
        {
            return new Complaint(null, null, null) { Summary = "it is not valid UTF-8 (it holds bytes that decode to no character): it was saved in another encoding or is damaged" };
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException)
        {
            // YamlDotNet's representation model reports some damage (a key given twice) as a plain .NET exception.
            return new Complaint(null, null, ex.Message);
        }
    }

    /// <summary>The file's text by strict UTF-8 (a leading byte order mark is dropped); throws DecoderFallbackException on any invalid byte.</summary>
    private static string StrictText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        return StrictUtf8.GetString(bytes, bom, bytes.Length - bom);
    }

    /// <summary>Runs a validator command template with {0} replaced by the candidate path; null when it exits 0, else how it failed.</summary>
    public static Complaint? RunCommand(string template, string candidatePath, CancellationToken cancellation)
    {
        var commandLine = ShellCommand.CommandLine(template, candidatePath);
        var outcome = ShellCommand.Run(commandLine, Path.GetDirectoryName(candidatePath)!, CommandTimeout, cancellation);
        if (outcome.ExitCode == 0)
        {
            return null;
        }

        var how = outcome.ExitCode is { } code ? $"exited with {code}" : $"did not finish within {CommandTimeout.TotalSeconds:N0} s";
        return new Complaint(LineIn(outcome.Output, candidatePath), null, outcome.Output) { Summary = $"the validator '{commandLine}' {how}" };
    }

    /// <summary>
    /// The line a validator's output names in the checked file ('file:12', 'file line 12', 'line 12'), or null. Only this
    /// number leaves the output: the text itself may quote the line, password and all.
    /// </summary>
    public static long? LineIn(string output, string candidatePath)
    {
        var named = Regex.Match(output, Regex.Escape(Path.GetFileName(candidatePath)) + @"['""]?(?::|,? line | at line )(\d{1,9})\b", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (!named.Success)
        {
            named = Regex.Match(output, @"\bline:? (\d{1,9})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        return named.Success ? long.Parse(named.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// Why a file was refused. <see cref="Summary"/> and the position are safe to keep in errors and the journal;
    /// <see cref="Detail"/> is the parser's or the validator's own text, which may quote the file, so it goes to verbose only.
    /// </summary>
    public sealed record Complaint(long? Line, long? Column, string? Detail)
    {
        public string? Summary { get; init; }

        public string Position => PositionText(Line, Column);
    }

    /// <summary>" at line 3, column 7" (what is known of it), or empty.</summary>
    public static string PositionText(long? line, long? column) =>
        line is null ? string.Empty : $" at line {line}" + (column is null ? string.Empty : $", column {column}");
}
