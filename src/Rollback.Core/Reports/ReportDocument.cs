using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using Rollback.Store;

namespace Rollback.Reports;

/// <summary>
/// An incident report as sections (facts, a table, a chart), written the same way as a self-contained HTML file (inline
/// CSS and SVG, no script, nothing fetched) and as Markdown (the charts as their tables). Every text is encoded for its
/// format; nothing in a report is a secret (it is made from results and journal entries, which never hold one).
/// </summary>
internal sealed class ReportDocument
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; max-width: 1100px; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
        table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; } dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dt { font-weight: 600; }
        code { font-family: ui-monospace, monospace; font-size: .85em; } .note { color: #57606a; font-size: .9rem; }
        svg text { font-family: system-ui, sans-serif; font-size: 11px; fill: #1f2328; }
        .bar.Succeeded, .bar.AlreadyCurrent, .bar.Pass { fill: #2da44e; } .bar.Failed, .bar.VerificationFailed, .bar.Fail { fill: #cf222e; }
        .bar { fill: #0969da; } .bar.NotRun, .bar.Planned { fill: #afb8c1; } .verify { fill: #8250df; } .lead { fill: #d0d7de; }
        .downtime { fill: url(#downtime); stroke: #cf222e; stroke-width: 1; } .axis { stroke: #57606a; } .grid { stroke: #eaeef2; }
        .recovery-mean { fill: #0969da; } .recovery-worst { fill: #bc4c00; } .rto { stroke: #cf222e; stroke-dasharray: 4 3; stroke-width: 2; }
        """;

    public ReportDocument(string title, string subtitle)
    {
        Title = title;
        Subtitle = subtitle;
    }

    public string Title { get; }

    public string Subtitle { get; }

    public List<ReportSection> Sections { get; } = new();

    public ReportSection Add(string heading)
    {
        var section = new ReportSection(heading);
        Sections.Add(section);
        return section;
    }

    /// <summary>Writes <paramref name="htmlPath"/> and the Markdown beside it (same name, .md), each atomically.</summary>
    public (string Html, string Markdown) Write(string htmlPath)
    {
        var markdownPath = Path.ChangeExtension(htmlPath, ".md");
        var folder = Path.GetDirectoryName(htmlPath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        AtomicFile.WriteAllText(htmlPath, Html());
        AtomicFile.WriteAllText(markdownPath, Markdown());
        return (htmlPath, markdownPath);
    }

    public string Html()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<link rel=\"icon\" href=\"data:,\">\n<title>")
            .Append(Encode(Title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<h1>")
            .Append(Encode(Title)).Append("</h1>\n<p class=\"note\">").Append(Encode(Subtitle)).Append("</p>\n");
        foreach (var section in Sections)
        {
            html.Append("<section id=\"").Append(Encode(section.Id)).Append("\">\n<h2>").Append(Encode(section.Heading)).Append("</h2>\n");
            if (section.Facts.Count > 0)
            {
                html.Append("<dl>\n");
                foreach (var (name, value) in section.Facts)
                {
                    html.Append("<dt>").Append(Encode(name)).Append("</dt><dd>").Append(Encode(value)).Append("</dd>\n");
                }

                html.Append("</dl>\n");
            }

            if (section.Svg is not null)
            {
                html.Append(section.Svg).Append('\n');
            }

            if (section.Headers.Count > 0)
            {
                html.Append("<table>\n<thead><tr>");
                foreach (var header in section.Headers)
                {
                    html.Append("<th>").Append(Encode(header)).Append("</th>");
                }

                html.Append("</tr></thead>\n<tbody>\n");
                foreach (var row in section.Rows)
                {
                    html.Append("<tr>");
                    foreach (var cell in row)
                    {
                        html.Append("<td>").Append(Encode(cell)).Append("</td>");
                    }

                    html.Append("</tr>\n");
                }

                html.Append("</tbody>\n</table>\n");
            }

            foreach (var note in section.Notes)
            {
                html.Append("<p class=\"note\">").Append(Encode(note)).Append("</p>\n");
            }

            html.Append("</section>\n");
        }

        return html.Append("</body>\n</html>\n").ToString();
    }

    public string Markdown()
    {
        var markdown = new StringBuilder();
        markdown.Append("# ").Append(Inline(Title)).Append("\n\n").Append(Inline(Subtitle)).Append('\n');
        foreach (var section in Sections)
        {
            markdown.Append("\n## ").Append(Inline(section.Heading)).Append("\n\n");
            foreach (var (name, value) in section.Facts)
            {
                markdown.Append("- **").Append(Inline(name)).Append("**: ").Append(Inline(value)).Append('\n');
            }

            if (section.Facts.Count > 0)
            {
                markdown.Append('\n');
            }

            if (section.Headers.Count > 0)
            {
                markdown.Append("| ").Append(string.Join(" | ", section.Headers.Select(Cell))).Append(" |\n");
                markdown.Append('|').Append(string.Concat(section.Headers.Select(_ => " --- |"))).Append('\n');
                foreach (var row in section.Rows)
                {
                    markdown.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
                }

                markdown.Append('\n');
            }

            foreach (var note in section.Notes)
            {
                markdown.Append(Inline(note)).Append("\n\n");
            }
        }

        return markdown.ToString();
    }

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A duration as a report shows it: milliseconds to 10 s, then seconds, then minutes.</summary>
    public static string Time(TimeSpan value) => value.TotalSeconds < 10
        ? value.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture) + " ms"
        : value.TotalMinutes < 2 ? value.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture) + " s"
        : value.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture) + " min";

    public static string Utc(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + "Z";

    // Markdown: one line, no HTML, the characters that would start markup escaped.
    private static string Inline(string text) => Encode(text.Replace("\r", " ").Replace("\n", " ")).Replace("*", "\\*").Replace("_", "\\_").Replace("`", "\\`");

    private static string Cell(string text) => Inline(text).Replace("|", "\\|");
}

/// <summary>One section of a report: facts, a chart, a table and notes, each optional.</summary>
internal sealed class ReportSection
{
    public ReportSection(string heading)
    {
        Heading = heading;
        Id = new string(heading.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
    }

    public string Heading { get; }

    public string Id { get; }

    public List<(string Name, string Value)> Facts { get; } = new();

    /// <summary>An inline SVG chart (already encoded); Markdown shows the table instead.</summary>
    public string? Svg { get; set; }

    public List<string> Headers { get; } = new();

    public List<IReadOnlyList<string>> Rows { get; } = new();

    public List<string> Notes { get; } = new();

    public ReportSection Fact(string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            Facts.Add((name, value!));
        }

        return this;
    }

    public ReportSection Table(params string[] headers)
    {
        Headers.AddRange(headers);
        return this;
    }

    public ReportSection Row(params string[] cells)
    {
        Rows.Add(cells);
        return this;
    }

    public ReportSection Note(string note)
    {
        Notes.Add(note);
        return this;
    }
}
