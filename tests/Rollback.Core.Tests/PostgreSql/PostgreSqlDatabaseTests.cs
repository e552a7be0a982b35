using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.PostgreSql;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.PostgreSql;

/// <summary>
/// The PostgreSqlDatabase kind through the engine against the real PostgreSQL 15 server: capture, readiness, the
/// restore beside with its rename switch (and in place), and every bad input refused with its ErrorId while the live
/// database keeps its rows and its migration version.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class PostgreSqlDatabaseTests : IDisposable
{
    private const string Target = "orders-db";
    private readonly PostgreSqlServer _server;
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly string _passFile;
    private string _database = string.Empty;

    public PostgreSqlDatabaseTests(PostgreSqlServer server)
    {
        _server = server;
        _passFile = _folder["pgpass"];
        _engine = new RollbackEngine(new RollbackStore(_folder["store"]), new ProviderCatalog(ProviderCatalog.FindIn(typeof(PostgreSqlDatabaseProvider).Assembly)), _reporter, null, "tester");
    }

    public void Dispose()
    {
        if (_server.SkipReason is null && _database.Length > 0)
        {
            foreach (var name in _server.DatabasesStartingWith(_database))
            {
                _server.DropDatabase(name);
            }
        }

        _folder.Dispose();
    }

    [SkippableFact]
    public void RollbackRestoresBesideSwitchesByRenameAndKeepsTheReplacedDatabaseUntilItsSafetyPointIsRemoved()
    {
        var point = Capture();
        Assert.Equal("20240102_AddTotals", point.Version);
        Assert.Equal("3", point.Metadata["RowCount.public.orders"]);
        Assert.StartsWith("15.", point.Metadata["ServerVersion"], StringComparison.Ordinal);
        Assert.StartsWith("15.", point.Metadata["DumpedFromVersion"], StringComparison.Ordinal);
        Assert.Equal(point.Artifacts[0].Sha256, Checksums.HashFile(Path.Combine(point.Path, PointStore.ArtifactsFolderName, "database.dump")));
        BadDeployment();

        var result = Rollback(point);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(("20240102_AddTotals", 3L), LiveState());
        var kept = result.Details["KeptDatabase"];
        Assert.StartsWith(_database + "_replaced_", kept, StringComparison.Ordinal);
        Assert.Equal(5L, _server.Scalar<long>(kept, "SELECT count(*) FROM orders"));
        Assert.Equal(new[] { _database, kept }, _server.DatabasesStartingWith(_database));
        Assert.Contains(result.Steps, s => s.Name == "SwitchDatabases");
        Assert.True(result.Downtime < TimeSpan.FromSeconds(5), result.Downtime.ToString());
        var journaled = _engine.History.Get(new HistoryFilter { Target = Target, Action = HistoryAction.Rollback })[^1];
        Assert.Equal(kept, journaled.Details!["KeptDatabase"]);

        // The database is now the point's state: a second rollback to it changes nothing.
        Assert.Equal(RollbackStatus.AlreadyCurrent, Rollback(point).Status);

        _engine.Points.Remove(Target, result.SafetyPointId!);
        Assert.False(_server.DatabaseExists(kept));
        Assert.Equal(("20240102_AddTotals", 3L), LiveState());
    }

    [SkippableFact]
    public async Task TwoRollbacksOfTheSameDatabaseAtOnceRunOneAndRefuseTheOtherAsBusy()
    {
        var point = Capture();
        BadDeployment();
        using var atSwitch = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // The first holds the target from readiness to the end: stopped just before its rename switch, its restored copy
        // beside the live database, while a second engine on the same store (another operator's shell) tries the same.
        var first = Task.Run(() => _engine.Rollbacks.Run(new RollbackRequest
        {
            Target = Target, PointId = point.Id, Reason = "bad v2",
            BeforeSwitch = () =>
            {
                atSwitch.Set();
                release.Wait(TimeSpan.FromMinutes(2));
            },
        }));
        Assert.True(atSwitch.Wait(TimeSpan.FromMinutes(2)), "The first rollback did not reach its switch.");
        var other = new RollbackEngine(new RollbackStore(_folder["store"]), new ProviderCatalog(ProviderCatalog.FindIn(typeof(PostgreSqlDatabaseProvider).Assembly)), null, null, "second-operator");
        var second = Assert.Throws<RollbackException>(() => other.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "bad v2, again" }));
        var during = _server.DatabasesStartingWith(_database);
        release.Set();
        var result = await first;

        Assert.Equal(RollbackErrorId.RollbackInProgress, second.ErrorId);
        Assert.Equal(2, during.Count); // the live database and the first's restored copy, untouched by the second
        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(("20240102_AddTotals", 3L), LiveState());
        Assert.Equal(new[] { _database, result.Details["KeptDatabase"] }, _server.DatabasesStartingWith(_database));
        var attempts = _engine.History.Get(new HistoryFilter { Target = Target, Action = HistoryAction.Rollback });
        Assert.Equal(new[] { HistoryStatus.Refused, "Succeeded" }, attempts.Select(e => e.Status).ToArray());
        Assert.Equal(2, _engine.Points.GetAll(Target).Count); // the point and the first's safety point: the refused one took none
    }

    [SkippableFact]
    public void InPlaceRestoresIntoTheLiveDatabaseAndReportsTheWholeRestoreAsDowntime()
    {
        var point = Capture();
        BadDeployment();

        var result = Rollback(point, ("Strategy", "InPlace"));

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(("20240102_AddTotals", 3L), LiveState());
        Assert.Equal(new[] { _database }, _server.DatabasesStartingWith(_database));
        Assert.True(result.Downtime >= result.Steps.Single(s => s.Name == "RestoreInPlace").Duration, result.Downtime.ToString());
    }

    [SkippableFact]
    public void AWrongPasswordIsRefusedBeforeAnythingChanges()
    {
        var point = Capture();
        BadDeployment();
        _server.WritePassFile(_passFile, password: "not-the-password");

        var refused = Assert.Throws<RollbackException>(() => Rollback(point));

        Assert.Equal(PostgreSqlErrorId.PostgreSqlAuthenticationFailed, refused.ErrorId);
        Assert.Equal(PostgreSqlErrorId.PostgreSqlAuthenticationFailed, _engine.Readiness.Test(Target, point.Id).Checks.Single(c => c.Name == "TargetReachable").ErrorId);
        Assert.DoesNotContain(refused.Message, "not-the-password", StringComparison.Ordinal);
        Assert.Equal(BadState, LiveState());
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void APasswordGivenAsACredentialIsKeptByReferenceAndHandedToTheToolsInAFileRemovedAfter()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        _database = _server.CreateDatabase("app");
        _server.Execute(_database, "CREATE TABLE orders (id serial PRIMARY KEY, total numeric NOT NULL); INSERT INTO orders (total) VALUES (10), (20), (30);");
        var passwordFile = _folder["password"];
        _server.WritePasswordFile(passwordFile);
        var password = File.ReadAllText(passwordFile).Trim();
        var secure = new System.Security.SecureString();
        foreach (var c in password)
        {
            secure.AppendChar(c);
        }

        // What Register-RollbackTarget -Settings @{ Password = $credential } hands the engine: no PassFile at all.
        Register(passFile: null, ("Password", new Rollback.Settings.SecretText(secure)));
        var point = _engine.Points.Create(Target, "before v2");
        _server.Execute(_database, "DELETE FROM orders WHERE id > 1");
        var result = Rollback(point);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(3L, _server.Scalar<long>(_database, "SELECT count(*) FROM orders"));
        var store = _folder["store"];
        var secretFile = Path.Combine(store, "secrets", Target, "Password");
        var holders = Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".dump", StringComparison.Ordinal) && File.ReadAllText(f).Contains(password, StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { secretFile }, holders);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        Assert.Equal("store:" + Target + "/Password", _engine.Targets.Get(Target).Settings.GetSecret("Password")!.Locator);
        // The password files written for pg_dump, pg_restore and Npgsql are gone once each operation ends.
        Assert.Empty(Directory.GetFiles(Path.Combine(store, "secrets"), ".pgpass-*"));

        // A wrong credential: refused as any wrong password, the password not repeated.
        var wrong = new System.Security.SecureString();
        foreach (var c in "not-the-password")
        {
            wrong.AppendChar(c);
        }

        _engine.Targets.Register(Target, PostgreSqlDatabaseProvider.KindName, _engine.Targets.Get(Target).Settings.With("Password", new Rollback.Settings.SecretText(wrong)), replace: true);
        var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create(Target, "wrong"));
        Assert.Equal(PostgreSqlErrorId.PostgreSqlAuthenticationFailed, refused.ErrorId);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void APasswordAndAPassFileTogetherAreRefusedAtRegistration()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        _database = _server.CreateDatabase("app");
        _server.WritePassFile(_passFile);

        var refused = Assert.Throws<RollbackException>(() => Register(_passFile, ("Password", "env:ROLLBACK_TEST_NO_SUCH_VARIABLE")));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, refused.ErrorId);
        Assert.Empty(_engine.Targets.GetAll());
    }

    [SkippableFact]
    public void AnUnknownDatabaseIsNamedWhenCapturing()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        _database = "nosuch_" + Guid.NewGuid().ToString("N")[..8];
        _server.WritePassFile(_passFile);
        Register();

        var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create(Target, "before"));

        Assert.Equal(PostgreSqlErrorId.PostgreSqlDatabaseNotFound, refused.ErrorId);
        Assert.False(_server.DatabaseExists(_database));
    }

    [SkippableFact]
    public void ADumpWhoseChecksumDoesNotMatchIsRefused()
    {
        var point = Capture();
        BadDeployment();
        var dump = DumpOf(point);
        var bytes = File.ReadAllBytes(dump);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(dump, bytes);

        var report = _engine.Readiness.Test(Target, point.Id);

        Assert.False(report.IsReady);
        Assert.Equal(RollbackErrorId.ArtifactChecksumMismatch, report.Checks.Single(c => c.Name == "ArtifactsIntact").ErrorId);
        Assert.Equal(RollbackErrorId.RollbackNotReady, Assert.Throws<RollbackException>(() => Rollback(point)).ErrorId);
        Assert.Equal(BadState, LiveState());
    }

    [SkippableFact]
    public void ADumpCutShortWhenItWasWrittenIsRefusedAsUnreadable()
    {
        var point = Capture();
        BadDeployment();
        var dump = DumpOf(point);
        var bytes = File.ReadAllBytes(dump);
        point = Forge(point, dump, bytes[..(bytes.Length / 3)]);

        var report = _engine.Readiness.Test(Target, point.Id);

        Assert.Equal(CheckStatus.Pass, report.Checks.Single(c => c.Name == "ArtifactsIntact").Status);
        Assert.Equal(PostgreSqlErrorId.PostgreSqlDumpUnreadable, report.Checks.Single(c => c.Name == "DumpReadable").ErrorId);
        Assert.Equal(RollbackErrorId.RollbackNotReady, Assert.Throws<RollbackException>(() => Rollback(point)).ErrorId);
        Assert.Equal(BadState, LiveState());
    }

    [SkippableFact]
    public void ADumpFromANewerMajorVersionIsRefused()
    {
        var point = Capture();
        BadDeployment();
        var dump = DumpOf(point);
        var bytes = File.ReadAllBytes(dump);
        var from = Encoding.ASCII.GetBytes(point.Metadata["DumpedFromVersion"]);
        var at = IndexOf(bytes, from);
        Assert.True(at >= 0, "The dump's header names the server version.");
        bytes[at] = (byte)'9';
        bytes[at + 1] = (byte)'9';
        point = Forge(point, dump, bytes);

        var report = _engine.Readiness.Test(Target, point.Id);

        Assert.Equal(PostgreSqlErrorId.PostgreSqlDumpTooNew, report.Checks.Single(c => c.Name == "DumpRestorable").ErrorId);
        Assert.Equal(RollbackErrorId.RollbackNotReady, Assert.Throws<RollbackException>(() => Rollback(point)).ErrorId);
        Assert.Equal(BadState, LiveState());
    }

    [SkippableFact]
    public void NoSpaceForTheRestoreBesideIsRefused()
    {
        var point = Capture();
        BadDeployment();

        var refused = Assert.Throws<RollbackException>(() => Rollback(point, ("MinFreeSpaceMB", "2000000000")));

        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(RollbackErrorId.InsufficientSpace, refused.Message, StringComparison.Ordinal);
        Assert.Equal(BadState, LiveState());
    }

    [SkippableFact]
    public void ACheckQueryThatFailsOnTheRestoredCopySwitchesNothingAndDropsTheCopy()
    {
        var point = Capture();
        BadDeployment();

        var result = Rollback(point, ("CheckQuery", "SELECT count(*) > 1000 FROM orders"));

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(PostgreSqlErrorId.PostgreSqlCheckQueryFailed, result.ErrorId);
        Assert.Equal(BadState, LiveState());
        Assert.Equal(new[] { _database }, _server.DatabasesStartingWith(_database));
    }

    [SkippableFact]
    public void CtrlCDuringTheRestoreLeavesTheLiveDatabaseAndDropsTheHalfRestoredCopy()
    {
        var point = Capture();
        BadDeployment();
        using var cancel = new CancellationTokenSource();
        _reporter.OnProgress = update =>
        {
            if (update.Activity?.StartsWith("pg_restore", StringComparison.Ordinal) == true)
            {
                cancel.Cancel();
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "test", Cancellation = cancel.Token });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        Assert.Equal(BadState, LiveState());
        Assert.Equal(new[] { _database }, _server.DatabasesStartingWith(_database));
    }

    private static readonly (string, long) BadState = ("20240301_DropTotals", 5L);

    private RollbackPoint Capture()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        _database = _server.CreateDatabase("app");
        _server.Execute(_database, """
            CREATE TABLE orders (id serial PRIMARY KEY, total numeric NOT NULL);
            INSERT INTO orders (total) VALUES (10), (20), (30);
            CREATE TABLE "__EFMigrationsHistory" ("MigrationId" varchar(150) PRIMARY KEY, "ProductVersion" varchar(32) NOT NULL);
            INSERT INTO "__EFMigrationsHistory" VALUES ('20240101_Initial', '10.0.3'), ('20240102_AddTotals', '10.0.3');
            """);
        _server.WritePassFile(_passFile);
        Register();
        return _engine.Points.Create(Target, "before v2");
    }

    private void Register() => Register(_passFile);

    private void Register(string? passFile, params (string Key, object Value)[] more) => _engine.Targets.Register(Target, PostgreSqlDatabaseProvider.KindName, new SettingsDictionary(new[]
    {
        Setting("Host", PostgreSqlServer.Host),
        Setting("Port", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Setting("Database", _database),
        Setting("User", PostgreSqlServer.AdminUser),
        Setting("SslMode", "disable"),
        Setting("KeyTables", new[] { "public.orders" }),
        Setting("MinFreeSpaceMB", "1"),
        Setting("ToolsDirectory", _server.BinDirectory!),
    }.Concat(passFile is null ? Array.Empty<KeyValuePair<string, object?>>() : new[] { Setting("PassFile", passFile) }).Concat(more.Select(m => Setting(m.Key, m.Value)))), replace: false);

    private static KeyValuePair<string, object?> Setting(string key, object value) => new(key, value);

    /// <summary>A deployment that migrated the schema and changed data.</summary>
    private void BadDeployment() => _server.Execute(_database, """
        INSERT INTO "__EFMigrationsHistory" VALUES ('20240301_DropTotals', '10.0.3');
        INSERT INTO orders (total) VALUES (40), (50);
        """);

    private (string Version, long Rows) LiveState() =>
        (_server.Scalar<string>(_database, "SELECT max(\"MigrationId\") FROM \"__EFMigrationsHistory\""), _server.Scalar<long>(_database, "SELECT count(*) FROM orders"));

    private RollbackResult Rollback(RollbackPoint point, params (string Key, string Value)[] options) =>
        _engine.Rollbacks.Run(new RollbackRequest
        {
            Target = Target,
            PointId = point.Id,
            Reason = "bad v2",
            Options = new SettingsDictionary(options.Select(o => Setting(o.Key, o.Value))),
        });

    private static string DumpOf(RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName, "database.dump");

    /// <summary>Replaces the dump and makes the manifest agree with it: a dump that was already so when it was captured.</summary>
    private RollbackPoint Forge(RollbackPoint point, string dump, byte[] bytes)
    {
        File.WriteAllBytes(dump, bytes);
        var manifest = Path.Combine(point.Path, "manifest.json");
        var text = File.ReadAllText(manifest)
            .Replace(point.Artifacts[0].Sha256, Checksums.HashFile(dump), StringComparison.Ordinal)
            .Replace($"\"size\": {point.Artifacts[0].Size}", $"\"size\": {bytes.Length}", StringComparison.OrdinalIgnoreCase);
        File.WriteAllText(manifest, text);
        return _engine.Points.Get(Target, point.Id);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }
}
