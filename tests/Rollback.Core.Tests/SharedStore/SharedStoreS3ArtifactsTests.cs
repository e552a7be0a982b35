using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.S3;
using Rollback.Providers.FileSystem;
using Rollback.Providers.PostgreSql.Store;
using Rollback.Store;
using Rollback.Testing;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests.SharedStore;

/// <summary>
/// The shared store with its artifacts in S3 (artifacts=s3://bucket/prefix): the real PostgreSQL 15 server for the
/// registry and manifests, moto's S3 for the objects, every request of the module through the SigV4-checking endpoint.
/// A Directory target's point is captured on one "machine" (a store with its own local folder) and rolled back on
/// another (another store on the same database with an empty local folder, so the files come from S3); the AWS CLI v2
/// reads the same objects, their SHA-256 and versions, and is what writes to the bucket behind the module's back.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class SharedStoreS3ArtifactsTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string Prefix = "team/points";

    private readonly PostgreSqlServer _server;
    private readonly MotoFixture _aws;
    private readonly S3TestBucket? _bucket;
    private readonly TempFolder _folder = new();
    private readonly List<RollbackStore> _opened = new();
    private readonly string _database = string.Empty;
    private readonly string _site;
    private readonly AwsCli? _cli;
    private readonly string? _skip;

    public SharedStoreS3ArtifactsTests(PostgreSqlServer server, MotoFixture aws)
    {
        _server = server;
        _aws = aws;
        _cli = AwsCli.Find(out var noCli);
        _skip = server.SkipReason ?? aws.SkipReason ?? noCli;
        if (_skip is null)
        {
            _database = server.CreateDatabase("s3_artifacts");
            _bucket = new S3TestBucket(aws.Moto.Url, "rollback-artifacts");
        }

        _site = _folder["srv/site"];
        _folder.WriteFile("srv/site/version.txt", "v1.0.0\n");
        _folder.WriteFile("srv/site/bin/app.dll", "good build");
        _folder.WriteFile("srv/site/wwwroot/index.html", "<h1>v1</h1>");
    }

    public void Dispose()
    {
        foreach (var store in _opened)
        {
            store.Backend.Dispose();
        }

        if (_database.Length > 0)
        {
            _server.DropDatabase(_database);
        }

        _bucket?.Dispose();
        _folder.Dispose();
    }

    [SkippableFact]
    public void APointCapturedIntoS3IsReadByTheAwsCliAndRolledBackOnAnotherMachineEvenAfterItsKeysWereWrittenAgain()
    {
        Skip.If(_skip is not null, _skip);
        var captured = Engine("machine-a");
        captured.Targets.Register("Site", "Directory", Settings(), replace: false);
        var before = Sandbox.Snapshot(_site);
        var point = captured.Points.Create("Site", "known good");

        var stored = Assert.IsType<ArtifactObjects>(point.StoredObjects);
        Assert.Equal($"s3://{_bucket!.Name}/{Prefix}/site/{point.Id}/", stored.Location);
        var files = stored.Objects.Where(o => o.Key is not null).ToList();
        Assert.Equal(point.Artifacts.Where(a => a.Type is null && a.LinkTarget is null).Select(a => a.RelativePath).OrderBy(p => p, StringComparer.Ordinal),
            files.Select(o => o.RelativePath).OrderBy(p => p, StringComparer.Ordinal));
        Assert.Contains(stored.Objects, o => o.RelativePath == "wwwroot" && o.Type == "Directory" && o.Key is null);
        foreach (var item in files)
        {
            // The AWS CLI reads the recorded version, S3's own SHA-256 of it and the hex kept in its metadata.
            var head = Cli("s3api", "head-object", "--bucket", _bucket.Name, "--key", item.Key!, "--version-id", item.VersionId!, "--checksum-mode", "ENABLED");
            Assert.Equal(item.VersionId, head["VersionId"]!.GetValue<string>());
            Assert.Equal(Base64(item.Sha256!), head["ChecksumSHA256"]!.GetValue<string>());
            Assert.Equal(item.Sha256, head["Metadata"]!["sha256"]!.GetValue<string>());
            Assert.Equal(point.Artifacts.Single(a => a.RelativePath == item.RelativePath).Sha256, item.Sha256);
        }

        var versionKey = stored.Objects.Single(o => o.RelativePath == "version.txt").Key!;
        Assert.Equal("v1.0.0\n", Download(versionKey, stored.Objects.Single(o => o.RelativePath == "version.txt").VersionId!));

        // Someone writes the key again through the CLI: a new version on top, the recorded one unchanged.
        var rewritten = Upload(versionKey, "v6.6.6 written behind the store's back\n");
        Assert.NotEqual(stored.Objects.Single(o => o.RelativePath == "version.txt").VersionId, rewritten);

        DeployBadBuild();
        var other = Engine("machine-b");
        Assert.Equal($"s3://{_bucket.Name}/{Prefix}", other.DescribeStore().ArtifactLocation);
        Assert.Equal("PostgreSql", other.DescribeStore().Kind);
        Assert.False(Directory.Exists(Path.Combine(_folder["machine-b"], "points", "Site", point.Id)));

        var result = other.Rollbacks.Run(new RollbackRequest { Target = "Site", PointId = point.Id, Reason = "bad build", ApprovedBy = new[] { "oncall" } });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v1.0.0", result.ToVersion);
        Assert.Equal(before, Sandbox.Snapshot(_site));
        Assert.True(File.Exists(Path.Combine(_folder["machine-b"], "points", "Site", point.Id, S3ArtifactLocation.FetchedMarker)));

        // The safety point machine B captured went to S3 too, and machine A reads it back (undo) from there.
        var safety = Assert.IsType<ArtifactObjects>(other.Points.Get("Site", result.SafetyPointId!).StoredObjects);
        Assert.NotEmpty(Cli("s3api", "list-object-versions", "--bucket", _bucket.Name, "--prefix", $"{Prefix}/site/{result.SafetyPointId}/")["Versions"]!.AsArray());
        Assert.StartsWith($"s3://{_bucket.Name}/{Prefix}/site/", safety.Location, StringComparison.Ordinal);
        Assert.Empty(_bucket.Endpoint.FailuresOfMainKey);
        Assert.Contains(_bucket.Endpoint.Operations, o => o.StartsWith("PUT /" + _bucket.Name + "/", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void AMissingOrAlteredObjectIsRefusedWithItsErrorIdAndNothingOnTheTargetChanges()
    {
        Skip.If(_skip is not null, _skip);
        var captured = Engine("machine-a");
        captured.Targets.Register("site", "Directory", Settings(), replace: false);
        var point = captured.Points.Create("site", null);
        var objects = point.StoredObjects!.Objects;
        DeployBadBuild();
        var failed = Sandbox.Snapshot(_site);

        // The recorded version of one object deleted for good through the CLI.
        var dll = objects.Single(o => o.RelativePath == "bin/app.dll");
        Cli("s3api", "delete-object", "--bucket", _bucket!.Name, "--key", dll.Key!, "--version-id", dll.VersionId!);
        var missing = Engine("machine-b");
        var report = missing.Readiness.Test("site", point.Id);
        Assert.False(report.IsReady);
        Assert.Equal(RollbackErrorId.ArtifactMissing, report.Checks.Single(c => c.Name == "ArtifactsIntact").ErrorId);
        var refused = Assert.Throws<RollbackException>(() => missing.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "bad build", ApprovedBy = new[] { "oncall" } }));
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains($"[ArtifactsIntact: {RollbackErrorId.ArtifactMissing}]", refused.Message, StringComparison.Ordinal);
        Assert.Contains(dll.Key!, refused.Message, StringComparison.Ordinal);
        Assert.Equal(failed, Sandbox.Snapshot(_site));
        Assert.False(Directory.Exists(Path.Combine(_folder["machine-b"], "points", "site", point.Id)));

        // The key written again through the CLI, and the store's record pointing at that version: bytes not captured.
        var altered = Upload(dll.Key!, "defaced build");
        _server.Execute(_database, $"UPDATE rollback_store.points SET manifest = replace(manifest, '{dll.VersionId}', '{altered}') WHERE id = '{point.Id}'");
        var tampered = Engine("machine-c");
        var changed = Assert.Throws<RollbackException>(() => tampered.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = point.Id, Reason = "bad build", ApprovedBy = new[] { "oncall" } }));
        Assert.Equal(RollbackErrorId.RollbackNotReady, changed.ErrorId);
        Assert.Contains($"[ArtifactsIntact: {RollbackErrorId.ArtifactChecksumMismatch}]", changed.Message, StringComparison.Ordinal);
        Assert.Contains(altered, changed.Message, StringComparison.Ordinal);
        Assert.Equal(failed, Sandbox.Snapshot(_site));
        Assert.False(Directory.Exists(Path.Combine(_folder["machine-c"], "points", "site", point.Id)));

        // Each refusal is journaled, as every refused attempt is.
        Assert.Equal(2, tampered.History.Get(new HistoryFilter { Target = "site", Action = HistoryAction.Rollback, Status = HistoryStatus.Refused }).Count);
    }

    [SkippableFact]
    public void RemovingAPointRemovesEveryVersionOfItsObjectsAndUnregisteringTheTargetTheRest()
    {
        Skip.If(_skip is not null, _skip);
        var engine = Engine("machine-a");
        engine.Targets.Register("site", "Directory", Settings(), replace: false);
        var first = engine.Points.Create("site", null);
        DeployBadBuild();
        var second = engine.Points.Create("site", null);
        Upload(first.StoredObjects!.Objects.First(o => o.Key is not null).Key!, "a second version of the key");

        engine.Points.Remove("site", first.Id);

        Assert.Empty(Versions($"{Prefix}/site/{first.Id}/"));
        Assert.Equal(second.StoredObjects!.Objects.Count(o => o.Key is not null), Versions($"{Prefix}/site/{second.Id}/").Count);
        Assert.Equal(new[] { second.Id }, Engine("machine-b").Points.GetAll("site").Select(p => p.Id));

        engine.Targets.Unregister("site", removePoints: true);
        Assert.Empty(Versions($"{Prefix}/site/"));
    }

    [SkippableFact]
    public void ABucketWithoutVersioningIsRefusedAndNothingIsKept()
    {
        Skip.If(_skip is not null, _skip);
        var bucket = MotoS3.UniqueBucket("rollback-unversioned");
        _bucket!.Objects.CreateBucket(bucket);
        var engine = Engine("machine-a", bucket);
        engine.Targets.Register("site", "Directory", Settings(), replace: false);

        var ex = Assert.Throws<RollbackException>(() => engine.Points.Create("site", null));

        Assert.Equal(RollbackErrorId.StoreArtifactsUnversioned, ex.ErrorId);
        Assert.Contains("put-bucket-versioning", ex.Message, StringComparison.Ordinal);
        Assert.Empty(engine.Points.GetAll("site"));
        Assert.Empty(Cli("s3api", "list-objects-v2", "--bucket", bucket)?["Contents"]?.AsArray() ?? new System.Text.Json.Nodes.JsonArray());
    }

    [SkippableFact]
    public void CredentialsInTheArtifactsUriOrAnOptionNoOneReadsAreRefusedWithoutShowingThem()
    {
        Skip.If(_skip is not null, _skip);
        var credentials = Assert.Throws<RollbackException>(() => Open("machine-a", $"s3://AKIDEXAMPLE:wJalr-s3cret@{_bucket!.Name}/x"));
        var unknown = Assert.Throws<RollbackException>(() => Open("machine-a", $"s3://{_bucket!.Name}/x", "&secretkey=wJalr-s3cret"));
        foreach (var ex in new[] { credentials, unknown })
        {
            Assert.Equal(RollbackErrorId.StorePathInvalid, ex.ErrorId);
            Assert.DoesNotContain("wJalr-s3cret", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("wJalr-s3cret", ex.TargetObject?.ToString() ?? string.Empty, StringComparison.Ordinal);
        }

        Assert.Contains("secretkey", unknown.Message, StringComparison.Ordinal);
    }

    private static string Base64(string hex) => Convert.ToBase64String(Enumerable.Range(0, hex.Length / 2).Select(i => Convert.ToByte(hex.Substring(i * 2, 2), 16)).ToArray());

    private SettingsDictionary Settings() => new(new[] { new KeyValuePair<string, object?>("Path", _site), new KeyValuePair<string, object?>("VersionFile", "version.txt") });

    private void DeployBadBuild()
    {
        File.WriteAllText(Path.Combine(_site, "version.txt"), "v2.0.0\n");
        File.WriteAllText(Path.Combine(_site, "bin", "app.dll"), "bad build");
        File.WriteAllText(Path.Combine(_site, "new-file.txt"), "only in v2");
    }

    /// <summary>A store on the test's database as one machine sees it: its own local folder for staging and caching.</summary>
    private RollbackEngine Engine(string machine, string? bucket = null)
    {
        var store = Open(machine, $"s3://{bucket ?? _bucket!.Name}/{Prefix}");
        var catalog = new ProviderCatalog(ProviderCatalog.FindIn(typeof(DirectoryProvider).Assembly));
        return new RollbackEngine(store, catalog, NullReporter.Instance, null, "tester");
    }

    private RollbackStore Open(string machine, string artifacts, string extra = "")
    {
        var connection = string.Create(CultureInfo.InvariantCulture,
            $"postgresql://{PostgreSqlServer.Host}:{_server.Port}/{_database}?user={PostgreSqlServer.AdminUser}&artifacts={Uri.EscapeDataString(artifacts)}&s3endpoint={Uri.EscapeDataString(_bucket!.Endpoint.Url.ToString())}&region={AwsTestEndpoint.Region}&cache={Uri.EscapeDataString(_folder[machine])}{extra}");
        var store = StoreLocation.OpenShared(connection, TestStores.Credential(_server), new IStoreKind[] { new PostgreSqlStoreKind() }, artifactKinds: new IArtifactLocationKind[] { new S3ArtifactLocationKind() });
        _opened.Add(store);
        return store;
    }

    private System.Text.Json.Nodes.JsonObject Cli(params string[] arguments)
    {
        var result = _cli!.Call(_aws.Moto.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json ?? new System.Text.Json.Nodes.JsonObject();
    }

    private List<string> Versions(string prefix)
    {
        var listed = Cli("s3api", "list-object-versions", "--bucket", _bucket!.Name, "--prefix", prefix);
        return (listed["Versions"]?.AsArray() ?? new System.Text.Json.Nodes.JsonArray()).Concat(listed["DeleteMarkers"]?.AsArray() ?? new System.Text.Json.Nodes.JsonArray())
            .Select(v => v!["Key"]!.GetValue<string>()).ToList();
    }

    /// <summary>Writes the key through the CLI (a new version on top); returns that version's id.</summary>
    private string Upload(string key, string content)
    {
        var file = _folder.WriteFile("upload-" + Guid.NewGuid().ToString("N"), content);
        return Cli("s3api", "put-object", "--bucket", _bucket!.Name, "--key", key, "--body", file)["VersionId"]!.GetValue<string>();
    }

    private string Download(string key, string version)
    {
        var file = _folder["download-" + Guid.NewGuid().ToString("N")];
        Cli("s3api", "get-object", "--bucket", _bucket!.Name, "--key", key, "--version-id", version, file);
        return File.ReadAllText(file, Encoding.UTF8);
    }
}
