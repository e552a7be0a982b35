using System;

namespace Rollback.HelpCompiler;

/// <summary>A help file that does not follow the layout, with the file and line to fix.</summary>
public sealed class HelpFormatException : Exception
{
    public HelpFormatException(string path, int line, string message)
        : base(message)
    {
        Path = path;
        Line = line;
    }

    public HelpFormatException()
    {
        Path = string.Empty;
    }

    public HelpFormatException(string message)
        : base(message)
    {
        Path = string.Empty;
    }

    public HelpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    public string Path { get; }

    /// <summary>1-based; 0 when the problem is the file as a whole.</summary>
    public int Line { get; }

    /// <summary>The canonical "file(line): error" form that MSBuild's Exec shows as a build error.</summary>
    public string ToBuildError() => $"{Path}({Math.Max(Line, 1)}): error RBHELP: {Message}";
}
