using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Xunit;

namespace Rollback.Tests;

public sealed class FileTreeTests : IDisposable
{
    private static readonly string[] TreePaths = ["a.txt", "current.txt", "empty.dat", "lib", "sub", "sub/b.txt", "sub/deeper", "sub/deeper/c.bin"];
    private static readonly string[] FilePaths = ["a.txt", "empty.dat", "sub/b.txt", "sub/deeper/c.bin"];

    private readonly TempFolder _temp = new();
    private readonly string _source;
    private readonly string _outsideFolder;

    public FileTreeTests()
    {
        _source = _temp["source"];
        _outsideFolder = _temp["outside"];
        _temp.WriteFile("outside/library.so", "outside library");
        _temp.WriteFile("source/a.txt", "alpha");
        _temp.WriteFile("source/empty.dat", string.Empty);
        _temp.WriteFile("source/sub/b.txt", "bravo\n");
        var big = new byte[(3 << 20) + 17];
        new Random(42).NextBytes(big);
        Directory.CreateDirectory(_temp["source/sub/deeper"]);
        File.WriteAllBytes(_temp["source/sub/deeper/c.bin"], big);
        NativeFileSystem.CreateDirectoryLink(_temp["source/lib"], _outsideFolder);
        NativeFileSystem.CreateDirectoryLink(_temp["source/current.txt"], "a.txt");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ListRecordsNestedFilesAndLinksWithoutFollowingThem()
    {
        var items = FileTree.List(_source);

        Assert.Equal(TreePaths, items.Select(i => i.RelativePath));
        var lib = items.Single(i => i.RelativePath == "lib");
        Assert.Equal(_outsideFolder, lib.LinkTarget);
        Assert.Equal(0, lib.Size);
        Assert.Equal("a.txt", items.Single(i => i.RelativePath == "current.txt").LinkTarget);
        Assert.DoesNotContain(items, i => i.RelativePath.Contains("library.so", StringComparison.Ordinal));
        var c = items.Single(i => i.RelativePath == "sub/deeper/c.bin");
        Assert.Null(c.LinkTarget);
        Assert.Equal((3 << 20) + 17, c.Size);
        Assert.Equal(_temp["source/sub/deeper/c.bin"], c.FullPath);
    }

    [Fact]
    public void OneListingGivesEachFileItsSizeModeOwnerAndChangeKey()
    {
        var items = FileTree.List(_source).ToDictionary(i => i.RelativePath, StringComparer.Ordinal);

        var c = items["sub/deeper/c.bin"];
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(c.Status?.ChangeKey);
            return;
        }

        // The key a hash is reused by comes from the listing's own statx: it is the one a lookup of the path reads.
        Assert.Equal(NativeFileSystem.ChangeKey(c.FullPath), c.Status!.ChangeKey);
        Assert.Equal((3 << 20) + 17, c.Status.Size);
        Assert.Equal(NativeFileSystem.Stat(c.FullPath)!.Mode, c.Status.Mode);
        Assert.Equal(UnixFileKind.SymbolicLink, items["lib"].Status!.Kind);
        Assert.Null(items["lib"].Status!.ChangeKey);
        Assert.Null(items["sub"].Status!.ChangeKey);
        Assert.Equal(FileTree.DirectoryType, items["sub"].Type);
    }

    [Fact]
    public void AFileHashedThroughItsDescriptorGivesTheKeyOfWhatWasRead()
    {
        var path = _temp["source/sub/deeper/c.bin"];

        var hash = Store.Checksums.HashFile(path, out var key);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant(), hash);
        Assert.Equal(NativeFileSystem.ChangeKey(path), key);
        Assert.Equal(OperatingSystem.IsLinux(), key is not null);
        Assert.Throws<FileNotFoundException>(() => Store.Checksums.HashFile(_temp["source/missing.bin"], out _));
    }

    [Fact]
    public void ACopyOfManySmallFilesGivesEachItsContentAndHashWithoutABufferPerFile()
    {
        var copies = Directory.CreateDirectory(_temp["copies"]).FullName;
        var sources = Enumerable.Range(0, 200).Select(i => _temp.WriteFile($"small/{i}.txt", $"file {i}\n")).ToList();
        Store.Checksums.CopyAndHash(sources[0], Path.Combine(copies, "first"), out _);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var hashes = sources.Select((source, i) => Store.Checksums.CopyAndHash(source, Path.Combine(copies, $"{i}.txt"), out _, out _)).ToList();
        var perFile = (GC.GetAllocatedBytesForCurrentThread() - allocated) / sources.Count;

        for (var i = 0; i < sources.Count; i++)
        {
            Assert.Equal($"file {i}\n", File.ReadAllText(Path.Combine(copies, $"{i}.txt")));
            Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(sources[i]))).ToLowerInvariant(), hashes[i]);
        }

        // Its buffers are the thread's, reused: a read and a write buffer per file put 3 MiB of each file on the large-object heap.
        Assert.True(perFile < 16 * 1024, $"{perFile:N0} bytes allocated per file copied");
    }

    [Fact]
    public void HashGivesTheSha256OfEveryFileAndRecordsLinks()
    {
        var entries = FileTree.Hash(_source, NullReporter.Instance, CancellationToken.None);

        Assert.Equal(TreePaths, entries.Select(e => e.RelativePath));
        foreach (var path in FilePaths)
        {
            var entry = entries.Single(e => e.RelativePath == path);
            Assert.Equal(Sha256Of(Path.Combine(_source, path)), entry.Sha256);
            Assert.Equal(new FileInfo(Path.Combine(_source, path)).Length, entry.Size);
            Assert.Null(entry.LinkTarget);
        }

        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", entries.Single(e => e.RelativePath == "empty.dat").Sha256);
        var link = entries.Single(e => e.RelativePath == "current.txt");
        Assert.Equal("a.txt", link.LinkTarget);
        Assert.Equal(string.Empty, link.Sha256);
    }

    [Fact]
    public void CopyProducesIdenticalBytesLinksAndHashes()
    {
        var destination = _temp["copy"];

        var copied = FileTree.Copy(_source, destination, NullReporter.Instance, CancellationToken.None);

        var hashed = FileTree.Hash(_source, NullReporter.Instance, CancellationToken.None);
        Assert.Equal(hashed.Select(Describe), copied.Select(Describe));
        foreach (var path in FilePaths)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(_source, path)), File.ReadAllBytes(Path.Combine(destination, path)));
            Assert.Equal(Sha256Of(Path.Combine(destination, path)), copied.Single(e => e.RelativePath == path).Sha256);
        }

        Assert.Equal(_outsideFolder, NativeFileSystem.ReadLink(Path.Combine(destination, "lib")));
        Assert.Equal("a.txt", NativeFileSystem.ReadLink(Path.Combine(destination, "current.txt")));
        Assert.Equal(FileTree.TreeFingerprint(hashed), FileTree.TreeFingerprint(FileTree.Hash(destination, NullReporter.Instance, CancellationToken.None)));
    }

    [Fact]
    public void CopyReportsCompletedProgress()
    {
        var reporter = new RecordingReporter();

        FileTree.Copy(_source, _temp["copy"], reporter, CancellationToken.None);

        var last = reporter.Updates.Last();
        Assert.True(last.Completed);
        Assert.Equal(ProgressActivity.Stage, last.ActivityId);
        Assert.Equal(100, last.PercentComplete);
    }

    [Fact]
    public void CopyOverAnExistingFileFailsWithTheIOError()
    {
        var destination = _temp["copy"];
        _temp.WriteFile("copy/sub/b.txt", "already here");

        Assert.ThrowsAny<IOException>(() => FileTree.Copy(_source, destination, NullReporter.Instance, CancellationToken.None));
        Assert.Equal("already here", File.ReadAllText(Path.Combine(destination, "sub", "b.txt")));
    }

    [Fact]
    public void TreeFingerprintChangesWithContentAndLinks()
    {
        var before = FileTree.TreeFingerprint(FileTree.Hash(_source, NullReporter.Instance, CancellationToken.None));
        File.WriteAllText(_temp["source/a.txt"], "alphb");
        var afterContent = FileTree.TreeFingerprint(FileTree.Hash(_source, NullReporter.Instance, CancellationToken.None));
        File.Delete(_temp["source/current.txt"]);
        NativeFileSystem.CreateDirectoryLink(_temp["source/current.txt"], "sub/b.txt");
        var afterLink = FileTree.TreeFingerprint(FileTree.Hash(_source, NullReporter.Instance, CancellationToken.None));

        Assert.Equal(3, new[] { before, afterContent, afterLink }.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void TreeFingerprintIsTheHashOfTheStoredLineForm()
    {
        // Fingerprints are stored in every manifest and journal: the form must never move. Each entry's line is
        // "path\0content" plus "\0mode\0owner:group" where metadata is recorded, in ordinal path order, joined by newlines
        // (UTF-8); special files are left out, and the content-only form keeps files and links by content alone.
        var entries = new List<ArtifactEntry>
        {
            new() { RelativePath = "zé中/😀.txt", Sha256 = "c2", Size = 2, Mode = "0644", Owner = 1000, Group = 100 },
            new() { RelativePath = "a", Sha256 = string.Empty, Type = FileTree.DirectoryType, Mode = "0755", Owner = 0, Group = 0 },
            new() { RelativePath = "a/link", Sha256 = string.Empty, LinkTarget = "../b", Owner = 1, Group = 2 },
            new() { RelativePath = "a/old.bin", Sha256 = "c1", Size = 1 },
            new() { RelativePath = "a/pipe", Sha256 = string.Empty, Type = "NamedPipe" },
            new() { RelativePath = "B.txt", Sha256 = "c3", Size = 3, Mode = "4755", Owner = 5, Group = 6 },
        };
        var many = Enumerable.Range(0, 5000).Select(i => new ArtifactEntry { RelativePath = $"many/{i:D5}-{new string('x', i % 40)}", Sha256 = $"{i:x64}", Mode = "0600", Owner = 7, Group = 8 }).ToList();

        static string Hash(IEnumerable<string> lines) => Rollback.Store.Checksums.HashText(string.Join("\n", lines));
        static IEnumerable<ArtifactEntry> Ordered(IEnumerable<ArtifactEntry> all) => all.OrderBy(a => a.RelativePath, StringComparer.Ordinal);

        Assert.Equal(
            Hash(new[] { "B.txt\0c3\04755\05:6", "a\0dir\00755\00:0", "a/link\0link:../b\0\01:2", "a/old.bin\0c1", "zé中/😀.txt\0c2\00644\01000:100" }),
            FileTree.TreeFingerprint(entries));
        Assert.Equal(
            Hash(new[] { "B.txt\0c3", "a/link\0link:../b", "a/old.bin\0c1", "zé中/😀.txt\0c2" }),
            FileTree.ContentFingerprint(entries));
        Assert.Equal(Hash(Ordered(many).Select(a => $"{a.RelativePath}\0{a.Sha256}\00600\07:8")), FileTree.TreeFingerprint(many));
        Assert.Equal(FileTree.TreeFingerprint(many), FileTree.TreeFingerprint(Enumerable.Reverse(many)));
        Assert.Equal(Hash(Array.Empty<string>()), FileTree.TreeFingerprint(Array.Empty<ArtifactEntry>()));
    }

    [Fact]
    public void VerifyPassesOnAnIntactCopy()
    {
        var (copy, manifest) = CopyOfSource();

        FileTree.Verify(copy, manifest, NullReporter.Instance, CancellationToken.None);
    }

    [Fact]
    public void VerifyRaisesArtifactMissingForARemovedFile()
    {
        var (copy, manifest) = CopyOfSource();
        File.Delete(Path.Combine(copy, "sub", "b.txt"));

        var ex = AssertVerifyFails(copy, manifest, RollbackErrorId.ArtifactMissing);

        Assert.Equal("sub/b.txt", ex.TargetObject);
    }

    [Fact]
    public void VerifyRaisesChecksumMismatchForOneChangedByte()
    {
        var (copy, manifest) = CopyOfSource();
        var path = Path.Combine(copy, "sub", "deeper", "c.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var ex = AssertVerifyFails(copy, manifest, RollbackErrorId.ArtifactChecksumMismatch);

        Assert.Equal("sub/deeper/c.bin", ex.TargetObject);
    }

    [Fact]
    public void VerifyRaisesChecksumMismatchForAChangedSize()
    {
        var (copy, manifest) = CopyOfSource();
        File.AppendAllText(Path.Combine(copy, "a.txt"), "!");

        AssertVerifyFails(copy, manifest, RollbackErrorId.ArtifactChecksumMismatch);
    }

    [Fact]
    public void VerifyRaisesChecksumMismatchForARetargetedLink()
    {
        var (copy, manifest) = CopyOfSource();
        File.Delete(Path.Combine(copy, "current.txt"));
        NativeFileSystem.CreateDirectoryLink(Path.Combine(copy, "current.txt"), "sub/b.txt");

        AssertVerifyFails(copy, manifest, RollbackErrorId.ArtifactChecksumMismatch);
    }

    [Fact]
    public void VerifyRefusesAManifestEntryOutsideTheBase()
    {
        var (copy, manifest) = CopyOfSource();
        var outside = _temp.WriteFile("outside.txt", "outside");
        var tampered = manifest.Append(new ArtifactEntry { RelativePath = "../outside.txt", Size = 7, Sha256 = Sha256Of(outside) }).ToList();
        var bare = manifest.Append(new ArtifactEntry { RelativePath = "../outside", Size = 0, Sha256 = string.Empty }).ToList();

        AssertVerifyFails(copy, tampered, RollbackErrorId.ArtifactPathEscapes);
        AssertVerifyFails(copy, bare, RollbackErrorId.ArtifactPathEscapes);
    }

    [Fact]
    public void VerifyRefusesAnArtifactReplacedByALinkOutsideWithoutOpeningIt()
    {
        var (copy, manifest) = CopyOfSource();
        var secret = _temp.WriteFile("secret.txt", "alpha");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(secret, UnixFileMode.None);
        }

        File.Delete(Path.Combine(copy, "a.txt"));
        NativeFileSystem.CreateDirectoryLink(Path.Combine(copy, "a.txt"), secret);

        var ex = AssertVerifyFails(copy, manifest, RollbackErrorId.ArtifactPathEscapes);

        Assert.Equal("a.txt", ex.TargetObject);
    }

    [Fact]
    public void VerifyRefusesAFolderReplacedByALinkOutside()
    {
        var (copy, manifest) = CopyOfSource();
        var outside = _temp["outside-sub"];
        Directory.Move(Path.Combine(copy, "sub"), outside);
        NativeFileSystem.CreateDirectoryLink(Path.Combine(copy, "sub"), outside);

        AssertVerifyFails(copy, manifest, RollbackErrorId.ArtifactPathEscapes);
    }

    [Fact]
    public async Task VerifyNeverOpensTheOutsideFileALinkPointsAt()
    {
        // Running as root ignores permission bits, so the outside file is a FIFO: opening it for reading would block.
        var (copy, manifest) = CopyOfSource();
        var fifo = _temp["outside.fifo"];
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        File.Delete(Path.Combine(copy, "a.txt"));
        NativeFileSystem.CreateDirectoryLink(Path.Combine(copy, "a.txt"), fifo);

        // A thread of its own: a busy test run's thread pool could start it late and fail the 10 s bound below.
        var verify = Task.Factory.StartNew(() => FileTree.Verify(copy, manifest, NullReporter.Instance, CancellationToken.None), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var finished = await Task.WhenAny(verify, Task.Delay(TimeSpan.FromSeconds(10))) == verify;
        if (!finished)
        {
            // Release the blocked reader so the test run does not hang, then fail.
            await File.WriteAllTextAsync(fifo, "x");
        }

        Assert.True(finished, "Verify opened the file outside the base.");
        var ex = await Assert.ThrowsAsync<RollbackException>(() => verify);
        Assert.Equal(RollbackErrorId.ArtifactPathEscapes, ex.ErrorId);
    }

    [SkippableFact]
    public void ApplyOneLeavesAPathThatAlreadyHasItsModeAndOwnerUntouched()
    {
        Skip.IfNot(Providers.HostileTree.IsRoot, "the owner is compared as root sets it");
        var folder = _temp["kept"];
        Directory.CreateDirectory(folder);
        NativeFileSystem.SetMode(folder, Convert.ToInt32("0755", 8));
        var before = Providers.HostileTree.Output("stat", "-c", "%Z.%z", folder);
        Thread.Sleep(20);

        Assert.True(FileTree.ApplyOne(folder, "0755", 0, 0, isLink: false));

        // Nothing was written: a chown or chmod, even to the same values, would have moved the change time.
        Assert.Equal(before, Providers.HostileTree.Output("stat", "-c", "%Z.%z", folder));
    }

    [SkippableTheory]
    [InlineData("0644", "0640", "0:0", "640 0:0")]
    [InlineData("0755", "4755", "0:0", "4755 0:0")]
    [InlineData("0755", "4755", "1234:2345", "4755 1234:2345")]
    [InlineData("2770", "2770", "1234:2345", "2770 1234:2345")]
    public void ApplyOneChangesWhatDiffersAndKeepsSpecialBitsAcrossAChangeOfOwner(string made, string mode, string owner, string expected)
    {
        Skip.IfNot(Providers.HostileTree.IsRoot, "giving a file away needs root");
        var file = _temp.WriteFile("changed", "x");
        NativeFileSystem.SetMode(file, Convert.ToInt32(made, 8));
        var ids = owner.Split(':').Select(uint.Parse).ToArray();

        Assert.True(FileTree.ApplyOne(file, mode, ids[0], ids[1], isLink: false));

        // A chown clears setuid and setgid: the mode is given again after it, so the recorded bits stay.
        Assert.Equal(expected, Providers.HostileTree.ModeAndOwner(file));
    }

    [Fact]
    public void CancelledTokenStopsHashCopyAndVerify()
    {
        var (copy, manifest) = CopyOfSource();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => FileTree.Hash(_source, NullReporter.Instance, cancellation.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => FileTree.Copy(_source, _temp["cancelled"], NullReporter.Instance, cancellation.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => FileTree.Verify(copy, manifest, NullReporter.Instance, cancellation.Token));
        Assert.False(File.Exists(_temp["cancelled/sub/deeper/c.bin"]));
    }

    private static RollbackException AssertVerifyFails(string copy, IReadOnlyList<ArtifactEntry> manifest, string errorId)
    {
        var ex = Assert.Throws<RollbackException>(() => FileTree.Verify(copy, manifest, NullReporter.Instance, CancellationToken.None));
        Assert.Equal(errorId, ex.ErrorId);
        return ex;
    }

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Describe(ArtifactEntry e) => $"{e.RelativePath}|{e.Size}|{e.Sha256}|{e.LinkTarget}";

    private (string Copy, IReadOnlyList<ArtifactEntry> Manifest) CopyOfSource()
    {
        var copy = _temp["copy"];
        var manifest = FileTree.Copy(_source, copy, NullReporter.Instance, CancellationToken.None);
        return (copy, manifest);
    }

    private sealed class RecordingReporter : IRollbackReporter
    {
        public List<ProgressUpdate> Updates { get; } = [];

        public void Progress(ProgressUpdate update) => Updates.Add(update);

        public void Verbose(string message)
        {
        }

        public void Warning(string message)
        {
        }
    }
}
