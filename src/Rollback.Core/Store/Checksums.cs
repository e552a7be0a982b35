using System;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace Rollback.Store;

/// <summary>SHA-256 of files and streams, as lower-case hex (the form sha256sum prints).</summary>
public static class Checksums
{
    private const int BufferSize = 1 << 20;
    private const int HashBufferSize = 1 << 16;

    // One read buffer per thread, reused for every file: a FileStream buffer per file would allocate 1 MiB
    // on the large-object heap for each of thousands of small files (measured: hashing ran at a quarter of
    // the speed of the same loop with a reused buffer; see tests/Rollback.Benchmarks).
    [ThreadStatic]
    private static byte[]? _hashBuffer;

    public static string HashFile(string path)
    {
        var buffer = _hashBuffer ??= new byte[HashBufferSize];

        // bufferSize 1 turns off FileStream's own buffer: every read goes straight into the reused one.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var sha = SHA256.Create();
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha.TransformBlock(buffer, 0, read, null, 0);
        }

        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return ToHex(sha.Hash!);
    }

    public static string HashText(string text)
    {
        using var sha = SHA256.Create();
        return ToHex(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Copies a file and hashes it in the same pass, so a capture reads each byte once.</summary>
    public static string CopyAndHash(string source, string destination, out long size)
    {
        var buffer = new byte[BufferSize];
        using var sha = SHA256.Create();
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize);
        size = 0;
        int read;
        while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha.TransformBlock(buffer, 0, read, null, 0);
            output.Write(buffer, 0, read);
            size += read;
        }

        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        output.Flush(flushToDisk: true);
        return ToHex(sha.Hash!);
    }

    public static string ToHex(byte[] bytes)
    {
        var builder = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            builder.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
