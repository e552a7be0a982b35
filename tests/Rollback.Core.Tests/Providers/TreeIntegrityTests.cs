using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// Readiness compares the whole captured tree (added, removed, changed, modes and owners) and names what differs; a
/// manifest emptied of its artifacts is refused; configuration copies are decoded strictly and deep JSON is accepted.
/// Every refusal leaves the target as it was.
/// </summary>
public sealed class TreeIntegrityTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    public static TheoryData<string, string, string> ReleaseTampering()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var shape in new[] { HostileTree.ReleaseLink, HostileTree.ReleaseCopy })
        {
            data.Add(shape, "AddedFile", RollbackErrorId.ArtifactUnexpected);
            data.Add(shape, "AddedFolder", RollbackErrorId.ArtifactUnexpected);
            data.Add(shape, "AddedLink", RollbackErrorId.ArtifactUnexpected);
            data.Add(shape, "RemovedFile", RollbackErrorId.ArtifactMissing);
            data.Add(shape, "RemovedFolder", RollbackErrorId.ArtifactMissing);
            data.Add(shape, "ChangedFile", RollbackErrorId.ArtifactChecksumMismatch);
            data.Add(shape, "ChangedMode", RollbackErrorId.ArtifactMetadataMismatch);
            data.Add(shape, "ChangedOwner", RollbackErrorId.ArtifactMetadataMismatch);
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(ReleaseTampering))]
    public void AReleaseChangedAfterCaptureIsNotReadyAndNamesWhatDiffers(string shape, string tamper, string errorId)
    {
        Skip.IfNot(HostileTree.IsRoot, "changing an owner needs root");
        var release = HostileTree.Register(_sandbox, shape);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        var named = Tamper(release, tamper);
        HostileTree.Deploy(shape, release);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(release))!;
        var before = HostileTree.Snapshot(root);

        var readiness = _sandbox.Engine.Readiness.Test(HostileTree.TargetName, point.Id, null);
        var refused = Assert.Throws<RollbackException>(() => _sandbox.Rollback(HostileTree.TargetName, point.Id));

        var failure = Assert.Single(readiness.Failures);
        Assert.Equal(errorId, failure.ErrorId);
        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Equal(before, HostileTree.Snapshot(root));
        Assert.Equal("v2", HostileTree.LiveVersion(shape, release));
    }

    [Fact]
    public void ManyDifferencesAreNamedUpToTenAndCounted()
    {
        var release = HostileTree.Register(_sandbox, HostileTree.ReleaseLink);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        for (var i = 0; i < 15; i++)
        {
            File.WriteAllText(Path.Combine(release, $"added-{i:D2}.txt"), "dropped in later");
        }

        var failure = Assert.Single(_sandbox.Engine.Readiness.Test(HostileTree.TargetName, point.Id, null).Failures);

        Assert.Equal(RollbackErrorId.ArtifactUnexpected, failure.ErrorId);
        Assert.Contains("in 15 place(s)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'added-09.txt' was added", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("added-10.txt", failure.Message, StringComparison.Ordinal);
        Assert.Contains("and 5 more", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileAddedToADirectoryPointsArtifactsIsNotReady()
    {
        HostileTree.Register(_sandbox, HostileTree.Directory);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        File.WriteAllText(Path.Combine(point.Path, PointStore.ArtifactsFolderName, "bin", "backdoor.sh"), "#!/bin/sh");

        var failure = Assert.Single(_sandbox.Engine.Readiness.Test(HostileTree.TargetName, point.Id, null).Failures);

        Assert.Equal(RollbackErrorId.ArtifactUnexpected, failure.ErrorId);
        Assert.Contains("bin/backdoor.sh", failure.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(HostileTree.Directory)]
    [InlineData(HostileTree.ReleaseLink)]
    [InlineData(HostileTree.ReleaseCopy)]
    public void AManifestEmptiedOfItsArtifactsFailsVerification(string shape)
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var folder = HostileTree.Register(_sandbox, shape);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        var manifestPath = Path.Combine(point.Path, PointStore.ManifestFileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        manifest["artifacts"] = new JsonArray();
        manifest["totalSize"] = 0;
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        HostileTree.Deploy(shape, folder);
        var live = HostileTree.Live(shape, folder);
        var before = HostileTree.Snapshot(Path.GetDirectoryName(live)!);

        var readiness = _sandbox.Engine.Readiness.Test(HostileTree.TargetName, point.Id, null);
        var refused = Assert.Throws<RollbackException>(() => _sandbox.Rollback(HostileTree.TargetName, point.Id));

        Assert.Contains(readiness.Failures, f => f.ErrorId == RollbackErrorId.ManifestIncomplete);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Equal(before, HostileTree.Snapshot(Path.GetDirectoryName(live)!));
    }

    [Theory]
    [InlineData("appsettings.json", "{\"name\":\"caf\u00e9\"}", "{\"name\":\"caf\xE9\"}")]
    [InlineData("appsettings.json", "{\"ok\":true}", "{\"bad\":\"\xC3\x28\"}")]
    [InlineData("database.yml", "name: cafe\n", "name: caf\xE9\n")]
    public void AConfigurationCopyThatIsNotUtf8IsRefusedAndNothingIsWritten(string name, string live, string capturedLatin1)
    {
        var file = _sandbox.PathOf("etc", name);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, Encoding.Latin1.GetBytes(capturedLatin1));
        _sandbox.Register("cfg", "ConfigurationFile", ("Path", file));
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(file, live);

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id }));

        Assert.Equal(RollbackErrorId.ConfigurationInvalid, ex.ErrorId);
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
        Assert.Equal(live, File.ReadAllText(file));
    }

    [Theory]
    [InlineData(65)]
    [InlineData(200)]
    [InlineData(1000)]
    public void ValidJsonNestedDeeperThan64LevelsIsRestored(int depth)
    {
        var file = _sandbox.PathOf("etc", "appsettings.json");
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        Sandbox.WriteFile(file, deep);
        _sandbox.Register("cfg", "ConfigurationFile", ("Path", file));
        var point = _sandbox.Engine.Points.Create("cfg", null);
        File.WriteAllText(file, "{}");

        var restored = _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id });

        Assert.True(Assert.Single(restored).Changed);
        Assert.Equal(deep, File.ReadAllText(file));
    }

    /// <summary>Changes the captured release folder as the case says and returns the path the error must name.</summary>
    private static string Tamper(string release, string tamper)
    {
        switch (tamper)
        {
            case "AddedFile":
                File.WriteAllText(Path.Combine(release, "config", "override.conf"), "debug=true");
                return "config/override.conf";
            case "AddedFolder":
                Directory.CreateDirectory(Path.Combine(release, "plugins"));
                return "plugins";
            case "AddedLink":
                Platform.NativeFileSystem.CreateDirectoryLink(Path.Combine(release, "public", "etc"), "/etc");
                return "public/etc";
            case "RemovedFile":
                File.Delete(Path.Combine(release, "config", "app.conf"));
                return "config/app.conf";
            case "RemovedFolder":
                Directory.Delete(Path.Combine(release, "public"), recursive: true);
                return "public";
            case "ChangedFile":
                File.WriteAllText(Path.Combine(release, "app.dll"), "patched in place");
                return "app.dll";
            case "ChangedMode":
                HostileTree.Run("chmod", "0666", Path.Combine(release, "config", "app.conf"));
                return "config/app.conf";
            case "ChangedOwner":
                HostileTree.Run("chown", "4321:4321", Path.Combine(release, "app.dll"));
                return "app.dll";
            default:
                throw new ArgumentOutOfRangeException(nameof(tamper), tamper, "Unknown case.");
        }
    }
}
