using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// A PostgreSqlDatabase rollback killed with kill -9 during the restore beside and during the rename switch, in a real
/// process (the runner), against the real PostgreSQL server: the live name holds a complete database the whole time,
/// and the next command on the target settles the attempt (journaled), drops the copy and lets sessions in again; a
/// rerun then rolls back. The step is chosen by the test-only ROLLBACK_TEST_PAUSE_AT, as for the other kinds.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class PostgreSqlCrashTests : IDisposable
{
    private readonly PostgreSqlServer _server;
    private readonly RollbackSession _session = new();
    private readonly string _database = string.Empty;

    public PostgreSqlCrashTests(PostgreSqlServer server)
    {
        _server = server;
        if (server.SkipReason is not null)
        {
            return;
        }

        _database = server.CreateDatabase("crash");
        server.Execute(_database, """
            CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
            INSERT INTO schema_migrations VALUES ('1'), ('2');
            CREATE TABLE orders (id serial PRIMARY KEY, total numeric);
            INSERT INTO orders (total) SELECT g FROM generate_series(1, 1000) g;
            """);
        var passFile = Path.Combine(_session.Root, "pgpass");
        server.WritePassFile(passFile);
        _session.Run($"Register-RollbackTarget -Name db -Kind PostgreSqlDatabase -Settings @{{ Host = '127.0.0.1'; Port = {server.Port.ToString(CultureInfo.InvariantCulture)}; " +
            $"Database = '{_database}'; User = '{PostgreSqlServer.AdminUser}'; SslMode = 'disable'; PassFile = '{passFile}'; KeyTables = 'orders'; MinFreeSpaceMB = 1; ToolsDirectory = '{server.BinDirectory}' }}").One("RollbackTarget");
    }

    public void Dispose()
    {
        if (_server.SkipReason is null)
        {
            foreach (var name in _server.DatabasesStartingWith(_database))
            {
                _server.DropDatabase(name);
            }
        }

        _session.Dispose();
    }

    [SkippableTheory]
    [InlineData("PostgreSql.Restoring")]
    [InlineData("PostgreSql.ConnectionsClosed")]
    [InlineData("PostgreSql.Renamed")]
    public void AKillDuringTheRestoreOrTheSwitchLeavesTheLiveNameWholeAndTheNextCommandSettlesIt(string crashPoint)
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        Skip.IfNot(OperatingSystem.IsLinux(), "kill -9 is Linux's here.");
        var pointId = _session.Run("New-RollbackPoint -Target db").One("RollbackPoint").GetString("Id")!;
        _server.Execute(_database, "INSERT INTO schema_migrations VALUES ('3'); DELETE FROM orders WHERE id > 400;");

        var killed = KilledProcess.RunAndKillAt(
            $"Invoke-Rollback -Target db -PointId {pointId} -Reason crash -Confirm:$false -StorePath '{_session.StorePath}'", crashPoint, _session.Root);

        // The live name holds the complete database it held before (the renames' transaction died with the process).
        Assert.Equal(crashPoint == "PostgreSql.Restoring", LiveAllowsSessions());
        Assert.Equal("3/400", LiveState());
        Assert.Contains(_server.DatabasesStartingWith(_database), n => n.Contains("_restoring_", StringComparison.Ordinal));

        var settle = _session.Run("Test-RollbackReadiness -Target db -PointId " + pointId).One("ReadinessReport");

        Assert.True((bool)settle.Get("IsReady")!, string.Join(" ", ((System.Collections.IEnumerable)settle.Get("Checks")!).Cast<object>()));
        Assert.Equal(new[] { _database }, _server.DatabasesStartingWith(_database));
        Assert.True(LiveAllowsSessions());
        Assert.Equal("3/400", LiveState());
        var recovery = _session.Run("Get-RollbackHistory -Target db").All("HistoryEntry")[^1];
        Assert.Equal("RecoverAttempt", recovery.GetString("Action"));
        Assert.Equal("Reverted", recovery.GetString("Status"));
        Assert.Contains(killed.ToString(CultureInfo.InvariantCulture), recovery.GetString("Reason"), StringComparison.Ordinal);

        var rerun = _session.Run($"Invoke-Rollback -Target db -PointId {pointId} -Reason rerun -Confirm:$false").One("RollbackResult");
        Assert.Equal("Succeeded", rerun.GetString("Status"));
        Assert.Equal("2/1000", LiveState());
    }

    private bool LiveAllowsSessions() => _server.Scalar<bool>("postgres", "SELECT datallowconn FROM pg_database WHERE datname = @p0", _database);

    /// <summary>The live database's migration version and row count, read even while it refuses sessions (and left as found).</summary>
    private string LiveState()
    {
        var refusing = !LiveAllowsSessions();
        if (refusing)
        {
            _server.Execute("postgres", $"ALTER DATABASE \"{_database}\" WITH ALLOW_CONNECTIONS true");
        }

        try
        {
            return $"{_server.Scalar<string>(_database, "SELECT max(version) FROM schema_migrations")}/{_server.Scalar<long>(_database, "SELECT count(*) FROM orders")}";
        }
        finally
        {
            if (refusing)
            {
                _server.Execute("postgres", $"ALTER DATABASE \"{_database}\" WITH ALLOW_CONNECTIONS false");
            }
        }
    }
}
