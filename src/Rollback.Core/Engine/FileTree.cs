using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>Writes <paramref name="source"/>'s content to the new file <paramref name="destination"/> and returns its SHA-256, reading it once for both.</summary>
public delegate string FileCopier(FileTree.Item source, string destination, out long size);

/// <summary>
/// The file work every file-based provider shares: listing a tree without following links or opening anything that
/// is not a regular file, hashing it, copying it with hashes in one pass, putting its modes and owners back, and
/// verifying a point's artifacts against their manifest (the whole tree: nothing missing, changed or added).
/// </summary>
public static class FileTree
{
    /// <summary>The <see cref="ArtifactEntry.Type"/> of a folder.</summary>
    public const string DirectoryType = "Directory";

    /// <summary>The detail of a file whose content differs from its manifest entry.</summary>
    public const string ShaDiffers = "its SHA-256 differs from the manifest";

    /// <summary>How many differences a message names before it only counts the rest.</summary>
    public const int NamedDifferences = 10;

    /// <summary>One entry of a tree: a regular file, a folder, a symbolic link kept as a link, or a special file that is never opened.</summary>
    public sealed class Item
    {
        public required string RelativePath { get; init; }

        public required string FullPath { get; init; }

        public long Size { get; init; }

        public string? LinkTarget { get; init; }

        /// <summary>As <see cref="ArtifactEntry.Type"/>: null for a file or link, <see cref="DirectoryType"/>, or a special file's kind.</summary>
        public string? Type { get; init; }

        /// <summary>Its own mode, owner and group (null on Windows).</summary>
        public UnixFileStatus? Status { get; init; }

        public bool IsRegularFile => LinkTarget is null && Type is null;

        public bool IsSpecial => Type is not null && Type != DirectoryType;
    }

    /// <summary>Lists the tree under <paramref name="root"/> (files, folders, links), refusing special files with SpecialFileRefused.</summary>
    public static IReadOnlyList<Item> List(string root) => Scan(root, skipSpecialFiles: false, CancellationToken.None);

    /// <summary>
    /// Lists files, folders and links under <paramref name="root"/> in ordinal order, never descending into a linked
    /// folder and never opening anything. Named pipes, sockets and devices would block or never end when read: they are
    /// refused with SpecialFileRefused naming them, or, with <paramref name="skipSpecialFiles"/>, listed as skipped
    /// (their Type says what they are) so a manifest records that they were left out.
    /// </summary>
    public static IReadOnlyList<Item> Scan(string root, bool skipSpecialFiles, CancellationToken cancellation) =>
        ScanWith(root, skipSpecialFiles, NativeFileSystem.CanList, cancellation);

    /// <summary>As the public <see cref="Scan"/>; <paramref name="readFolders"/> false lists through .NET's enumerator alone (the way where folders cannot be read here), so tests can compare both ways.</summary>
    internal static IReadOnlyList<Item> ScanWith(string root, bool skipSpecialFiles, bool readFolders, CancellationToken cancellation)
    {
        var fullRoot = Path.GetFullPath(root);
        var items = readFolders ? new OrderedListing(fullRoot).List(cancellation) : EnumerateAndSort(fullRoot, cancellation);
        if (!skipSpecialFiles && items.Exists(i => i.IsSpecial))
        {
            var special = items.FindAll(i => i.IsSpecial);
            throw new RollbackException(RollbackErrorId.SpecialFileRefused, RollbackErrorCategory.InvalidData,
                $"'{fullRoot}' holds {special.Count} special file(s) that cannot be captured or restored as files: " +
                NameSome(special.Select(s => $"'{s.RelativePath}' ({Describe(s.Type)})").ToList()) +
                ". Nothing was read. Move them out of the folder, or set SpecialFiles = 'Skip' on the target to leave them out of its points.",
                special[0].RelativePath);
        }

        return items;
    }

    /// <summary>
    /// The listing through .NET's enumerator, where folders cannot be read here (Windows, no statx, no getdents64): folder
    /// by folder, each entry stated by its name in its open folder on Linux, then one sort of the whole list.
    /// </summary>
    private static List<Item> EnumerateAndSort(string fullRoot, CancellationToken cancellation)
    {
        var rootLength = fullRoot.TrimEnd(Path.DirectorySeparatorChar).Length + 1;
        var items = new List<Item>();
        var pending = new Stack<string>();
        pending.Push(fullRoot);
        while (pending.Count > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            var folder = pending.Pop();
            var first = items.Count;
            EnumerateFolder(fullRoot, rootLength, folder, items);
            for (var i = first; i < items.Count; i++)
            {
                if (items[i].Type == DirectoryType)
                {
                    pending.Push(items[i].FullPath);
                }
            }
        }

        items.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return items;
    }

    /// <summary>Adds the entries of <paramref name="folder"/> to <paramref name="items"/>, as .NET's enumerator names them (in no particular order).</summary>
    private static void EnumerateFolder(string fullRoot, int rootLength, string folder, List<Item> items)
    {
        // Each entry is stated by its name in its open folder: a path walked once per folder, not once per entry.
        var opened = NativeFileSystem.CanStat ? NativeFileSystem.OpenFolder(folder) : -1;
        try
        {
            var names = folder.TrimEnd(Path.DirectorySeparatorChar).Length + 1;
            var entries = NativeFileSystem.CanStat
                ? Directory.EnumerateFileSystemEntries(folder).Select(path => ItemOf(rootLength, path, opened, names))
                : new DirectoryInfo(folder).EnumerateFileSystemInfos().Select(entry => ItemOf(fullRoot, entry));
            items.AddRange(entries);
        }
        finally
        {
            NativeFileSystem.CloseFolder(opened);
        }
    }

    /// <summary>
    /// A listing that reads each folder itself (Linux: getdents64 and a statx of each name through the same descriptor) and
    /// gives the items in the ordinal order of their relative paths as it walks, with no sort of the whole list: each
    /// folder's entries are sorted among themselves, and a folder's contents are walked where they fall in that order.
    /// </summary>
    /// <remarks>
    /// Why that is the ordinal order of the whole: every path below a folder's child <c>d</c> starts with <c>d/</c>, so in
    /// a folder each entry <c>c</c> sorts as the key <c>c</c> and everything inside a child folder <c>d</c> as the key
    /// <c>d/</c> (not right after <c>d</c>: <c>d-1</c> and <c>d.txt</c> sort between <c>d</c> and <c>d/x</c>, as '-' and '.'
    /// come before '/'). Two keys of one folder never have one as a prefix of the other except <c>c</c> before <c>c/...</c>
    /// (names hold no '/'), so where two keys first differ, every path under each differs the same way: sorting the keys
    /// and walking each <c>d/</c> in place, recursively, is the ordinal order. On Linux a name may hold '\', which a
    /// relative path turns into '/' (as .NET's paths would); such a name breaks that premise, and the list is then sorted
    /// once at the end as a whole, as before.
    /// </remarks>
    private sealed class OrderedListing
    {
        private const char Separator = '/';

        private readonly string _fullRoot;
        private readonly int _rootLength;
        private readonly byte[] _entries = new byte[32 * 1024];

        // The lists of folders walked to the end, for the next folders: a folder's places are a few hundred bytes, a tree has thousands.
        private readonly Stack<List<Place>> _spare = new();
        private char[] _relative = new char[512];
        private char[] _full = new char[1024];
        private bool _sortAtEnd;

        public OrderedListing(string fullRoot)
        {
            _fullRoot = fullRoot;
            _rootLength = fullRoot.TrimEnd(Path.DirectorySeparatorChar).Length + 1;
        }

        public List<Item> List(CancellationToken cancellation)
        {
            var items = new List<Item>();
            var open = new Stack<(List<Place> Places, int Next)>();
            cancellation.ThrowIfCancellationRequested();
            open.Push((Read(_fullRoot, null), 0));
            while (open.Count > 0)
            {
                var (places, next) = open.Pop();
                if (next == places.Count)
                {
                    places.Clear();
                    _spare.Push(places);
                    continue;
                }

                open.Push((places, next + 1));
                var place = places[next];
                if (!place.Inside)
                {
                    items.Add(place.Item);
                    continue;
                }

                cancellation.ThrowIfCancellationRequested();
                open.Push((Read(place.Item.FullPath, place.Item.RelativePath), 0));
            }

            if (_sortAtEnd)
            {
                items.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
            }

            return items;
        }

        /// <summary>The places of <paramref name="folder"/>'s entries (<paramref name="relative"/> is its own relative path, null for the root), sorted.</summary>
        private List<Place> Read(string folder, string? relative)
        {
            var places = _spare.Count > 0 ? _spare.Pop() : new List<Place>();
            var opened = NativeFileSystem.OpenFolderToList(folder);
            if (opened < 0 || !TryRead(opened, folder, relative, places))
            {
                // Not read here (gone, not permitted, a file system that refuses): .NET's enumerator lists it or throws
                // the error a listing always gave.
                places.Clear();
                var items = new List<Item>();
                EnumerateFolder(_fullRoot, _rootLength, folder, items);
                foreach (var item in items)
                {
                    Add(places, item);
                }

                _sortAtEnd |= items.Exists(i => i.FullPath.IndexOf('\\') >= 0);
            }

            places.Sort(PlaceOrder.Instance);
            return places;
        }

        /// <summary>Reads and states every entry of the open <paramref name="opened"/> into <paramref name="places"/> and closes it; false when the folder could not be read.</summary>
        [MethodImpl(CompileHints.AggressiveOptimization)]
        private bool TryRead(int opened, string folder, string? relative, List<Place> places)
        {
            try
            {
                // The prefixes every entry's paths share: "relative/" and the folder's path with one separator.
                var relativeStart = relative is null ? 0 : relative.Length + 1;
                var fullStart = folder.Length + (folder[folder.Length - 1] == Separator ? 0 : 1);
                Reserve(ref _relative, relativeStart);
                Reserve(ref _full, fullStart);
                if (relative is not null)
                {
                    relative.CopyTo(0, _relative, 0, relative.Length);
                    _relative[relative.Length] = Separator;
                }

                folder.CopyTo(0, _full, 0, folder.Length);
                _full[fullStart - 1] = Separator;
                int filled;
                while ((filled = NativeFileSystem.ReadEntries(opened, _entries)) > 0)
                {
                    for (var offset = 0; offset < filled;)
                    {
                        offset = NativeFileSystem.NextEntry(_entries, offset, out var nameStart, out var nameLength);
                        if (!IsDotOrDotDot(nameStart, nameLength))
                        {
                            Add(places, ItemAt(opened, nameStart, nameLength, relativeStart, fullStart));
                        }
                    }
                }

                return filled == 0;
            }
            finally
            {
                NativeFileSystem.CloseFolder(opened);
            }
        }

        /// <summary>The entry whose name <see cref="NativeFileSystem.ReadEntries"/> put at <paramref name="nameStart"/>: its paths, and one statx by that name.</summary>
        [MethodImpl(CompileHints.AggressiveOptimization)]
        private Item ItemAt(int opened, int nameStart, int nameLength, int relativeStart, int fullStart)
        {
            // Names are decoded as .NET's enumerator decodes them (invalid UTF-8 as U+FFFD), so the paths are the ones it gives.
            Reserve(ref _relative, relativeStart + nameLength);
            var chars = Encoding.UTF8.GetChars(_entries, nameStart, nameLength, _relative, relativeStart);
            Reserve(ref _full, fullStart + chars);
            Array.Copy(_relative, relativeStart, _full, fullStart, chars);
            var path = new string(_full, 0, fullStart + chars);
            if (Array.IndexOf(_relative, '\\', relativeStart, chars) >= 0)
            {
                for (var i = relativeStart; i < relativeStart + chars; i++)
                {
                    _relative[i] = _relative[i] == '\\' ? Separator : _relative[i];
                }

                _sortAtEnd = true;
            }

            var relativePath = new string(_relative, 0, relativeStart + chars);

            // A name that is not valid UTF-8 is stated by the name its decoded form encodes to, as it always was (it is not
            // there: the error names it), so a listing of such a tree fails as before.
            var status = Array.IndexOf(_relative, '\uFFFD', relativeStart, chars) < 0
                ? NativeFileSystem.StatAt(opened, _entries, nameStart, path)
                : NativeFileSystem.StatAt(opened, path.Substring(fullStart), path)!;
            return ItemOf(relativePath, path, status);
        }

        private bool IsDotOrDotDot(int nameStart, int nameLength) =>
            _entries[nameStart] == (byte)'.' && (nameLength == 1 || (nameLength == 2 && _entries[nameStart + 1] == (byte)'.'));

        private static void Add(List<Place> places, Item item)
        {
            places.Add(new Place(item, Inside: false));
            if (item.Type == DirectoryType)
            {
                places.Add(new Place(item, Inside: true));
            }
        }

        private static void Reserve(ref char[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                Array.Resize(ref buffer, Math.Max(length, buffer.Length * 2));
            }
        }
    }

    /// <summary>Where an entry sorts among its folder's (its relative path), or where what a folder holds does (its relative path and '/').</summary>
    private readonly record struct Place(Item Item, bool Inside);

    /// <summary>The ordinal order of places' keys: a relative path, with a '/' after it for <see cref="Place.Inside"/>.</summary>
    private sealed class PlaceOrder : IComparer<Place>
    {
        public static readonly PlaceOrder Instance = new();

        [MethodImpl(CompileHints.AggressiveOptimization)]
        public int Compare(Place x, Place y)
        {
            string a = x.Item.RelativePath, b = y.Item.RelativePath;
            var common = Math.Min(a.Length, b.Length);
            var order = string.CompareOrdinal(a, 0, b, 0, common);
            if (order != 0)
            {
                return order;
            }

            // One is the other's start (or both are the same): the rest of the longer key decides.
            var lengthA = a.Length + (x.Inside ? 1 : 0);
            var lengthB = b.Length + (y.Inside ? 1 : 0);
            for (var i = common; i < Math.Min(lengthA, lengthB); i++)
            {
                var charA = i < a.Length ? a[i] : '/';
                var charB = i < b.Length ? b[i] : '/';
                if (charA != charB)
                {
                    return charA < charB ? -1 : 1;
                }
            }

            return lengthA.CompareTo(lengthB);
        }
    }

    /// <summary>Hashes every file under <paramref name="root"/> in place (links are recorded, not followed; special files refused).</summary>
    public static IReadOnlyList<ArtifactEntry> Hash(string root, IRollbackReporter reporter, CancellationToken cancellation) =>
        HashItems(Scan(root, skipSpecialFiles: false, cancellation), $"Hashing {root}", reporter, cancellation);

    /// <summary>Hashes the regular files among <paramref name="items"/>; folders, links and skipped special files are recorded as they are.</summary>
    /// <summary>With <paramref name="hashes"/>, a file this operation has already read and not touched since is not read again.</summary>
    public static IReadOnlyList<ArtifactEntry> HashItems(IReadOnlyList<Item> items, string activity, IRollbackReporter reporter, CancellationToken cancellation, HashReuse? hashes = null) =>
        HashItems(items, activity, reporter, hashes, out _, cancellation);

    /// <summary>As the overload above; <paramref name="reused"/> counts this call's files whose known hash was taken, not read.</summary>
    /// <remarks>Counted here, not from <see cref="HashReuse.Reused"/>: another read of the same operation may run at the same time.</remarks>
    public static IReadOnlyList<ArtifactEntry> HashItems(IReadOnlyList<Item> items, string activity, IRollbackReporter reporter, HashReuse? hashes, out int reused, CancellationToken cancellation)
    {
        // Each worker writes its file's hash at the file's index: no shared map of 20,000 paths to fill and read back. Files
        // whose hash is known for their listed key are answered here first: only the others are worth a worker.
        var hashed = new string?[items.Count];
        var toRead = RegularFileIndexes(items);
        var files = toRead.Count;
        if (hashes is not null)
        {
            toRead.RemoveAll(index => items[index].Status?.ChangeKey is { } key && hashes.TryReuse(key, out hashed[index]!));
        }

        reused = files - toRead.Count;

        ParallelWork.ForEach(
            toRead,
            index =>
            {
                cancellation.ThrowIfCancellationRequested();
                var item = items[index];
                hashed[index] = hashes is null ? Checksums.HashFile(item.FullPath)
                    : item.Status?.ChangeKey is { } listed ? hashes.HashFile(item.FullPath, listed) : hashes.HashFile(item.FullPath);
                return item.Size;
            },
            new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity },
            index => items[index].Size,
            reporter,
            cancellation);
        return ToEntries(items, hashed);
    }

    /// <summary>The indexes of the regular files among <paramref name="items"/>, the work list of a hash or a copy.</summary>
    private static List<int> RegularFileIndexes(IReadOnlyList<Item> items)
    {
        var indexes = new List<int>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].IsRegularFile)
            {
                indexes.Add(i);
            }
        }

        return indexes;
    }

    /// <summary>The manifest entries of <paramref name="items"/>, each regular file with its hash at the same index of <paramref name="hashed"/>.</summary>
    private static ArtifactEntry[] ToEntries(IReadOnlyList<Item> items, string?[] hashed)
    {
        var entries = new ArtifactEntry[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            entries[i] = ToEntry(items[i], items[i].IsRegularFile ? hashed[i] : null);
        }

        return entries;
    }

    /// <summary>Copies the tree under <paramref name="source"/> into the new folder <paramref name="destination"/>, hashing as it copies.</summary>
    public static IReadOnlyList<ArtifactEntry> Copy(string source, string destination, IRollbackReporter reporter, CancellationToken cancellation) =>
        CopyItems(Scan(source, skipSpecialFiles: false, cancellation), destination, $"Copying {source}", reporter, cancellation);

    /// <summary>
    /// Copies the given items (from <see cref="Scan"/> or single files) into <paramref name="destination"/> under their
    /// relative paths: folders (empty ones too), links as links, files with their hashes. Skipped special files are not
    /// copied. Modes and owners are recorded in the entries, not applied: see <see cref="ApplyMetadata"/>. Each file goes
    /// through <paramref name="copyFile"/> (a provider's clone-or-copy), by default a copy flushed to disk file by file.
    /// </summary>
    /// <remarks>With <paramref name="hashes"/>, each copy's hash is recorded there, so hashing the copy later in the operation does not read it again.</remarks>
    public static IReadOnlyList<ArtifactEntry> CopyItems(IReadOnlyList<Item> items, string destination, string activity, IRollbackReporter reporter, CancellationToken cancellation, FileCopier? copyFile = null, HashReuse? hashes = null)
    {
        copyFile ??= (Item item, string copy, out long size) => Checksums.CopyAndHash(item.FullPath, copy, out size);
        Directory.CreateDirectory(destination);
        CreateFolders(items, destination, cancellation);

        foreach (var link in items.Where(i => i.LinkTarget is not null))
        {
            cancellation.ThrowIfCancellationRequested();
            NativeFileSystem.CreateDirectoryLink(Target(destination, link.RelativePath), link.LinkTarget!);
        }

        var hashed = new string?[items.Count];
        ParallelWork.ForEach(
            RegularFileIndexes(items),
            index =>
            {
                // Checked per file: Ctrl+C stops a copy of many files between two of them, whatever the thread.
                cancellation.ThrowIfCancellationRequested();
                var item = items[index];
                var copy = Target(destination, item.RelativePath);
                var hash = copyFile(item, copy, out var size);
                hashed[index] = hash;
                hashes?.Record(copy, hash);
                return size;
            },
            new ProgressUpdate { ActivityId = ProgressActivity.Stage, Activity = activity },
            index => items[index].Size,
            reporter,
            cancellation);
        return ToEntries(items, hashed);
    }

    /// <summary>
    /// Creates every recorded folder (empty ones too) and every folder holding an item under <paramref name="destination"/>,
    /// each once. A folder's relative path is compared with the one before it before any path is built: items come in path
    /// order, so most share the folder of the one before (20,000 files, about 1,000 folders).
    /// </summary>
    private static void CreateFolders(IReadOnlyList<Item> items, string destination, CancellationToken cancellation)
    {
        var created = new HashSet<string>(StringComparer.Ordinal) { string.Empty };
        var previous = string.Empty;
        foreach (var item in items)
        {
            if (item.IsSpecial)
            {
                continue;
            }

            var path = item.RelativePath;
            var length = item.Type == DirectoryType ? path.Length : Math.Max(path.LastIndexOf('/'), 0);
            if (previous.Length == length && string.CompareOrdinal(previous, 0, path, 0, length) == 0)
            {
                continue;
            }

            previous = path.Substring(0, length);
            if (created.Add(previous))
            {
                cancellation.ThrowIfCancellationRequested();
                Directory.CreateDirectory(Target(destination, previous));
            }
        }
    }

    /// <summary>
    /// Gives every entry under <paramref name="root"/> the mode, owner and group its manifest entry records: owner first
    /// (chown clears setuid), then mode. Owners are set where this account may (root); where it may not, one warning
    /// says how many kept the restoring account's owner. Entries without metadata (older points, Windows) are left as copied.
    /// </summary>
    /// <remarks>
    /// With <paramref name="hashes"/>, a file's known hash is kept across this change of its metadata (see <see cref="HashReuse.KeepThrough"/>).
    /// <paramref name="ownersRefusedBefore"/> counts entries of the same tree already given their metadata another way (a
    /// copy that set them through its descriptor), so one warning covers the whole tree.
    /// </remarks>
    public static void ApplyMetadata(string root, IReadOnlyList<ArtifactEntry> entries, IRollbackReporter reporter, CancellationToken cancellation, HashReuse? hashes = null, int ownersRefusedBefore = 0)
    {
        var ownersRefused = ownersRefusedBefore;
        foreach (var entry in entries.Where(e => e.Type is null or DirectoryType))
        {
            cancellation.ThrowIfCancellationRequested();
            var path = Target(root, entry.RelativePath);
            bool Apply() => ApplyOne(path, entry.Mode, entry.Owner, entry.Group, isLink: entry.LinkTarget is not null);
            if (!(hashes is not null && entry.Type is null && entry.LinkTarget is null ? hashes.KeepThrough(path, Apply) : Apply()))
            {
                ownersRefused++;
            }
        }

        if (ownersRefused > 0)
        {
            reporter.Warning($"{ownersRefused:N0} entries under '{root}' keep this account as their owner: only root may give files to another owner. Run as root to restore owners and groups too.");
        }
    }

    /// <summary>
    /// Applies one recorded mode and owner to <paramref name="path"/>, changing only what differs; false when the owner could
    /// not be set (not permitted).
    /// </summary>
    /// <remarks>
    /// It reads the path's status first (Linux): a change is a journaled write of the inode, a read is not, and most entries
    /// of a staged tree already have the mode and owner they record (a folder made by root for a root-owned point). A
    /// change of owner is followed by the mode again, as chown clears setuid and setgid.
    /// </remarks>
    public static bool ApplyOne(string path, string? mode, uint? owner, uint? group, bool isLink)
    {
        var bits = isLink ? null : NativeFileSystem.ParseMode(mode);
        var recordsOwner = owner is not null && group is not null;
        if (bits is null && !recordsOwner)
        {
            return true;
        }

        var current = NativeFileSystem.Stat(path);
        var chown = recordsOwner && (current is null || current.Owner != owner || current.Group != group);
        var ownerSet = !chown || NativeFileSystem.TrySetOwner(path, owner!.Value, group!.Value);
        if (bits is not null && (chown || current is null || current.Mode != bits))
        {
            NativeFileSystem.SetMode(path, bits.Value);
        }

        return ownerSet;
    }

    /// <summary>
    /// Proves the tree at <paramref name="baseDirectory"/> is exactly the manifest: every artifact inside the base, with its
    /// size and SHA-256, every link with its target, every recorded folder present, and nothing else there (a file added
    /// after capture is a difference too). Throws ArtifactPathEscapes at once; otherwise collects every difference and
    /// throws one error naming them (first <see cref="NamedDifferences"/> and a count): ArtifactMissing,
    /// ArtifactChecksumMismatch or ArtifactUnexpected, the most serious kind present. Never opens a special file.
    /// </summary>
    /// <remarks>
    /// Without <paramref name="contents"/> no file is read: everything above is proven but a file's content, whose size alone
    /// is compared; for a restore that proves each file's SHA-256 as it reads it to stage a copy (see <see cref="Providers.ISwitchSafetyPointProvider"/>).
    /// </remarks>
    /// <remarks>With <paramref name="listings"/>, the listing made here is kept there for the next check of the same tree.</remarks>
    public static void Verify(string baseDirectory, IReadOnlyList<ArtifactEntry> artifacts, IRollbackReporter reporter, CancellationToken cancellation, bool contents = true, TreeListings? listings = null)
    {
        // Every manifest path is proven to stay inside the base, and every folder on the way checked once for links
        // that lead out, before any file is opened: a tampered manifest must not make us read outside.
        // One listing of the tree (a stat of each entry, nothing opened, no link followed) answers for the folders, links and
        // files below and for what was added; only a file's content needs a read. A manifest path the listing holds is a path
        // inside the base as it stands; any other is resolved on paper first.
        var listing = Directory.Exists(baseDirectory) ? Scan(baseDirectory, skipSpecialFiles: true, cancellation) : Array.Empty<Item>();
        var listed = new Dictionary<string, Item>(listing.Count, StringComparer.Ordinal);
        foreach (var item in listing)
        {
            listed.Add(item.RelativePath, item);
        }

        // A manifest path the listing reached lies inside the base through real folders (the listing follows no link):
        // it needs no more. Any other is resolved on paper (an escape throws here, before anything else), then its folder
        // is walked link by link, once per folder.
        var resolved = new (ArtifactEntry Artifact, string Path, Item? Listed)[artifacts.Count];
        for (var i = 0; i < artifacts.Count; i++)
        {
            var artifact = artifacts[i];
            resolved[i] = listed.TryGetValue(artifact.RelativePath, out var item) && SafePath.RelativePathProblem(artifact.RelativePath) is null
                ? (artifact, item.FullPath, item)
                : (artifact, SafePath.Resolve(baseDirectory, artifact.RelativePath), null);
        }

        var checkedFolders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (artifact, path, item) in resolved)
        {
            if (item is not null)
            {
                continue;
            }

            var slash = artifact.RelativePath.LastIndexOf('/');
            var parent = slash < 0 ? null : artifact.RelativePath.Substring(0, slash);
            var folder = Path.GetDirectoryName(path)!;
            if ((parent is null || !listed.TryGetValue(parent, out var listedFolder) || listedFolder.Type != DirectoryType) && checkedFolders.Add(folder))
            {
                SafePath.EnsureNoEscapingLink(baseDirectory, folder);
            }
        }

        var differences = new ConcurrentBag<Difference>();
        var toRead = new List<(ArtifactEntry Artifact, string Path, Item? Listed)>();
        foreach (var entry in resolved)
        {
            var (artifact, _, item) = entry;
            if (artifact.LinkTarget is not null)
            {
                var actual = item?.LinkTarget;
                if (actual != artifact.LinkTarget)
                {
                    differences.Add(new Difference(DifferenceKind.Changed, artifact.RelativePath,
                        actual is null ? "the link is missing" : $"the link now points at '{actual}', not '{artifact.LinkTarget}'"));
                }
            }
            else if (artifact.Type == DirectoryType)
            {
                if (item?.Type != DirectoryType)
                {
                    differences.Add(new Difference(DifferenceKind.Missing, artifact.RelativePath, "the folder is missing"));
                }
            }
            else if (artifact.Type is null)
            {
                // A listed regular file's size is known from the listing: only its content, when asked for, needs a read.
                if (item is not null && item.IsRegularFile && item.Size != artifact.Size)
                {
                    differences.Add(new Difference(DifferenceKind.Changed, artifact.RelativePath, "its size differs from the manifest"));
                }
                else if (contents || item is null || !item.IsRegularFile)
                {
                    toRead.Add(entry);
                }
            }
        }

        foreach (var extra in Unexpected(listing, artifacts))
        {
            differences.Add(extra);
        }

        // Run even when empty: its closing progress record says the tree was checked.
        ParallelWork.ForEach(
            toRead,
            entry => CompareFile(baseDirectory, entry.Artifact, entry.Path, entry.Listed, contents, differences),
            new ProgressUpdate { ActivityId = ProgressActivity.Verify, Activity = contents ? $"Verifying {baseDirectory}" : $"Checking the tree of {baseDirectory}" },
            entry => entry.Artifact.Size,
            reporter,
            cancellation);

        ThrowIfAny(baseDirectory, differences.ToList());
        if (Directory.Exists(baseDirectory))
        {
            listings?.Remember(baseDirectory, listing);
        }
    }

    /// <summary>
    /// One manifest file that needs a look on disk: not listed as a regular file (missing, a link, a special file, or past
    /// the listing), or its content asked for. Adds its difference, if any; returns its size for progress.
    /// </summary>
    private static long CompareFile(string baseDirectory, ArtifactEntry artifact, string path, Item? listed, bool contents, ConcurrentBag<Difference> differences)
    {
        long size;
        if (listed is not null && listed.IsRegularFile)
        {
            size = listed.Size;
        }
        else
        {
            // Its folder is proven; only the file itself can still be a link that leads out (checked before it is opened).
            if (listed?.LinkTarget is not null)
            {
                SafePath.EnsureNoEscapingLink(baseDirectory, path);
            }

            var status = File.Exists(path) ? NativeFileSystem.Stat(path) : null;
            if (!File.Exists(path) || status?.IsSpecial == true)
            {
                differences.Add(new Difference(DifferenceKind.Missing, artifact.RelativePath, status is null ? "the file is missing" : "a special file stands in its place"));
                return 0;
            }

            size = new FileInfo(path).Length;
        }

        if (size != artifact.Size || (contents && Checksums.HashFile(path) != artifact.Sha256))
        {
            differences.Add(new Difference(DifferenceKind.Changed, artifact.RelativePath, size != artifact.Size ? "its size differs from the manifest" : ShaDiffers));
        }

        return size;
    }

    /// <summary>
    /// Compares the modes, owners and groups a manifest records with the tree's own (stat only, nothing is read), and
    /// returns the differences. Entries without recorded metadata (older points, Windows) are not compared.
    /// </summary>
    /// <remarks>
    /// With <paramref name="listings"/>, a listing of the same tree this operation has just made (and proven) is used instead
    /// of a new one. Without <paramref name="compareOwners"/>, only modes are compared (a copy made by an account that may
    /// not give files away keeps its own owner).
    /// </remarks>
    public static IReadOnlyList<Difference> MetadataDifferences(string root, IReadOnlyList<ArtifactEntry> expected, CancellationToken cancellation, TreeListings? listings = null, bool compareOwners = true)
    {
        var differences = new List<Difference>();

        // One listing (a stat of each entry) answers for every entry it reaches; an entry it does not reach is looked up by path.
        var listing = NativeFileSystem.CanStat && Directory.Exists(root) ? listings?.Take(root) ?? Scan(root, skipSpecialFiles: true, cancellation) : Array.Empty<Item>();
        var listed = new Dictionary<string, Item>(listing.Count, StringComparer.Ordinal);
        foreach (var item in listing)
        {
            listed.Add(item.RelativePath, item);
        }

        foreach (var entry in expected)
        {
            if (entry.Type is not (null or DirectoryType) || (entry.Mode is null && (!compareOwners || entry.Owner is null)))
            {
                continue;
            }

            cancellation.ThrowIfCancellationRequested();
            UnixFileStatus? status;
            if (listed.TryGetValue(entry.RelativePath, out var item))
            {
                status = item.Status;
            }
            else
            {
                var path = Target(root, entry.RelativePath);
                status = File.Exists(path) || Directory.Exists(path) || NativeFileSystem.IsLink(path) ? NativeFileSystem.Stat(path) : null;
            }

            var why = status is null ? null : MetadataDifference(entry.Mode, compareOwners ? entry.Owner : null, compareOwners ? entry.Group : null, status, entry.LinkTarget is not null);
            if (why is not null)
            {
                differences.Add(new Difference(DifferenceKind.Metadata, entry.RelativePath, why));
            }
        }

        return differences;
    }

    /// <summary>Why a path's status differs from a recorded mode and owner, or null when it does not (a link's mode is not compared).</summary>
    public static string? MetadataDifference(string? mode, uint? owner, uint? group, UnixFileStatus status, bool isLink)
    {
        var reasons = new List<string>();
        var bits = NativeFileSystem.ParseMode(mode);
        if (bits is not null && !isLink && bits.Value != status.Mode)
        {
            reasons.Add($"mode {NativeFileSystem.FormatMode(status.Mode)}, not {mode}");
        }

        if (owner is not null && group is not null && (owner.Value != status.Owner || group.Value != status.Group))
        {
            reasons.Add($"owner {status.Owner}:{status.Group}, not {owner}:{group}");
        }

        return reasons.Count == 0 ? null : string.Join(" and ", reasons);
    }

    /// <summary>Throws <see cref="DifferencesError"/> when there are differences.</summary>
    public static void ThrowIfAny(string baseDirectory, IReadOnlyList<Difference> differences)
    {
        var error = DifferencesError(baseDirectory, differences);
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>
    /// One error naming <paramref name="differences"/> (first <see cref="NamedDifferences"/> and a count), with the ErrorId of
    /// the most serious kind present; null when there are none.
    /// </summary>
    public static RollbackException? DifferencesError(string baseDirectory, IReadOnlyList<Difference> differences)
    {
        if (differences.Count == 0)
        {
            return null;
        }

        var ordered = differences.OrderBy(d => d.Kind).ThenBy(d => d.RelativePath, StringComparer.Ordinal).ToList();
        var worst = ordered[0];
        var what = $"'{baseDirectory}' does not match the point in {differences.Count} place(s): {NameSome(ordered.Select(d => d.ToString()).ToList())}.";
        return worst.Kind switch
        {
            DifferenceKind.Missing => new RollbackException(RollbackErrorId.ArtifactMissing, RollbackErrorCategory.ObjectNotFound,
                what + " The point is incomplete; roll back to another point.", worst.RelativePath),
            DifferenceKind.Changed => new RollbackException(RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorCategory.InvalidData,
                what + " It was changed after capture; do not roll back to this point.", worst.RelativePath),
            DifferenceKind.Added => new RollbackException(RollbackErrorId.ArtifactUnexpected, RollbackErrorCategory.InvalidData,
                what + " Something was added after capture and would be rolled onto unseen; remove it or capture a new point.", worst.RelativePath),
            _ => new RollbackException(RollbackErrorId.ArtifactMetadataMismatch, RollbackErrorCategory.InvalidData,
                what + " Modes or owners changed after capture; put them back or capture a new point.", worst.RelativePath),
        };
    }

    /// <summary>
    /// The fingerprint of a tree: every entry's path with its SHA-256 or link target and, where recorded, its type, mode,
    /// owner and group. Skipped special files are left out (they are not restored). For entries without metadata it is
    /// the fingerprint older points carry, so those still compare by content.
    /// </summary>
    public static string TreeFingerprint(IEnumerable<ArtifactEntry> artifacts) => Fingerprint(artifacts, contentOnly: false);

    /// <summary>The fingerprint of the same tree by content only (the form of points captured before metadata was recorded).</summary>
    public static string ContentFingerprint(IEnumerable<ArtifactEntry> artifacts) => Fingerprint(artifacts, contentOnly: true);

    /// <summary>
    /// The SHA-256 of the entries' lines in ordinal path order, joined by newlines (UTF-8). The lines are hashed as they are
    /// written, a chunk at a time, instead of joined into one string of every entry first; a listing or manifest already in
    /// that order (as both are kept) is not sorted again. With <paramref name="contentOnly"/>: files and links by path and
    /// content alone, the form of points captured before metadata was recorded.
    /// </summary>
    private static string Fingerprint(IEnumerable<ArtifactEntry> artifacts, bool contentOnly)
    {
        var entries = artifacts.Where(a => a.Type is null || (!contentOnly && a.Type == DirectoryType)).ToList();
        for (var i = 1; i < entries.Count; i++)
        {
            if (string.CompareOrdinal(entries[i - 1].RelativePath, entries[i].RelativePath) > 0)
            {
                entries = entries.OrderBy(a => a.RelativePath, StringComparer.Ordinal).ToList();
                break;
            }
        }

        using var text = new HashedText();
        for (var i = 0; i < entries.Count; i++)
        {
            if (i > 0)
            {
                text.EndLine();
            }

            AppendFingerprintLine(text.Line, entries[i], contentOnly);
        }

        return text.Finish();
    }

    /// <summary>
    /// "path\0sha256" (or "dir", or "link:target"), and where a mode or owner is recorded "\0mode\0owner:group" (no mode for
    /// a link): the line each entry adds to a fingerprint. Content only: the path and content alone.
    /// </summary>
    private static void AppendFingerprintLine(System.Text.StringBuilder line, ArtifactEntry a, bool contentOnly)
    {
        line.Append(a.RelativePath).Append('\0');
        if (a.Type == DirectoryType)
        {
            line.Append("dir");
        }
        else if (a.LinkTarget is null)
        {
            line.Append(a.Sha256);
        }
        else
        {
            line.Append("link:").Append(a.LinkTarget);
        }

        if (contentOnly || (a.Mode is null && a.Owner is null))
        {
            return;
        }

        line.Append('\0').Append(a.LinkTarget is null ? a.Mode : null).Append('\0')
            .Append(a.Owner?.ToString(CultureInfo.InvariantCulture)).Append(':').Append(a.Group?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>True when the manifest records any mode or owner (points captured before that record none).</summary>
    public static bool HasMetadata(IEnumerable<ArtifactEntry> artifacts) => artifacts.Any(a => a.Mode is not null || a.Owner is not null || a.Type is not null);

    /// <summary>"a, b, c and 12 more": the first <see cref="NamedDifferences"/> of a list and a count of the rest.</summary>
    public static string NameSome(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(NamedDifferences)) + (names.Count > NamedDifferences ? $" and {names.Count - NamedDifferences} more" : string.Empty);

    /// <summary>Entries on disk (<paramref name="listed"/>) that the manifest does not list; folders only count when the manifest records folders.</summary>
    private static IEnumerable<Difference> Unexpected(IEnumerable<Item> listed, IReadOnlyList<ArtifactEntry> artifacts)
    {
        var recorded = new HashSet<string>(artifacts.Select(a => a.RelativePath), StringComparer.Ordinal);
        var foldersRecorded = artifacts.Any(a => a.Type == DirectoryType);
        foreach (var item in listed)
        {
            if (!recorded.Contains(item.RelativePath) && (item.Type != DirectoryType || foldersRecorded))
            {
                yield return new Difference(DifferenceKind.Added, item.RelativePath, item.Type is null ? (item.LinkTarget is null ? "a file" : "a link") : Describe(item.Type));
            }
        }
    }

    /// <summary>
    /// An entry from one statx of <paramref name="path"/> itself (Linux): its type, mode, owner, size and change key at once.
    /// Its relative path (as <see cref="SafePath.ToRelative"/> gives it) follows the root's <paramref name="rootLength"/> characters.
    /// </summary>
    /// <remarks>With an open <paramref name="folder"/> (<see cref="NativeFileSystem.OpenFolder"/>), the entry is stated there by its name: the path from character <paramref name="nameStart"/> on.</remarks>
    private static Item ItemOf(int rootLength, string path, int folder, int nameStart)
    {
        var relative = path.Substring(rootLength).Replace('\\', '/');
        var status = (folder >= 0 ? NativeFileSystem.StatAt(folder, path.Substring(nameStart), path) : NativeFileSystem.Stat(path))!;
        return ItemOf(relative, path, status);
    }

    /// <summary>The item of an entry its statx (Linux) describes: a link with its target, a folder, a file with its size, or a special file.</summary>
    [MethodImpl(CompileHints.AggressiveOptimization)]
    private static Item ItemOf(string relative, string path, UnixFileStatus status) => status.Kind switch
    {
        UnixFileKind.SymbolicLink => new Item { RelativePath = relative, FullPath = path, LinkTarget = NativeFileSystem.ReadLink(path) ?? string.Empty, Status = status },
        UnixFileKind.Directory => new Item { RelativePath = relative, FullPath = path, Type = DirectoryType, Status = status },
        UnixFileKind.RegularFile => new Item { RelativePath = relative, FullPath = path, Size = status.Size, Status = status },
        _ => new Item { RelativePath = relative, FullPath = path, Type = status.Kind.ToString(), Status = status },
    };

    private static Item ItemOf(string fullRoot, FileSystemInfo entry)
    {
        var relative = SafePath.ToRelative(fullRoot, entry.FullName);
        var status = NativeFileSystem.Stat(entry.FullName);
        if (status?.Kind == UnixFileKind.SymbolicLink || (entry.Attributes & FileAttributes.ReparsePoint) != 0)
        {
            return new Item { RelativePath = relative, FullPath = entry.FullName, LinkTarget = NativeFileSystem.ReadLink(entry.FullName) ?? string.Empty, Status = status };
        }

        if (status is not null && status.IsSpecial)
        {
            return new Item { RelativePath = relative, FullPath = entry.FullName, Type = status.Kind.ToString(), Status = status };
        }

        return entry is DirectoryInfo
            ? new Item { RelativePath = relative, FullPath = entry.FullName, Type = DirectoryType, Status = status }
            : new Item { RelativePath = relative, FullPath = entry.FullName, Size = ((FileInfo)entry).Length, Status = status };
    }

    private static string Describe(string? type) => type switch
    {
        nameof(UnixFileKind.NamedPipe) => "a named pipe",
        nameof(UnixFileKind.Socket) => "a socket",
        nameof(UnixFileKind.CharacterDevice) => "a character device",
        nameof(UnixFileKind.BlockDevice) => "a block device",
        DirectoryType => "a folder",
        _ => "an entry of unknown type",
    };

    private static string Target(string destination, string relativePath) =>
        Path.Combine(destination, relativePath.Replace('/', Path.DirectorySeparatorChar));

    private static ArtifactEntry ToEntry(Item item, string? sha) => new()
    {
        RelativePath = item.RelativePath,
        Size = item.IsRegularFile ? item.Size : 0,
        Sha256 = sha ?? string.Empty,
        LinkTarget = item.LinkTarget,
        Type = item.Type,
        Mode = item.Status is null || item.LinkTarget is not null ? null : NativeFileSystem.FormatMode(item.Status.Mode),
        Owner = item.Status?.Owner,
        Group = item.Status?.Group,
    };

    /// <summary>What kind of difference, most serious first (the order picks the ErrorId).</summary>
    public enum DifferenceKind
    {
        Missing,
        Changed,
        Added,
        Metadata,
    }

    /// <summary>One way a tree differs from its manifest.</summary>
    public sealed class Difference
    {
        public Difference(DifferenceKind kind, string relativePath, string detail)
        {
            Kind = kind;
            RelativePath = relativePath;
            Detail = detail;
        }

        public DifferenceKind Kind { get; }

        public string RelativePath { get; }

        public string Detail { get; }

        public override string ToString() => Kind switch
        {
            DifferenceKind.Missing => $"'{RelativePath}' is missing ({Detail})",
            DifferenceKind.Changed => $"'{RelativePath}' changed ({Detail})",
            DifferenceKind.Added => $"'{RelativePath}' was added ({Detail})",
            _ => $"'{RelativePath}' has {Detail}",
        };
    }
}
