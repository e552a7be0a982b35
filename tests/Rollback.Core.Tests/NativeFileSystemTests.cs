using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading.Tasks;
using Rollback.Platform;
using Xunit;

namespace Rollback.Tests;

public sealed class NativeFileSystemTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CreateDirectoryLinkMakesALinkThatReadLinkReturnsAsWritten()
    {
        _temp.WriteFile("releases/v1/version.txt", "v1");
        var current = _temp["current"];

        NativeFileSystem.CreateDirectoryLink(current, "releases/v1");

        Assert.True(NativeFileSystem.IsLink(current));
        Assert.Equal("releases/v1", NativeFileSystem.ReadLink(current));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(current, "version.txt")));
    }

    [Fact]
    public void LinksToFilesAndDanglingLinksAreLinks()
    {
        var file = _temp.WriteFile("file.txt", "x");
        NativeFileSystem.CreateDirectoryLink(_temp["to-file"], file);
        NativeFileSystem.CreateDirectoryLink(_temp["dangling"], "missing/target");

        Assert.True(NativeFileSystem.IsLink(_temp["to-file"]));
        Assert.Equal(file, NativeFileSystem.ReadLink(_temp["to-file"]));
        Assert.True(NativeFileSystem.IsLink(_temp["dangling"]));
        Assert.Equal("missing/target", NativeFileSystem.ReadLink(_temp["dangling"]));
    }

    [Fact]
    public void RegularFilesFoldersAndMissingPathsAreNotLinks()
    {
        var file = _temp.WriteFile("file.txt", "x");
        Directory.CreateDirectory(_temp["folder"]);

        Assert.False(NativeFileSystem.IsLink(file));
        Assert.False(NativeFileSystem.IsLink(_temp["folder"]));
        Assert.False(NativeFileSystem.IsLink(_temp["missing"]));
        Assert.Null(NativeFileSystem.ReadLink(file));
        Assert.Null(NativeFileSystem.ReadLink(_temp["folder"]));
        Assert.Null(NativeFileSystem.ReadLink(_temp["missing"]));
    }

    [Fact]
    public void CreateDirectoryLinkOverAnExistingPathFails()
    {
        var file = _temp.WriteFile("file.txt", "x");

        Assert.ThrowsAny<IOException>(() => NativeFileSystem.CreateDirectoryLink(file, "elsewhere"));
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void ReplaceByRenameReplacesAFile()
    {
        var source = _temp.WriteFile("new.txt", "new");
        var destination = _temp.WriteFile("config.txt", "old");

        NativeFileSystem.ReplaceByRename(source, destination);

        Assert.Equal("new", File.ReadAllText(destination));
        Assert.False(File.Exists(source));
    }

    [Fact]
    public void ReplaceByRenameRefusesToReplaceARealFolder()
    {
        var source = _temp.WriteFile("new.txt", "new");
        _temp.WriteFile("folder/keep.txt", "keep");

        Assert.ThrowsAny<IOException>(() => NativeFileSystem.ReplaceByRename(source, _temp["folder"]));
        Assert.Equal("keep", File.ReadAllText(_temp["folder/keep.txt"]));
        Assert.True(File.Exists(source));
    }

    [Fact]
    public void ReplaceByRenameOfAMissingSourceFails()
    {
        Assert.ThrowsAny<IOException>(() => NativeFileSystem.ReplaceByRename(_temp["missing"], _temp["destination"]));
    }

    [Fact]
    public async Task ReplaceByRenameSwapsALinkWithoutAWindow()
    {
        _temp.WriteFile("releases/v1/version.txt", "v1");
        _temp.WriteFile("releases/v2/version.txt", "v2");
        var current = _temp["current"];
        NativeFileSystem.CreateDirectoryLink(current, "releases/v1");
        var failures = new ConcurrentQueue<string>();
        using var observer = new BackgroundObserver(() =>
        {
            var target = NativeFileSystem.ReadLink(current);
            if (target is not ("releases/v1" or "releases/v2"))
            {
                failures.Enqueue($"link target '{target ?? "<missing>"}'");
            }

            try
            {
                var version = File.ReadAllText(Path.Combine(current, "version.txt"));
                if (version is not ("v1" or "v2"))
                {
                    failures.Enqueue($"version '{version}'");
                }
            }
            catch (IOException ex)
            {
                failures.Enqueue(ex.Message);
            }
        });

        for (var i = 0; i < 200; i++)
        {
            var next = i % 2 == 0 ? "releases/v2" : "releases/v1";
            var staged = _temp[".current-" + i];
            NativeFileSystem.CreateDirectoryLink(staged, next);
            NativeFileSystem.ReplaceByRename(staged, current);
            Assert.Equal(next, NativeFileSystem.ReadLink(current));
            if (i % 20 == 0)
            {
                await Task.Delay(1);
            }
        }

        var observations = observer.Stop();

        Assert.Empty(failures);
        Assert.True(observations > 1, $"{observations} observations");
        Assert.Equal("releases/v1", NativeFileSystem.ReadLink(current));
        Assert.False(File.Exists(_temp[".current-0"]) || NativeFileSystem.IsLink(_temp[".current-0"]));
    }

    [Fact]
    public void TryExchangeSwapsTwoFoldersOnLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(NativeFileSystem.TryExchange(_temp["a"], _temp["b"]));
            return;
        }

        _temp.WriteFile("live/version.txt", "v2");
        _temp.WriteFile("live/only-in-v2.txt", "x");
        _temp.WriteFile("staged/version.txt", "v1");

        Assert.True(NativeFileSystem.TryExchange(_temp["staged"], _temp["live"]));

        Assert.Equal("v1", File.ReadAllText(_temp["live/version.txt"]));
        Assert.False(File.Exists(_temp["live/only-in-v2.txt"]));
        Assert.Equal("v2", File.ReadAllText(_temp["staged/version.txt"]));
        Assert.True(File.Exists(_temp["staged/only-in-v2.txt"]));
    }

    [Fact]
    public void TryExchangeWithAMissingFolderFails()
    {
        Directory.CreateDirectory(_temp["live"]);

        if (OperatingSystem.IsLinux())
        {
            Assert.ThrowsAny<IOException>(() => NativeFileSystem.TryExchange(_temp["missing"], _temp["live"]));
        }
        else
        {
            Assert.False(NativeFileSystem.TryExchange(_temp["missing"], _temp["live"]));
        }

        Assert.True(Directory.Exists(_temp["live"]));
    }

    [Fact]
    public void UnixFileModeCopiesBetweenFiles()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Null(NativeFileSystem.GetUnixFileMode(_temp.WriteFile("a", "a")));
            return;
        }

        var source = _temp.WriteFile("script.sh", "#!/bin/sh");
        var destination = _temp.WriteFile("copy.sh", "#!/bin/sh");
        File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);

        NativeFileSystem.SetUnixFileMode(destination, NativeFileSystem.GetUnixFileMode(source));

        Assert.Equal(File.GetUnixFileMode(source), File.GetUnixFileMode(destination));
    }

    [SkippableTheory]
    [InlineData("file", "regular file", "RegularFile")]
    [InlineData("folder", "directory", "Directory")]
    [InlineData("link", "symbolic link", "SymbolicLink")]
    [InlineData("pipe", "fifo", "NamedPipe")]
    public void StatReadsTheKindModeAndOwnerOfThePathItselfAsStatDoes(string name, string statKind, string kind)
    {
        Skip.If(OperatingSystem.IsWindows(), "statx is Linux");
        _temp.WriteFile("file", "x");
        Directory.CreateDirectory(_temp["folder"]);
        NativeFileSystem.CreateDirectoryLink(_temp["link"], "folder");
        Tests.Providers.HostileTree.Run("mkfifo", _temp["pipe"]);
        Tests.Providers.HostileTree.Run("chmod", "4751", _temp["file"]);

        var status = NativeFileSystem.Stat(_temp[name])!;

        var expected = Tests.Providers.HostileTree.Output("stat", "-c", "%F|%a|%u|%g", _temp[name]).Split('|');
        Assert.Equal(statKind, expected[0].Replace("regular empty file", "regular file", StringComparison.Ordinal));
        Assert.Equal(kind, status.Kind.ToString());
        Assert.Equal(Convert.ToInt32(expected[1], 8), status.Mode);
        Assert.Equal(uint.Parse(expected[2], System.Globalization.CultureInfo.InvariantCulture), status.Owner);
        Assert.Equal(uint.Parse(expected[3], System.Globalization.CultureInfo.InvariantCulture), status.Group);
        Assert.Equal(kind == "NamedPipe", status.IsSpecial);
    }

    [SkippableFact]
    public void SetModeAndTrySetOwnerChangeThePathAndOwnerNeverFollowsALink()
    {
        Skip.IfNot(Tests.Providers.HostileTree.IsRoot, "giving a file away needs root");
        var file = _temp.WriteFile("file", "x");
        NativeFileSystem.CreateDirectoryLink(_temp["link"], file);

        NativeFileSystem.SetMode(file, Convert.ToInt32("2750", 8));
        Assert.True(NativeFileSystem.TrySetOwner(_temp["link"], 1234, 2345));

        Assert.Equal("2750 0:0", Tests.Providers.HostileTree.ModeAndOwner(file));
        Assert.Equal("1234:2345", Tests.Providers.HostileTree.Output("stat", "-c", "%u:%g", _temp["link"]));
        Assert.Equal("0750", NativeFileSystem.FormatMode(Convert.ToInt32("750", 8)));
        Assert.Equal(Convert.ToInt32("4755", 8), NativeFileSystem.ParseMode("4755"));
        Assert.Null(NativeFileSystem.ParseMode("0758"));
        Assert.Null(NativeFileSystem.ParseMode("12345"));
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void CreatePrivateDirectoryMakesAFolderForThisAccountAloneAndNeverReusesAPath()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "mkdir with a mode is the Unix call");
        var folder = _temp["private"];

        NativeFileSystem.CreatePrivateDirectory(folder);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Throws<IOException>(() => NativeFileSystem.CreatePrivateDirectory(folder));
        var file = _temp.WriteFile("taken", "x");
        Assert.Throws<IOException>(() => NativeFileSystem.CreatePrivateDirectory(file));
        Assert.Equal("x", File.ReadAllText(file));
    }
}
