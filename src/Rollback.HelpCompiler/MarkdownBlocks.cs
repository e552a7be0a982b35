using System;
using System.Collections.Generic;
using System.Text;

namespace Rollback.HelpCompiler;

internal enum BlockKind
{
    Heading,
    Paragraph,
    Code,
}

/// <summary>
/// A piece of a help file: a heading (Level 1 to 3), a paragraph, or a fenced code block (Info is its language).
/// </summary>
internal sealed record Block(BlockKind Kind, int Level, string Text, string Info, int Line);

/// <summary>
/// Splits markdown into the blocks help uses: <c>#</c> headings, fenced code, and paragraphs. Lines of a paragraph are
/// joined with a space (so prose may be wrapped), except that a list item starts a paragraph of its own. Inline code
/// marks are dropped: Get-Help shows plain text.
/// </summary>
internal static class MarkdownBlocks
{
    public static List<Block> Read(string path, string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blocks = new List<Block>();
        var index = SkipFrontMatter(path, lines);
        var paragraph = new StringBuilder();
        var paragraphLine = 0;

        void EndParagraph()
        {
            if (paragraph.Length > 0)
            {
                blocks.Add(new Block(BlockKind.Paragraph, 0, paragraph.ToString(), string.Empty, paragraphLine));
                paragraph.Clear();
            }
        }

        for (; index < lines.Length; index++)
        {
            var line = lines[index].TrimEnd();
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                EndParagraph();
                var start = index;
                var fence = trimmed[..(trimmed.Length - trimmed.TrimStart('`').Length)];
                var code = new List<string>();
                for (index++; index < lines.Length && !lines[index].Trim().Equals(fence, StringComparison.Ordinal); index++)
                {
                    code.Add(lines[index].TrimEnd());
                }

                if (index >= lines.Length)
                {
                    throw new HelpFormatException(path, start + 1, "A code block is not closed.");
                }

                blocks.Add(new Block(BlockKind.Code, 0, string.Join("\n", code), trimmed[fence.Length..].Trim(), start + 1));
            }
            else if (trimmed.Length == 0)
            {
                EndParagraph();
            }
            else if (HeadingLevel(trimmed) is > 0 and var level)
            {
                EndParagraph();
                blocks.Add(new Block(BlockKind.Heading, level, trimmed[(level + 1)..].Trim(), string.Empty, index + 1));
            }
            else
            {
                if (IsListItem(trimmed))
                {
                    EndParagraph();
                }

                if (paragraph.Length == 0)
                {
                    paragraphLine = index + 1;
                }
                else
                {
                    paragraph.Append(' ');
                }

                paragraph.Append(trimmed.Replace("`", string.Empty, StringComparison.Ordinal));
            }
        }

        EndParagraph();
        return blocks;
    }

    /// <summary>The optional yaml front matter (platyPS writes one) carries nothing the MAML needs.</summary>
    private static int SkipFrontMatter(string path, string[] lines)
    {
        if (lines.Length == 0 || lines[0].Trim() != "---")
        {
            return 0;
        }

        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim() == "---")
            {
                return i + 1;
            }
        }

        throw new HelpFormatException(path, 1, "The front matter that starts with '---' is not closed by another '---'.");
    }

    private static int HeadingLevel(string line)
    {
        var level = line.Length - line.TrimStart('#').Length;
        return level is >= 1 and <= 6 && line.Length > level && line[level] == ' ' ? level : 0;
    }

    private static bool IsListItem(string line)
    {
        if (line.StartsWith("- ", StringComparison.Ordinal) || line.StartsWith("* ", StringComparison.Ordinal))
        {
            return true;
        }

        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits]))
        {
            digits++;
        }

        return digits > 0 && line.Length > digits + 1 && line[digits] == '.' && line[digits + 1] == ' ';
    }
}
