using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.FileSystem;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Testing;
using Rollback.Verification;
using Xunit;

namespace Rollback.Tests.SharedStore;

/// <summary>
/// A folder store copied into a shared store on the real PostgreSQL 15 server (StoreCopyOperations, Copy-RollbackStore's
/// engine): targets, points with their artifacts proven in the destination, the journal verified first and sealed again
/// into the destination's chain with each entry's origin; run twice, nothing lost and nothing duplicated; a broken source
/// chain and a conflicting target refused before anything is written; a store-kept secret copied as a file, never as text.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class StoreCopyTests : IDisposable
{
    private const string Canary = "Bearer canary-7f3e9a61c2d4";

    private readonly PostgreSqlServer _server;
    private readonly TempFolder _folder = new();
    private readonly ProviderCatalog _catalog = new(ProviderCatalog.FindIn(typeof(DirectoryProvider).Assembly));
    private readonly RollbackStore _source;
    private readonly RollbackEngine _sourceEngine;
    private readonly string _database = string.Empty;
    private readonly string _site;
    private RollbackStore? _destination;

    public StoreCopyTests(PostgreSqlServer server)
    {
        _server = server;
        if (server.SkipReason is null)
        {
            _database = server.CreateDatabase("store_copy");
        }

        _source = new RollbackStore(_folder["folder-store"]);
        _sourceEngine = new RollbackEngine(_source, _catalog, NullReporter.Instance, null, "alice");
        _site = _folder["srv/site"];
        _folder.WriteFile("srv/site/version.txt", "v1\n");
        _folder.WriteFile("srv/site/bin/app.dll", "build 1");
        foreach (var other in new[] { "srv/billing", "srv/other", "srv/api" })
        {
            Directory.CreateDirectory(_folder[other]);
        }
    }

    private RollbackStore Destination => _destination ??= TestStores.OpenShared(_server, _database, _folder["artifacts"]);

    private RollbackEngine DestinationEngine(string user = "bob") => new(Destination, _catalog, NullReporter.Instance, null, user);

    public void Dispose()
    {
        _destination?.Backend.Dispose();
        if (_database.Length > 0)
        {
            _server.DropDatabase(_database);
        }

        _folder.Dispose();
    }

    [SkippableFact]
    public void CopiesTargetsPointsAndJournalIntoTheSharedStoreAndASecondRunCopiesNothing()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var (good, _) = BuildSourceHistory();

        // The shared store already has history of its own: the copied entries follow it in one chain.
        DestinationEngine().Targets.Register("billing", "Directory", Settings(("Path", _folder["srv/billing"])), replace: false);
        var sourceEntries = _source.Journal.Read().ToList();

        var first = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false);

        Assert.Equal((1, 0, 0), (first.TargetsCopied, first.TargetsPresent, first.TargetsReplaced));
        Assert.Equal((3, 0, 0), (first.PointsCopied, first.PointsPresent, first.PointsRefused));
        Assert.Equal((sourceEntries.Count, 0L), (first.JournalEntriesCopied, first.JournalEntriesPresent));
        Assert.True(first.ArtifactsVerified >= 6, $"{first.ArtifactsVerified} artifact files verified");
        Assert.Equal(new[] { "billing", "site" }, Destination.Targets.GetAll().Select(t => t.Name));
        Assert.Equal(_source.Points.ListIds("site"), Destination.Points.ListIds("site"));

        var journal = Destination.Journal.Read().ToList();
        Assert.Equal(1 + sourceEntries.Count + 1, journal.Count);
        var copied = journal.Where(e => e.Origin is not null).ToList();
        Assert.Equal(sourceEntries.Select(e => (e.Sequence, e.Hash, e.Action, e.Target, e.User)), copied.Select(e => (e.Origin!.Sequence, e.Origin.Hash, e.Action, e.Target, e.User)));
        Assert.All(copied, e => Assert.Equal(_source.Root, e.Origin!.Store));
        Assert.All(copied, e => Assert.Equal(Environment.MachineName, e.Origin!.Host));
        var summary = journal[^1];
        Assert.Equal((HistoryAction.CopyStore, HistoryStatus.Succeeded, first.JournalSequence), (summary.Action, summary.Status, (long?)summary.Sequence));
        Assert.Equal(sourceEntries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.Details!["JournalEntriesCopied"]);
        var verification = Destination.Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(3, verification.AnchorsChecked);

        // The copied point is a point of the shared store: ready there, its artifacts proven, and a rollback to it works.
        var engine = DestinationEngine();
        var readiness = engine.Readiness.Test("site", good.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Failures.Select(f => f.Name + ": " + f.Message)));
        File.WriteAllText(Path.Combine(_site, "version.txt"), "v3\n");
        var rollback = engine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = good.Id, Reason = "after the move", ApprovedBy = new[] { "oncall" } });
        Assert.Equal(RollbackStatus.Succeeded, rollback.Status);
        Assert.Equal("v1\n", File.ReadAllText(Path.Combine(_site, "version.txt")));

        // Run again: everything is present, nothing is written (not even a CopyStore entry).
        var before = Destination.Journal.Read().Count();
        var second = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false);
        Assert.Equal((0, 1, 0, 3), (second.TargetsCopied, second.TargetsPresent, second.PointsCopied, second.PointsPresent));
        Assert.Equal((0L, (long)sourceEntries.Count, (long?)null), (second.JournalEntriesCopied, second.JournalEntriesPresent, second.JournalSequence));
        Assert.Equal(before, Destination.Journal.Read().Count());

        // Work goes on in the folder store: the next run copies only that.
        var later = _sourceEngine.Points.Create("site", "later");
        var third = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false);
        Assert.Equal((1, 3), (third.PointsCopied, third.PointsPresent));
        Assert.Equal(((long)_source.Journal.Read().Count() - sourceEntries.Count, (long)sourceEntries.Count), (third.JournalEntriesCopied, third.JournalEntriesPresent));
        Assert.Contains(later.Id, Destination.Points.ListIds("site"));
        Assert.Equal(_source.Journal.Read().Select(e => e.Hash), Destination.Journal.Read().Where(e => e.Origin is not null).Select(e => e.Origin!.Hash));
        verification = Destination.Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
    }

    [SkippableFact]
    public void ASourceJournalThatDoesNotVerifyIsRefusedAndNothingIsWritten()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        BuildSourceHistory();
        var lines = File.ReadAllLines(_source.JournalFile);
        lines[1] = lines[1].Replace("\"user\":\"alice\"", "\"user\":\"mallory\"", StringComparison.Ordinal);
        File.WriteAllLines(_source.JournalFile, lines);

        var preview = Assert.Throws<RollbackException>(() => DestinationEngine().StoreCopy.Preview(_source.Root, replaceTargets: false));
        var ex = Assert.Throws<RollbackException>(() => DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false));

        Assert.Equal(RollbackErrorId.JournalChainBroken, preview.ErrorId);
        Assert.Equal(RollbackErrorId.JournalChainBroken, ex.ErrorId);
        Assert.Contains("Entry 2 has been altered", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was copied", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Destination.Targets.GetAll());
        Assert.Empty(Destination.Journal.Read());
        Assert.Empty(Destination.Backend.Manifests.TargetNames());
    }

    [SkippableFact]
    public void ATargetRegisteredWithOtherSettingsIsAConflictUnlessForced()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        BuildSourceHistory();
        DestinationEngine().Targets.Register("SITE", "Directory", Settings(("Path", _folder["srv/other"])), replace: false);
        var entries = Destination.Journal.Read().Count();

        var ex = Assert.Throws<RollbackException>(() => DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false));

        Assert.Equal(RollbackErrorId.StoreCopyConflict, ex.ErrorId);
        Assert.Contains("target 'SITE' is registered there as Directory with other settings", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", ex.Message, StringComparison.Ordinal);
        Assert.Equal(_folder["srv/other"], Assert.Single(Destination.Targets.GetAll()).Settings["Path"]);
        Assert.Equal(entries, Destination.Journal.Read().Count());
        Assert.Empty(Destination.Points.ListIds("site"));

        var forced = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: true);

        Assert.Equal((0, 1), (forced.TargetsCopied, forced.TargetsReplaced));
        Assert.Equal(_site, Assert.Single(Destination.Targets.GetAll()).Settings["Path"]);
        Assert.Equal(3, Destination.Points.ListIds("site").Count());
    }

    [SkippableFact]
    public void APointWhoseArtifactNoLongerMatchesItsChecksumIsRefusedAndTheRestIsCopied()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var (good, bad) = BuildSourceHistory();
        File.WriteAllText(Path.Combine(bad.Path, PointStore.ArtifactsFolderName, "bin", "app.dll"), "build 2 (bit rot)");
        var refused = new List<RollbackException>();

        var result = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false, refused.Add);

        Assert.Equal((2, 1), (result.PointsCopied, result.PointsRefused));
        var error = Assert.Single(refused);
        Assert.Equal(RollbackErrorId.ArtifactChecksumMismatch, error.ErrorId);
        Assert.Contains($"Point '{bad.Id}' of 'site' was not copied", error.Message, StringComparison.Ordinal);
        Assert.Contains("bin/app.dll", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(bad.Id, Destination.Points.ListIds("site"));
        Assert.Contains(good.Id, Destination.Points.ListIds("site"));
        Assert.False(Directory.Exists(Path.Combine(_folder["artifacts"], "points", "site", bad.Id)));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_folder["artifacts"], "points", "site"), ".staging-*"));

        // Once the source point is good again, the next run copies it.
        File.WriteAllText(Path.Combine(bad.Path, PointStore.ArtifactsFolderName, "bin", "app.dll"), "build 2");
        var again = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false, refused.Add);
        Assert.Equal((1, 2, 0), (again.PointsCopied, again.PointsPresent, again.PointsRefused));
    }

    [SkippableFact]
    public void SecretSettingsStayReferencesAndAStoreKeptValueIsCopiedAsAFileNeverAsText()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var secure = new SecureString();
        foreach (var c in Canary)
        {
            secure.AppendChar(c);
        }

        _sourceEngine.Targets.Register("site", "Directory", Settings(("Path", _site), ("HealthAuthorization", new SecretText(secure))), replace: false);
        _sourceEngine.Targets.Register("api", "Directory", Settings(("Path", _folder["srv/api"]), ("HealthAuthorization", "env:API_HEALTH_TOKEN")), replace: false);
        var kept = Path.Combine(_source.Secrets.Directory, "site", "HealthAuthorization");

        var result = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false);

        Assert.Equal((2, 1), (result.TargetsCopied, result.SecretsCopied));
        var site = Destination.Targets.Get("site").Settings["HealthAuthorization"];
        Assert.Equal("store:site/HealthAuthorization", Assert.IsType<SecretReference>(site).Locator);
        Assert.Equal("env:API_HEALTH_TOKEN", Assert.IsType<SecretReference>(Destination.Targets.Get("api").Settings["HealthAuthorization"]).Locator);
        var copy = Path.Combine(Destination.Secrets.Directory, "site", "HealthAuthorization");
        Assert.Equal(File.ReadAllBytes(kept), File.ReadAllBytes(copy));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy));
        }

        // The shared store resolves it where its secrets are; the database never saw the value.
        Assert.Equal(Canary, HealthSettings.Read(Destination.Targets.Get("site").Settings).HeadersFor(Destination.Secrets.Directory)["Authorization"]);
        foreach (var table in new[] { "targets", "journal", "points", "journal_head" })
        {
            Assert.Equal(0L, _server.Scalar<long>(_database, $"SELECT count(*) FROM rollback_store.{table} t WHERE t::text LIKE '%canary-7f3e%'"));
        }

        var again = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false);
        Assert.Equal((0, 2, 0), (again.TargetsCopied, again.TargetsPresent, again.SecretsCopied));
    }

    [SkippableFact]
    public void ACopyStoppedPartWayIsFinishedByTheNextRunWithNothingCopiedTwice()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        BuildSourceHistory();
        var sourceEntries = _source.Journal.Read().Count();
        using var stop = new System.Threading.CancellationTokenSource();
        var reporter = new RecordingReporter { OnProgress = update => { if (update.Completed && update.Activity.StartsWith("Copying point", StringComparison.Ordinal)) { stop.Cancel(); } } };
        var engine = new RollbackEngine(Destination, _catalog, reporter, null, "bob");

        Assert.ThrowsAny<OperationCanceledException>(() => engine.StoreCopy.Copy(_source.Root, replaceTargets: false, cancellation: stop.Token));

        // Stopped (Ctrl+C) after the targets and the journal, while the first point was being copied: no point is half there.
        Assert.Single(Destination.Targets.GetAll());
        Assert.Equal(sourceEntries, Destination.Journal.Read().Count());
        Assert.Empty(Destination.Points.ListIds("site"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_folder["artifacts"], "points", "site")));

        var finished = DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false);

        Assert.Equal((0, 1, 3, 0), (finished.TargetsCopied, finished.TargetsPresent, finished.PointsCopied, finished.PointsPresent));
        Assert.Equal((0L, (long)sourceEntries), (finished.JournalEntriesCopied, finished.JournalEntriesPresent));
        Assert.Equal(sourceEntries + 1, Destination.Journal.Read().Count());
        var copyProgress = reporter.Progress.Where(p => p.ActivityId == ProgressActivity.StoreCopy).ToList();
        Assert.Contains(copyProgress, p => p.Status.StartsWith("Point ", StringComparison.Ordinal));
        Assert.True(copyProgress[^1].Completed, "the stopped copy closed its progress bar");
        var verification = Destination.Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
    }

    [SkippableFact]
    public void ASecondCopyIntoTheSameStoreWhileOneRunsIsRefused()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        BuildSourceHistory();
        using var other = TestStores.OpenShared(_server, _database, _folder["artifacts"]).Backend;
        using var held = other.Locks.TryAcquire(StoreCopyOperations.LockName, "a copy from '/home/carol/store' (user carol, process 4242 on ws-7)");
        Assert.NotNull(held);

        var ex = Assert.Throws<RollbackException>(() => DestinationEngine().StoreCopy.Copy(_source.Root, replaceTargets: false));

        Assert.Equal(RollbackErrorId.StoreCopyConflict, ex.ErrorId);
        Assert.Contains("Another copy into", ex.Message, StringComparison.Ordinal);
        Assert.Contains("user carol, process 4242 on ws-7", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Destination.Targets.GetAll());
        Assert.Empty(Destination.Journal.Read());
    }

    /// <summary>
    /// In the folder store: a Directory target "site" with a known-good point, a bad deployment captured too, and a
    /// rollback to the good one (which adds a safety point): three points and the journal entries of all of that.
    /// </summary>
    private (RollbackPoint Good, RollbackPoint Bad) BuildSourceHistory()
    {
        _sourceEngine.Targets.Register("site", "Directory", Settings(("Path", _site), ("VersionFile", "version.txt")), replace: false);
        var good = _sourceEngine.Points.Create("site", "known good");
        File.WriteAllText(Path.Combine(_site, "version.txt"), "v2\n");
        File.WriteAllText(Path.Combine(_site, "bin", "app.dll"), "build 2");
        var bad = _sourceEngine.Points.Create("site", "the bad one");
        var result = _sourceEngine.Rollbacks.Run(new RollbackRequest { Target = "site", PointId = good.Id, Reason = "bad build", ApprovedBy = new[] { "oncall" } });
        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        return (good, bad);
    }

    private static SettingsDictionary Settings(params (string Key, object Value)[] settings) =>
        new(settings.Select(s => new KeyValuePair<string, object?>(s.Key, s.Value)));
}
