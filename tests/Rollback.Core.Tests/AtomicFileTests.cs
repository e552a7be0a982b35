using System;
using System.IO;
using System.Linq;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WriteAllTextCreatesAndReplacesWithoutLeftovers()
    {
        var path = _temp["settings.json"];

        AtomicFile.WriteAllText(path, "first é");
        AtomicFile.WriteAllText(path, "second");

        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal("settings.json", Path.GetFileName(Assert.Single(Directory.GetFiles(_temp.Path))));
    }

    [Fact]
    public void WriteAllTextHasNoByteOrderMark()
    {
        var path = _temp["settings.json"];

        AtomicFile.WriteAllText(path, "é");

        Assert.Equal(new byte[] { 0xC3, 0xA9 }, File.ReadAllBytes(path));
    }

    [Fact]
    public void TempPathIsHiddenAndBesideTheDestination()
    {
        var path = _temp["conf/app.json"];

        var temp = AtomicFile.TempPathBeside(path);

        Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(temp));
        Assert.StartsWith(".app.json.rollback-", Path.GetFileName(temp), StringComparison.Ordinal);
        Assert.NotEqual(temp, AtomicFile.TempPathBeside(path));
    }

    [Fact]
    public void ReplaceWithCopyOfKeepsTheDestinationsPermissions()
    {
        var source = _temp.WriteFile("new.conf", "new content");
        var destination = _temp.WriteFile("live.conf", "old content");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
            File.SetUnixFileMode(destination, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        }

        AtomicFile.ReplaceWithCopyOf(source, destination);

        Assert.Equal("new content", File.ReadAllText(destination));
        Assert.Equal("new content", File.ReadAllText(source));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(destination));
        }

        Assert.Equal(2, Directory.GetFiles(_temp.Path).Length);
    }

    [Fact]
    public void FailedCopyLeavesTheDestinationAndNoTempFile()
    {
        var destination = _temp.WriteFile("live.conf", "old content");

        Assert.ThrowsAny<IOException>(() => AtomicFile.ReplaceWithCopyOf(_temp["missing.conf"], destination));

        Assert.Equal("old content", File.ReadAllText(destination));
        Assert.Equal("live.conf", Path.GetFileName(Directory.GetFiles(_temp.Path).Single()));
    }
}
