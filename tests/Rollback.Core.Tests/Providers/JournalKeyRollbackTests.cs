using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Platform;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>The normal paths with a journal key configured: capture, rollback, history and -Verify work, and every entry carries a MAC.</summary>
public sealed class JournalKeyRollbackTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly TempFolder _keys = new();

    [Fact]
    public void ARollbackWithAKeyIsJournaledWithMacsListedByHistoryAndVerifies()
    {
        var keyFile = Path.Combine(_keys.Path, "journal.key");
        File.WriteAllText(keyFile, "0123456789abcdef0123456789abcdef\n");
        NativeFileSystem.SetMode(keyFile, StoreFiles.OwnerOnlyFileMode);
        _sandbox.Store.JournalKeyFile = keyFile;
        var root = _sandbox.CreateReleaseRoot("api", "v1", "v1", "v2");
        _sandbox.Register("api", "FileSystemRelease", ("Root", root));
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(root, "v2");

        var result = _sandbox.Rollback("api", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var history = _sandbox.Engine.History.Get(new HistoryFilter { Target = "api" }).ToList();
        Assert.Contains(history, e => e.Action == HistoryAction.Rollback && e.Status == nameof(RollbackStatus.Succeeded));
        Assert.All(_sandbox.Store.Journal.Read(), e => Assert.Matches("^[0-9a-f]{64}$", e.Mac!));
        var verification = _sandbox.Engine.History.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(verification.EntryCount, verification.MacsChecked);
        Assert.Equal(0, verification.UnkeyedCount);
        Assert.Equal(result.JournalSequence, verification.EntryCount);
    }

    public void Dispose()
    {
        _sandbox.Dispose();
        _keys.Dispose();
    }
}
