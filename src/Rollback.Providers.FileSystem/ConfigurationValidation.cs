using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
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
                    using (JsonDocument.Parse(File.ReadAllBytes(candidatePath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }))
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
                    using (var text = File.OpenText(candidatePath))
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
