namespace Rollback;

/// <summary>The two files of an incident report (Export-RollbackReport): the self-contained HTML file and the Markdown beside it.</summary>
public sealed class ReportFiles
{
    public required string HtmlPath { get; init; }

    public required string MarkdownPath { get; init; }

    public override string ToString() => HtmlPath;
}
