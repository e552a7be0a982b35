using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Rollback.Errors;

namespace Rollback.Providers.Traffic.HAProxy;

/// <summary>
/// The backend's section of an HAProxy configuration file: found by its 'backend NAME' (or 'listen NAME') line and
/// running to the next section keyword; its server lines edited in place (weight, disabled); the whole file checked by
/// 'haproxy -c -f' before it replaces the live one. Lines are kept exactly as written, comments included.
/// </summary>
internal static class HAProxyConfig
{
    private static readonly HashSet<string> SectionKeywords = new(StringComparer.Ordinal)
    {
        "global", "defaults", "frontend", "backend", "listen", "userlist", "peers", "resolvers", "mailers", "program",
        "http-errors", "ring", "cache", "fcgi-app", "crt-store", "traces",
    };

    private static readonly char[] WordSeparators = { ' ', '\t', '\r' };

    /// <summary>The file's lines as written (a final newline leaves an empty last line, so joining gives the same text).</summary>
    public static List<string> ReadLines(string path) => File.ReadAllText(path).Split('\n').ToList();

    public static string Join(IEnumerable<string> lines) => string.Join("\n", lines);

    /// <summary>The backend's section: from its header line to the line before the next section. HAProxyConfigSectionNotFound when absent.</summary>
    public static (int Start, int End) FindSection(IReadOnlyList<string> lines, string backend, string path)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var words = Words(lines[i]);
            if (words.Count >= 2 && (words[0] == "backend" || words[0] == "listen") && words[1] == backend)
            {
                var end = i + 1;
                while (end < lines.Count && !IsSectionStart(lines[end]))
                {
                    end++;
                }

                // A blank line at the very end of the file (its final newline) is not the section's.
                if (end == lines.Count && end > i + 1 && lines[end - 1].Length == 0)
                {
                    end--;
                }

                return (i, end);
            }
        }

        throw new RollbackException(TrafficErrorId.HAProxyConfigSectionNotFound, RollbackErrorCategory.ObjectNotFound,
            $"The configuration file '{path}' has no 'backend {backend}' (nor 'listen {backend}') section.", path);
    }

    /// <summary>The server a 'server NAME ADDRESS ...' line declares, or null for any other line.</summary>
    public static string? ServerName(string line)
    {
        var words = Words(line);
        return words.Count >= 3 && words[0] == "server" ? words[1] : null;
    }

    /// <summary>A server line with its weight set and its 'disabled' keyword present or not; indentation and a trailing comment kept.</summary>
    public static string EditServer(string line, int weight, bool disabled)
    {
        var comment = line.IndexOf('#');
        var code = comment >= 0 ? line.Substring(0, comment) : line;
        var trailer = comment >= 0 ? " " + line.Substring(comment) : string.Empty;
        var indent = code.Substring(0, code.Length - code.TrimStart().Length);
        var words = Words(code);
        var edited = new List<string>();
        var weightSet = false;
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i] == "disabled" || words[i] == "enabled")
            {
                continue;
            }

            if (words[i] == "weight" && i + 1 < words.Count)
            {
                edited.Add("weight");
                edited.Add(weight.ToString(System.Globalization.CultureInfo.InvariantCulture));
                weightSet = true;
                i++;
                continue;
            }

            edited.Add(words[i]);
        }

        if (!weightSet)
        {
            edited.Add("weight");
            edited.Add(weight.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (disabled)
        {
            edited.Add("disabled");
        }

        return indent + string.Join(" ", edited) + trailer.TrimEnd();
    }

    /// <summary>The haproxy binary: the setting, else 'haproxy' on PATH, else /usr/sbin/haproxy. HAProxyBinaryNotFound when none exists.</summary>
    public static string Binary(string? setting)
    {
        if (!string.IsNullOrWhiteSpace(setting))
        {
            if (File.Exists(setting))
            {
                return setting!;
            }

            var onPath = OnPath(setting!);
            return onPath ?? throw NoBinary($"'{setting}' (the HAProxyBinary setting) is not a file nor on PATH");
        }

        return OnPath("haproxy") ?? (File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : throw NoBinary("no 'haproxy' on PATH nor /usr/sbin/haproxy"));
    }

    /// <summary>Runs 'haproxy -c -f <paramref name="candidate"/>'; HAProxyConfigRejected with HAProxy's own words when it refuses.</summary>
    public static void Check(string binary, string candidate, string livePath, TimeSpan patience)
    {
        var start = new ProcessStartInfo(binary, "-c -f " + Quote(candidate))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(livePath) ?? ".",
        };
        using var process = Process.Start(start) ?? throw NoBinary($"'{binary}' could not be started");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit((int)patience.TotalMilliseconds))
        {
            process.Kill();
            throw Rejected(livePath, $"'haproxy -c' did not finish within {patience.TotalSeconds:0} s");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string words;
            lock (output)
            {
                var all = output.ToString().Replace(candidate, livePath).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
                var alerts = all.Where(l => l.Contains("[ALERT]")).ToList();
                words = string.Join(" ", alerts.Count > 0 ? alerts : all);
            }

            throw Rejected(livePath, $"'haproxy -c' exited with {process.ExitCode}: {(words.Length == 0 ? "no output" : words)}");
        }
    }

    private static RollbackException Rejected(string path, string why) =>
        new(TrafficErrorId.HAProxyConfigRejected, RollbackErrorCategory.InvalidData,
            $"HAProxy refuses the configuration file '{path}' as the rollback would write it: {why}. Nothing was changed: not the file, not the running HAProxy.", path);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 8000)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Quote(string path) => "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string? OnPath(string name) =>
        name.IndexOf(Path.DirectorySeparatorChar) >= 0 ? null :
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Where(folder => folder.Length > 0)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    private static RollbackException NoBinary(string why) =>
        new(TrafficErrorId.HAProxyBinaryNotFound, RollbackErrorCategory.ResourceUnavailable,
            $"The configuration cannot be checked with 'haproxy -c': {why}. Install HAProxy or set HAProxyBinary.", "haproxy");

    private static bool IsSectionStart(string line)
    {
        var words = Words(line);
        return words.Count > 0 && SectionKeywords.Contains(words[0]) && !char.IsWhiteSpace(line.FirstOrDefault());
    }

    private static List<string> Words(string line)
    {
        var comment = line.IndexOf('#');
        var code = comment >= 0 ? line.Substring(0, comment) : line;
        return code.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
