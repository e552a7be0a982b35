using System;
using System.IO;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// Turns a relative path from a manifest into a full path that is proven to stay inside its base folder:
/// no absolute paths, no '..' segments, and no symbolic link that leads outside. A tampered manifest or
/// point folder must never make the engine read or write elsewhere.
/// </summary>
public static class SafePath
{
    // As many links as Linux follows in one path lookup before giving up with ELOOP.
    private const int MaxLinksFollowed = 40;

    private static readonly StringComparison PathComparison =
        NativeFileSystem.IsWindows ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public static string Resolve(string baseDirectory, string relativePath)
    {
        var problem = RelativePathProblem(relativePath);
        if (problem is not null)
        {
            throw Escapes(baseDirectory, relativePath, problem);
        }

        var segments = relativePath.Split('/', '\\');
        var fullBase = Normalize(baseDirectory);
        var full = Path.GetFullPath(Path.Combine(fullBase, string.Join(Path.DirectorySeparatorChar.ToString(), segments)));
        if (!IsWithin(fullBase, full))
        {
            throw Escapes(baseDirectory, relativePath, "it resolves outside the folder");
        }

        return full;
    }

    /// <summary>
    /// Why <paramref name="relativePath"/> cannot name a place inside a folder on paper (absolute, empty, a drive, '..',
    /// '.', an empty segment or a NUL), or null when it can. The check a manifest entry passes before it touches a path.
    /// </summary>
    public static string? RelativePathProblem(string? relativePath)
    {
        if (string.IsNullOrWhiteSpace(relativePath) || Path.IsPathRooted(relativePath) || relativePath!.IndexOf(':') >= 0)
        {
            return "it is absolute or empty";
        }

        if (relativePath.IndexOf('\0') >= 0)
        {
            return "it contains a NUL character";
        }

        return HasDotOrEmptySegment(relativePath) ? "it contains '..', '.' or an empty segment" : null;
    }

    /// <summary>
    /// Whether a segment of <paramref name="path"/> (split on '/' and '\\') is empty, '.' or '..'. A walk over the
    /// characters, nothing allocated: the hash cache checks every path it reads, by the ten thousand.
    /// </summary>
    private static bool HasDotOrEmptySegment(string path)
    {
        var start = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/' && path[i] != '\\')
            {
                continue;
            }

            var length = i - start;
            if (length == 0 || (path[start] == '.' && (length == 1 || (length == 2 && path[start + 1] == '.'))))
            {
                return true;
            }

            start = i + 1;
        }

        return false;
    }

    /// <summary>Throws when any existing component of <paramref name="fullPath"/> below the base is a link that leads outside the base.</summary>
    public static void EnsureNoEscapingLink(string baseDirectory, string fullPath)
    {
        var linksLeft = MaxLinksFollowed;
        EnsureNoEscapingLink(baseDirectory, fullPath, ref linksLeft);

        // The walk above reads link text; a target such as 'd/../x' where 'd' is itself a link resolves differently
        // on disk than on paper. Where the OS can resolve the whole path, its answer is the final word.
        var realBase = NativeFileSystem.RealPath(baseDirectory);
        var realPath = NativeFileSystem.RealPath(fullPath);
        if (realBase is not null && realPath is not null && !IsWithin(realBase, realPath))
        {
            throw Escapes(baseDirectory, fullPath.Substring(Math.Min(fullPath.Length, Normalize(baseDirectory).Length + 1)), $"on disk it resolves to '{realPath}'");
        }
    }

    private static void EnsureNoEscapingLink(string baseDirectory, string fullPath, ref int linksLeft)
    {
        var fullBase = Normalize(baseDirectory);
        var current = fullPath;
        while (current.Length > fullBase.Length && IsWithin(fullBase, current))
        {
            if (NativeFileSystem.IsLink(current))
            {
                var target = NativeFileSystem.ReadLink(current);
                var resolved = target is null ? null : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, target));
                if (resolved is null || !IsWithin(fullBase, resolved))
                {
                    throw Escapes(baseDirectory, current.Substring(fullBase.Length + 1), $"it is a link to '{target}'");
                }

                // Inside, but the target may itself be a link, or lie below one, that leads out: follow it as the OS would.
                if (--linksLeft < 0)
                {
                    throw Escapes(baseDirectory, current.Substring(fullBase.Length + 1), "its links form a cycle or are nested too deeply");
                }

                EnsureNoEscapingLink(baseDirectory, resolved, ref linksLeft);
            }

            current = Path.GetDirectoryName(current) ?? string.Empty;
        }
    }

    public static bool IsWithin(string fullBase, string fullPath)
    {
        var prefix = fullBase.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? fullBase : fullBase + Path.DirectorySeparatorChar;
        return fullPath.StartsWith(prefix, PathComparison) || string.Equals(fullPath, fullBase, PathComparison);
    }

    /// <summary>The path of <paramref name="fullPath"/> relative to <paramref name="fullBase"/>, with '/' separators (the manifest form).</summary>
    public static string ToRelative(string fullBase, string fullPath)
    {
        var relative = fullPath.Substring(Normalize(fullBase).Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return relative.Replace('\\', '/');
    }

    private static string Normalize(string directory) =>
        Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);

    private static RollbackException Escapes(string baseDirectory, string relativePath, string why) =>
        new(RollbackErrorId.ArtifactPathEscapes, RollbackErrorCategory.SecurityError,
            $"The manifest entry '{relativePath}' escapes '{baseDirectory}': {why}. The point may have been tampered with; do not use it, and capture a new point.",
            relativePath);
}
