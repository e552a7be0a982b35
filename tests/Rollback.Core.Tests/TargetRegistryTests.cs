using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed class TargetRegistryTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RollbackStore _store;

    public TargetRegistryTests() => _store = new RollbackStore(_temp.Path);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EmptyStoreHasNoTargets()
    {
        Assert.Empty(_store.Targets.GetAll());
        Assert.Null(_store.Targets.Find("api"));
    }

    [Fact]
    public void TargetsRoundTripWithScalarAndListSettings()
    {
        var registeredAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        string[] keep = ["logs", "data/uploads"];
        _store.Targets.Save(Target("api", ("Root", "/opt/api"), ("Keep", keep), ("Port", 8080), ("Enabled", true)), replace: false);
        _store.Targets.Save(new RollbackTarget { Name = "web", Kind = "Directory", Settings = SettingsDictionary.Empty, RegisteredAt = registeredAt, RegisteredBy = "alice" }, replace: false);

        // A fresh store object reads only what is on disk.
        var reopened = new RollbackStore(_temp.Path);
        var all = reopened.Targets.GetAll();

        string[] names = ["api", "web"];
        Assert.Equal(names, all.Select(t => t.Name));
        var api = reopened.Targets.Get("API");
        Assert.Equal("FileSystemRelease", api.Kind);
        Assert.Equal("/opt/api", api.Settings.GetString("root"));
        Assert.Equal(keep, api.Settings.GetList("Keep"));
        Assert.IsType<string[]>(api.Settings["Keep"]);
        Assert.Equal("8080", api.Settings.GetString("Port"));
        Assert.True(api.Settings.GetBoolean("Enabled", defaultValue: false));
        var web = reopened.Targets.Get("web");
        Assert.Empty(web.Settings);
        Assert.Equal(registeredAt, web.RegisteredAt);
        Assert.Equal("alice", web.RegisteredBy);
    }

    [Fact]
    public void DuplicateNameIsRefusedCaseInsensitively()
    {
        _store.Targets.Save(Target("api", ("Root", "/opt/one")), replace: false);

        var ex = Assert.Throws<RollbackException>(() => _store.Targets.Save(Target("API", ("Root", "/opt/two")), replace: false));

        Assert.Equal(RollbackErrorId.TargetAlreadyExists, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.ResourceExists, ex.Category);
        Assert.Equal("/opt/one", Assert.Single(_store.Targets.GetAll()).Settings.GetString("Root"));
    }

    [Fact]
    public void ReplaceOverwritesTheExistingTarget()
    {
        _store.Targets.Save(Target("api", ("Root", "/opt/one")), replace: false);

        _store.Targets.Save(Target("api", ("Root", "/opt/two")), replace: true);

        var only = Assert.Single(_store.Targets.GetAll());
        Assert.Equal("/opt/two", only.Settings.GetString("Root"));
    }

    [Fact]
    public void RemoveDeletesTheTarget()
    {
        _store.Targets.Save(Target("api"), replace: false);
        _store.Targets.Save(Target("web"), replace: false);

        _store.Targets.Remove("API");

        Assert.Equal("web", Assert.Single(_store.Targets.GetAll()).Name);
    }

    [Fact]
    public void RemoveUnknownTargetIsNotFound()
    {
        _store.Targets.Save(Target("api"), replace: false);

        var ex = Assert.Throws<RollbackException>(() => _store.Targets.Remove("nope"));

        Assert.Equal(RollbackErrorId.TargetNotFound, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.ObjectNotFound, ex.Category);
        Assert.Single(_store.Targets.GetAll());
    }

    [Fact]
    public void GetUnknownTargetIsNotFound()
    {
        var ex = Assert.Throws<RollbackException>(() => _store.Targets.Get("nope"));

        Assert.Equal(RollbackErrorId.TargetNotFound, ex.ErrorId);
        Assert.Equal("nope", ex.TargetObject);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("trailing.")]
    [InlineData("with space")]
    [InlineData("api\n")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void InvalidNamesAreRefusedAndNothingIsWritten(string name)
    {
        var ex = Assert.Throws<RollbackException>(() => _store.Targets.Save(Target(name), replace: false));

        Assert.Equal(RollbackErrorId.InvalidTargetName, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, ex.Category);
        Assert.False(File.Exists(_store.TargetsFile));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("api-v2.prod_eu")]
    [InlineData("0")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void ValidNamesAreAccepted(string name)
    {
        _store.Targets.Save(Target(name), replace: false);

        Assert.Equal(name, _store.Targets.Get(name).Name);
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("[{\"name\":\"api\"}]")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"K\",\"settings\":{\"Root\":5}}]")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"K\",\"settings\":[]}]")]
    [InlineData("[null]")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"K\",\"settings\":null}]")]
    [InlineData("[{\"name\":\"x/../../../victim\",\"kind\":\"K\",\"settings\":{}}]")]
    [InlineData("[{\"name\":\"..\",\"kind\":\"K\",\"settings\":{}}]")]
    [InlineData("[{\"name\":\"a\\\\b\",\"kind\":\"K\",\"settings\":{}}]")]
    [InlineData("[{\"name\":null,\"kind\":\"K\",\"settings\":{}}]")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"\",\"settings\":{}}]")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"K\",\"settings\":{}},{\"name\":\"API\",\"kind\":\"K\",\"settings\":{}}]")]
    [InlineData("[{\"name\":\"api\",\"kind\":\"K\",\"settings\":{\"Keep\":[{}]}}]")]
    public void MalformedRegistryIsCorrupt(string content)
    {
        File.WriteAllText(_store.TargetsFile, content);

        var read = Assert.Throws<RollbackException>(() => _store.Targets.Find("api"));
        var write = Assert.Throws<RollbackException>(() => _store.Targets.Save(Target("web"), replace: false));

        Assert.Equal(RollbackErrorId.TargetRegistryCorrupt, read.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidData, read.Category);
        Assert.Equal(RollbackErrorId.TargetRegistryCorrupt, write.ErrorId);
        Assert.Equal(content, File.ReadAllText(_store.TargetsFile));
    }

    [Fact]
    public void RegistryThatIsAFolderIsCorruptNotEmpty()
    {
        Directory.CreateDirectory(_store.TargetsFile);

        var read = Assert.Throws<RollbackException>(() => _store.Targets.Get("api"));
        var write = Assert.Throws<RollbackException>(() => _store.Targets.Save(Target("web"), replace: false));

        Assert.Equal(RollbackErrorId.TargetRegistryCorrupt, read.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidData, read.Category);
        Assert.Contains("is a folder", read.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.TargetRegistryCorrupt, write.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(_store.TargetsFile));
    }

    [Fact]
    public void WritesLeaveNoTempFilesBesideTheRegistry()
    {
        for (var i = 0; i < 50; i++)
        {
            _store.Targets.Save(Target("t" + i, ("Index", i)), replace: false);
            _store.Targets.Save(Target("t" + i, ("Index", i + 1)), replace: true);
        }

        _store.Targets.Remove("t0");

        Assert.Equal("targets.json", Path.GetFileName(Assert.Single(Directory.GetFiles(_store.Root))));
        Assert.Equal(49, _store.Targets.GetAll().Count);
        Assert.Equal("50", _store.Targets.Get("t49").Settings.GetString("Index"));
    }

    [Fact]
    public void ConcurrentSavesFromSeveralThreadsAreAllKept()
    {
        var names = Enumerable.Range(0, 24).Select(i => "t" + i).ToList();

        System.Threading.Tasks.Parallel.ForEach(names, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 8 }, name => _store.Targets.Save(Target(name), replace: false));

        Assert.Equal(names.OrderBy(n => n, StringComparer.OrdinalIgnoreCase), _store.Targets.GetAll().Select(t => t.Name));
    }

    private static RollbackTarget Target(string name, params (string Key, object Value)[] settings) => new()
    {
        Name = name,
        Kind = "FileSystemRelease",
        Settings = new SettingsDictionary(settings.Select(s => new KeyValuePair<string, object?>(s.Key, s.Value))),
    };
}
