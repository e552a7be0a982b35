using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Providers.PostgreSql.Store;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.SharedStore;

/// <summary>
/// The shared store on the real PostgreSQL 15 server: its schema (versioned, idempotent, migrated once when two
/// first uses race), one registry and one journal seen by every store opened on it, the same hash chain and -Verify as
/// the folder store, appends from eight writer processes at once that neither fork nor lose an entry, target locks that
/// are session advisory locks (exclusive, naming their holder, gone with the session that held them), and the server's
/// refusals told apart (unreachable, a wrong password, a missing privilege, anything else).
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class SharedStoreTests : IDisposable
{
    private readonly PostgreSqlServer _server;
    private readonly TempFolder _folder = new();
    private readonly List<RollbackStore> _opened = new();
    private readonly string _database = string.Empty;
    private readonly List<string> _roles = new();

    /// <summary>The eight writer processes' bound, from their start to the last one's exit (under a loaded machine).</summary>
    private static readonly TimeSpan WritersPatience = TimeSpan.FromSeconds(120);

    public SharedStoreTests(PostgreSqlServer server)
    {
        _server = server;
        if (server.SkipReason is null)
        {
            _database = server.CreateDatabase("shared_store");
        }
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

        foreach (var role in _roles)
        {
            _server.Execute("postgres", $"DROP ROLE IF EXISTS \"{role}\"");
        }

        _folder.Dispose();
    }

    [SkippableFact]
    public void FirstUseCreatesTheSchemaOnceEvenWhenEightOpenItAtOnceAndGetRollbackStoreDescribesIt()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var stores = new ConcurrentBag<RollbackStore>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => stores.Add(Open()));
        _opened.AddRange(stores);

        var info = stores.First().Description;
        Assert.Equal(2, info.SchemaVersion);
        Assert.Equal(new[] { 1, 2 }, Versions());
        Assert.Equal("PostgreSql", info.Kind);
        Assert.Equal(PostgreSqlServer.AdminUser, info.User);
        Assert.Equal($"postgresql://127.0.0.1:{_server.Port}/{_database}?user={PostgreSqlServer.AdminUser}", info.Location);
        Assert.Equal(_folder["artifacts"], info.ArtifactLocation);

        // Opened again: nothing is migrated twice.
        Open();
        Assert.Equal(new[] { 1, 2 }, Versions());
    }

    [SkippableFact]
    public void ASchemaNewerThanTheModuleIsRefusedNotDowngraded()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        Open();
        _server.Execute(_database, "INSERT INTO rollback_store.schema_version (version) VALUES (99)");

        var ex = Assert.Throws<RollbackException>(() => Open());
        Assert.Equal(RollbackErrorId.StoreSchemaNewer, ex.ErrorId);
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void TwoStoresOnOneDatabaseSeeOneRegistryAndOneJournal()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var first = Open();
        var second = Open();
        first.Targets.Save(new RollbackTarget { Name = "api", Kind = "Directory", Settings = new SettingsDictionary(new[] { new KeyValuePair<string, object?>("Path", "/srv/api") }) }, replace: false);
        first.Journal.Append(Entry("api", 0));

        Assert.Equal("api", Assert.Single(second.Targets.GetAll()).Name);
        Assert.Equal("/srv/api", second.Targets.Get("API").Settings["Path"]);
        var duplicate = Assert.Throws<RollbackException>(() => second.Targets.Save(new RollbackTarget { Name = "Api", Kind = "Directory", Settings = new SettingsDictionary(Array.Empty<KeyValuePair<string, object?>>()) }, replace: false));
        Assert.Equal(RollbackErrorId.TargetAlreadyExists, duplicate.ErrorId);
        Assert.Equal(1, Assert.Single(second.Journal.Read()).Sequence);

        second.Targets.Remove("api");
        Assert.Empty(first.Targets.GetAll());
    }

    [SkippableFact]
    public void JournalIsTheSameHashChainAndVerifyCatchesAnEditedAndARemovedEntry()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var store = Open();
        for (var i = 0; i < 5; i++)
        {
            store.Journal.Append(Entry("api", i));
        }

        var verification = store.Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.Equal(5, verification.EntryCount);
        Assert.Equal(store.Journal.Read().Select(e => e.PreviousHash).Skip(1), store.Journal.Read().Select(e => e.Hash).Take(4));

        _server.Execute(_database, "UPDATE rollback_store.journal SET line = replace(line, 'entry 2', 'entry X') WHERE sequence = 3");
        var edited = store.Journal.Verify();
        Assert.False(edited.IsValid);
        Assert.Equal(3, edited.FirstBrokenSequence);

        _server.Execute(_database, "UPDATE rollback_store.journal SET line = replace(line, 'entry X', 'entry 2') WHERE sequence = 3; DELETE FROM rollback_store.journal WHERE sequence = 5");
        var cut = store.Journal.Verify();
        Assert.False(cut.IsValid);
        Assert.Contains("entries were removed from its end", cut.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void EightWriterProcessesAppendingTwoHundredEntriesEachLeaveEveryEntryOnceTheChainIntactAndNeverTwoLockHolders()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        const int writers = 8;
        const int perWriter = 200;
        var deadline = Stopwatch.StartNew();
        var store = Open();

        // Eight OS processes (tests/Rollback.StoreWriter), each with its own connections and the password from PGPASSFILE;
        // all open the store first, then start together at the go file, so their appends and lock takings really contend.
        var passFile = _folder["pgpass"];
        _server.WritePassFile(passFile);
        var writerDll = Path.Combine(AppContext.BaseDirectory, "Rollback.StoreWriter.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var connection = TestStores.ConnectionString(_server, _database, _folder["artifacts"]);
        var goFile = _folder["go"];
        var processes = new List<LoopbackProcess>();
        try
        {
            for (var writer = 0; writer < writers; writer++)
            {
                processes.Add(new LoopbackProcess("writer " + writer, dotnet,
                    new[] { writerDll, connection, writer.ToString(CultureInfo.InvariantCulture), perWriter.ToString(CultureInfo.InvariantCulture), "target-shared", goFile, _folder["held-" + writer] },
                    logLimit: 16_000, new Dictionary<string, string> { ["PGPASSFILE"] = passFile }));
            }

            foreach (var process in processes)
            {
                while (!process.Log.Contains("ready", StringComparison.Ordinal))
                {
                    Assert.False(process.HasExited, $"{process.Name} exited before it was ready: {process.Log}");
                    Assert.True(deadline.Elapsed < WritersPatience, $"{process.Name} not ready within {WritersPatience.TotalSeconds} s: {process.Log}");
                    Thread.Sleep(20);
                }
            }

            File.WriteAllText(goFile, "go");
            foreach (var process in processes)
            {
                var left = WritersPatience - deadline.Elapsed;
                Assert.True(left > TimeSpan.Zero && process.WaitForExit(left), $"{process.Name} did not finish within {WritersPatience.TotalSeconds} s: {process.Log}");
                Assert.True(process.ExitCode == 0, $"{process.Name} exited with {process.ExitCode}: {process.Log}");
            }
        }
        finally
        {
            // Every writer stopped by its PID, whatever happened above (LoopbackProcess kills it if it still runs).
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }

        var entries = store.Journal.Read().ToList();
        Assert.Equal(writers * perWriter, entries.Count);
        Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(writers * perWriter, entries.Select(e => e.Target + "/" + e.Reason).Distinct().Count());
        var verification = store.Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);

        // Never two holders: every interval a writer held the lock, from all eight, in order, each starting after the last ended.
        var held = Enumerable.Range(0, writers)
            .SelectMany(writer => File.ReadAllLines(_folder["held-" + writer]).Select(line => (Writer: writer, Times: line.Split(' ').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray())))
            .OrderBy(h => h.Times[0])
            .ToList();
        Assert.True(held.Count > writers, $"The lock was taken only {held.Count} times.");
        Assert.True(held.Select(h => h.Writer).Distinct().Count() > 1, "Only one writer ever held the lock.");
        for (var i = 1; i < held.Count; i++)
        {
            Assert.True(held[i].Times[0] >= held[i - 1].Times[1], $"Writer {held[i].Writer} took the lock at {held[i].Times[0]} while writer {held[i - 1].Writer} held it until {held[i - 1].Times[1]}.");
        }

        Assert.Null(store.Backend.Locks.Holder("target-shared"));
    }

    [SkippableFact]
    public void ATargetLockIsExclusiveNamesItsHolderAndHostAndGoesWithItsSession()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var first = Open();
        var second = Open();
        var held = first.Backend.Locks.TryAcquire("target-api", "Invoke-Rollback (user alice, process 42 on build-7, since 2026-12-07 05:00:00Z)");
        Assert.NotNull(held);
        Assert.Null(second.Backend.Locks.TryAcquire("target-api", "someone else"));
        Assert.StartsWith("Invoke-Rollback (user alice, process 42 on build-7, since 2026-12-07 05:00:00Z) (database session ", second.Backend.Locks.Holder("target-api"), StringComparison.Ordinal);
        using (var other = second.Backend.Locks.TryAcquire("target-web", "web"))
        {
            Assert.NotNull(other);
        }

        // The holder's session ends as a killed process's would (the server ends its backend): the lock is free at once.
        _server.Execute(_database, "SELECT pg_terminate_backend(backend_pid) FROM rollback_store.lock_holders WHERE name = 'target-api'");
        using (var next = WaitForLock(second, "target-api"))
        {
            Assert.NotNull(next);
            Assert.StartsWith("next", second.Backend.Locks.Holder("target-api"), StringComparison.Ordinal);
        }

        held!.Dispose();
        Assert.Null(second.Backend.Locks.Holder("target-api"));
    }

    [SkippableFact]
    public void AConnectionStringWithAPasswordOrWithoutArtifactsIsRefusedWithoutShowingThePassword()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var kinds = new IStoreKind[] { new PostgreSqlStoreKind() };
        var inUser = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared($"postgresql://admin:s3cret-pw@127.0.0.1:{_server.Port}/{_database}?artifacts=/tmp/a", null, kinds));
        var inQuery = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared($"postgresql://127.0.0.1:{_server.Port}/{_database}?bogus=1&password=s3cret-pw&artifacts=/tmp/a", null, kinds));
        var noArtifacts = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared($"postgresql://127.0.0.1:{_server.Port}/{_database}", null, kinds));
        foreach (var ex in new[] { inUser, inQuery, noArtifacts })
        {
            Assert.Equal(RollbackErrorId.StorePathInvalid, ex.ErrorId);
            Assert.DoesNotContain("s3cret-pw", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret-pw", ex.TargetObject?.ToString() ?? string.Empty, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void AWrongPasswordIsStoreAuthenticationFailedNamingTheUserAndWhereThePasswordCameFromNeverThePassword()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var kinds = new IStoreKind[] { new PostgreSqlStoreKind() };
        var wrong = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared(TestStores.ConnectionString(_server, _database, _folder["artifacts"]), new NetworkCredential(PostgreSqlServer.AdminUser, "wrong-pw-4711"), kinds));

        Assert.Equal(RollbackErrorId.StoreAuthenticationFailed, wrong.ErrorId);
        Assert.Equal(RollbackErrorCategory.SecurityError, wrong.Category);
        Assert.Contains($"user '{PostgreSqlServer.AdminUser}'", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("28P01", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("the credential given (-StoreCredential)", wrong.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pw-4711", wrong.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pw-4711", wrong.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ARoleWithoutPrivilegesIsStoreAccessDeniedAndAMissingDatabaseIsStoreRequestFailedNeitherStoreUnavailable()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var kinds = new IStoreKind[] { new PostgreSqlStoreKind() };
        var admin = Open();
        admin.Journal.Append(Entry("api", 0));

        // A login role that may read the store but write nothing: opening and reading work, an append is refused.
        var role = "rb_reader_" + Guid.NewGuid().ToString("N")[..8];
        const string RolePassword = "reader-pw-1234";
        _server.CreateRole(role, RolePassword);
        _roles.Add(role);
        _server.Execute(_database, $"GRANT USAGE ON SCHEMA rollback_store TO \"{role}\"; GRANT SELECT ON ALL TABLES IN SCHEMA rollback_store TO \"{role}\"");
        var connection = $"postgresql://{PostgreSqlServer.Host}:{_server.Port}/{_database}?user={role}&artifacts={Uri.EscapeDataString(_folder["artifacts"])}";
        var reader = StoreLocation.OpenShared(connection, new NetworkCredential(role, RolePassword), kinds);
        _opened.Add(reader);
        Assert.Equal(1, Assert.Single(reader.Journal.Read()).Sequence);

        var denied = Assert.Throws<RollbackException>(() => reader.Journal.Append(Entry("api", 1)));
        Assert.Equal(RollbackErrorId.StoreAccessDenied, denied.ErrorId);
        Assert.Equal(RollbackErrorCategory.PermissionDenied, denied.Category);
        Assert.Contains($"user '{role}'", denied.Message, StringComparison.Ordinal);
        Assert.Contains("42501", denied.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(RolePassword, denied.ToString(), StringComparison.Ordinal);

        var registry = Assert.Throws<RollbackException>(() => reader.Targets.Save(new RollbackTarget { Name = "api", Kind = "Directory", Settings = new SettingsDictionary(Array.Empty<KeyValuePair<string, object?>>()) }, replace: false));
        Assert.Equal(RollbackErrorId.StoreAccessDenied, registry.ErrorId);

        // A role with no privilege at all cannot even read the schema's version.
        var stranger = "rb_none_" + Guid.NewGuid().ToString("N")[..8];
        _server.CreateRole(stranger, RolePassword);
        _roles.Add(stranger);
        var none = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared(connection.Replace(role, stranger, StringComparison.Ordinal), new NetworkCredential(stranger, RolePassword), kinds));
        Assert.Equal(RollbackErrorId.StoreAccessDenied, none.ErrorId);

        // The server answers, but has no such database: not something running again cures.
        var missing = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared(TestStores.ConnectionString(_server, "no_such_store_db", _folder["artifacts"]), TestStores.Credential(_server), kinds));
        Assert.Equal(RollbackErrorId.StoreRequestFailed, missing.ErrorId);
        Assert.Contains("3D000", missing.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void NoServerListeningIsStoreUnavailable()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var port = Loopback.FreePort();
        var ex = Assert.Throws<RollbackException>(() => StoreLocation.OpenShared(
            $"postgresql://{PostgreSqlServer.Host}:{port}/{_database}?user={PostgreSqlServer.AdminUser}&artifacts={Uri.EscapeDataString(_folder["artifacts"])}", TestStores.Credential(_server), new IStoreKind[] { new PostgreSqlStoreKind() }));
        Assert.Equal(RollbackErrorId.StoreUnavailable, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.ResourceUnavailable, ex.Category);
    }

    [SkippableFact]
    public void ChannelsAndUnfinishedAttemptsAreSharedButASecretGivenAtRegistrationStaysWithItsUser()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var alice = Open();
        var bob = Open("bob-machine");
        alice.Notifications.Save(new NotificationChannel { Name = "oncall", Webhook = "env:ONCALL_WEBHOOK" }, replace: false);
        alice.Attempts.Begin(new AttemptRecord { Id = "attempt-1", Target = "api", Action = "Rollback", PointId = "p1", FromFingerprint = "from", ToFingerprint = "to" });
        using (var password = new System.Security.SecureString())
        {
            foreach (var c in "s3cr3t-pw")
            {
                password.AppendChar(c);
            }

            alice.Secrets.Keep("api", "Password", password);
        }

        var reference = SecretFiles.ReferenceFor("api", "Password");

        // What a command on the other machine needs to finish or revert a dead process's attempt, and the team's channels.
        Assert.Equal("oncall", Assert.Single(bob.Notifications.GetAll()).Name);
        Assert.Equal("attempt-1", bob.Attempts.Find("api", damaged => Assert.Fail(damaged))?.Id);
        Assert.Equal(1L, _server.Scalar<long>(_database, "SELECT count(*) FROM rollback_store.documents WHERE name = 'locks/target-api.attempt'"));
        bob.Attempts.End("api");
        Assert.False(alice.Attempts.Exists("api"));

        // The password stays in Alice's own folder, never in the shared database or artifacts; Bob is told how to give his.
        Assert.Equal("s3cr3t-pw", reference.Reveal(alice.Secrets.Directory));
        var refused = Assert.Throws<RollbackException>(() => reference.Reveal(bob.Secrets.Directory));
        Assert.Equal(RollbackErrorId.SecretUnavailable, refused.ErrorId);
        Assert.Contains("not kept for this user on this machine", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0L, _server.Scalar<long>(_database, "SELECT count(*) FROM rollback_store.documents WHERE body LIKE '%s3cr3t%'"));
        Assert.Equal(RollbackStore.UserSecretsFolder(alice.Location), new RollbackStore(_folder["default"], alice.Backend).Secrets.Directory);
        Assert.False(RollbackStore.UserSecretsFolder(alice.Location).StartsWith(_folder["artifacts"], StringComparison.Ordinal));
    }

    private int[] Versions() =>
        _server.Scalar<string>(_database, "SELECT string_agg(version::text, ',' ORDER BY version) FROM rollback_store.schema_version").Split(',').Select(int.Parse).ToArray();

    /// <summary>The shared store as a runner opens it: the one database, and a folder of its own (another for another machine).</summary>
    private RollbackStore Open(string folder = "artifacts")
    {
        var store = TestStores.OpenShared(_server, _database, _folder[folder]);
        lock (_opened)
        {
            _opened.Add(store);
        }

        return store;
    }

    private static IDisposable? WaitForLock(RollbackStore store, string name)
    {
        // The server notices the ended session at once; a bounded wait covers the few milliseconds it takes to clean up.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (store.Backend.Locks.TryAcquire(name, "next") is { } held)
            {
                return held;
            }

            Thread.Sleep(20);
        }

        return null;
    }

    private static HistoryEntry Entry(string target, int i) => new()
    {
        Time = new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero).AddSeconds(i),
        Target = target,
        Action = HistoryAction.Capture,
        Reason = "entry " + i,
        User = "tester",
        Status = "Succeeded",
    };
}
