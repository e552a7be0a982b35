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
    public void EverythingTheStoreWritesIsTheOwnersAlone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempFolder();
        var store = new RollbackStore(temp["store"]);
        store.Targets.Save(new RollbackTarget { Name = "api", Kind = "Directory", Settings = SettingsDictionary.Empty }, replace: false);
        store.Journal.Append(new HistoryEntry { Target = "api", Action = HistoryAction.Capture });
        var id = store.Points.NextId("api", DateTimeOffset.UtcNow);
        var point = store.Points.Commit(store.Points.CreateStaging("api", id), new RollbackPoint { Id = id, Target = "api", Kind = "Directory", Version = "v1", Fingerprint = "fp" });

        var folders = new[] { store.Root, store.PointsDirectory, store.LocksDirectory };
        var files = new[] { store.TargetsFile, store.JournalFile, store.Journal.HeadPath, Path.Combine(point.Path, PointStore.ManifestFileName) };

        foreach (var folder in folders)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        foreach (var file in files)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public void AnExistingWorldReadableStoreIsTightenedWhenOpenedAndItsFilesWhenWritten()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempFolder();
        var root = temp["store"];
        const UnixFileMode Open = (UnixFileMode)0x1ED; // 0755
        const UnixFileMode OpenFile = (UnixFileMode)0x1A4; // 0644
        foreach (var folder in new[] { root, Path.Combine(root, "points"), Path.Combine(root, "locks") })
        {
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, Open);
        }

        File.WriteAllText(Path.Combine(root, "targets.json"), "[]");
        File.WriteAllText(Path.Combine(root, "journal.jsonl"), string.Empty);
        File.SetUnixFileMode(Path.Combine(root, "targets.json"), OpenFile);
        File.SetUnixFileMode(Path.Combine(root, "journal.jsonl"), OpenFile);

        var store = new RollbackStore(root);
        store.Targets.Save(new RollbackTarget { Name = "api", Kind = "Directory", Settings = SettingsDictionary.Empty }, replace: false);
        store.Journal.Append(new HistoryEntry { Target = "api", Action = HistoryAction.RegisterTarget });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(root));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.PointsDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.TargetsFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.JournalFile));
    }

    [Theory]
    [InlineData(@"\\server\share\store")]
    [InlineData(@"\\?\C:\store")]
    public void AUncStorePathIsRefusedOffWindowsAndNothingIsCreated(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var ex = Assert.Throws<RollbackException>(() => new RollbackStore(path));

        Assert.Equal(RollbackErrorId.StorePathInvalid, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, ex.Category);
        Assert.False(Directory.Exists(Path.GetFullPath(path)));
    }

    [Fact]
    public void APointsFolderThatIsALinkIsRefused()
    {
        using var temp = new TempFolder();
        using var elsewhere = new TempFolder();
        Directory.CreateDirectory(temp["store"]);
        Directory.CreateSymbolicLink(temp["store/points"], elsewhere.Path);

        var ex = Assert.Throws<RollbackException>(() => new RollbackStore(temp["store"]));

        Assert.Equal(RollbackErrorId.StoreLayoutInvalid, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, ex.Category);
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
