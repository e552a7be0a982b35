using System;
using System.IO;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Settings;

/// <summary>
/// A secret setting as the store keeps it: where its value is, never the value. One of
/// <c>env:NAME</c> (an environment variable of the process that uses the target), <c>file:/path</c> (a file only its
/// owner may read), or <c>store:NAME</c> (a user-only file the store wrote from a SecureString or PSCredential given
/// at registration). Shown as <c>***</c> wherever it is displayed.
/// </summary>
public sealed class SecretReference
{
    public const string Mask = "***";
    public const string EnvironmentPrefix = "env:";
    public const string FilePrefix = "file:";
    public const string StorePrefix = "store:";

    private SecretReference(string locator)
    {
        Locator = locator;
    }

    /// <summary>Where the value is (env:NAME, file:/path or store:NAME); not itself a secret, so the store may keep it.</summary>
    public string Locator { get; }

    public static bool TryParse(string text, out SecretReference? reference)
    {
        reference = null;
        foreach (var prefix in new[] { EnvironmentPrefix, FilePrefix, StorePrefix })
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && text.Length > prefix.Length)
            {
                reference = new SecretReference(prefix + text.Substring(prefix.Length));
                return true;
            }
        }

        return false;
    }

    /// <summary>A value kept by the store under <paramref name="name"/> (see <see cref="Store.SecretFiles"/>).</summary>
    public static SecretReference InStore(string name) => new(StorePrefix + name);

    /// <summary>The value, read where the reference points; SecretUnavailable when it is not there or not protected.</summary>
    public string Reveal(string secretsDirectory)
    {
        if (Locator.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
        {
            var name = Locator.Substring(EnvironmentPrefix.Length);
            return Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
                ? value
                : throw Unavailable($"the environment variable {name} is not set in this process");
        }

        var inStore = Locator.StartsWith(StorePrefix, StringComparison.Ordinal);
        var path = inStore ? Path.Combine(secretsDirectory, Locator.Substring(StorePrefix.Length)) : Locator.Substring(FilePrefix.Length);
        if (inStore && !File.Exists(path))
        {
            // A value given as a PSCredential or SecureString stays with the user who gave it; with a shared store a
            // teammate on another machine (or account) has not given theirs yet.
            throw Unavailable($"the value given for it at registration is not kept for this user on this machine ('{path}' does not exist). Register the target again here with the secret (a PSCredential or SecureString), or keep the secret in an environment variable that every runner sets (Settings = @{{ Name = 'env:VARIABLE' }})");
        }

        CheckProtected(path);
        try
        {
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"the file '{path}' cannot be read ({ex.Message})");
        }
    }

    /// <summary>Refuses a file that is missing or that others than its owner may read (Unix permission bits).</summary>
    public static void CheckProtected(string path)
    {
        if (!File.Exists(path))
        {
            throw Unavailable($"the file '{path}' does not exist");
        }

        if (NativeFileSystem.GetUnixFileMode(path) is { } mode && (Convert.ToInt32(mode, System.Globalization.CultureInfo.InvariantCulture) & 0x3F) != 0)
        {
            throw Unavailable($"the file '{path}' may be read by others than its owner; make it user-only (chmod 600)");
        }
    }

    public override string ToString() => Mask;

    private static RollbackException Unavailable(string why) =>
        new(RollbackErrorId.SecretUnavailable, RollbackErrorCategory.SecurityError, $"A secret setting cannot be read: {why}.", null);
}

/// <summary>
/// A secret value given at registration (a SecureString, or a PSCredential's password, converted by the cmdlet layer):
/// held only until the store writes it to a user-only file and keeps a <see cref="SecretReference"/> instead.
/// </summary>
public sealed class SecretText
{
    public SecretText(System.Security.SecureString value)
    {
        Value = value;
    }

    public System.Security.SecureString Value { get; }

    public override string ToString() => SecretReference.Mask;
}
