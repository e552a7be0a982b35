using System;
using System.IO;
using System.Linq;
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

        _reporter.Verbose.Clear();
        var report = _engine.Readiness.Test("site", point.Id);

        Assert.Equal(point.Fingerprint, report.CurrentFingerprint);
        Assert.Contains(_reporter.Verbose, v => v.Contains("3 of 3 files unchanged since this or an earlier command hashed them", StringComparison.Ordinal));
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
    [InlineData("hash")]
    [InlineData("truncated")]
    [InlineData("device")]
    [InlineData("folder")]
    [InlineData("boot")]
    [InlineData("outside")]
    public void ACacheDamagedOrOfAnotherDeviceFolderOrBootIsIgnoredAndWrittenAgain(string damage)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Hashes are kept between commands on Linux only (statx).");
        var point = RolledBackOnce();
        var lines = File.ReadAllLines(CacheFile).ToList();
        var body = lines.Take(lines.Count - 1).ToList();

        // Every damage gives Api.dll a wrong hash, so a cache that was trusted would make the folder look changed.
        var dll = body.FindIndex(l => l.EndsWith("\tbin/Api.dll", StringComparison.Ordinal));
        body[dll] = string.Concat(Checksums.HashText("trojan"), body[dll].AsSpan(64));
        switch (damage)
        {
            case "truncated":
                File.WriteAllText(CacheFile, string.Join("\n", lines).AsSpan(0, 200));
                break;
            case "hash":
                File.WriteAllLines(CacheFile, body.Append(lines[^1]));
                break;
            default:
                var changed = damage switch
                {
                    "device" => ("device ", "device 4095:4095"),
                    "folder" => ("root ", "root " + _sandbox.PathOf("elsewhere")),
                    "boot" => ("boot ", "boot 00000000-0000-0000-0000-000000000000"),
                    _ => ((string?)null, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\t1\t1\t1\t1\t../outside.txt"),
                };
                if (changed.Item1 is null)
                {
                    body.Add(changed.Item2);
                }
                else
                {
                    body[body.FindIndex(l => l.StartsWith(changed.Item1, StringComparison.Ordinal))] = changed.Item2;
                }

                // A checksum that matches: only what the file says makes it ignored.
                var text = string.Join("\n", body) + "\n";
                File.WriteAllText(CacheFile, text + "sha256 " + Checksums.HashText(text) + "\n");
                break;
        }

        _reporter.Verbose.Clear();
        var report = _engine.Readiness.Test("site", point.Id);

        Assert.Equal(point.Fingerprint, report.CurrentFingerprint);
        Assert.Contains(_reporter.Verbose, v => v.Contains("were not used", StringComparison.Ordinal));
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
        var text = File.ReadAllText(CacheFile);

        Assert.Null(cache.Ignored);
        Assert.Equal(new[] { "bin/Api.dll", "version.txt", "web.config" }, cache.Paths.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Contains("\nroot " + _site + "\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret.txt", text, StringComparison.Ordinal);
        Assert.DoesNotContain("..", text, StringComparison.Ordinal);
        Assert.Equal("0600", Platform.NativeFileSystem.FormatMode(Platform.NativeFileSystem.Stat(CacheFile)!.Mode));
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
}
