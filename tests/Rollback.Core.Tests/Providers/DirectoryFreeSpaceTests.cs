using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Rollback.Engine;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// The free-space check of a Directory target reads the file system the folder is on: a folder on a mount of its own
/// (here the tmpfs at /dev/shm) is not judged by the root file system's free space.
/// </summary>
public sealed class DirectoryFreeSpaceTests : IDisposable
{
    private const long MiB = 1048576;
    private const string SharedMemory = "/dev/shm";

    private readonly Sandbox _sandbox = new();
    private readonly string _mounted = Path.Combine(SharedMemory, "rollback-space-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_mounted))
        {
            Directory.Delete(_mounted, recursive: true);
        }

        _sandbox.Dispose();
    }

    [SkippableFact]
    public void TheFreeSpaceCheckReadsTheFileSystemTheFolderIsOn()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Directory.Exists(SharedMemory), "It needs a file system mounted apart from the root: Linux's /dev/shm.");
        var rootFree = new DriveInfo("/").AvailableFreeSpace;
        var mountedFree = new DriveInfo(SharedMemory).AvailableFreeSpace;
        Skip.If(Math.Abs(rootFree - mountedFree) < 1024 * MiB, $"/ and {SharedMemory} have about the same free space here, so the check's figure cannot tell them apart.");
        var site = Path.Combine(_mounted, "api");
        Sandbox.WriteFile(Path.Combine(site, "version.txt"), "v1\n");
        _sandbox.Register("site", "Directory", ("Path", site), ("VersionFile", "version.txt"));
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, NullReporter.Instance, null, "tester");
        var point = engine.Points.Create("site", "known good");

        var report = engine.Readiness.Test("site", point.Id);

        var check = Assert.Single(report.Checks, c => c.Name == "FreeSpace");
        Assert.Equal(CheckStatus.Pass, check.Status);
        var figure = Regex.Match(check.Message, @"^([\d,. ]+) MiB free");
        Assert.True(figure.Success, check.Message);
        var reported = long.Parse(new string(figure.Groups[1].Value.Where(char.IsDigit).ToArray()), System.Globalization.CultureInfo.InvariantCulture) * MiB;
        Assert.InRange(reported, mountedFree - (256 * MiB), mountedFree + (256 * MiB));
    }
}
