using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
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
    public static string? RunCommand(string template, string candidatePath, out string commandLine)
    {
        commandLine = string.Format(CultureInfo.InvariantCulture, template, Quote(candidatePath));
        var shell = Platform.NativeFileSystem.IsWindows
            ? new ProcessStartInfo("cmd.exe", "/d /c " + commandLine)
            : new ProcessStartInfo("/bin/sh", "-c " + QuoteArgument(commandLine));
        shell.UseShellExecute = false;
        shell.RedirectStandardOutput = true;
        shell.RedirectStandardError = true;
        shell.WorkingDirectory = Path.GetDirectoryName(candidatePath);
        using var process = Process.Start(shell) ?? throw new InvalidOperationException($"Cannot start '{commandLine}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit((int)CommandTimeout.TotalMilliseconds))
        {
            process.Kill();
            return $"the validator '{commandLine}' did not finish within {CommandTimeout.TotalSeconds:N0} s";
        }

        process.WaitForExit();
        if (process.ExitCode == 0)
        {
            return null;
        }

        var output = (stderr.Result + stdout.Result).Trim();
        return $"the validator '{commandLine}' exited with {process.ExitCode}" + (output.Length > 0 ? ": " + Truncate(output, 600) : string.Empty);
    }

    private static string Quote(string text) =>
        Platform.NativeFileSystem.IsWindows ? "\"" + text + "\"" : "'" + text.Replace("'", "'\\''") + "'";

    /// <summary>
    /// Quotes one argument by the rules .NET uses to split ProcessStartInfo.Arguments on every platform
    /// (netstandard2.0 has no ArgumentList): backslashes are literal except before a double quote.
    /// </summary>
    private static string QuoteArgument(string argument)
    {
        var quoted = new System.Text.StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            quoted.Append('\\', c == '"' ? (backslashes * 2) + 1 : backslashes);
            backslashes = 0;
            quoted.Append(c);
        }

        return quoted.Append('\\', backslashes * 2).Append('"').ToString();
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text.Substring(0, length) + "...";
}
