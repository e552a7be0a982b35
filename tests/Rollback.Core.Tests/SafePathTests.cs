using System;
using System.IO;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed class SafePathTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _base;
    private readonly string _outside;

    public SafePathTests()
    {
        _base = _temp["base"];
        Directory.CreateDirectory(_base);
        _outside = _temp.WriteFile("outside/secret.txt", "secret");
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a/../b")]
    [InlineData("C:\\x")]
    [InlineData("C:x")]
    [InlineData("..\\x")]
    [InlineData("./x")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("a/.")]
    [InlineData("a/..")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a\\\\b")]
    [InlineData("a\\.\\b")]
    [InlineData("")]
    [InlineData("   ")]
    public void EscapingOrMalformedPathsAreRefused(string relative)
    {
        var ex = Assert.Throws<RollbackException>(() => SafePath.Resolve(_base, relative));

        Assert.Equal(RollbackErrorId.ArtifactPathEscapes, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, ex.Category);
    }

    [Theory]
    [InlineData("app.dll", "app.dll")]
    [InlineData("a/.hidden", "a/.hidden")]
    [InlineData("..data/x...", "..data/x...")]
    [InlineData("conf/app.json", "conf/app.json")]
    [InlineData("a\\b.txt", "a/b.txt")]
    [InlineData("..hidden/x", "..hidden/x")]
    [InlineData(".x/...", ".x/...")]
    [InlineData("a/.b/c..", "a/.b/c..")]
    public void RelativePathsResolveInsideTheBase(string relative, string expected)
    {
        var full = SafePath.Resolve(_base, relative);

        Assert.Equal(Path.Combine(_base, expected.Replace('/', Path.DirectorySeparatorChar)), full);
        Assert.True(SafePath.IsWithin(_base, full));
        Assert.Equal(expected, SafePath.ToRelative(_base, full));
    }

    [Fact]
    public void SiblingWithACommonPrefixIsNotWithin()
    {
        Assert.False(SafePath.IsWithin(_base, _base + "-other" + Path.DirectorySeparatorChar + "x"));
        Assert.True(SafePath.IsWithin(_base, _base));
    }

    [Fact]
    public void LinkToAFileOutsideEscapes()
    {
        var link = Path.Combine(_base, "app.dll");
        NativeFileSystem.CreateDirectoryLink(link, _outside);

        AssertEscapes(link);
    }

    [Fact]
    public void RelativeLinkClimbingOutEscapes()
    {
        var link = Path.Combine(_base, "app.dll");
        NativeFileSystem.CreateDirectoryLink(link, "../outside/secret.txt");

        AssertEscapes(link);
    }

    [Fact]
    public void LinkedFolderOutsideEscapesForFilesBelowIt()
    {
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "conf"), Path.GetDirectoryName(_outside)!);

        AssertEscapes(Path.Combine(_base, "conf", "secret.txt"));
    }

    [Fact]
    public void DanglingLinkOutsideEscapes()
    {
        var link = Path.Combine(_base, "app.dll");
        NativeFileSystem.CreateDirectoryLink(link, _temp["nowhere/missing.txt"]);

        AssertEscapes(link);
    }

    [Fact]
    public void ChainOfLinksLeadingOutsideEscapes()
    {
        // app.dll -> hop (inside) -> the outside file.
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "hop"), _outside);
        var link = Path.Combine(_base, "app.dll");
        NativeFileSystem.CreateDirectoryLink(link, "hop");

        AssertEscapes(link);
    }

    [Fact]
    public void LinkThroughALinkedFolderOutsideEscapes()
    {
        // app.dll -> conf/secret.txt, where conf (inside) is a link to the outside folder.
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "conf"), Path.GetDirectoryName(_outside)!);
        var link = Path.Combine(_base, "app.dll");
        NativeFileSystem.CreateDirectoryLink(link, "conf/secret.txt");

        AssertEscapes(link);
    }

    [Fact]
    public void LinkWhoseDotDotClimbsThroughALinkedFolderEscapes()
    {
        // app.dll -> d/../secret.txt reads as base/secret.txt, but d is a link to a folder two levels outside,
        // so the OS resolves it next to that folder: outside the base.
        var deep = Path.Combine(Path.GetDirectoryName(_outside)!, "deep", "er");
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(deep)!, "secret.txt"), "outside");
        File.WriteAllText(Path.Combine(_base, "secret.txt"), "inside");
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "d"), deep);
        var link = Path.Combine(_base, "app.dll");
        NativeFileSystem.CreateDirectoryLink(link, "d/../secret.txt");

        AssertEscapes(link);
    }

    [Fact]
    public void CyclicLinksEscape()
    {
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "a"), "b");
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "b"), "a");

        AssertEscapes(Path.Combine(_base, "a"));
    }

    [Fact]
    public void LinksInsideTheBaseAreFine()
    {
        var real = Path.Combine(_base, "releases", "v1", "app.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, "app");
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "current"), "releases/v1");
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "app.dll"), Path.Combine(_base, "current", "app.dll"));
        NativeFileSystem.CreateDirectoryLink(Path.Combine(_base, "releases", "v1", "again.dll"), "../../app.dll");

        SafePath.EnsureNoEscapingLink(_base, Path.Combine(_base, "current", "app.dll"));
        SafePath.EnsureNoEscapingLink(_base, Path.Combine(_base, "app.dll"));
        SafePath.EnsureNoEscapingLink(_base, Path.Combine(_base, "releases", "v1", "again.dll"));
        SafePath.EnsureNoEscapingLink(_base, Path.Combine(_base, "missing", "file.txt"));
    }

    [Fact]
    public void LinksAboveTheBaseAreNotItsConcern()
    {
        var linkedBase = _temp["linked-base"];
        NativeFileSystem.CreateDirectoryLink(linkedBase, _base);
        File.WriteAllText(Path.Combine(_base, "app.dll"), "app");

        SafePath.EnsureNoEscapingLink(linkedBase, Path.Combine(linkedBase, "app.dll"));
    }

    private void AssertEscapes(string fullPath)
    {
        var ex = Assert.Throws<RollbackException>(() => SafePath.EnsureNoEscapingLink(_base, fullPath));
        Assert.Equal(RollbackErrorId.ArtifactPathEscapes, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, ex.Category);
    }
}
