using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// The optional secret that makes journal forgery detectable: each entry appended while it is configured carries an
/// HMAC-SHA256 of its hash (the "mac" field), which nobody without the key can compute. It is read from a user-only
/// file named by ROLLBACK_JOURNAL_KEY_FILE, kept outside the store: whoever can rewrite the store must not be able to
/// read the key. The key's bytes never leave this class; messages name the file only.
/// </summary>
public sealed class JournalKey
{
    public const string EnvironmentVariable = "ROLLBACK_JOURNAL_KEY_FILE";

    /// <summary>Fewer bytes than a SHA-256 block's worth of guessing is no secret: 16 at least (32 random bytes recommended).</summary>
    public const int MinimumLength = 16;

    private const int GroupAndOtherBits = 0x3F; // 0077

    private readonly byte[] _key;

    private JournalKey(string path, byte[] key)
    {
        Path = path;
        _key = key;
    }

    /// <summary>The key file; the only thing about the key that is ever shown.</summary>
    public string Path { get; }

    /// <summary>
    /// Loads the key file, or returns null when <paramref name="path"/> is null or empty (no key configured). A file that
    /// group or others may read is refused (JournalKeyUnprotected), as is a missing, unreadable or too short one (JournalKeyInvalid).
    /// </summary>
    public static JournalKey? Load(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var keyPath = path!;
        try
        {
            if (NativeFileSystem.Stat(keyPath) is { } status)
            {
                if (status.Kind != UnixFileKind.RegularFile)
                {
                    throw Invalid(keyPath, "it is not a regular file (a link is not followed).", null);
                }

                if ((status.Mode & GroupAndOtherBits) != 0)
                {
                    throw new RollbackException(RollbackErrorId.JournalKeyUnprotected, RollbackErrorCategory.SecurityError,
                        $"The journal key file '{keyPath}' has mode {NativeFileSystem.FormatMode(status.Mode)}: others than its owner may read it, so it is not used. Run: chmod 600 '{keyPath}' (and keep it outside the store).",
                        keyPath);
                }
            }

            var bytes = File.ReadAllBytes(keyPath);
            var length = bytes.Length;
            while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r')
            {
                // A key written by `openssl rand -hex 32 > file` ends in a newline that editors may or may not keep.
                length--;
            }

            if (length < MinimumLength)
            {
                throw Invalid(keyPath, $"it holds {length} byte(s); a key needs at least {MinimumLength}.", null);
            }

            var key = new byte[length];
            Array.Copy(bytes, key, length);
            Array.Clear(bytes, 0, bytes.Length);
            return new JournalKey(keyPath, key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Invalid(keyPath, ex.Message, ex);
        }
    }

    /// <summary>The MAC of an entry: HMAC-SHA256 over its hash, as lowercase hex.</summary>
    public string Mac(string hash)
    {
        using var hmac = new HMACSHA256(_key);
        var mac = hmac.ComputeHash(Encoding.ASCII.GetBytes(hash));
        var text = new StringBuilder(mac.Length * 2);
        foreach (var b in mac)
        {
            text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>Whether <paramref name="mac"/> is the MAC of <paramref name="hash"/>, compared in constant time.</summary>
    public bool Matches(string hash, string mac)
    {
        var expected = Mac(hash);
        if (expected.Length != mac.Length)
        {
            return false;
        }

        var difference = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference |= expected[i] ^ mac[i];
        }

        return difference == 0;
    }

    public override string ToString() => $"journal key from '{Path}'";

    private static RollbackException Invalid(string path, string reason, Exception? inner) =>
        new(RollbackErrorId.JournalKeyInvalid, RollbackErrorCategory.InvalidData,
            $"The journal key file '{path}' ({EnvironmentVariable}) cannot be used: {reason} Create it with: openssl rand -hex 32 > '{path}'; chmod 600 '{path}'.",
            path, inner);
}
