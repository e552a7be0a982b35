using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// The names of what a write or a switch puts beside a path while it works: ".&lt;name&gt;.rollback-&lt;process&gt;-&lt;tag&gt;.tmp",
/// hidden, in the same folder (so the final rename never crosses file systems), naming the process that made it and
/// the attempt (or write) it belongs to. A process killed in the middle leaves such names behind; whoever next holds the
/// target's lock finds them by their prefix and removes them, naming the process that left them.
/// </summary>
public static class TemporaryNames
{
    private const string Marker = ".rollback-";
    private const string Suffix = ".tmp";

    /// <summary>A fresh tag: 12 hex digits, unique enough to keep two writes of one process apart.</summary>
    public static string NewTag() => Guid.NewGuid().ToString("N").Substring(0, 12);

    /// <summary>The temporary name beside <paramref name="path"/> for this process and <paramref name="tag"/>.</summary>
    public static string Beside(string path, string tag)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var processId = ProcessLiveness.CurrentId.ToString(CultureInfo.InvariantCulture);
        return Path.Combine(directory, Prefix(Path.GetFileName(full)) + processId + "-" + tag + Suffix);
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
