using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Rollback.Engine;
using Rollback.Platform;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// A rollback that restores contents must restore what the service needs besides: modes (0755 scripts, 0600 secrets,
/// setgid folders), owners and groups, empty folders, and links kept as links. Compared by stat(1) snapshots.
/// </summary>
public sealed class MetadataTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    public static TheoryData<string, string> ShapesThatCopyAndCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var shape in new[] { HostileTree.Directory, HostileTree.ReleaseCopy })
        {
            foreach (var arrange in new[] { "ExecutableScript", "PrivateSecret", "SetgidFolder", "Owner", "EmptyFolder", "Link", "PrivateFolderItself", "SetuidProgramOfAnotherOwner", "SetuidRootProgram", "GroupWritableFile" })
            {
                data.Add(shape, arrange);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(ShapesThatCopyAndCases))]
    public void RollbackRestoresModesOwnersEmptyFoldersAndLinks(string shape, string arrange)
    {
        Skip.IfNot(HostileTree.IsRoot, "giving files to another owner needs root");
        var folder = HostileTree.Register(_sandbox, shape);
        Arrange(folder, arrange);
        var captured = HostileTree.Snapshot(folder);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        Spoil(shape, folder);

        var result = _sandbox.Rollback(HostileTree.TargetName, point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var restored = HostileTree.Snapshot(HostileTree.Live(shape, folder));
        restored.Remove(".rollback-release");
        Assert.Equal(captured, restored);
    }

    [SkippableFact]
    public void AModeChangeAloneIsNotAlreadyCurrentAndIsRolledBack()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix modes");
        var folder = HostileTree.Register(_sandbox, HostileTree.Directory);
        var script = Path.Combine(folder, "bin", "start.sh");
        HostileTree.Run("chmod", "755", script);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        HostileTree.Run("chmod", "644", script);

        var readiness = _sandbox.Engine.Readiness.Test(HostileTree.TargetName, point.Id, null);
        var result = _sandbox.Rollback(HostileTree.TargetName, point.Id);

        Assert.Equal(CheckStatus.Pass, readiness.Checks.Single(c => c.Name == "VersionDiffers").Status);
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.StartsWith("755 ", HostileTree.ModeAndOwner(script), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ADirectoryWhosePathIsALinkStaysALinkToTheRestoredFolder()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix links");
        var real = _sandbox.PathOf("srv", "app-1");
        Sandbox.WriteFile(Path.Combine(real, "version.txt"), "v1\n");
        var path = _sandbox.PathOf("srv", "app");
        NativeFileSystem.CreateDirectoryLink(path, real);
        _sandbox.Register(HostileTree.TargetName, "Directory", ("Path", path), ("VersionFile", "version.txt"));
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        File.WriteAllText(Path.Combine(real, "version.txt"), "v2\n");

        var result = _sandbox.Rollback(HostileTree.TargetName, point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(real, NativeFileSystem.ReadLink(path));
        Assert.Equal("v1\n", File.ReadAllText(Path.Combine(real, "version.txt")));
        Assert.Equal(new[] { "app", "app-1" }, Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!).Select(Path.GetFileName).Order());
    }

    [SkippableTheory]
    [InlineData(HostileTree.Directory)]
    [InlineData(HostileTree.ReleaseCopy)]
    public void APointCapturedBeforeMetadataStillRestoresByContent(string shape)
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix modes");
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var folder = HostileTree.Register(_sandbox, shape);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        RewriteAsLegacyManifest(point, shape);
        HostileTree.Deploy(shape, folder);

        var readiness = _sandbox.Engine.Readiness.Test(HostileTree.TargetName, point.Id, null);
        var result = _sandbox.Rollback(HostileTree.TargetName, point.Id);

        Assert.True(readiness.IsReady, string.Join(" ", readiness.Failures.Select(f => f.Message)));
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v1", HostileTree.LiveVersion(shape, folder));
        Assert.Equal(RollbackStatus.AlreadyCurrent, _sandbox.Rollback(HostileTree.TargetName, point.Id).Status);
    }

    [SkippableFact]
    public void AConfigurationFileGetsItsCapturedModeBackNotTheLiveOne()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix modes");
        var file = _sandbox.PathOf("etc", "app", "secrets.conf");
        Sandbox.WriteFile(file, "password=captured");
        HostileTree.Run("chmod", "600", file);
        _sandbox.Register("cfg", "ConfigurationFile", ("Path", file));
        var point = _sandbox.Engine.Points.Create("cfg", null);

        // A deploy tool rewrites the file with new content and a world-readable mode.
        File.Delete(file);
        File.WriteAllText(file, "password=deployed");
        HostileTree.Run("chmod", "644", file);
        var result = _sandbox.Rollback("cfg", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("password=captured", File.ReadAllText(file));
        Assert.StartsWith("600 ", HostileTree.ModeAndOwner(file), StringComparison.Ordinal);

        // Only the mode moved: Restore-Configuration still puts it back.
        HostileTree.Run("chmod", "644", file);
        var restored = _sandbox.Engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id });
        Assert.True(Assert.Single(restored).Changed);
        Assert.StartsWith("600 ", HostileTree.ModeAndOwner(file), StringComparison.Ordinal);
    }

    /// <summary>Gives the captured folder what the case is about, by the system's own tools.</summary>
    private static void Arrange(string folder, string arrange)
    {
        var script = Path.Combine(folder, "bin", "start.sh");
        Sandbox.WriteFile(script, "#!/bin/sh\necho v1\n");
        var secret = Path.Combine(folder, "config", "secret.key");
        Sandbox.WriteFile(secret, "key of v1");
        switch (arrange)
        {
            case "ExecutableScript":
                HostileTree.Run("chmod", "0755", script);
                break;
            case "PrivateSecret":
                HostileTree.Run("chmod", "0600", secret);
                break;
            case "SetgidFolder":
                HostileTree.Run("chmod", "2770", Path.Combine(folder, "config"));
                break;
            case "Owner":
                HostileTree.Run("chown", "1234:2345", secret);
                HostileTree.Run("chown", "1234:2345", Path.Combine(folder, "config"));
                break;
            case "EmptyFolder":
                Directory.CreateDirectory(Path.Combine(folder, "logs", "archive"));
                HostileTree.Run("chmod", "0700", Path.Combine(folder, "logs"));
                break;
            case "Link":
                NativeFileSystem.CreateDirectoryLink(Path.Combine(folder, "bin", "run"), "start.sh");
                break;
            case "PrivateFolderItself":
                HostileTree.Run("chmod", "0750", folder);
                break;
            case "SetuidProgramOfAnotherOwner":
                HostileTree.Run("chown", "1234:2345", script);
                HostileTree.Run("chmod", "4755", script);
                break;
            case "SetuidRootProgram":
                HostileTree.Run("chmod", "4755", script);
                break;
            case "GroupWritableFile":
                // More than the umask lets a new file have: the copy is made without it and given it afterwards.
                HostileTree.Run("chmod", "0664", secret);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(arrange), arrange, "Unknown case.");
        }
    }

    /// <summary>What a careless deployment does: new content, default modes, root as owner, empty folders gone, links replaced by files.</summary>
    private static void Spoil(string shape, string folder)
    {
        if (shape != HostileTree.Directory)
        {
            HostileTree.Deploy(shape, folder);
            return;
        }

        HostileTree.Deploy(shape, folder);
        HostileTree.Run("chmod", "-R", "u=rwX,go=rX", folder);
        HostileTree.Run("chown", "-hR", "0:0", folder);
        if (Directory.Exists(Path.Combine(folder, "logs")))
        {
            Directory.Delete(Path.Combine(folder, "logs"), recursive: true);
        }

        var link = Path.Combine(folder, "bin", "run");
        if (NativeFileSystem.IsLink(link))
        {
            File.Delete(link);
            File.WriteAllText(link, "a copy, not a link");
        }
    }

    /// <summary>Rewrites a point's manifest as an older version wrote it: files and links only, no modes or owners, a content fingerprint.</summary>
    private static void RewriteAsLegacyManifest(RollbackPoint point, string shape)
    {
        var path = Path.Combine(point.Path, PointStore.ManifestFileName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var artifacts = manifest["artifacts"]!.AsArray();
        foreach (var entry in artifacts.ToList())
        {
            if (entry!["type"] is not null)
            {
                artifacts.Remove(entry);
                continue;
            }

            entry.AsObject().Remove("mode");
            entry.AsObject().Remove("owner");
            entry.AsObject().Remove("group");
        }

        foreach (var key in new[] { "FolderMode", "FolderOwner", "FolderGroup" })
        {
            manifest["metadata"]!.AsObject().Remove(key);
        }

        if (shape == HostileTree.Directory)
        {
            var legacy = artifacts.Select(a => new ArtifactEntry { RelativePath = (string)a!["relativePath"]!, Sha256 = (string)a["sha256"]!, LinkTarget = (string?)a["linkTarget"] });
            manifest["fingerprint"] = FileTree.ContentFingerprint(legacy);
        }

        File.WriteAllText(path, manifest.ToJsonString());
        Assert.DoesNotContain("\"mode\"", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
