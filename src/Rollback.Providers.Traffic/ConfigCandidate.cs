using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Providers.Traffic;

/// <summary>
/// The proxy configuration file as every traffic kind changes it: the new text written to a hidden name beside the live
/// file (flushed, with the live file's mode), checked there by the proxy's own test (haproxy -c, nginx -t), and only
/// then renamed over the live file, so the live file is never half written nor ever a file the proxy refuses. Disposing
/// removes the candidate when it was not moved into place.
/// </summary>
internal sealed class ConfigCandidate : IDisposable
{
    private readonly string _livePath;

    /// <summary>Writes <paramref name="content"/> beside <paramref name="livePath"/> under a temporary name tagged <paramref name="attemptId"/>.</summary>
    public ConfigCandidate(string livePath, string content, string attemptId)
    {
        _livePath = livePath;
        Path = TemporaryNames.Beside(livePath, attemptId);
        using (var stream = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = new UTF8Encoding(false).GetBytes(content);
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }

        NativeFileSystem.SetUnixFileMode(Path, NativeFileSystem.GetUnixFileMode(livePath));
    }

    /// <summary>The candidate's path.</summary>
    public string Path { get; }

    /// <summary>
    /// Runs <paramref name="commandLine"/> (which names the candidate) and returns nothing when it exits 0; else throws
    /// <paramref name="rejected"/> with the tool's own words, the candidate's name replaced by the live file's and the
    /// lines that contain <paramref name="marker"/> ('[ALERT]', '[emerg]') preferred.
    /// </summary>
    public void Check(string commandLine, string marker, TimeSpan patience, Func<string, RollbackException> rejected, CancellationToken cancellation)
    {
        var outcome = ShellCommand.Run(commandLine, System.IO.Path.GetDirectoryName(_livePath) ?? ".", patience, cancellation);
        if (outcome.ExitCode is null)
        {
            throw rejected($"did not finish within {patience.TotalSeconds:0} s");
        }

        if (outcome.ExitCode != 0)
        {
            var all = outcome.Output.Replace(Path, _livePath).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            var marked = all.Where(l => l.Contains(marker)).ToList();
            var words = ShellCommand.Truncate(string.Join(" ", marked.Count > 0 ? marked : all), 2000);
            throw rejected($"it exited with {outcome.ExitCode}: {(words.Length == 0 ? "no output" : words)}");
        }
    }

    /// <summary>Renames the candidate over the live file (one atomic step).</summary>
    public void Replace() => NativeFileSystem.ReplaceByRename(Path, _livePath);

    public void Dispose()
    {
        if (File.Exists(Path))
        {
            File.Delete(Path);
        }
    }

    /// <summary>Temporary names an earlier attempt killed in the middle left beside <paramref name="livePath"/>, removed.</summary>
    public static IReadOnlyList<string> RemoveLeftovers(string livePath)
    {
        var removed = new List<string>();
        foreach (var leftover in TemporaryNames.FindAbandonedBeside(livePath))
        {
            File.Delete(leftover);
            removed.Add(leftover);
        }

        return removed;
    }

    /// <summary>
    /// A proxy's binary: <paramref name="setting"/> (a path, or a name on PATH), else <paramref name="name"/> on PATH, else
    /// <paramref name="fallback"/>; <paramref name="notFound"/> (with why) when none exists.
    /// </summary>
    public static string Binary(string? setting, string name, string fallback, Func<string, RollbackException> notFound)
    {
        if (!string.IsNullOrWhiteSpace(setting))
        {
            return File.Exists(setting) ? setting! : OnPath(setting!) ?? throw notFound($"'{setting}' is not a file nor on PATH");
        }

        return OnPath(name) ?? (File.Exists(fallback) ? fallback : throw notFound($"no '{name}' on PATH nor {fallback}"));
    }

    private static string? OnPath(string name) =>
        name.IndexOf(System.IO.Path.DirectorySeparatorChar) >= 0 ? null :
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator)
            .Where(folder => folder.Length > 0)
            .Select(folder => System.IO.Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
