using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;

namespace Rollback.Runner;

/// <summary>
/// Reads one line of the interactive console from the keyboard: editing keys, Up/Down through the session's
/// history, Tab/Shift+Tab cycling through the engine's completions, Ctrl+C abandoning the line.
/// </summary>
/// <remarks>
/// pwsh's own line input on Unix ignores Tab and the arrow keys and redraws long lines on the wrong row; pwsh leaves
/// line editing to PSReadLine, which Microsoft.PowerShell.SDK does not ship. This editor draws with relative cursor
/// moves from the column where the input started, so lines longer than the window wrap and redraw correctly. Each
/// character is taken as one cell wide.
/// </remarks>
internal sealed class ConsoleLineEditor
{
    private const string Escape = "\u001b[";

    private readonly Func<string, int, CommandCompletion?> _complete;
    private readonly IReadOnlyList<string> _history;
    private readonly StringBuilder _text = new();
    private readonly int _startColumn;
    private readonly int _width;
    private int _cursor;

    /// <summary>Where the terminal's cursor is, in cells from the first column of the row where the input starts.</summary>
    private int _drawnCursor;

    /// <summary>Where the text last drawn ends, in the same cells.</summary>
    private int _drawnEnd;

    private int _historyIndex;
    private string _draft = string.Empty;
    private Completion? _completion;

    /// <param name="complete">The engine's completions for a line and a cursor index (null when there are none).</param>
    /// <param name="history">The session's command lines, oldest first.</param>
    public ConsoleLineEditor(Func<string, int, CommandCompletion?> complete, IReadOnlyList<string> history)
    {
        _complete = complete;
        _history = history;
        _historyIndex = history.Count;
        _width = Math.Max(Console.WindowWidth, 1);
        _startColumn = Console.GetCursorPosition().Left % _width;
        _drawnCursor = _drawnEnd = _startColumn;
    }

    /// <summary>The line the user entered; null when Ctrl+C abandoned it (pwsh then drops a pending multi-line command too).</summary>
    public string? ReadLine()
    {
        var treatControlCAsInput = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    Finish(string.Empty, newLine: true);
                    return _text.ToString();
                }

                if (IsControl(key, ConsoleKey.C))
                {
                    // pwsh's console starts the next line itself after an abandoned one.
                    Finish("^C", newLine: false);
                    return null;
                }

                if (key.Key != ConsoleKey.Tab)
                {
                    _completion = null;
                }

                Apply(key);
                Draw();
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlCAsInput;
        }
    }

    private static bool IsControl(ConsoleKeyInfo key, ConsoleKey letter) =>
        key.Key == letter && key.Modifiers.HasFlag(ConsoleModifiers.Control);

    private void Apply(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.Tab:
                Complete(forward: !key.Modifiers.HasFlag(ConsoleModifiers.Shift));
                return;
            case ConsoleKey.UpArrow:
                Recall(_historyIndex - 1);
                return;
            case ConsoleKey.DownArrow:
                Recall(_historyIndex + 1);
                return;
            case ConsoleKey.LeftArrow:
                _cursor = Math.Max(_cursor - 1, 0);
                return;
            case ConsoleKey.RightArrow:
                _cursor = Math.Min(_cursor + 1, _text.Length);
                return;
            case ConsoleKey.Home:
            case ConsoleKey.A when IsControl(key, ConsoleKey.A):
                _cursor = 0;
                return;
            case ConsoleKey.End:
            case ConsoleKey.E when IsControl(key, ConsoleKey.E):
                _cursor = _text.Length;
                return;
            case ConsoleKey.Backspace when _cursor > 0:
                _text.Remove(--_cursor, 1);
                return;
            case ConsoleKey.Delete when _cursor < _text.Length:
                _text.Remove(_cursor, 1);
                return;
            case ConsoleKey.U when IsControl(key, ConsoleKey.U):
                _text.Remove(0, _cursor);
                _cursor = 0;
                return;
            case ConsoleKey.Escape:
                _text.Clear();
                _cursor = 0;
                return;
        }

        if (!char.IsControl(key.KeyChar))
        {
            _text.Insert(_cursor++, key.KeyChar);
        }
    }

    /// <summary>Up/Down: the line typed so far is kept as the draft below the newest history entry.</summary>
    private void Recall(int index)
    {
        if (index < 0 || index > _history.Count || index == _historyIndex)
        {
            return;
        }

        if (_historyIndex == _history.Count)
        {
            _draft = _text.ToString();
        }

        _historyIndex = index;
        Replace(0, _text.Length, index == _history.Count ? _draft : _history[index]);
    }

    /// <summary>The first Tab asks the engine; each further Tab (Shift+Tab backwards) replaces the last completion with the next.</summary>
    private void Complete(bool forward)
    {
        if (_completion is null)
        {
            var found = _complete(_text.ToString(), _cursor);
            if (found is null || found.CompletionMatches.Count == 0)
            {
                return;
            }

            _completion = new Completion(found, found.ReplacementIndex, found.ReplacementLength);
        }

        var match = _completion.Matches.GetNextResult(forward);
        if (match is null)
        {
            return;
        }

        Replace(_completion.Start, _completion.Length, match.CompletionText);
        _completion.Length = match.CompletionText.Length;
    }

    private void Replace(int start, int length, string text)
    {
        _text.Remove(start, length).Insert(start, text);
        _cursor = start + text.Length;
    }

    /// <summary>Moves the cursor past the line and writes <paramref name="mark"/> after it, then a new line if asked.</summary>
    private void Finish(string mark, bool newLine)
    {
        _cursor = _text.Length;
        Draw();
        var output = Console.Out;
        output.Write(mark);
        if (newLine && (_text.Length == 0 || _drawnEnd % _width != 0))
        {
            // A line that ends exactly at the window's edge already moved the cursor to the next row (see Draw).
            output.WriteLine();
        }

        output.Flush();
    }

    /// <summary>Redraws the input from where it starts, then puts the cursor at its place in the text.</summary>
    private void Draw()
    {
        var screen = new StringBuilder();
        MoveTo(screen, _drawnCursor, _startColumn);
        screen.Append(_text).Append(Escape).Append('J');
        var end = _startColumn + _text.Length;
        if (_text.Length > 0 && end % _width == 0)
        {
            // Terminals hold the cursor on the last column after writing there; a new line makes its row certain.
            screen.Append("\r\n");
        }

        var cursor = _startColumn + _cursor;
        MoveTo(screen, end, cursor);
        _drawnCursor = cursor;
        _drawnEnd = end;
        Console.Out.Write(screen.ToString());
        Console.Out.Flush();
    }

    /// <summary>Cursor moves from cell <paramref name="from"/> to cell <paramref name="to"/> (cells counted from the input's first row).</summary>
    private void MoveTo(StringBuilder screen, int from, int to)
    {
        var rowsUp = (from / _width) - (to / _width);
        if (rowsUp > 0)
        {
            screen.Append(Escape).Append(rowsUp).Append('A');
        }
        else if (rowsUp < 0)
        {
            screen.Append(Escape).Append(-rowsUp).Append('B');
        }

        screen.Append('\r');
        var column = to % _width;
        if (column > 0)
        {
            screen.Append(Escape).Append(column).Append('C');
        }
    }

    /// <summary>The completions of one Tab sequence and the span of the text they replace.</summary>
    private sealed class Completion(CommandCompletion matches, int start, int length)
    {
        public CommandCompletion Matches { get; } = matches;

        public int Start { get; } = start;

        public int Length { get; set; } = length;
    }
}
