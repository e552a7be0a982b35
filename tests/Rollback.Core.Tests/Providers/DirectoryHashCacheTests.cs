using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Rollback.Engine;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// The hashes a Directory target's live folder keeps between commands (<see cref="HashCache"/>, in the store): a file
/// unchanged since a command hashed it is not read again, a changed one always is (even written with its old size and
/// mtime: its ctime moved), and a cache that is damaged, of another device or folder, or names a path outside the folder
/// is ignored whole and written again. Real files, Linux only (elsewhere nothing is kept).
/// </summary>
public sealed class DirectoryHashCacheTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly string _site;

    public DirectoryHashCacheTests()
    {
        _site = _sandbox.PathOf("inetpub", "api");
        Sandbox.WriteFile(Path.Combine(_site, "version.txt"), "v2.3.1\n");
        Sandbox.WriteFile(Path.Combine(_site, "web.config"), "<configuration good=\"1\" />");
        Sandbox.WriteFile(Path.Combine(_site, "bin", "Api.dll"), "good build");
        _sandbox.Register("site", "Directory", ("Path", _site), ("VersionFile", "version.txt"));
        _engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, _reporter, null, "tester");
    }

    private string CacheFile => HashCache.PathFor(_sandbox.Store.HashCacheDirectory, "site");

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void AFileRewrittenWithItsSizeAndMtimeAfterItWasCachedIsSeenByTheRollbackAndItsSafetyPoint()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        var point = RolledBackOnce();
        var config = Path.Combine(_site, "web.config");
        var mtime = File.GetLastWriteTimeUtc(config);

        // The same length and, as `touch -d` does, the old mtime: only ctime (which no program can set back) tells.
        Thread.Sleep(20);
        File.WriteAllText(config, "<configuration evil=\"1\" />");
        File.SetLastWriteTimeUtc(config, mtime);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(config));
        Assert.Equal("<configuration good=\"1\" />".Length, new FileInfo(config).Length);

        _reporter.Verbose.Clear();
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "test", ApprovedBy = new[] { "oncall" } });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Contains(_reporter.Verbose, v => v.Contains("2 of 3 files unchanged since this or an earlier command hashed them", StringComparison.Ordinal));
        var safety = _engine.Points.Get("site", result.SafetyPointId!);
        Assert.Equal(Checksums.HashText("<configuration evil=\"1\" />"), safety.Artifacts.Single(a => a.RelativePath == "web.config").Sha256);
        Assert.True(_engine.Readiness.Test("site", safety.Id).IsReady);
        Assert.Equal("<configuration good=\"1\" />", File.ReadAllText(config));
    }

    [SkippableFact]
    public void AnUnchangedFolderIsNotReadAgainByTheNextCommand()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        var point = RolledBackOnce();

        var written = Platform.NativeFileSystem.ChangeKey(CacheFile);

        _reporter.Verbose.Clear();
        var report = _engine.Readiness.Test("site", point.Id);

        Assert.Equal(point.Fingerprint, report.CurrentFingerprint);
        Assert.Contains(_reporter.Verbose, v => v.Contains("3 of 3 files unchanged since this or an earlier command hashed them", StringComparison.Ordinal));
        Assert.Equal(written, Platform.NativeFileSystem.ChangeKey(CacheFile)); // kept exactly what it kept: not written again
    }

    [SkippableFact]
    public void APointsCaptureKeepsTheHashesOfTheFilesItReadSoTheNextReadinessReadsNone()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        Thread.Sleep(HashReuse.LastingMargin + TimeSpan.FromMilliseconds(20));
        var point = _engine.Points.Create("site", null);
        File.WriteAllText(Path.Combine(_site, "bin", "Api.dll"), "bad build!");

        _reporter.Verbose.Clear();
        var report = _engine.Readiness.Test("site", point.Id);

        Assert.NotEqual(point.Fingerprint, report.CurrentFingerprint);
        Assert.Contains(_reporter.Verbose, v => v.Contains("2 of 3 files unchanged since this or an earlier command hashed them", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData("hash", "damaged or of another format")]
    [InlineData("truncated", "damaged or of another format")]
    [InlineData("empty", "damaged or of another format")]
    [InlineData("format 1", "damaged or of another format")]
    [InlineData("magic", "damaged or of another format")]
    [InlineData("device", "another device")]
    [InlineData("folder", "another folder")]
    [InlineData("boot", "before the machine last started")]
    [InlineData("outside", "a path outside the folder")]
    [InlineData("more records than counted", "count of records does not match them")]
    [InlineData("fewer records than counted", "count of records does not match them")]
    [InlineData("count past the end", "count of records does not match them")]
    [InlineData("path length past the end", "a record of it is damaged")]
    [InlineData("path not UTF-8", "a record of it is damaged")]
    [InlineData("out of order", "its records are out of order")]
    [InlineData("a path twice", "its records are out of order")]
    public void ACacheDamagedOrOfAnotherDeviceFolderOrBootIsIgnoredAndWrittenAgain(string damage, string why)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        var point = RolledBackOnce();
        var original = File.ReadAllBytes(CacheFile);
        var image = CacheImage.Parse(original);

        // Every damage gives Api.dll a wrong hash, so a cache that was trusted would make the folder look changed.
        var dll = image.Records.Single(r => r.Path == "bin/Api.dll");
        image.Records[image.Records.IndexOf(dll)] = dll with { Sha256 = Convert.FromHexString(Checksums.HashText("trojan")) };

        // Each a checksum that matches (but "hash", "truncated" and "empty"): only what the file says makes it ignored.
        switch (damage)
        {
            case "hash":
                File.WriteAllBytes(CacheFile, [.. image.ToBytes()[..^32], .. original[^32..]]);
                break;
            case "truncated":
                File.WriteAllBytes(CacheFile, image.ToBytes()[..200]);
                break;
            case "empty":
                File.WriteAllBytes(CacheFile, Array.Empty<byte>());
                break;
            case "format 1":
                // The text of the format before, checksum and all: read as version 2 it is damaged.
                var text = "rollback-hash-cache 1\nboot " + image.Boot + "\ndevice " + image.DeviceMajor + ":" + image.DeviceMinor + "\nroot " + image.Root + "\n"
                    + string.Concat(image.Records.Select(r => $"{Convert.ToHexStringLower(r.Sha256)}\t{r.Inode}\t{r.Size}\t{r.Modified}\t{r.Changed}\t{r.Path}\n"));
                File.WriteAllText(CacheFile, text + "sha256 " + Checksums.HashText(text) + "\n");
                break;
            case "magic":
                File.WriteAllBytes(CacheFile, (image with { Format = "rollback-hash-cache 3\n" }).ToBytes());
                break;
            case "device":
                File.WriteAllBytes(CacheFile, (image with { DeviceMajor = 4095, DeviceMinor = 4095 }).ToBytes());
                break;
            case "folder":
                File.WriteAllBytes(CacheFile, (image with { Root = _sandbox.PathOf("elsewhere") }).ToBytes());
                break;
            case "boot":
                File.WriteAllBytes(CacheFile, (image with { Boot = "00000000-0000-0000-0000-000000000000" }).ToBytes());
                break;
            case "outside":
                image.Records.Add(new CacheRecord(new byte[32], 1, 1, 1, 1, "../outside.txt"));
                File.WriteAllBytes(CacheFile, image.ToBytes());
                break;
            case "more records than counted":
                File.WriteAllBytes(CacheFile, image.ToBytes(count: image.Records.Count - 1));
                break;
            case "fewer records than counted":
                File.WriteAllBytes(CacheFile, image.ToBytes(count: image.Records.Count + 1));
                break;
            case "count past the end":
                File.WriteAllBytes(CacheFile, image.ToBytes(count: int.MaxValue));
                break;
            case "path length past the end":
                // The last record says its path is longer than what is left before the checksum.
                File.WriteAllBytes(CacheFile, image.ToBytes(lastPathLength: 60000));
                break;
            case "path not UTF-8":
                File.WriteAllBytes(CacheFile, image.ToBytes(pathBytes: r => r.Path == "version.txt" ? new byte[] { 0x76, 0xFF, 0xFE } : null));
                break;
            case "out of order":
                image.Records.Reverse();
                File.WriteAllBytes(CacheFile, image.ToBytes());
                break;
            default:
                image.Records.Insert(0, image.Records[0]);
                File.WriteAllBytes(CacheFile, image.ToBytes());
                break;
        }

        _reporter.Verbose.Clear();
        var report = _engine.Readiness.Test("site", point.Id);

        Assert.Equal(point.Fingerprint, report.CurrentFingerprint);
        Assert.Contains(_reporter.Verbose, v => v.Contains("were not used (", StringComparison.Ordinal) && v.Contains(why + ")", StringComparison.Ordinal));
        Assert.Contains(_reporter.Verbose, v => v.Contains("0 of 3 files unchanged", StringComparison.Ordinal));
        var rebuilt = HashCache.Open(new HashReuse(null, _sandbox.Store.HashCacheDirectory), "site", _site)!;
        Assert.Null(rebuilt.Ignored);
        Assert.Equal(3, rebuilt.Count);
        Assert.Equal("good build", File.ReadAllText(Path.Combine(_site, "bin", "Api.dll")));
    }

    [SkippableFact]
    public void TheCacheNamesOnlyTheLiveFolderFilesNeverWhatALinkLeadsTo()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        Sandbox.WriteFile(_sandbox.PathOf("shared", "secret.txt"), "outside the target");
        Platform.NativeFileSystem.CreateDirectoryLink(Path.Combine(_site, "shared"), _sandbox.PathOf("shared"));
        var point = RolledBackOnce();

        _engine.Readiness.Test("site", point.Id);
        var cache = HashCache.Open(new HashReuse(null, _sandbox.Store.HashCacheDirectory), "site", _site)!;
        var bytes = File.ReadAllBytes(CacheFile);
        var image = CacheImage.Parse(bytes);

        Assert.Null(cache.Ignored);
        Assert.Equal(new[] { "bin/Api.dll", "version.txt", "web.config" }, cache.Paths.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(_site, image.Root);
        Assert.Equal(new[] { "bin/Api.dll", "version.txt", "web.config" }, image.Records.Select(r => r.Path).OrderBy(p => p, StringComparer.Ordinal));
        Assert.DoesNotContain("secret.txt", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain(image.Records, r => r.Path.Contains("..", StringComparison.Ordinal)); // the raw hashes and numbers may hold any bytes
        Assert.Equal("0600", Platform.NativeFileSystem.FormatMode(Platform.NativeFileSystem.Stat(CacheFile)!.Mode));
    }

    [SkippableFact]
    public void AFileWhosePathHasALineBreakIsReadByEveryCommandAndTheOthersAreKept()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        var point = RolledBackOnce();
        Sandbox.WriteFile(Path.Combine(_site, "notes\nfrom ops.txt"), "left by hand");
        Thread.Sleep(HashReuse.LastingMargin + TimeSpan.FromMilliseconds(20));
        _engine.Readiness.Test("site", point.Id);

        _reporter.Verbose.Clear();
        _engine.Readiness.Test("site", point.Id);

        Assert.Contains(_reporter.Verbose, v => v.Contains("3 of 4 files unchanged", StringComparison.Ordinal));
        var cache = HashCache.Open(new HashReuse(null, _sandbox.Store.HashCacheDirectory), "site", _site)!;
        Assert.Null(cache.Ignored);
        Assert.Equal(new[] { "bin/Api.dll", "version.txt", "web.config" }, cache.Paths.OrderBy(p => p, StringComparer.Ordinal));
    }

    [SkippableFact]
    public void AListingInAnotherOrderFindsTheSameHashesAndKeepsTheSameFile()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        RolledBackOnce();
        var written = Platform.NativeFileSystem.ChangeKey(CacheFile);
        var reversed = FileTree.List(_site).Reverse().ToList();
        var hashes = new HashReuse(null, _sandbox.Store.HashCacheDirectory);
        var cache = HashCache.Open(hashes, "site", _site)!;

        Assert.Equal(3, cache.Preload(reversed, hashes));
        Assert.False(cache.Save(reversed, hashes));
        Assert.Equal(written, Platform.NativeFileSystem.ChangeKey(CacheFile));
        Assert.Equal(
            reversed.Where(i => i.IsRegularFile).OrderBy(i => i.RelativePath, StringComparer.Ordinal).Select(i => Checksums.HashFile(i.FullPath)),
            FileTree.HashItems(reversed, "again", NullReporter.Instance, CancellationToken.None, hashes).Where(a => a.Type is null && a.LinkTarget is null).OrderBy(a => a.RelativePath, StringComparer.Ordinal).Select(a => a.Sha256));
        Assert.Equal(3, hashes.Reused);
    }

    [SkippableFact]
    public void UnregisteringTheTargetDropsItsCache()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        RolledBackOnce();
        Assert.True(File.Exists(CacheFile));

        _engine.Targets.Unregister("site", removePoints: false);

        Assert.False(File.Exists(CacheFile));
    }

    /// <summary>
    /// A point of the good folder, a bad deployment, a rollback to the point, then (once the staged files' ctimes lie past
    /// the margin) a readiness test that keeps the live folder's hashes. Returns the point.
    /// </summary>
    private RollbackPoint RolledBackOnce()
    {
        var point = _engine.Points.Create("site", null);
        File.WriteAllText(Path.Combine(_site, "version.txt"), "v2.4.0\n");
        File.WriteAllText(Path.Combine(_site, "bin", "Api.dll"), "bad build!");
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "test", ApprovedBy = new[] { "oncall" } });
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Thread.Sleep(HashReuse.LastingMargin + TimeSpan.FromMilliseconds(20));
        Assert.Equal(point.Fingerprint, _engine.Readiness.Test("site", point.Id).CurrentFingerprint);
        Assert.True(File.Exists(CacheFile));
        return point;
    }

    /// <summary>A kept file as the cache file's record holds it.</summary>
    private sealed record CacheRecord(byte[] Sha256, ulong Inode, ulong Size, long Modified, long Changed, string Path);

    /// <summary>
    /// A cache file as its format (HashCache's remarks) lays it out, written here from that description rather than by the
    /// class under test: a test can then change any field and give the file a checksum that matches, or one that does not.
    /// </summary>
    private sealed record CacheImage(string Format, string Boot, uint DeviceMajor, uint DeviceMinor, string Root, List<CacheRecord> Records)
    {
        public static CacheImage Parse(byte[] bytes)
        {
            var format = Encoding.ASCII.GetString(bytes, 0, HashCache.FormatLine.Length + 1);
            Assert.Equal(HashCache.FormatLine + "\n", format);
            Assert.Equal(SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);
            var position = format.Length;
            string Text()
            {
                var length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(position));
                position += 2 + length;
                return Encoding.UTF8.GetString(bytes, position - length, length);
            }

            var boot = Text();
            var major = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
            var minor = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position + 4));
            position += 8;
            var root = Text();
            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
            position += 4;
            var records = new List<CacheRecord>();
            for (var i = 0; i < count; i++)
            {
                var record = bytes.AsSpan(position, 64);
                position += 64;
                records.Add(new CacheRecord(
                    record[..32].ToArray(),
                    BinaryPrimitives.ReadUInt64LittleEndian(record[32..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(record[40..]),
                    BinaryPrimitives.ReadInt64LittleEndian(record[48..]),
                    BinaryPrimitives.ReadInt64LittleEndian(record[56..]),
                    Text()));
            }

            Assert.Equal(bytes.Length - 32, position);
            return new CacheImage(format, boot, major, minor, root, records);
        }

        /// <summary>The file, with its records' count (or <paramref name="count"/>), each path's UTF-8 (or what <paramref name="pathBytes"/> gives), and a checksum that matches.</summary>
        public byte[] ToBytes(int? count = null, int? lastPathLength = null, Func<CacheRecord, byte[]?>? pathBytes = null)
        {
            using var file = new MemoryStream();
            var writer = new BinaryWriter(file);
            void Text(byte[] text, int? length = null)
            {
                writer.Write((ushort)(length ?? text.Length));
                writer.Write(text);
            }

            writer.Write(Encoding.ASCII.GetBytes(Format));
            Text(Encoding.UTF8.GetBytes(Boot));
            writer.Write(DeviceMajor);
            writer.Write(DeviceMinor);
            Text(Encoding.UTF8.GetBytes(Root));
            writer.Write(count ?? Records.Count);
            foreach (var record in Records)
            {
                writer.Write(record.Sha256);
                writer.Write(record.Inode);
                writer.Write(record.Size);
                writer.Write(record.Modified);
                writer.Write(record.Changed);
                Text(pathBytes?.Invoke(record) ?? Encoding.UTF8.GetBytes(record.Path), record == Records[^1] ? lastPathLength : null);
            }

            writer.Flush();
            var body = file.ToArray();
            return body.Concat(SHA256.HashData(body)).ToArray();
        }
    }
}