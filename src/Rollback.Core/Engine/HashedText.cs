using System;
using System.Security.Cryptography;
using System.Text;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// The SHA-256 of a long text written line by line (<see cref="Checksums.HashText"/> of the lines joined by newlines, in
/// UTF-8), hashed a chunk at a time as the lines are written: a tree of 20,000 entries is never one string of megabytes.
/// Chunks end between lines, so each is encoded as the whole text would be.
/// </summary>
internal sealed class HashedText : IDisposable
{
    private const int ChunkChars = 1 << 15;

    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private char[] _chars = new char[ChunkChars];
    private byte[] _bytes = new byte[Encoding.UTF8.GetMaxByteCount(ChunkChars)];

    /// <summary>Where the current line is written.</summary>
    public StringBuilder Line { get; } = new(256);

    /// <summary>Ends the current line: it is hashed once a chunk is full, and a newline starts the next.</summary>
    public void EndLine()
    {
        Line.Append('\n');
        if (Line.Length >= ChunkChars)
        {
            Flush();
        }
    }

    /// <summary>The hash of everything written, as lower-case hex.</summary>
    public string Finish()
    {
        Flush();
        return Checksums.ToHex(_sha.GetHashAndReset());
    }

    public void Dispose() => _sha.Dispose();

    private void Flush()
    {
        var length = Line.Length;
        if (length == 0)
        {
            return;
        }

        if (_chars.Length < length)
        {
            _chars = new char[length];
            _bytes = new byte[Encoding.UTF8.GetMaxByteCount(length)];
        }

        Line.CopyTo(0, _chars, 0, length);
        var count = Encoding.UTF8.GetBytes(_chars, 0, length, _bytes, 0);
        _sha.AppendData(_bytes, 0, count);
        Line.Clear();
    }
}
