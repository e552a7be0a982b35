using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>SHA-256 of files and streams, as lower-case hex (the form sha256sum prints).</summary>
public static class Checksums
{
    private const int HashBufferSize = 1 << 18;

    // One read buffer per thread, reused for every file: a FileStream buffer per file would allocate 1 MiB
    // on the large-object heap for each of thousands of small files (measured: hashing ran at a quarter of
    // the speed of the same loop with a reused buffer; see tests/Rollback.Benchmarks).
    [ThreadStatic]
    private static byte[]? _hashBuffer;

    // And one hash per thread, reset by each result: an OpenSSL context per file costs more than its small files.
    [ThreadStatic]
    private static IncrementalHash? _sha;

    private static readonly char[] HexDigits = "0123456789abcdef".ToCharArray();

    public static string HashFile(string path) => HashFile(path, out _);

    /// <summary>
    /// The SHA-256 of <paramref name="path"/>, and (Linux) its <see cref="NativeFileSystem.ChangeKey(string)"/> read from the
    /// same descriptor once the end was reached, so a caller that keys hashes by it looks the path up no second time.
    /// </summary>
    public static string HashFile(string path, out FileChangeKey? key)
    {
        var buffer = _hashBuffer ??= new byte[HashBufferSize];
        var sha = _sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            if (NativeFileSystem.CanStat)
            {
                key = NativeFileSystem.ReadFile(path, buffer, (chunk, count) => sha.AppendData(chunk, 0, count));
            }
            else
            {
                key = null;

                // bufferSize 1 turns off FileStream's own buffer: every read goes straight into the reused one.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                }
            }
        }
        catch
        {
            DropThreadHash();
            throw;
        }

        return ToHex(sha.GetHashAndReset());
    }

    public static string HashText(string text)
    {
        using var sha = SHA256.Create();
        return ToHex(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Copies a file and hashes it in the same pass, so a capture reads each byte once.</summary>
    public static string CopyAndHash(string source, string destination, out long size) => CopyAndHash(source, destination, out size, out _);

    /// <summary>
    /// As <see cref="CopyAndHash(string, string, out long)"/>, with (Linux) the source's <see cref="NativeFileSystem.ChangeKey(string)"/>
    /// read from its descriptor once its end was reached: the key of the content hashed (see <see cref="Engine.HashReuse.Read"/>).
    /// </summary>
    public static string CopyAndHash(string source, string destination, out long size, out FileChangeKey? sourceKey) =>
        CopyAndHash(source, destination, flushToDisk: true, out size, out sourceKey);

    /// <summary>
    /// As <see cref="CopyAndHash(string, string, out long, out FileChangeKey?)"/>; <paramref name="flushToDisk"/> false leaves
    /// the copy to one flush of the whole tree by the caller.
    /// </summary>
    internal static string CopyAndHash(string source, string destination, bool flushToDisk, out long size, out FileChangeKey? sourceKey)
    {
        // The thread's reused buffer and hash, and no FileStream buffers (bufferSize 1): a buffer of each per file put
        // 3 MiB per file on the large-object heap, a full collection every few files of a tree of thousands.
        var buffer = _hashBuffer ??= new byte[HashBufferSize];
        var sha = _sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            size = 0;
            int read;
            while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                output.Write(buffer, 0, read);
                size += read;
            }

            sourceKey = NativeFileSystem.CanStat ? NativeFileSystem.ChangeKey(checked((int)input.SafeFileHandle.DangerousGetHandle())) : null;
            if (flushToDisk)
            {
                output.Flush(flushToDisk: true);
            }
        }
        catch
        {
            DropThreadHash();
            throw;
        }

        return ToHex(sha.GetHashAndReset());
    }

    /// <summary>
    /// After a read or copy failed half way: part of its file is in this thread's hash, so it is dropped and the next file
    /// starts with a new one.
    /// </summary>
    private static void DropThreadHash()
    {
        _sha?.Dispose();
        _sha = null;
    }

    /// <summary>Lowercase hex of <paramref name="bytes"/>: the form every SHA-256 of the engine takes.</summary>
    public static string ToHex(byte[] bytes) => ToHex(bytes, new char[bytes.Length * 2]);

    /// <summary>As <see cref="ToHex(byte[])"/>, through <paramref name="buffer"/> (at least twice as long): reused by a caller that converts thousands.</summary>
    internal static string ToHex(ReadOnlySpan<byte> bytes, char[] buffer)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            buffer[2 * i] = HexDigits[bytes[i] >> 4];
            buffer[(2 * i) + 1] = HexDigits[bytes[i] & 0xF];
        }

        return new string(buffer, 0, 2 * bytes.Length);
    }
}
