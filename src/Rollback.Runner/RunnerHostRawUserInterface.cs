using System;
using System.Management.Automation.Host;

namespace Rollback.Runner;

/// <summary>
/// A fixed-size virtual console. The runner often writes to a pipe or a CI log where no real
/// console size exists; a wide, fixed buffer lets the format views lay tables out predictably.
/// </summary>
public sealed class RunnerHostRawUserInterface : PSHostRawUserInterface
{
    public const int DefaultWidth = 120;

    private Size _bufferSize = new(DefaultWidth, short.MaxValue);
    private Size _windowSize = new(DefaultWidth, 50);
    private Coordinates _cursorPosition;
    private Coordinates _windowPosition;

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override Size BufferSize
    {
        get => _bufferSize;
        set => _bufferSize = value;
    }

    public override Coordinates CursorPosition
    {
        get => _cursorPosition;
        set => _cursorPosition = value;
    }

    public override int CursorSize { get; set; } = 25;

    // The key-reading API below is unsupported, so no key is ever available.
    public override bool KeyAvailable => false;

    public override Size MaxPhysicalWindowSize => _windowSize;

    public override Size MaxWindowSize => _windowSize;

    public override Coordinates WindowPosition
    {
        get => _windowPosition;
        set => _windowPosition = value;
    }

    public override Size WindowSize
    {
        get => _windowSize;
        set => _windowSize = value;
    }

    public override string WindowTitle { get; set; } = "rollback-runner";

    // Nothing in the module reads single keys or screen cells; scripts that try get a clear error.
    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new NotSupportedException("The runner host has no screen buffer to read.");

    public override KeyInfo ReadKey(ReadKeyOptions options) =>
        throw new NotSupportedException("The runner host cannot read single keys; use Read-Host style prompts.");

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
    {
    }

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
    {
    }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
    }
}
