using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// The file work every file-based provider shares: listing a tree without following links, hashing it,
/// copying it with hashes in one pass, and verifying a point's artifacts against their manifest.
/// </summary>
public static class FileTree
{
    /// <summary>One entry of a tree: a regular file, or a symbolic link kept as a link.</summary>
    public sealed class Item
    {
        public required string RelativePath { get; init; }

        public required string FullPath { get; init; }

        public long Size { get; init; }

        public string? LinkTarget { get; init; }
    }

    /// <summary>Lists the files and links under <paramref name="root"/>, in ordinal order, never descending into a linked folder.</summary>
    public static IReadOnlyList<Item> List(string root)
    {
        var fullRoot = Path.GetFullPath(root);
        var items = new List<Item>();
        var pending = new Stack<string>();
        pending.Push(fullRoot);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                var relative = SafePath.ToRelative(fullRoot, entry.FullName);
                if ((entry.Attributes & FileAttributes.ReparsePoint) != 0)
                {
                    items.Add(new Item { RelativePath = relative, FullPath = entry.FullName, LinkTarget = NativeFileSystem.ReadLink(entry.FullName) ?? string.Empty });
                }
                else if (entry is DirectoryInfo)
                {
                    pending.Push(entry.FullName);
                }
                else
                {
                    items.Add(new Item { RelativePath = relative, FullPath = entry.FullName, Size = ((FileInfo)entry).Length });
                }
            }
        }

        items.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return items;
    }

    /// <summary>Hashes every file under <paramref name="root"/> in place (links are recorded, not followed).</summary>
    public static IReadOnlyList<ArtifactEntry> Hash(string root, IRollbackReporter reporter, CancellationToken cancellation)
    {
        var items = List(root);
        var hashes = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        ParallelWork.ForEach(
            items.Where(i => i.LinkTarget is null).ToList(),
            item =>
            {
                hashes[item.RelativePath] = Checksums.HashFile(item.FullPath);
                return item.Size;
            },
            new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = $"Hashing {root}" },
            item => item.Size,
            reporter,
            cancellation);
        return items.Select(i => ToEntry(i, i.LinkTarget is null ? hashes[i.RelativePath] : null)).ToList();
    }

    /// <summary>Copies the tree under <paramref name="source"/> into the new folder <paramref name="destination"/>, hashing as it copies.</summary>
    public static IReadOnlyList<ArtifactEntry> Copy(string source, string destination, IRollbackReporter reporter, CancellationToken cancellation) =>
        CopyItems(List(source), destination, $"Copying {source}", reporter, cancellation);

    /// <summary>Copies the given items (from <see cref="List"/> or single files) into <paramref name="destination"/> under their relative paths.</summary>
    public static IReadOnlyList<ArtifactEntry> CopyItems(IReadOnlyList<Item> items, string destination, string activity, IRollbackReporter reporter, CancellationToken cancellation)
    {
        Directory.CreateDirectory(destination);
        foreach (var folder in items.Select(i => Path.GetDirectoryName(Target(destination, i.RelativePath))).Distinct())
        {
            Directory.CreateDirectory(folder!);
        }

        var hashes = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        foreach (var link in items.Where(i => i.LinkTarget is not null))
        {
            NativeFileSystem.CreateDirectoryLink(Target(destination, link.RelativePath), link.LinkTarget!);
        }

        ParallelWork.ForEach(
            items.Where(i => i.LinkTarget is null).ToList(),
            item =>
            {
                hashes[item.RelativePath] = Checksums.CopyAndHash(item.FullPath, Target(destination, item.RelativePath), out var size);
                return size;
            },
            new ProgressUpdate { ActivityId = ProgressActivity.Stage, Activity = activity },
            item => item.Size,
            reporter,
            cancellation);
        return items.Select(i => ToEntry(i, i.LinkTarget is null ? hashes[i.RelativePath] : null)).ToList();
    }

    /// <summary>
    /// Proves every artifact is where the manifest says, inside <paramref name="baseDirectory"/>, with its size and SHA-256.
    /// Throws the first problem as ArtifactPathEscapes, ArtifactMissing or ArtifactChecksumMismatch.
    /// </summary>
    public static void Verify(string baseDirectory, IReadOnlyList<ArtifactEntry> artifacts, IRollbackReporter reporter, CancellationToken cancellation)
    {
        // Every manifest path is proven to stay inside the base, and every folder on the way checked once for links
        // that lead out, before any file is opened: a tampered manifest must not make us read outside.
        var resolved = artifacts.Select(a => (Artifact: a, Path: SafePath.Resolve(baseDirectory, a.RelativePath))).ToList();
        var checkedFolders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (artifact, path) in resolved)
        {
            var folder = Path.GetDirectoryName(path)!;
            if (checkedFolders.Add(folder))
            {
                SafePath.EnsureNoEscapingLink(baseDirectory, folder);
            }

            if (artifact.LinkTarget is not null)
            {
                var actual = NativeFileSystem.ReadLink(path);
                if (actual != artifact.LinkTarget)
                {
                    throw Mismatch(baseDirectory, artifact, actual is null ? "the link is missing" : $"the link now points at '{actual}', not '{artifact.LinkTarget}'");
                }
            }
        }

        var failures = new ConcurrentQueue<RollbackException>();
        ParallelWork.ForEach(
            resolved.Where(r => r.Artifact.LinkTarget is null).ToList(),
            item =>
            {
                // Its folder is proven; only the file itself can still be a link that leads out (checked before it is opened).
                if (NativeFileSystem.IsLink(item.Path))
                {
                    SafePath.EnsureNoEscapingLink(baseDirectory, item.Path);
                }

                if (!File.Exists(item.Path))
                {
                    throw new RollbackException(RollbackErrorId.ArtifactMissing, RollbackErrorCategory.ObjectNotFound,
                        $"The artifact '{item.Artifact.RelativePath}' is missing from '{baseDirectory}'. The point is incomplete; roll back to another point.", item.Artifact.RelativePath);
                }

                var size = new FileInfo(item.Path).Length;
                if (size != item.Artifact.Size || Checksums.HashFile(item.Path) != item.Artifact.Sha256)
                {
                    failures.Enqueue(Mismatch(baseDirectory, item.Artifact, "its SHA-256 differs from the manifest"));
                }

                return size;
            },
            new ProgressUpdate { ActivityId = ProgressActivity.Verify, Activity = $"Verifying {baseDirectory}" },
            item => item.Artifact.Size,
            reporter,
            cancellation);
        if (failures.TryDequeue(out var first))
        {
            throw first;
        }
    }

    public static string TreeFingerprint(IEnumerable<ArtifactEntry> artifacts) =>
        Checksums.HashText(string.Join("\n", artifacts.OrderBy(a => a.RelativePath, StringComparer.Ordinal)
            .Select(a => a.RelativePath + "\0" + (a.LinkTarget is null ? a.Sha256 : "link:" + a.LinkTarget))));

    private static string Target(string destination, string relativePath) =>
        Path.Combine(destination, relativePath.Replace('/', Path.DirectorySeparatorChar));

    private static ArtifactEntry ToEntry(Item item, string? sha) => new()
    {
        RelativePath = item.RelativePath,
        Size = item.Size,
        Sha256 = sha ?? string.Empty,
        LinkTarget = item.LinkTarget,
    };

    private static RollbackException Mismatch(string baseDirectory, ArtifactEntry artifact, string why) =>
        new(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
            $"The artifact '{artifact.RelativePath}' in '{baseDirectory}' does not match the point: {why}. It was changed after capture; do not roll back to this point.",
            artifact.RelativePath);
}
