using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Platform;

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
    public static string Binary(string? setting) =>
        ConfigCandidate.Binary(setting, "haproxy", "/usr/sbin/haproxy", why => new RollbackException(TrafficErrorId.HAProxyBinaryNotFound, RollbackErrorCategory.ResourceUnavailable,
            $"The configuration cannot be checked with 'haproxy -c': {why}. Install HAProxy or set HAProxyBinary.", "haproxy"));

    /// <summary>Runs 'haproxy -c -f' on the candidate; HAProxyConfigRejected with HAProxy's own words when it refuses.</summary>
    public static void Check(string binary, ConfigCandidate candidate, string livePath, TimeSpan patience, CancellationToken cancellation) =>
        candidate.Check(ShellCommand.Quote(binary) + " -c -f " + ShellCommand.Quote(candidate.Path), "[ALERT]", patience, why =>
            new RollbackException(TrafficErrorId.HAProxyConfigRejected, RollbackErrorCategory.InvalidData,
                $"HAProxy refuses the configuration file '{livePath}' as the rollback would write it: 'haproxy -c' {why}. Nothing was changed: not the file, not the running HAProxy.", livePath), cancellation);

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
