using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;

namespace Rollback.Engine;

/// <summary>
/// A listing of a point's tree made by one check of an operation, handed to the next check of the same tree in that
/// operation instead of listing it again: readiness proves the point's tree (paths, types, sizes, links, nothing added)
/// and a kind then compares the same tree's modes and owners, from one statx per entry. A listing is taken once and then
/// forgotten; nothing outlives the operation's context.
/// </summary>
public sealed class TreeListings
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<FileTree.Item>> _listings = new(StringComparer.Ordinal);

    /// <summary>Keeps the listing of <paramref name="root"/> for the next check of the same tree.</summary>
    public void Remember(string root, IReadOnlyList<FileTree.Item> items) => _listings[Path.GetFullPath(root)] = items;

    /// <summary>The listing of <paramref name="root"/> a check of this operation has just made, once; null when there is none.</summary>
    public IReadOnlyList<FileTree.Item>? Take(string root) => _listings.TryRemove(Path.GetFullPath(root), out var items) ? items : null;
}
