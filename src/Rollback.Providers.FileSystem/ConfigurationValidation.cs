using System;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Xml;
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

    /// <summary>Parses <paramref name="candidatePath"/> with the named parser; returns the parser's complaint, or null when valid.</summary>
    public static string? Parse(string parser, string candidatePath)
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
                    throw new ArgumentOutOfRangeException(nameof(parser), parser, "Unknown parser.");
            }

            return null;
        }
        catch (Exception ex) when (ex is JsonException or XmlException or YamlException)
        {
            return ex.Message;
        }
        catch (DecoderFallbackException)
        {
            return "it is not valid UTF-8 (it holds bytes that decode to no character): it was saved in another encoding or is damaged.";
        }
    }

    /// <summary>The file's text by strict UTF-8 (a leading byte order mark is dropped); throws DecoderFallbackException on any invalid byte.</summary>
    private static string StrictText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        return StrictUtf8.GetString(bytes, bom, bytes.Length - bom);
    }

    /// <summary>Runs a validator command template with {0} replaced by the candidate path; valid when it exits 0.</summary>
    public static string? RunCommand(string template, string candidatePath, CancellationToken cancellation)
    {
        var commandLine = ShellCommand.CommandLine(template, candidatePath);
        var outcome = ShellCommand.Run(commandLine, Path.GetDirectoryName(candidatePath)!, CommandTimeout, cancellation);
        if (outcome.ExitCode is null)
        {
            return $"the validator '{commandLine}' did not finish within {CommandTimeout.TotalSeconds:N0} s";
        }

        return outcome.ExitCode == 0
            ? null
            : $"the validator '{commandLine}' exited with {outcome.ExitCode}" + (outcome.Output.Length > 0 ? ": " + ShellCommand.Truncate(outcome.Output, 600) : string.Empty);
    }
}
