using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using Rollback.Settings;

namespace Rollback.Store;

/// <summary>
/// The values of secret settings given as a SecureString or PSCredential: secrets/&lt;target&gt;/&lt;setting&gt; in the
/// store, user-only like every store file, written atomically. targets.json keeps only a <see cref="SecretReference"/>
/// (store:&lt;target&gt;/&lt;setting&gt;) to it.
/// </summary>
public sealed class SecretFiles
{
    public SecretFiles(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>The reference a value kept for a target's setting has, written or not.</summary>
    public static SecretReference ReferenceFor(string target, string setting) => SecretReference.InStore(TargetFolder(target) + "/" + setting);

    /// <summary>Writes <paramref name="value"/> for a target's setting, where <see cref="ReferenceFor"/> points.</summary>
    public void Keep(string target, string setting, SecureString value)
    {
        StoreFiles.CreateOwnerOnlyDirectory(Directory);
        var folder = Path.Combine(Directory, TargetFolder(target));
        StoreFiles.CreateOwnerOnlyDirectory(folder);
        var pointer = IntPtr.Zero;
        var bytes = Array.Empty<byte>();
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(value);
            bytes = Encoding.UTF8.GetBytes(Marshal.PtrToStringUni(pointer) ?? string.Empty);
            AtomicFile.WriteAllBytes(Path.Combine(folder, setting), bytes);
        }
        finally
        {
            Array.Clear(bytes, 0, bytes.Length);
            if (pointer != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(pointer);
            }
        }
    }

    /// <summary>Deletes the value kept for one setting of a target, if any.</summary>
    public void Remove(string target, string setting) => StoreFiles.DeleteWithoutFollowingLinks(Path.Combine(Directory, TargetFolder(target), setting));

    /// <summary>Deletes every value kept for a target (it was unregistered, or registered again).</summary>
    public void RemoveAll(string target) => StoreFiles.DeleteWithoutFollowingLinks(Path.Combine(Directory, TargetFolder(target)));

    // Target names are plain (TargetRegistry.ValidateName) and setting names are declared identifiers: both safe as path segments.
    private static string TargetFolder(string target) => target.ToLowerInvariant();
}
