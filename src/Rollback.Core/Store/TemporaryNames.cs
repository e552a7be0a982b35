using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// The names of what a write or a switch puts beside a path while it works: ".&lt;name&gt;.rollback-&lt;process&gt;-&lt;tag&gt;.&lt;role&gt;",
/// hidden, in the same folder (so the final rename never crosses file systems), naming the process that made it, the
/// attempt (or write) it belongs to, and what it holds ("tmp" for a write's file or a switch's link; a Directory attempt's
/// "staging", "staged-DEV-INODE" and "previous" folders). The one place such names are built and read. A process killed
/// in the middle leaves them behind; whoever next holds the target's lock finds them by their prefix and removes them (or,
/// for a state a switch set aside, keeps it as a safety point), naming the process that left them.
/// </summary>
public static class TemporaryNames
{
    /// <summary>The role of a write's temporary file or a switch's temporary link.</summary>
    public const string TemporaryRole = "tmp";

    private const string Marker = ".rollback-";

    /// <summary>A fresh tag: 12 hex digits, unique enough to keep two writes of one process apart.</summary>
    public static string NewTag() => Guid.NewGuid().ToString("N").Substring(0, 12);

    /// <summary>The temporary name beside <paramref name="path"/> for this process, <paramref name="tag"/> and <paramref name="role"/>.</summary>
    public static string Beside(string path, string tag, string role = TemporaryRole)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var processId = ProcessLiveness.CurrentId.ToString(CultureInfo.InvariantCulture);
        return Path.Combine(directory, Prefix(Path.GetFileName(full)) + processId + "-" + tag + "." + role);
    }

    /// <summary>What a temporary name says it holds (the part after its process and tag), or null for names that carry no process.</summary>
    public static string? RoleOf(string temporaryPath)
    {
        var name = Path.GetFileName(temporaryPath);
        var start = name.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0 || ProcessOf(temporaryPath) is null)
        {
            return null;
        }

        var rest = name.Substring(start + Marker.Length);
        var dot = rest.IndexOf('.');
        return dot < 0 ? null : rest.Substring(dot + 1);
    }

    /// <summary>
    /// Every temporary name beside <paramref name="path"/> (files, links, folders), whoever made it, including the names
    /// of releases before they carried a process (".current.rollback-&lt;point&gt;") and a swap's ".previous" copy.
    /// </summary>
    public static IReadOnlyList<string> FindBeside(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
        {
            return Array.Empty<string>();
        }

        var prefix = Prefix(Path.GetFileName(full));
        return Directory.EnumerateFileSystemEntries(directory, prefix + "*")
            .Where(entry => Path.GetFileName(entry).StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(entry => entry, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The temporary names beside <paramref name="path"/> that no running process is still using: made by a process that
    /// has ended, by this one (an earlier attempt of this session), or before names carried a process. A name made by
    /// another running process is left alone (a Restore-Configuration -WhatIf stages copies without the target's lock).
    /// </summary>
    public static IReadOnlyList<string> FindAbandonedBeside(string path) => FindBeside(path).Where(IsAbandoned).ToList();

    private static bool IsAbandoned(string temporaryPath) => ProcessOf(temporaryPath) is not int processId || !ProcessLiveness.OtherRuns(processId);

    /// <summary>The process named in a temporary name, or null for names that carry none (written before they did).</summary>
    public static int? ProcessOf(string temporaryPath)
    {
        var name = Path.GetFileName(temporaryPath);
        var start = name.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var rest = name.Substring(start + Marker.Length);
        var dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest.Substring(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    private static string Prefix(string fileName) => "." + fileName + Marker;
}
