using System;
using System.IO;
using Rollback.Errors;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed class RollbackStoreTests
{
    [Fact]
    public void CreatesRootPointsAndLocksFolders()
    {
        using var temp = new TempFolder();
        var root = temp["nested/store"];

        var store = new RollbackStore(root);

        Assert.Equal(Path.GetFullPath(root), store.Root);
        Assert.True(Directory.Exists(root));
        Assert.True(Directory.Exists(Path.Combine(root, "points")));
        Assert.True(Directory.Exists(Path.Combine(root, "locks")));
        Assert.Equal(Path.Combine(store.Root, "targets.json"), store.TargetsFile);
        Assert.Equal(Path.Combine(store.Root, "journal.jsonl"), store.JournalFile);
        Assert.Equal(Path.Combine(store.Root, "locks", "api.lock"), store.LockPath("api"));
    }

    [Fact]
    public void OpensAnExistingStoreWithoutLosingItsContent()
    {
        using var temp = new TempFolder();
        var first = new RollbackStore(temp.Path);
        File.WriteAllText(first.TargetsFile, "[]");

        var second = new RollbackStore(temp.Path);

        Assert.Equal("[]", File.ReadAllText(second.TargetsFile));
    }

    [Fact]
    public void OpenExistingReadsAStoreAndCreatesNothingWhereThereIsNone()
    {
        using var temp = new TempFolder();
        var empty = temp["empty"];
        Directory.CreateDirectory(empty);
        new RollbackStore(temp["store"]).Targets.Save(new RollbackTarget { Name = "api", Kind = "Directory", Settings = SettingsDictionary.Empty }, replace: false);

        var opened = RollbackStore.OpenExisting(temp["store"]);

        Assert.Null(RollbackStore.OpenExisting(empty));
        Assert.Null(RollbackStore.OpenExisting(temp["missing"]));
        Assert.Null(RollbackStore.OpenExisting(string.Empty));
        Assert.Empty(Directory.GetFileSystemEntries(empty));
        Assert.False(Directory.Exists(temp["missing"]));
        Assert.Equal("api", Assert.Single(opened!.Targets.GetAll()).Name);
    }

    [Fact]
    public void StorePathUnderAFileIsUnavailable()
    {
        using var temp = new TempFolder();
        var file = temp.WriteFile("not-a-folder", "x");

        var ex = Assert.Throws<RollbackException>(() => new RollbackStore(Path.Combine(file, "store")));

        Assert.Equal(RollbackErrorId.StorePathUnavailable, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.ResourceUnavailable, ex.Category);
        Assert.Contains(RollbackStore.EnvironmentVariable, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StorePathThatIsAFileIsUnavailable()
    {
        using var temp = new TempFolder();
        var file = temp.WriteFile("store", "x");

        var ex = Assert.Throws<RollbackException>(() => new RollbackStore(file));

        Assert.Equal(RollbackErrorId.StorePathUnavailable, ex.ErrorId);
    }

    [Fact]
    public void EmptyStorePathIsUnavailable()
    {
        var ex = Assert.Throws<RollbackException>(() => new RollbackStore(string.Empty));

        Assert.Equal(RollbackErrorId.StorePathUnavailable, ex.ErrorId);
    }
}

[Collection(ProcessEnvironmentGroup.Name)]
public sealed class RollbackStoreDefaultPathTests
{
    [Fact]
    public void DefaultPathHonoursTheEnvironmentVariable()
    {
        using var temp = new TempFolder();
        var wanted = temp["from-env"];

        var path = WithEnvironment(wanted, () => RollbackStore.DefaultPath);

        Assert.Equal(wanted, path);
    }

    [Fact]
    public void DefaultPathIgnoresABlankEnvironmentVariable()
    {
        var path = WithEnvironment("   ", () => RollbackStore.DefaultPath);

        Assert.EndsWith(Path.Combine("Rollback", "store"), path, StringComparison.Ordinal);
        Assert.True(Path.IsPathRooted(path));
    }

    [Fact]
    public void DefaultPathWithoutTheEnvironmentVariableIsPerUser()
    {
        var path = WithEnvironment(null, () => RollbackStore.DefaultPath);

        Assert.EndsWith(Path.Combine("Rollback", "store"), path, StringComparison.Ordinal);
        Assert.True(Path.IsPathRooted(path));
    }

    private static T WithEnvironment<T>(string? value, Func<T> action)
    {
        var saved = Environment.GetEnvironmentVariable(RollbackStore.EnvironmentVariable);
        Environment.SetEnvironmentVariable(RollbackStore.EnvironmentVariable, value);
        try
        {
            return action();
        }
        finally
        {
            Environment.SetEnvironmentVariable(RollbackStore.EnvironmentVariable, saved);
        }
    }
}
