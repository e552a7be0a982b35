using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// Named pipes, sockets and devices in a captured folder: refused with SpecialFileRefused naming them (never opened, so
/// nothing blocks while the target's lock is held), or skipped and recorded when SpecialFiles = 'Skip'.
/// </summary>
public sealed class SpecialFileTests : IDisposable
{
    private readonly Sandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [SkippableTheory]
    [MemberData(nameof(HostileTree.ShapesAndSpecialKinds), MemberType = typeof(HostileTree))]
    public async Task CaptureRefusesASpecialFileWithoutOpeningItAndReleasesTheLock(string shape, string kind)
    {
        Skip.IfNot(HostileTree.IsRoot, "mknod needs root");
        var folder = HostileTree.Register(_sandbox, shape);
        var special = Path.Combine(folder, "config", "app." + kind);
        HostileTree.CreateSpecial(special, kind);
        var before = HostileTree.Snapshot(folder);

        var error = await HostileTree.RunUnblocked(() => _sandbox.Engine.Points.Create(HostileTree.TargetName, null), folder);

        var refused = Assert.IsType<RollbackException>(error);
        Assert.Equal(RollbackErrorId.SpecialFileRefused, refused.ErrorId);
        Assert.Contains("config/app." + kind, refused.Message, StringComparison.Ordinal);
        Assert.Empty(_sandbox.Store.Points.List(HostileTree.TargetName));
        Assert.Equal(before, HostileTree.Snapshot(folder));

        // The lock was released: once the special file is gone the next capture goes through.
        File.Delete(special);
        Assert.NotNull(_sandbox.Engine.Points.Create(HostileTree.TargetName, null));
    }

    [SkippableTheory]
    [MemberData(nameof(HostileTree.ShapesAndSpecialKinds), MemberType = typeof(HostileTree))]
    public async Task RollbackOntoATargetHoldingASpecialFileIsRefusedAndChangesNothing(string shape, string kind)
    {
        Skip.IfNot(HostileTree.IsRoot, "mknod needs root");
        var folder = HostileTree.Register(_sandbox, shape);
        var point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null);
        HostileTree.Deploy(shape, folder);

        // The failed state holds the special file: the Directory itself, or the release now current.
        var failed = shape == HostileTree.Directory ? folder : Path.Combine(Path.GetDirectoryName(folder)!, "v2");
        HostileTree.CreateSpecial(Path.Combine(failed, "app." + kind), kind);
        var live = HostileTree.Live(shape, folder);
        var before = HostileTree.Snapshot(Path.GetDirectoryName(live)!);

        var error = await HostileTree.RunUnblocked(() => _sandbox.Rollback(HostileTree.TargetName, point.Id), Path.GetDirectoryName(live)!);

        var refused = Assert.IsType<RollbackException>(error);
        Assert.Contains(RollbackErrorId.SpecialFileRefused, refused.ErrorId + refused.Message, StringComparison.Ordinal);
        Assert.Contains("app." + kind, refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, HostileTree.Snapshot(Path.GetDirectoryName(live)!));
        Assert.Single(_sandbox.Store.Points.List(HostileTree.TargetName));
        var journaled = _sandbox.Engine.History.Get(new HistoryFilter { Target = HostileTree.TargetName, Action = HistoryAction.Rollback }).Single();
        Assert.Equal(HistoryStatus.Refused, journaled.Status);
    }

    [SkippableTheory]
    [MemberData(nameof(HostileTree.ShapesAndSpecialKinds), MemberType = typeof(HostileTree))]
    public async Task SkipRecordsTheSpecialFileInTheManifestAndRollsBackTheRest(string shape, string kind)
    {
        Skip.IfNot(HostileTree.IsRoot, "mknod needs root");
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var folder = HostileTree.Register(_sandbox, shape, ("SpecialFiles", "Skip"));
        HostileTree.CreateSpecial(Path.Combine(folder, "app." + kind), kind);
        RollbackPoint? point = null;

        var error = await HostileTree.RunUnblocked(() => point = _sandbox.Engine.Points.Create(HostileTree.TargetName, null), folder);

        Assert.Null(error);
        var skipped = Assert.Single(point!.Artifacts, a => a.RelativePath == "app." + kind);
        Assert.Equal(kind, skipped.Type);
        Assert.Equal(string.Empty, skipped.Sha256);
        Assert.False(File.Exists(Path.Combine(point.Path, "artifacts", "app." + kind)));
        Assert.Contains($"\"type\": \"{kind}\"", File.ReadAllText(Path.Combine(point.Path, "manifest.json")), StringComparison.Ordinal);

        HostileTree.Deploy(shape, folder);
        var result = await RollbackUnblocked(point.Id, folder);
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v1", HostileTree.LiveVersion(shape, folder));
    }

    [Fact]
    public void AnUnknownSpecialFilesValueIsRefusedAtRegistration()
    {
        var ex = Assert.Throws<RollbackException>(() => HostileTree.Register(_sandbox, HostileTree.Directory, ("SpecialFiles", "Follow")));

        Assert.Equal(RollbackErrorId.InvalidSetting, ex.ErrorId);
        Assert.Contains("SpecialFiles", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScanChecksCancellationBeforeEachFolder()
    {
        var folder = HostileTree.Register(_sandbox, HostileTree.Directory);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => FileTree.Scan(folder, skipSpecialFiles: false, cancellation.Token));
        Assert.ThrowsAny<Exception>(() => _sandbox.Engine.Points.Create(HostileTree.TargetName, null, cancellation.Token));
        Assert.Empty(_sandbox.Store.Points.List(HostileTree.TargetName));
    }

    private async Task<RollbackResult> RollbackUnblocked(string pointId, string folder)
    {
        RollbackResult? result = null;
        var error = await HostileTree.RunUnblocked(() => result = _sandbox.Rollback(HostileTree.TargetName, pointId), Path.GetDirectoryName(folder)!);
        Assert.Null(error);
        return result!;
    }
}
