using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests;

/// <summary>
/// The listing that reads folders itself (Linux: getdents64, a statx of each name, the ordinal order built folder by folder)
/// gives exactly what the listing through .NET's enumerator gives (one sort of the whole at the end): the same items, paths,
/// statuses and order, and the same errors.
/// </summary>
public sealed class FileTreeScanTests : IDisposable
{
    // Names around '/' (0x2F) in ordinal order: ' ', '!', '-', '.' and '0' sort before it, 'A' and 'a' after; case-only
    // differences; composed and decomposed accents; a character outside the BMP (a surrogate pair); CJK.
    private static readonly string[] TrickyNames =
    [
        "a", "a b", "a!", "a-b", "a.c", "a0", "a~", "A", "Ab", "aB", "ab", "README", "Readme", "readme",
        "\u00e9t\u00e9", "e\u0301te\u0301", "\U0001F600 smile", "\u65e5\u672c", "z", ".hidden", "-dash", "0",
    ];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void FoldersAndTheirContentsComeInTheOrdinalOrderOfTheirPaths()
    {
        // Each tricky name is a file at the top, a folder holding files, and a file inside such folders, so a folder's contents
        // ("a/x") must come after its siblings that sort before '/' ("a-b", "a.c") and before those after it ("a0").
        var root = _temp["tree"];
        foreach (var folder in TrickyNames)
        {
            foreach (var name in TrickyNames)
            {
                _temp.WriteFile($"tree/{folder}/{name}", name);
            }

            _temp.WriteFile($"tree/{folder}-/{folder}.txt", folder);
            _temp.WriteFile($"tree/nested/{folder}/deeper/{folder}.bin", folder);
        }

        Directory.CreateDirectory(_temp["tree/empty"]);
        foreach (var name in TrickyNames)
        {
            _temp.WriteFile($"tree/{name}.top", name);
        }

        var items = AssertBothWaysAgree(root);

        var paths = items.Select(i => i.RelativePath).ToList();
        Assert.Equal(paths.OrderBy(p => p, StringComparer.Ordinal), paths);
        var expected = Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .OrderBy(p => p, StringComparer.Ordinal);
        Assert.Equal(expected, paths);
        Assert.Contains("a-b", paths);
        Assert.True(paths.IndexOf("a.c") < paths.IndexOf("a/a"), "a.c sorts before what the folder a holds");
        Assert.True(paths.IndexOf("a/z") < paths.IndexOf("a0"), "what the folder a holds sorts before a0");
        Assert.Equal(_temp["tree/\u00e9t\u00e9/\u65e5\u672c"], items.Single(i => i.RelativePath == "\u00e9t\u00e9/\u65e5\u672c").FullPath);
    }

    [Fact]
    public void AFolderOfMoreEntriesThanOneReadHoldsIsListedWhole()
    {
        // getdents64 fills a 32 KiB buffer at a time; 3,000 long names take several.
        var root = _temp["many"];
        Directory.CreateDirectory(root);
        var names = Enumerable.Range(0, 3000).Select(i => $"entry-with-a-rather-long-name-{i:D5}.txt").ToList();
        foreach (var name in names)
        {
            File.WriteAllText(Path.Combine(root, name), string.Empty);
        }

        var items = AssertBothWaysAgree(root);

        Assert.Equal(names, items.Select(i => i.RelativePath));
    }

    [Fact]
    public void LinksSpecialFilesAndDeepFoldersAreListedAlikeBothWays()
    {
        var root = _temp["mixed"];
        var deep = string.Join("/", Enumerable.Range(0, 60).Select(i => $"d{i}"));
        _temp.WriteFile($"mixed/{deep}/leaf.txt", "leaf");
        _temp.WriteFile("mixed/lib/a.so", "a");
        _temp.WriteFile("outside/secret.txt", "not listed");
        NativeFileSystem.CreateDirectoryLink(_temp["mixed/lib-current"], _temp["outside"]);
        NativeFileSystem.CreateDirectoryLink(_temp["mixed/lib.link"], "lib/a.so");
        NativeFileSystem.CreateDirectoryLink(_temp["mixed/dangling"], "nowhere");
        if (OperatingSystem.IsLinux())
        {
            HostileTree.CreateSpecial(_temp["mixed/lib/control.fifo"], "NamedPipe");
        }

        var items = AssertBothWaysAgree(root, skipSpecialFiles: true);

        Assert.Equal(_temp["outside"], items.Single(i => i.RelativePath == "lib-current").LinkTarget);
        Assert.DoesNotContain(items, i => i.RelativePath.Contains("secret", StringComparison.Ordinal));
        Assert.Equal(4, items.Single(i => i.RelativePath == deep + "/leaf.txt").Size);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(nameof(UnixFileKind.NamedPipe), items.Single(i => i.RelativePath == "lib/control.fifo").Type);
            var refused = AssertBothWaysFail<RollbackException>(root, skipSpecialFiles: false);
            Assert.Equal(RollbackErrorId.SpecialFileRefused, refused.ErrorId);
        }
    }

    [Fact]
    public void TheRootIsNamedAsGivenWithOrWithoutATrailingSeparator()
    {
        _temp.WriteFile("root/sub/file.txt", "x");
        _temp.WriteFile("root/top.txt", "x");

        var plain = AssertBothWaysAgree(_temp["root"]);
        var trailing = AssertBothWaysAgree(_temp["root"] + Path.DirectorySeparatorChar);
        var dotted = AssertBothWaysAgree(Path.Combine(_temp["root"], "sub", ".."));

        Assert.Equal(plain.Select(i => i.RelativePath), trailing.Select(i => i.RelativePath));
        Assert.Equal(plain.Select(i => i.FullPath), dotted.Select(i => i.FullPath));
        Assert.Equal(_temp["root/sub/file.txt"], plain.Single(i => i.RelativePath == "sub/file.txt").FullPath);
    }

    [Fact]
    public void AMissingRootOrAFileAsRootFailsAsBefore()
    {
        _temp.WriteFile("file.txt", "x");

        AssertBothWaysFail<DirectoryNotFoundException>(_temp["missing"]);
        AssertBothWaysFail<IOException>(_temp["file.txt"]);
    }

    [Fact]
    public void ANameWithABackslashIsListedAsBeforeInOrdinalOrder()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // On Linux '\' is an ordinary character of a name, which a relative path has always shown as '/'.
        _temp.WriteFile("slashes/a\\b", "x");
        _temp.WriteFile("slashes/a/c", "x");
        _temp.WriteFile("slashes/a-c", "x");
        _temp.WriteFile("slashes/a\\a", "x");

        var items = AssertBothWaysAgree(_temp["slashes"]);

        Assert.Equal(["a", "a-c", "a/a", "a/b", "a/c"], items.Select(i => i.RelativePath));
        Assert.Equal(_temp["slashes"] + "/a\\b", items.Single(i => i.RelativePath == "a/b" && i.FullPath.EndsWith('b')).FullPath);
    }

    [Fact]
    public void ANameThatIsNotUtf8FailsAsBefore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // .NET shows such a name with U+FFFD, under which it is not there: the listing names it in its error, as it always did.
        _temp.WriteFile("bytes/fine.txt", "x");
        const string Name = "import os, sys; name = os.path.join(os.fsencode(sys.argv[1]), b'bad\\xffname'); ";
        HostileTree.Run("python3", "-c", Name + "open(name, 'w').close()", _temp["bytes"]);
        try
        {
            var error = AssertBothWaysFail<IOException>(_temp["bytes"]);

            Assert.Contains("Cannot read the metadata of", error.Message, StringComparison.Ordinal);
            Assert.Contains("bad\uFFFDname", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            // .NET cannot name it either, so the temp folder's clean-up could not.
            HostileTree.Run("python3", "-c", Name + "os.remove(name)", _temp["bytes"]);
        }
    }

    [Fact]
    public void AnEntryGoneBetweenItsFolderBeingReadAndItsStatIsNamedInTheError()
    {
        if (!NativeFileSystem.CanList)
        {
            return;
        }

        var path = _temp.WriteFile("gone/file.txt", "x");
        var folder = NativeFileSystem.OpenFolderToList(_temp["gone"]);
        try
        {
            var buffer = new byte[4096];
            var filled = NativeFileSystem.ReadEntries(folder, buffer);
            var names = new List<(int Start, int Length)>();
            for (var offset = 0; offset < filled;)
            {
                offset = NativeFileSystem.NextEntry(buffer, offset, out var start, out var length);
                names.Add((start, length));
            }

            var (nameStart, nameLength) = names.Single(n => System.Text.Encoding.UTF8.GetString(buffer, n.Start, n.Length) == "file.txt");
            Assert.Equal(File.ReadAllText(path).Length, NativeFileSystem.StatAt(folder, buffer, nameStart, path).Size);
            File.Delete(path);

            var error = Assert.Throws<IOException>(() => NativeFileSystem.StatAt(folder, buffer, nameStart, path));

            Assert.Equal($"Cannot read the metadata of '{path}' (errno 2).", error.Message);
            Assert.Equal(8, nameLength);
        }
        finally
        {
            NativeFileSystem.CloseFolder(folder);
        }
    }

    /// <summary>Lists <paramref name="root"/> both ways, asserts every field of every item agrees, and returns the items.</summary>
    private static IReadOnlyList<FileTree.Item> AssertBothWaysAgree(string root, bool skipSpecialFiles = false)
    {
        var read = FileTree.ScanWith(root, skipSpecialFiles, readFolders: NativeFileSystem.CanList, CancellationToken.None);
        var enumerated = FileTree.ScanWith(root, skipSpecialFiles, readFolders: false, CancellationToken.None);

        Assert.Equal(enumerated.Select(Describe), read.Select(Describe));
        Assert.Equal(FileTree.Scan(root, skipSpecialFiles, CancellationToken.None).Select(Describe), read.Select(Describe));
        return read;
    }

    /// <summary>Lists <paramref name="root"/> both ways, asserts both fail with the same exception and message, and returns it.</summary>
    private static TException AssertBothWaysFail<TException>(string root, bool skipSpecialFiles = false)
        where TException : Exception
    {
        var read = Assert.ThrowsAny<TException>(() => FileTree.ScanWith(root, skipSpecialFiles, readFolders: NativeFileSystem.CanList, CancellationToken.None));
        var enumerated = Assert.ThrowsAny<TException>(() => FileTree.ScanWith(root, skipSpecialFiles, readFolders: false, CancellationToken.None));

        Assert.Equal(enumerated.GetType(), read.GetType());
        Assert.Equal(enumerated.Message, read.Message);
        return read;
    }

    private static string Describe(FileTree.Item item) =>
        $"{item.RelativePath}|{item.FullPath}|{item.Size}|{item.LinkTarget}|{item.Type}|" +
        (item.Status is not { } s ? "no status" : $"{s.Kind} {s.Mode} {s.Owner}:{s.Group} {s.Size} {s.ChangeKey}");
}
