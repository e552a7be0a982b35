using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Providers;
using Rollback.Providers.PostgreSql;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.PostgreSql;

/// <summary>
/// The SchemaMigration kind through the engine against the real PostgreSQL 15 server: a real EF Core 10 model's
/// migrations bundle rolls the schema back (and refuses across a migration without a down step, changing nothing), and
/// a command template (a script the test writes, updating schema_migrations with psql) does the same for other tools;
/// a failing tool is MigrationToolFailed with its masked output tail, and Ctrl+C kills the tool's process tree.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class SchemaMigrationTests : IDisposable
{
    private const string Target = "shop-schema";
    private const string DatabaseTarget = "shop-db";
    private const string Canary = "hunter2-canary-7f3a";
    private readonly PostgreSqlServer _server;
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly RollbackStore _store;
    private readonly string _passFile;
    private string _database = string.Empty;

    public SchemaMigrationTests(PostgreSqlServer server)
    {
        _server = server;
        _passFile = _folder["pgpass"];
        _store = new RollbackStore(_folder["store"]);
        _engine = new RollbackEngine(_store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(SchemaMigrationProvider).Assembly)), _reporter, null, "tester");
    }

    public void Dispose()
    {
        if (_server.SkipReason is null && _database.Length > 0)
        {
            _server.DropDatabase(_database);
        }

        _folder.Dispose();
    }

    [SkippableFact]
    public void AnEfBundleRollsTheSchemaBackFromTheThirdMigrationToTheSecond()
    {
        NewDatabase();
        Migrate(SchemaMigrationBundle.Second);
        _server.Execute(_database, "INSERT INTO products (name) VALUES ('kettle'), ('teapot')");
        RegisterDatabase();
        RegisterBundle(("DatabaseTarget", DatabaseTarget));
        var point = _engine.Points.Create(Target, "before v3");
        Assert.Equal(SchemaMigrationBundle.Second, point.Version);
        Migrate(SchemaMigrationBundle.Third);
        _server.Execute(_database, "UPDATE products SET sku = 'K-1' WHERE name = 'kettle'");
        Assert.True(ColumnExists("sku"));

        var result = Rollback(point);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(SchemaMigrationBundle.Third, result.FromVersion);
        Assert.Equal(SchemaMigrationBundle.Second, result.ToVersion);
        Assert.Equal(SchemaMigrationBundle.Third, result.Details["SchemaMigration.VersionBefore"]);
        Assert.Equal(SchemaMigrationBundle.Second, result.Details["SchemaMigration.VersionAfter"]);
        Assert.Equal(SchemaMigrationBundle.Third, result.Details["SchemaMigration.Undone"]);
        Assert.Equal(SchemaMigrationBundle.Second, Version());
        Assert.False(ColumnExists("sku"));
        Assert.Equal(2L, _server.Scalar<long>(_database, "SELECT count(*) FROM products"));
        Assert.Equal(SchemaMigrationBundle.Third, _engine.Points.Get(Target, result.SafetyPointId!).Version);
        Assert.Contains(result.Steps, s => s.Name == "RollbackSchema" && s.Status == StepStatus.Succeeded);

        // The database target was dumped first, at the third migration with the SKU written since: nothing is lost for good.
        var dump = _engine.Points.Get(DatabaseTarget, result.Details["SafetyPoint." + DatabaseTarget]);
        Assert.True(dump.IsSafetyPoint);
        Assert.Equal(SchemaMigrationBundle.Third, dump.Metadata["MigrationVersion"]);
        Assert.True(new FileInfo(Path.Combine(dump.Path, PointStore.ArtifactsFolderName, "database.dump")).Length > 0);
        Assert.Equal(dump.Id, _engine.History.Get(new HistoryFilter { Target = Target, Action = HistoryAction.Rollback })[^1].Details!["SafetyPoint." + DatabaseTarget]);

        // Back at the point: a second rollback changes nothing.
        Assert.Equal(RollbackStatus.AlreadyCurrent, Rollback(point).Status);
    }

    [SkippableFact]
    public void AMigrationWithoutADownStepIsRefusedBeforeAnythingRuns()
    {
        NewDatabase();
        Migrate(SchemaMigrationBundle.First);
        _server.Execute(_database, "INSERT INTO products (name, notes) VALUES ('kettle', 'boils'), ('teapot', 'brews')");
        RegisterBundle(("IrreversibleMigrations", new[] { SchemaMigrationBundle.Second }));
        var point = _engine.Points.Create(Target, "before v2");
        Migrate(SchemaMigrationBundle.Third);
        _server.Execute(_database, "UPDATE products SET sku = 'K-1' WHERE name = 'kettle'");

        var check = _engine.Readiness.Test(Target, point.Id).Checks.Single(c => c.Name == "MigrationsReversible");
        var refused = Assert.Throws<RollbackException>(() => Rollback(point));

        Assert.Equal(SchemaMigrationErrorId.MigrationIrreversible, check.ErrorId);
        Assert.Contains(SchemaMigrationBundle.Second, check.Message, StringComparison.Ordinal);
        Assert.Contains("forward migration", check.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(SchemaMigrationErrorId.MigrationIrreversible, refused.Message, StringComparison.Ordinal);
        Assert.Equal(SchemaMigrationBundle.Third, Version());
        Assert.True(ColumnExists("sku"));
        Assert.Equal("K-1", _server.Scalar<string>(_database, "SELECT sku FROM products WHERE name = 'kettle'"));
        Assert.Equal(2L, _server.Scalar<long>(_database, "SELECT count(*) FROM products"));
        Assert.Single(_engine.Points.GetAll(Target));
    }

    [SkippableFact]
    public void ACommandTemplateRollsSchemaMigrationsBack()
    {
        NewDatabase();
        CommandToolSchema();
        RegisterCommand("sh rollback.sh {Steps} {Target}");
        _server.Execute(_database, "DELETE FROM schema_migrations WHERE version = '3'; ALTER TABLE widgets DROP COLUMN colour");
        var point = _engine.Points.Create(Target, "before v3");
        Assert.Equal("2", point.Version);
        _server.Execute(_database, "INSERT INTO schema_migrations VALUES ('3'); ALTER TABLE widgets ADD COLUMN colour text");
        _folder.WriteFile("rollback.sh", $$"""
            set -e
            [ "$1" = 1 ] || { echo "expected one step to undo, got $1" >&2; exit 2; }
            "{{_server.Tool("psql")}}" -v ON_ERROR_STOP=1 -q -c "ALTER TABLE widgets DROP COLUMN colour; DELETE FROM schema_migrations WHERE version > '$2'"
            echo "rolled back to $2"
            """);

        var result = Rollback(point);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal("3", result.Details["SchemaMigration.VersionBefore"]);
        Assert.Equal("2", result.Details["SchemaMigration.VersionAfter"]);
        Assert.Equal("2", _server.Scalar<string>(_database, "SELECT max(version) FROM schema_migrations"));
        Assert.False(ColumnExists("colour", "widgets"));
        Assert.Contains(_reporter.Verbose, v => v.Contains("rolled back to 2", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void AFailingToolIsMigrationToolFailedWithItsOutputTailAndNoSecret()
    {
        NewDatabase();
        CommandToolSchema();
        RegisterCommand("sh failing.sh");
        _server.Execute(_database, "DELETE FROM schema_migrations WHERE version = '3'");
        var point = _engine.Points.Create(Target, "before v3");
        _server.Execute(_database, "INSERT INTO schema_migrations VALUES ('3')");
        _folder.WriteFile("failing.sh", $"""
            echo "connecting with Host=127.0.0.1;Username=app;Password={Canary};Database=shop"
            echo "and postgres://app:{Canary}@127.0.0.1/shop"
            echo "ERROR: migration 3 cannot be undone: relation widgets_archive does not exist" >&2
            exit 3
            """);

        var result = Rollback(point);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(SchemaMigrationErrorId.MigrationToolFailed, result.ErrorId);
        Assert.Contains("exit code 3", result.Message, StringComparison.Ordinal);
        Assert.Contains("widgets_archive does not exist", result.Message, StringComparison.Ordinal);
        Assert.Contains("Password=***", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_reporter.Verbose, v => v.Contains(Canary, StringComparison.Ordinal));
        Assert.DoesNotContain(Canary, File.ReadAllText(_store.JournalFile), StringComparison.Ordinal);
        Assert.Equal("3", _server.Scalar<string>(_database, "SELECT max(version) FROM schema_migrations"));
    }

    [SkippableFact]
    public void CtrlCKillsTheToolAndEverythingItStarted()
    {
        NewDatabase();
        CommandToolSchema();
        RegisterCommand("sh slow.sh");
        _server.Execute(_database, "DELETE FROM schema_migrations WHERE version = '3'");
        var point = _engine.Points.Create(Target, "before v3");
        _server.Execute(_database, "INSERT INTO schema_migrations VALUES ('3')");
        var childPid = _folder["child.pid"];
        _folder.WriteFile("slow.sh", $"""
            sleep 300 &
            echo $! > "{childPid}"
            wait
            """);
        using var cancel = new CancellationTokenSource();
        _reporter.OnProgress = update =>
        {
            if (update.Activity?.StartsWith("Rolling the schema back", StringComparison.Ordinal) == true && File.Exists(childPid) && File.ReadAllText(childPid).Trim().Length > 0)
            {
                cancel.Cancel();
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "test", Cancellation = cancel.Token });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        var child = int.Parse(File.ReadAllText(childPid).Trim(), CultureInfo.InvariantCulture);
        Assert.False(ProcessLiveness.OtherRuns(child), $"The tool's child process {child} still runs.");
        Assert.Equal("3", _server.Scalar<string>(_database, "SELECT max(version) FROM schema_migrations"));
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void APasswordGivenAsACredentialReachesTheCommandInAFileRemovedAfterAndIsNeverShown()
    {
        NewDatabase();
        CommandToolSchema();
        var password = AdminPassword();
        // What Register-RollbackTarget -Settings @{ Password = $credential } hands the engine: no PassFile at all.
        RegisterCommand("sh rollback.sh {Target}", withPassword: Secure(password));
        _server.Execute(_database, "DELETE FROM schema_migrations WHERE version = '3'; ALTER TABLE widgets DROP COLUMN colour");
        var point = _engine.Points.Create(Target, "before v3");
        _server.Execute(_database, "INSERT INTO schema_migrations VALUES ('3'); ALTER TABLE widgets ADD COLUMN colour text");
        var seen = _folder["seen-passfile"];
        _folder.WriteFile("rollback.sh", $$"""
            set -e
            [ -z "$PGPASSWORD" ] || { echo "PGPASSWORD is set" >&2; exit 4; }
            echo "$PGPASSFILE" > "{{seen}}"
            "{{_server.Tool("psql")}}" -v ON_ERROR_STOP=1 -q -c "ALTER TABLE widgets DROP COLUMN colour; DELETE FROM schema_migrations WHERE version > '$1'"
            echo "rolled back to $1"
            """);

        var plan = _engine.Rollbacks.Plan(Target, point.Id, "preview", Array.Empty<string>());
        var result = Rollback(point);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal("2", _server.Scalar<string>(_database, "SELECT max(version) FROM schema_migrations"));
        Assert.False(ColumnExists("colour", "widgets"));
        // The tool read the password from a user-only file in the store's secrets folder, gone once the operation ended.
        var passFile = File.ReadAllText(seen).Trim();
        var secrets = Path.Combine(_folder["store"], "secrets");
        Assert.StartsWith(secrets + Path.DirectorySeparatorChar, passFile, StringComparison.Ordinal);
        Assert.False(File.Exists(passFile), "The password file written for the tool is still there.");
        Assert.Empty(Directory.GetFiles(secrets, ".pgpass-*"));
        AssertPasswordOnlyInItsSecretFile(password);
        Assert.Contains(plan.Steps, s => s.Name == "RollbackSchema");
        Assert.DoesNotContain(plan.Steps, s => s.Message.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(password, result.Message ?? string.Empty, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Details.Values, v => v.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(_reporter.Verbose, v => v.Contains(password, StringComparison.Ordinal));
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AnEfBundleConnectsWithTheCredentialsPasswordFileAndAWrongOneIsRefusedUnrepeated()
    {
        NewDatabase();
        Migrate(SchemaMigrationBundle.Second);
        var password = AdminPassword();
        RegisterBundle(withPassword: Secure(password));
        var point = _engine.Points.Create(Target, "before v3");
        Migrate(SchemaMigrationBundle.Third);

        var result = Rollback(point);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(SchemaMigrationBundle.Second, Version());
        Assert.Equal("store:" + Target + "/Password", _engine.Targets.Get(Target).Settings.GetSecret("Password")!.Locator);
        Assert.Empty(Directory.GetFiles(Path.Combine(_folder["store"], "secrets"), ".pgpass-*"));
        AssertPasswordOnlyInItsSecretFile(password);

        // A wrong credential: refused as any wrong password, before the tool runs, the password not repeated.
        _engine.Targets.Register(Target, SchemaMigrationProvider.KindName, _engine.Targets.Get(Target).Settings.With("Password", new Rollback.Settings.SecretText(Secure("not-the-password"))), replace: true);
        var check = _engine.Readiness.Test(Target, point.Id).Checks.Single(c => c.ErrorId is not null);
        var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create(Target, "wrong"));

        Assert.Equal(PostgreSqlErrorId.PostgreSqlAuthenticationFailed, check.ErrorId);
        Assert.Equal(PostgreSqlErrorId.PostgreSqlAuthenticationFailed, refused.ErrorId);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", File.ReadAllText(_store.JournalFile), StringComparison.Ordinal);
        Assert.Equal(SchemaMigrationBundle.Second, Version());
    }

    [SkippableFact]
    public void APasswordAndAPassFileTogetherAreRefusedAtRegistration()
    {
        NewDatabase();

        var refused = Assert.Throws<RollbackException>(() => RegisterCommand("sh rollback.sh", ("Password", "env:ROLLBACK_TEST_NO_SUCH_VARIABLE")));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, refused.ErrorId);
        Assert.Contains("kind 'SchemaMigration'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Password", refused.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Targets.GetAll());
    }

    [Fact]
    public void SettingsNameExactlyOneToolAndUnknownOnesAreRefused()
    {
        var both = Assert.Throws<RollbackException>(() => _engine.Targets.Register(Target, SchemaMigrationProvider.KindName, Settings(
            ("Database", "shop"), ("Bundle", _folder.WriteFile("efbundle", "x")), ("RollbackCommand", "npm run migrate:rollback")), replace: false));
        var unknown = Assert.Throws<RollbackException>(() => _engine.Targets.Register(Target, SchemaMigrationProvider.KindName, Settings(
            ("Database", "shop"), ("RollbackCommand", "npm run migrate:rollback"), ("IrreversibleMigration", "x")), replace: false));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, both.ErrorId);
        Assert.Equal(RollbackErrorId.UnknownSetting, unknown.ErrorId);
        Assert.Contains("IrreversibleMigrations", unknown.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Targets.GetAll());
    }

    private void NewDatabase()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        _database = _server.CreateDatabase("schema");
        _server.WritePassFile(_passFile);
    }

    /// <summary>Applies the model's migrations up to <paramref name="migration"/> with the bundle itself, as a deployment does.</summary>
    private void Migrate(string migration) =>
        SchemaMigrationBundle.Run(SchemaMigrationBundle.Path, _folder.Path, migration, "--connection", _server.ConnectionString(_database), "--no-color");

    /// <summary>A Rails-style schema_migrations table at version 3, whose migration 3 added widgets.colour.</summary>
    private void CommandToolSchema() => _server.Execute(_database, """
        CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
        INSERT INTO schema_migrations VALUES ('1'), ('2'), ('3');
        CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL, colour text);
        """);

    private void RegisterBundle(params (string, object)[] more) => _engine.Targets.Register(Target, SchemaMigrationProvider.KindName, Settings(
        Connection().Append(("Bundle", (object)SchemaMigrationBundle.Path)).Concat(more).ToArray()), replace: false);

    /// <summary>The bundle target with its password given as a credential (a SecureString), no PassFile.</summary>
    private void RegisterBundle(System.Security.SecureString withPassword) => _engine.Targets.Register(Target, SchemaMigrationProvider.KindName, Settings(
        Connection(withPassword).Append(("Bundle", (object)SchemaMigrationBundle.Path)).ToArray()), replace: false);

    /// <summary>The same database as a PostgreSqlDatabase target, for the schema target's DatabaseTarget.</summary>
    private void RegisterDatabase() => _engine.Targets.Register(DatabaseTarget, PostgreSqlDatabaseProvider.KindName, Settings(
        Connection().Append(("ToolsDirectory", (object)_server.BinDirectory!)).Append(("MinFreeSpaceMB", "1")).ToArray()), replace: false);

    private void RegisterCommand(string template, params (string, object)[] more) => RegisterCommandOn(template, Connection().Concat(more).ToArray());

    /// <summary>The command target with its password given as a credential (a SecureString), no PassFile.</summary>
    private void RegisterCommand(string template, System.Security.SecureString withPassword) => RegisterCommandOn(template, Connection(withPassword));

    private void RegisterCommandOn(string template, (string, object)[] connection) => _engine.Targets.Register(Target, SchemaMigrationProvider.KindName, Settings(
        connection.Append(("RollbackCommand", (object)template)).Append(("WorkingDirectory", _folder.Path)).Append(("MigrationHistoryTable", "schema_migrations")).ToArray()), replace: false);

    /// <summary>The connection settings, the password in the PassFile, or (<paramref name="password"/>) as the Password secret.</summary>
    private (string, object)[] Connection(System.Security.SecureString? password = null) => new (string, object)[]
    {
        ("Host", PostgreSqlServer.Host),
        ("Port", _server.Port.ToString(CultureInfo.InvariantCulture)),
        ("Database", _database),
        ("User", PostgreSqlServer.AdminUser),
        ("SslMode", "disable"),
        password is null ? ("PassFile", _passFile) : ("Password", new Rollback.Settings.SecretText(password)),
    };

    private string AdminPassword()
    {
        var file = _folder["password"];
        _server.WritePasswordFile(file);
        return File.ReadAllText(file).Trim();
    }

    private static System.Security.SecureString Secure(string text)
    {
        var secure = new System.Security.SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        return secure;
    }

    /// <summary>The store holds the password in its user-only secrets/&lt;target&gt;/Password and nowhere else (targets.json, points, the journal).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void AssertPasswordOnlyInItsSecretFile(string password)
    {
        var store = _folder["store"];
        var secretFile = Path.Combine(store, "secrets", Target, "Password");
        var holders = Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories).Where(f => File.ReadAllText(f).Contains(password, StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { secretFile }, holders);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
    }

    private static SettingsDictionary Settings(params (string Key, object Value)[] settings) =>
        new(settings.Select(s => new KeyValuePair<string, object?>(s.Key, s.Value)));

    private string Version() => _server.Scalar<string>(_database, "SELECT max(\"MigrationId\") FROM \"__EFMigrationsHistory\"");

    private bool ColumnExists(string column, string table = "products") =>
        _server.Scalar<long>(_database, "SELECT count(*) FROM information_schema.columns WHERE table_name = @p0 AND column_name = @p1", table, column) == 1;

    private RollbackResult Rollback(RollbackPoint point) =>
        _engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "bad v3" });
}
