using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Rollback.Engine;
using Rollback.Platform;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

/// <summary>
/// One operation does not read an untouched file twice: the second hash of a file whose device, inode, size, mtime and
/// ctime are unchanged comes from the operation's <see cref="HashReuse"/>; any write (even one that restores mtime) or
/// chmod by someone else makes it read again. Real files; on a platform without statx nothing is reused.
/// </summary>
public sealed class HashReuseTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ASecondHashOfAnUnchangedFileInTheSameOperationIsReused()
    {
        var file = _temp.WriteFile("a.txt", "alpha");
        var hashes = new HashReuse();

        var first = hashes.HashFile(file);
        var second = hashes.HashFile(file);

        Assert.Equal(Checksums.HashFile(file), first);
        Assert.Equal(first, second);
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, hashes.Reused);
    }

    [Fact]
    public void AFileRewrittenWithTheSameSizeAndItsOldMtimeIsReadAgainAndItsNewContentSeen()
    {
        var file = _temp.WriteFile("a.txt", "alpha");
        var hashes = new HashReuse();
        var before = hashes.HashFile(file);
        var mtime = File.GetLastWriteTimeUtc(file);

        // Same size, same mtime: only ctime (which no program can set back) tells the file was written.
        Thread.Sleep(20);
        File.WriteAllText(file, "omega");
        File.SetLastWriteTimeUtc(file, mtime);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(file));

        var after = hashes.HashFile(file);

        Assert.Equal(0, hashes.Reused);
        Assert.NotEqual(before, after);
        Assert.Equal(Checksums.HashText("omega"), after);
    }

    [Fact]
    public void AFileChangedBetweenItsListingAndItsHashIsReadAndNotRecordedUnderTheListedKey()
    {
        var file = _temp.WriteFile("site/a.txt", "alpha");
        var listed = FileTree.List(_temp["site"]).Single();
        var hashes = new HashReuse();

        // Written after the listing read its key: the hash is of what is there now, and the stale key names nothing.
        Thread.Sleep(20);
        File.WriteAllText(file, "omega");
        var hash = hashes.HashFile(file, listed.Status?.ChangeKey);
        var again = hashes.HashFile(file, listed.Status?.ChangeKey);

        Assert.Equal(Checksums.HashText("omega"), hash);
        Assert.Equal(hash, again);
        Assert.Equal(0, hashes.Reused);
        Assert.Equal(0, hashes.Known);

        // Listed again, its key is current: the next hash records it, and the one after reuses it without a read.
        var current = FileTree.List(_temp["site"]).Single().Status?.ChangeKey;
        hashes.HashFile(file, current);
        Assert.Equal(hash, hashes.HashFile(file, current));
        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, hashes.Reused);
    }

    [Fact]
    public void AnotherOperationReusesNothing()
    {
        var file = _temp.WriteFile("a.txt", "alpha");
        new HashReuse().HashFile(file);

        var next = new HashReuse();
        next.HashFile(file);

        Assert.Equal(0, next.Reused);
    }

    [Fact]
    public void HashesACacheHandsOverAreFoundByTheirWholeKeyAndLastBetweenCommands()
    {
        // Sequential inodes and ctimes, as a copy of thousands of files gives: two hand-overs, the second partly the same keys.
        static FileChangeKey Key(int i) => new(8, 1, 1000 + (ulong)i, 10, 1_000_000_000L + i, 1_000_000_000L + i);
        var keys = Enumerable.Range(0, 3000).Select(Key).ToArray();
        var hashes = new HashReuse();
        hashes.Preload(keys, keys.Select(k => "h" + k.Inode).ToArray(), 2000);
        hashes.Preload(keys[1000..], keys[1000..].Select(k => "h" + k.Inode).ToArray(), 2000);

        Assert.Equal(3000, keys.Count(k => hashes.TryGetLasting(k, out var hash) && hash == "h" + k.Inode));
        Assert.False(hashes.TryGetLasting(Key(3000), out _));
        Assert.False(hashes.TryGetLasting(keys[5] with { ChangedNanoseconds = keys[5].ChangedNanoseconds + 1 }, out _));
        Assert.False(hashes.TryGetLasting(keys[5] with { Size = 11 }, out _));
        Assert.False(hashes.TryGetLasting(keys[5] with { DeviceMinor = 2 }, out _));
    }

    [Fact]
    public void AFolderSetAsideByRenamingItsParentIsNotReadAgainButAFileChangedMeanwhileIs()
    {
        _temp.WriteFile("live/site/a.txt", "alpha");
        _temp.WriteFile("live/site/sub/b.txt", "bravo");
        _temp.WriteFile("live/site/c.txt", "charlie");
        var hashes = new HashReuse();
        FileTree.HashItems(FileTree.List(_temp["live/site"]), "live", NullReporter.Instance, CancellationToken.None, hashes);

        // Someone changes the mode of one file (ctime moves) before the folder is set aside by a rename.
        File.SetAttributes(_temp["live/site/c.txt"], FileAttributes.ReadOnly);
        Directory.Move(_temp["live"], _temp["set-aside"]);
        var setAside = FileTree.HashItems(FileTree.List(_temp["set-aside/site"]), "set aside", NullReporter.Instance, CancellationToken.None, hashes);

        Assert.Equal(OperatingSystem.IsLinux() ? 2 : 0, hashes.Reused);
        Assert.Equal(
            new[] { "alpha", "charlie", "bravo" }.Select(Checksums.HashText),
            setAside.Where(a => a.Type is null).Select(a => a.Sha256));
    }

    [Fact]
    public void AStagedCopyGivenItsModesIsNotReadAgainAfterTheSwitch()
    {
        _temp.WriteFile("point/a.txt", "alpha");
        _temp.WriteFile("point/sub/b.txt", "bravo");
        var hashes = new HashReuse();
        var copied = FileTree.CopyItems(FileTree.List(_temp["point"]), _temp["staging"], "staging", NullReporter.Instance, CancellationToken.None, hashes: hashes);
        var withModes = copied.Select(a => a.Type is null ? new ArtifactEntry { RelativePath = a.RelativePath, Size = a.Size, Sha256 = a.Sha256, Mode = "0640" } : a).ToList();
        FileTree.ApplyMetadata(_temp["staging"], withModes, NullReporter.Instance, CancellationToken.None, hashes);
        Directory.Move(_temp["staging"], _temp["live"]);

        // A write after staging is seen: only files the operation itself last touched are reused.
        File.AppendAllText(_temp["live/sub/b.txt"], "!", Encoding.UTF8);
        var live = FileTree.HashItems(FileTree.List(_temp["live"]), "live", NullReporter.Instance, CancellationToken.None, hashes);

        Assert.Equal(OperatingSystem.IsLinux() ? 1 : 0, hashes.Reused);
        Assert.Equal(
            new[] { Checksums.HashText("alpha"), Checksums.HashText("bravo!") },
            live.Where(a => a.Type is null).Select(a => a.Sha256));
    }
}
