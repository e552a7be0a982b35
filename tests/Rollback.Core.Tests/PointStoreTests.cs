using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

public sealed class PointStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _temp = new();
    private readonly RollbackStore _store;

    public PointStoreTests() => _store = new RollbackStore(_temp.Path);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void NewIdsAreValidAndSortByTime()
    {
        var times = new[]
        {
            Start,
            Start.AddMilliseconds(1),
            Start.AddSeconds(59),
            Start.AddHours(11),
            Start.AddDays(40),
            new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5)),
        };

        var ids = times.Select(PointStore.NewId).ToList();

        foreach (var id in ids)
        {
            PointStore.ValidateId(id);
        }

        Assert.Equal(ids, ids.OrderBy(i => i, StringComparer.Ordinal));
        Assert.StartsWith("20260301-120000000-", ids[0], StringComparison.Ordinal);
        Assert.StartsWith("20270101-050000000-", ids[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void NewIdsForTheSameInstantDiffer()
    {
        var ids = Enumerable.Range(0, 20).Select(_ => PointStore.NewId(Start)).ToHashSet(StringComparer.Ordinal);

        Assert.True(ids.Count > 1);
    }

    [Fact]
    public void NextIdSortsAfterTheNewestPointWhateverTheClockSays()
    {
        Assert.StartsWith("20260301-120000000-", _store.Points.NextId("api", Start), StringComparison.Ordinal);
        var newest = Capture(NewPoint("api", Start.AddMinutes(5), "v2"));

        var sameInstant = _store.Points.NextId("api", Start.AddMinutes(5));
        var steppedBack = _store.Points.NextId("api", Start);
        var later = _store.Points.NextId("api", Start.AddMinutes(6));

        Assert.StartsWith("20260301-120500001-", sameInstant, StringComparison.Ordinal);
        Assert.StartsWith("20260301-120500001-", steppedBack, StringComparison.Ordinal);
        Assert.StartsWith("20260301-120600000-", later, StringComparison.Ordinal);
        Assert.StartsWith("20260301-120000000-", _store.Points.NextId("web", Start), StringComparison.Ordinal);
        Assert.True(string.CompareOrdinal(sameInstant, newest.Id) > 0);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("")]
    [InlineData("20260301-120000000-ABCDEF")]
    [InlineData("20260301-120000000-abcde")]
    [InlineData("20260301-120000000-abcdef/..")]
    [InlineData("20260301-120000000-abcdef\n")]
    [InlineData("x20260301-120000000-abcdef")]
    public void InvalidIdsAreRefused(string id)
    {
        var validate = Assert.Throws<RollbackException>(() => PointStore.ValidateId(id));
        var get = Assert.Throws<RollbackException>(() => _store.Points.Get("api", id));

        Assert.Equal(RollbackErrorId.InvalidPointId, validate.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, validate.Category);
        Assert.Equal(RollbackErrorId.InvalidPointId, get.ErrorId);
    }

    [Fact]
    public void CommittedPointIsReadBackWithItsArtifactsAndPath()
    {
        var point = NewPoint("api", Start, "v1");

        var committed = Capture(point, ("app.dll", "binary"), ("conf/app.json", "{}"));

        var expectedDirectory = Path.Combine(_store.PointsDirectory, "api", point.Id);
        Assert.Equal(expectedDirectory, committed.Path);
        Assert.True(File.Exists(Path.Combine(expectedDirectory, PointStore.ManifestFileName)));
        Assert.Equal("binary", File.ReadAllText(Path.Combine(expectedDirectory, PointStore.ArtifactsFolderName, "app.dll")));
        var read = new RollbackStore(_temp.Path).Points.Get("api", point.Id);
        Assert.Equal(point.Id, read.Id);
        Assert.Equal("api", read.Target);
        Assert.Equal("v1", read.Version);
        Assert.Equal(Start, read.CreatedAt);
        Assert.Equal("bob", read.CreatedBy);
        Assert.Equal("fp-v1", read.Fingerprint);
        Assert.Equal("value", read.Metadata["key"]);
        Assert.Equal(expectedDirectory, read.Path);
        string[] paths = ["app.dll", "conf/app.json"];
        Assert.Equal(paths, read.Artifacts.Select(a => a.RelativePath));
    }

    [Fact]
    public void StagingIsInvisibleUntilCommit()
    {
        var point = NewPoint("api", Start, "v1");
        var staging = _store.Points.CreateStaging("api", point.Id);
        File.WriteAllText(Path.Combine(staging, PointStore.ArtifactsFolderName, "app.dll"), "binary");

        Assert.Empty(_store.Points.List("api"));
        Assert.Equal(RollbackErrorId.PointNotFound, Assert.Throws<RollbackException>(() => _store.Points.Get("api", point.Id)).ErrorId);

        _store.Points.Commit(staging, point);

        Assert.Equal(point.Id, Assert.Single(_store.Points.List("api")).Id);
        Assert.False(Directory.Exists(staging));
    }

    [Fact]
    public void AnAbandonedStagingHoldingASetAsideStateIsKeptAndNamedOthersAreRemoved()
    {
        var copyOfLive = _store.Points.CreateStaging("api", PointStore.NewId(Start));
        File.WriteAllText(Path.Combine(copyOfLive, PointStore.ArtifactsFolderName, "app.dll"), "a copy of what is still live");
        var onlyCopy = _store.Points.CreateStaging("api", PointStore.NewId(Start.AddSeconds(1)));
        PointStore.MarkHoldsSetAsideState(onlyCopy);
        File.WriteAllText(Path.Combine(onlyCopy, PointStore.ArtifactsFolderName, "app.dll"), "the only copy of the failed state");
        var markedButEmpty = _store.Points.CreateStaging("api", PointStore.NewId(Start.AddSeconds(2)));
        PointStore.MarkHoldsSetAsideState(markedButEmpty);
        var kept = new List<string>();

        var removed = _store.Points.RemoveAbandonedStaging("api", kept.Add);

        Assert.Equal(new[] { copyOfLive, markedButEmpty }.OrderBy(p => p, StringComparer.Ordinal), removed.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(Path.Combine(onlyCopy, PointStore.ArtifactsFolderName), Assert.Single(kept));
        Assert.Equal("the only copy of the failed state", File.ReadAllText(Path.Combine(onlyCopy, PointStore.ArtifactsFolderName, "app.dll")));
        Assert.False(Directory.Exists(copyOfLive));
    }

    [Fact]
    public void ACommittedSetAsideStateCarriesNoMarker()
    {
        var point = NewPoint("api", Start, "v1");
        var staging = _store.Points.CreateStaging("api", point.Id);
        PointStore.MarkHoldsSetAsideState(staging);
        File.WriteAllText(Path.Combine(staging, PointStore.ArtifactsFolderName, "app.dll"), "binary");

        var committed = _store.Points.Commit(staging, point);

        Assert.Equal(new[] { PointStore.ArtifactsFolderName, "manifest.json" }, Directory.GetFileSystemEntries(committed.Path).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public void DiscardedStagingLeavesNothing()
    {
        var staging = _store.Points.CreateStaging("api", PointStore.NewId(Start));
        File.WriteAllText(Path.Combine(staging, PointStore.ArtifactsFolderName, "app.dll"), "binary");

        PointStore.DiscardStaging(staging);

        Assert.False(Directory.Exists(staging));
        Assert.Empty(_store.Points.List("api"));
    }

    [Fact]
    public void ListIsOldestFirstAndPerTarget()
    {
        var later = Capture(NewPoint("api", Start.AddMinutes(5), "v2"));
        var earlier = Capture(NewPoint("api", Start, "v1"));
        var latest = Capture(NewPoint("api", Start.AddDays(1), "v3"));
        Capture(NewPoint("web", Start, "w1"));

        var listed = _store.Points.List("api");

        string[] oldestFirst = [earlier.Id, later.Id, latest.Id];
        Assert.Equal(oldestFirst, listed.Select(p => p.Id));
        Assert.Empty(_store.Points.List("unknown"));
    }

    [Fact]
    public void UnknownPointIsNotFound()
    {
        var ex = Assert.Throws<RollbackException>(() => _store.Points.Get("api", PointStore.NewId(Start)));

        Assert.Equal(RollbackErrorId.PointNotFound, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.ObjectNotFound, ex.Category);
    }

    [Fact]
    public void AManifestSavedWithAByteOrderMarkStillReads()
    {
        // Manifests are read as UTF-8 bytes; an editor that saved one with a byte order mark must not make it corrupt.
        var point = Capture(NewPoint("api", Start, "v1"), ("app.dll", "binary"));
        var manifest = Path.Combine(point.Path, PointStore.ManifestFileName);
        File.WriteAllText(manifest, File.ReadAllText(manifest), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(manifest)[0]);

        var read = _store.Points.Get("api", point.Id);

        Assert.Equal("v1", read.Version);
        Assert.Equal("app.dll", Assert.Single(read.Artifacts).RelativePath);
        Assert.Equal(point.Id, Assert.Single(_store.Points.List("api")).Id);
    }

    [Fact]
    public void ManifestThatIsNotJsonIsCorrupt()
    {
        var point = Capture(NewPoint("api", Start, "v1"));
        File.WriteAllText(Path.Combine(point.Path, PointStore.ManifestFileName), "not json at all");

        AssertManifestCorrupt(() => _store.Points.Get("api", point.Id));
        AssertManifestCorrupt(() => _store.Points.List("api"));
    }

    [Fact]
    public void ManifestNamingAnotherTargetIsCorrupt()
    {
        var point = Capture(NewPoint("web", Start, "v1"));
        var moved = Path.Combine(_store.Points.TargetDirectory("api"), point.Id);
        Directory.CreateDirectory(_store.Points.TargetDirectory("api"));
        Directory.Move(point.Path, moved);

        AssertManifestCorrupt(() => _store.Points.Get("api", point.Id));
    }

    [Fact]
    public void ManifestNamingAnotherPointIsCorrupt()
    {
        var point = Capture(NewPoint("api", Start, "v1"));
        var otherId = PointStore.NewId(Start.AddHours(1));
        Directory.Move(point.Path, Path.Combine(_store.Points.TargetDirectory("api"), otherId));

        AssertManifestCorrupt(() => _store.Points.Get("api", otherId));
    }

    [Fact]
    public void MissingManifestIsCorrupt()
    {
        var point = Capture(NewPoint("api", Start, "v1"));
        File.Delete(Path.Combine(point.Path, PointStore.ManifestFileName));

        AssertManifestCorrupt(() => _store.Points.Get("api", point.Id));
    }

    [Fact]
    public void DeleteRemovesThePointAndKeepsTheOthers()
    {
        var doomed = Capture(NewPoint("api", Start, "v1"), ("app.dll", "one"));
        var kept = Capture(NewPoint("api", Start.AddMinutes(1), "v2"), ("app.dll", "two"));

        _store.Points.Delete(doomed);

        Assert.False(Directory.Exists(doomed.Path));
        Assert.Equal(kept.Id, Assert.Single(_store.Points.List("api")).Id);
        Assert.Equal(kept.Id, Path.GetFileName(Assert.Single(Directory.GetFileSystemEntries(_store.Points.TargetDirectory("api")))));
    }

    [Fact]
    public void DeleteAllRemovesTheTargetsFolderOnly()
    {
        Capture(NewPoint("api", Start, "v1"));
        var other = Capture(NewPoint("web", Start, "w1"));

        _store.Points.DeleteAll("api");

        Assert.False(Directory.Exists(_store.Points.TargetDirectory("api")));
        Assert.Equal(other.Id, Assert.Single(_store.Points.List("web")).Id);
    }

    [Theory]
    [InlineData("artifacts", "null")]
    [InlineData("artifacts", "[null]")]
    [InlineData("metadata", "null")]
    [InlineData("metadata", "{\"key\":null}")]
    [InlineData("kind", "null")]
    [InlineData("version", "null")]
    [InlineData("fingerprint", "null")]
    [InlineData("id", "\"20260301-120000000-abcdef/../x\"")]
    [InlineData("target", "\"../victim\"")]
    [InlineData("artifacts", "[{\"relativePath\":null,\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"app.dll\",\"size\":1,\"sha256\":null}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"app.dll\",\"size\":-1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"../../../../etc/passwd\",\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"conf/../../x\",\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"/etc/passwd\",\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"C:/Windows/x\",\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"a\\\\..\\\\..\\\\x\",\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "[{\"relativePath\":\"a\\u0000b\",\"size\":1,\"sha256\":\"ab\"}]")]
    [InlineData("artifacts", "{}")]
    public void ManifestValuesAreValidatedOnReadAsOnWrite(string property, string json)
    {
        var point = Capture(NewPoint("api", Start, "v1"), ("app.dll", "binary"));
        var manifestPath = Path.Combine(point.Path, PointStore.ManifestFileName);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest[property] = System.Text.Json.Nodes.JsonNode.Parse(json);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        var before = StoreSnapshot();

        var get = Assert.Throws<RollbackException>(() => _store.Points.Get("api", point.Id));
        var list = Assert.Throws<RollbackException>(() => _store.Points.List("api"));

        Assert.Equal(RollbackErrorId.ManifestCorrupt, get.ErrorId);
        Assert.Equal(RollbackErrorId.ManifestCorrupt, list.ErrorId);
        Assert.Equal(get.Message.Contains("escapes", StringComparison.Ordinal) ? RollbackErrorCategory.SecurityError : RollbackErrorCategory.InvalidData, get.Category);
        Assert.Contains("Remove-RollbackPoint", get.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreSnapshot());
    }

    [Fact]
    public void ListingCanSkipADamagedPointAndNameIt()
    {
        var damaged = Capture(NewPoint("api", Start, "v1"));
        var good = Capture(NewPoint("api", Start.AddMinutes(1), "v2"));
        File.WriteAllText(Path.Combine(damaged.Path, PointStore.ManifestFileName), "{ torn");
        var skipped = new List<RollbackException>();

        var listed = _store.Points.List("api", skipped.Add);

        Assert.Equal(good.Id, Assert.Single(listed).Id);
        var reported = Assert.Single(skipped);
        Assert.Equal(RollbackErrorId.ManifestCorrupt, reported.ErrorId);
        Assert.Contains(damaged.Id, reported.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADamagedPointCanBeDeletedById()
    {
        var damaged = Capture(NewPoint("api", Start, "v1"), ("app.dll", "one"));
        File.WriteAllText(Path.Combine(damaged.Path, PointStore.ManifestFileName), "null");

        _store.Points.Delete("api", damaged.Id);

        Assert.False(Directory.Exists(damaged.Path));
        Assert.Empty(Directory.GetFileSystemEntries(_store.Points.TargetDirectory("api")));
    }

    [Theory]
    [InlineData("x/../../../victim")]
    [InlineData("..")]
    [InlineData("a\\b")]
    [InlineData("")]
    public void TargetFoldersAreOnlyForValidNames(string target)
    {
        var ex = Assert.Throws<RollbackException>(() => _store.Points.TargetDirectory(target));
        Assert.Equal(RollbackErrorId.InvalidTargetName, ex.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetName, Assert.Throws<RollbackException>(() => _store.Points.DeleteAll(target)).ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetName, Assert.Throws<RollbackException>(() => _store.Points.Delete(target, PointStore.NewId(Start))).ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetName, Assert.Throws<RollbackException>(() => _store.Points.CreateStaging(target, PointStore.NewId(Start))).ErrorId);
    }

    [Theory]
    [InlineData("artifacts")]
    [InlineData("point")]
    [InlineData("manifest")]
    public void APointReachedThroughALinkIsCorruptAndNotFollowed(string linked)
    {
        using var elsewhere = new TempFolder();
        var point = Capture(NewPoint("api", Start, "v1"), ("app.dll", "binary"));
        var artifacts = Path.Combine(point.Path, PointStore.ArtifactsFolderName);
        switch (linked)
        {
            case "artifacts":
                elsewhere.WriteFile("app.dll", "binary");
                Directory.Delete(artifacts, recursive: true);
                Directory.CreateSymbolicLink(artifacts, elsewhere.Path);
                break;
            case "point":
                var real = elsewhere["point"];
                Directory.Move(point.Path, real);
                Directory.CreateSymbolicLink(point.Path, real);
                break;
            default:
                var manifest = Path.Combine(point.Path, PointStore.ManifestFileName);
                File.Move(manifest, elsewhere["manifest.json"]);
                File.CreateSymbolicLink(manifest, elsewhere["manifest.json"]);
                break;
        }

        var ex = Assert.Throws<RollbackException>(() => _store.Points.Get("api", point.Id));

        Assert.Equal(RollbackErrorId.ManifestCorrupt, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, ex.Category);
        Assert.Contains("is a link", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("point")]
    [InlineData("all")]
    public void DeletingNeverReachesThroughALinkOutOfTheStore(string what)
    {
        using var victim = new TempFolder();
        victim.WriteFile("keep/precious.txt", "do not delete");
        var point = Capture(NewPoint("api", Start, "v1"), ("app.dll", "binary"));
        Directory.CreateSymbolicLink(Path.Combine(point.Path, PointStore.ArtifactsFolderName, "escape"), victim.Path);
        File.CreateSymbolicLink(Path.Combine(point.Path, "file-escape"), victim["keep/precious.txt"]);

        if (what == "point")
        {
            _store.Points.Delete("api", point.Id);
        }
        else
        {
            _store.Points.DeleteAll("api");
        }

        Assert.False(Directory.Exists(point.Path));
        Assert.Equal("do not delete", File.ReadAllText(victim["keep/precious.txt"]));
    }

    [Fact]
    public void ATargetsPointsFolderThatIsALinkIsRefusedAndNotDeletedThrough()
    {
        using var victim = new TempFolder();
        victim.WriteFile("precious.txt", "do not delete");
        Directory.CreateDirectory(_store.PointsDirectory);
        Directory.CreateSymbolicLink(_store.Points.TargetDirectory("api"), victim.Path);

        var list = Assert.Throws<RollbackException>(() => _store.Points.List("api"));
        var stage = Assert.Throws<RollbackException>(() => _store.Points.CreateStaging("api", PointStore.NewId(Start)));
        _store.Points.DeleteAll("api");

        Assert.Equal(RollbackErrorId.StoreLayoutInvalid, list.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, list.Category);
        Assert.Equal(RollbackErrorId.StoreLayoutInvalid, stage.ErrorId);
        Assert.Equal(["precious.txt"], Directory.GetFileSystemEntries(victim.Path).Select(Path.GetFileName));
        Assert.False(Directory.Exists(_store.Points.TargetDirectory("api")));
    }

    /// <summary>Every file under the store with its bytes, to prove a refused read changed nothing.</summary>
    private string StoreSnapshot() => string.Join("\n", Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(f => f + "=" + Checksums.HashFile(f)));

    private static void AssertManifestCorrupt(Func<object> action)
    {
        var ex = Assert.Throws<RollbackException>(action);
        Assert.Equal(RollbackErrorId.ManifestCorrupt, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidData, ex.Category);
    }

    private static RollbackPoint NewPoint(string target, DateTimeOffset createdAt, string version) => new()
    {
        Id = PointStore.NewId(createdAt),
        Target = target,
        Kind = "FileSystemRelease",
        Version = version,
        Fingerprint = "fp-" + version,
        CreatedAt = createdAt,
        CreatedBy = "bob",
        Metadata = new Dictionary<string, string> { ["key"] = "value" },
    };

    private RollbackPoint Capture(RollbackPoint point, params (string Path, string Content)[] files)
    {
        var staging = _store.Points.CreateStaging(point.Target, point.Id);
        var artifacts = new List<ArtifactEntry>();
        foreach (var (relative, content) in files)
        {
            var full = Path.Combine(staging, PointStore.ArtifactsFolderName, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
            artifacts.Add(new ArtifactEntry { RelativePath = relative, Size = content.Length, Sha256 = Checksums.HashFile(full) });
        }

        return _store.Points.Commit(staging, new RollbackPoint
        {
            Id = point.Id,
            Target = point.Target,
            Kind = point.Kind,
            Version = point.Version,
            Fingerprint = point.Fingerprint,
            CreatedAt = point.CreatedAt,
            CreatedBy = point.CreatedBy,
            Metadata = point.Metadata,
            Artifacts = artifacts,
            TotalSize = artifacts.Sum(a => a.Size),
        });
    }
}
