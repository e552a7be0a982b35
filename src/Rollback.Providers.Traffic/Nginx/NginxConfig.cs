using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Rollback.Errors;

namespace Rollback.Providers.Traffic.Nginx;

/// <summary>One directive of an nginx configuration: its name and arguments, where its text starts and ends, and its block's directives.</summary>
internal sealed class NginxDirective
{
    public string Name { get; set; } = string.Empty;

    public List<string> Args { get; } = new();

    /// <summary>Where the directive's name starts in the file's text.</summary>
    public int Start { get; set; }

    /// <summary>Just after its ';' (or its block's '}').</summary>
    public int End { get; set; }

    public int Line { get; set; }

    /// <summary>The directives of its block; null for a simple directive.</summary>
    public List<NginxDirective>? Block { get; set; }

    public IEnumerable<NginxDirective> Descendants() =>
        (Block ?? Enumerable.Empty<NginxDirective>()).SelectMany(d => new[] { d }.Concat(d.Descendants()));
}

/// <summary>
/// The parts of an nginx configuration file a traffic rollback reads and edits: its directives as nginx's own parser
/// splits them (words, quoted strings, ';', blocks, '#' comments), each with its place in the text, so that one
/// directive is replaced and every other byte of the file stays as written. A file that does not parse (an unclosed
/// block or quote, a stray '}', a directive without its ';') is NginxConfigMalformed.
/// </summary>
internal static class NginxConfig
{
    private static readonly char[] HostEnd = { '/', ':', '?' };

    /// <summary>The file's top-level directives.</summary>
    public static List<NginxDirective> Parse(string text, string path)
    {
        var position = 0;
        var line = 1;
        var top = ParseBlock(text, path, ref position, ref line, nested: false, opener: 0);
        return top;
    }

    /// <summary>Every directive of the file, blocks' included, in order.</summary>
    public static IEnumerable<NginxDirective> All(IEnumerable<NginxDirective> top) => top.SelectMany(d => new[] { d }.Concat(d.Descendants()));

    /// <summary>The 'upstream NAME { ... }' block; NginxUpstreamNotFound naming the upstreams the file has.</summary>
    public static NginxDirective Upstream(IReadOnlyList<NginxDirective> top, string name, string path)
    {
        var upstreams = Upstreams(top).ToList();
        return upstreams.FirstOrDefault(u => u.Args[0] == name) ?? throw new RollbackException(TrafficErrorId.NginxUpstreamNotFound, RollbackErrorCategory.ObjectNotFound,
            $"The nginx configuration '{path}' has no 'upstream {name}' block (it has {(upstreams.Count == 0 ? "none" : string.Join(", ", upstreams.Select(u => u.Args[0])))}). Check the target's settings. Nothing was changed.", name);
    }

    public static IEnumerable<NginxDirective> Upstreams(IEnumerable<NginxDirective> top) =>
        All(top).Where(d => d.Name == "upstream" && d.Block is not null && d.Args.Count == 1);

    /// <summary>The upstream a 'proxy_pass http://NAME...' directive names (scheme, name), or null.</summary>
    public static string? ProxyPassUpstream(NginxDirective directive)
    {
        if (directive.Name != "proxy_pass" || directive.Args.Count != 1)
        {
            return null;
        }

        var url = directive.Args[0];
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return null;
        }

        var host = url.Substring(scheme + 3);
        var end = host.IndexOfAny(HostEnd);
        return end < 0 ? host : host.Substring(0, end);
    }

    /// <summary>The 'proxy_pass' directive with its URL's host set to <paramref name="upstream"/>, the rest of the URL kept.</summary>
    public static string WithProxyPassUpstream(NginxDirective directive, string upstream)
    {
        var url = directive.Args[0];
        var scheme = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var host = ProxyPassUpstream(directive)!;
        return $"proxy_pass {url.Substring(0, scheme)}{upstream}{url.Substring(scheme + host.Length)};";
    }

    /// <summary>Edits of the text (start, end, replacement) applied from the last to the first.</summary>
    public static string Apply(string text, IEnumerable<(int Start, int End, string Text)> edits)
    {
        var result = new StringBuilder(text);
        foreach (var (start, end, replacement) in edits.OrderByDescending(e => e.Start))
        {
            result.Remove(start, end - start).Insert(start, replacement);
        }

        return result.ToString();
    }

    private static List<NginxDirective> ParseBlock(string text, string path, ref int position, ref int line, bool nested, int opener)
    {
        var directives = new List<NginxDirective>();
        NginxDirective? current = null;
        while (true)
        {
            SkipBlanks(text, ref position, ref line);
            if (position >= text.Length)
            {
                if (current is not null)
                {
                    throw Malformed(path, current.Line, $"'{current.Name}' has no ';' before the end of the file");
                }

                return nested ? throw Malformed(path, opener, "a block opened here is never closed with '}'") : directives;
            }

            var c = text[position];
            if (c == ';')
            {
                position++;
                if (current is null)
                {
                    throw Malformed(path, line, "';' ends no directive");
                }

                current.End = position;
                directives.Add(current);
                current = null;
            }
            else if (c == '{')
            {
                position++;
                if (current is null)
                {
                    throw Malformed(path, line, "'{' opens a block for no directive");
                }

                var openedAt = line;
                current.Block = ParseBlock(text, path, ref position, ref line, nested: true, opener: openedAt);
                current.End = position;
                directives.Add(current);
                current = null;
            }
            else if (c == '}')
            {
                if (current is not null)
                {
                    throw Malformed(path, current.Line, $"'{current.Name}' has no ';'");
                }

                if (!nested)
                {
                    throw Malformed(path, line, "'}' closes no block");
                }

                position++;
                return directives;
            }
            else
            {
                var start = position;
                var startLine = line;
                var word = Word(text, path, ref position, ref line);
                if (current is null)
                {
                    current = new NginxDirective { Name = word, Start = start, Line = startLine };
                }
                else
                {
                    current.Args.Add(word);
                }
            }
        }
    }

    private static void SkipBlanks(string text, ref int position, ref int line)
    {
        while (position < text.Length)
        {
            var c = text[position];
            if (c == '#')
            {
                while (position < text.Length && text[position] != '\n')
                {
                    position++;
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                if (c == '\n')
                {
                    line++;
                }

                position++;
            }
            else
            {
                return;
            }
        }
    }

    private static string Word(string text, string path, ref int position, ref int line)
    {
        var word = new StringBuilder();
        var quote = text[position] is '"' or '\'' ? text[position] : '\0';
        var startLine = line;
        if (quote != '\0')
        {
            position++;
            while (true)
            {
                if (position >= text.Length)
                {
                    throw Malformed(path, startLine, $"a {quote}-quoted string is never closed");
                }

                var c = text[position++];
                if (c == quote)
                {
                    return word.ToString();
                }

                if (c == '\\' && position < text.Length)
                {
                    c = text[position++];
                }

                if (c == '\n')
                {
                    line++;
                }

                word.Append(c);
            }
        }

        while (position < text.Length)
        {
            var c = text[position];
            if (char.IsWhiteSpace(c) || c == ';' || c == '}' || (c == '{' && !(word.Length > 0 && word[word.Length - 1] == '$')))
            {
                break;
            }

            if (c == '{')
            {
                // '${name}': a variable, part of the word up to its '}'.
                var close = text.IndexOf('}', position);
                if (close < 0)
                {
                    throw Malformed(path, line, "a '${' variable is never closed");
                }

                word.Append(text, position, close - position + 1);
                position = close + 1;
                continue;
            }

            if (c == '\\' && position + 1 < text.Length)
            {
                position++;
                c = text[position];
            }

            word.Append(c);
            position++;
        }

        return word.ToString();
    }

    private static RollbackException Malformed(string path, int line, string why) =>
        new(TrafficErrorId.NginxConfigMalformed, RollbackErrorCategory.InvalidData,
            $"The nginx configuration '{path}' does not parse at line {line.ToString(CultureInfo.InvariantCulture)}: {why}. Fix the file (nginx -t shows the same); nothing was changed.", path);
}
