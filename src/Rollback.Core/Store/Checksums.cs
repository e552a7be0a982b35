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

    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        using var sha = SHA256.Create();
        return ToHex(sha.ComputeHash(stream));
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
