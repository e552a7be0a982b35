using System;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// The store's own file handling: reads whose failures become ErrorRecords, user-only permissions, and deletes
/// that never follow a link out of the store.
/// </summary>
public static class StoreFiles
{
    /// <summary>rwx for the owner only: the store holds copies of configuration files with passwords in them.</summary>
    public const int OwnerOnlyFolderMode = 0x1C0; // 0700

    /// <summary>rw for the owner only.</summary>
    public const int OwnerOnlyFileMode = 0x180; // 0600

    private const int GroupAndOtherBits = 0x3F; // 0077
    private const int PermissionBits = 0xFFF; // 07777

    /// <summary>Reads a store file; a file the user may not read, or that cannot be read, is an error that names it.</summary>
    public static string ReadAllText(string path) => Read(path, File.ReadAllText);

    /// <summary>As <see cref="ReadAllText"/>, the file's bytes as they are.</summary>
    public static byte[] ReadAllBytes(string path) => Read(path, File.ReadAllBytes);

    private static T Read<T>(string path, Func<string, T> read)
    {
        try
        {
            return read(path);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new RollbackException(RollbackErrorId.StorePathUnavailable, RollbackErrorCategory.PermissionDenied,
                $"The store file '{path}' cannot be read: {ex.Message} Run as the user who owns the store, or choose another with -StorePath.", path, ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RollbackException(RollbackErrorId.StorePathUnavailable, RollbackErrorCategory.ReadError,
                $"The store file '{path}' cannot be read: {ex.Message}", path, ex);
        }
    }

    /// <summary>
    /// Creates a store folder user-only (0700 on Unix) and tightens one that already exists: nobody else may list or read
    /// what the store keeps. On Windows the folder inherits its parent's ACL (the per-user default lies under
    /// %LOCALAPPDATA%, which only its user and administrators can read).
    /// </summary>
    public static void CreateOwnerOnlyDirectory(string path)
    {
        Directory.CreateDirectory(path);
        NativeFileSystem.RestrictPermissions(path, OwnerOnlyFolderMode);
    }

    /// <summary>Makes a store file readable and writable by its owner only (Unix); nothing on Windows, where the folder's ACL applies.</summary>
    public static void RestrictToOwner(string path) => NativeFileSystem.RestrictPermissions(path, OwnerOnlyFileMode);

    /// <summary>
    /// Takes group and other permissions off every file and folder under <paramref name="path"/> (links left alone, as
    /// chmod would follow them), for copies whose modes the manifest keeps (a point's configuration files): the copies
    /// themselves are the store's, readable by its owner only. Nothing on Windows.
    /// </summary>
    public static void RestrictTreeToOwner(string path)
    {
        if (NativeFileSystem.IsWindows || !Directory.Exists(path))
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories).Append(path))
        {
            if (NativeFileSystem.Stat(entry) is { Kind: UnixFileKind.RegularFile or UnixFileKind.Directory } status && (status.Mode & GroupAndOtherBits) != 0)
            {
                NativeFileSystem.RestrictPermissions(entry, status.Mode & ~GroupAndOtherBits & PermissionBits);
            }
        }
    }

    /// <summary>
    /// Deletes a file or a folder tree without ever following a link: a link anywhere in the tree, the top included, is
    /// removed as a link, so a tampered store cannot make a delete reach outside it.
    /// </summary>
    public static void DeleteWithoutFollowingLinks(string path)
    {
        if (NativeFileSystem.IsLink(path))
        {
            RemoveLink(path);
            return;
        }

        if (!Directory.Exists(path))
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            return;
        }

        foreach (var entry in Directory.GetFileSystemEntries(path))
        {
            DeleteWithoutFollowingLinks(entry);
        }

        Directory.Delete(path, recursive: false);
    }

    /// <summary>Throws when <paramref name="path"/> is a link: store folders and files are used only as they are, never as a way elsewhere.</summary>
    public static void EnsureNotLink(string path, string what)
    {
        if (NativeFileSystem.IsLink(path))
        {
            throw new RollbackException(RollbackErrorId.StoreLayoutInvalid, RollbackErrorCategory.SecurityError,
                $"{what} '{path}' is a link to '{NativeFileSystem.ReadLink(path)}'. The store never follows links out of itself: replace the link with a real folder, or move the store with -StorePath.",
                path);
        }
    }

    private static void RemoveLink(string path)
    {
        // A link to a folder is itself a folder entry on Windows (removed by RemoveDirectory), a plain entry on Unix.
        if (NativeFileSystem.IsWindows && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: false);
        }
        else
        {
            File.Delete(path);
        }
    }
}
