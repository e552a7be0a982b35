using System;
using System.IO;
using Npgsql;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.PostgreSql;

/// <summary>
/// The test server itself: what every PostgreSQL test relies on (a real server of the package's version, reachable
/// only on 127.0.0.1, passwords checked, not running as root, a database per test) is asserted once here.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class PostgreSqlServerTests
{
    private readonly PostgreSqlServer _server;

    public PostgreSqlServerTests(PostgreSqlServer server)
    {
        _server = server;
    }

    [SkippableFact]
    public void TheServerIsARealPostgreSqlOnLoopbackRunAsAnUnprivilegedAccount()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        Assert.Equal(15, _server.MajorVersion);
        Assert.Equal("127.0.0.1", _server.Scalar<string>("postgres", "SELECT current_setting('listen_addresses')"));
        Assert.Equal(_server.DataDirectory, _server.Scalar<string>("postgres", "SELECT current_setting('data_directory')"));
        // The postmaster is the very process the fixture started and stops by PID (setpriv executes it in place), and it
        // does not run as root (initdb and postgres refuse to).
        Assert.Equal(_server.ProcessId, ReadPostmasterPid());
        Assert.NotEqual("0", EffectiveUserOf(_server.ProcessId!.Value));
    }

    [SkippableFact]
    public void AWrongPasswordIsRefusedByTheServer()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        using var connection = new NpgsqlConnection(_server.ConnectionString("postgres", password: "not-the-password"));
        var refused = Assert.Throws<PostgresException>(connection.Open);

        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }

    [SkippableFact]
    public void EachTestGetsADatabaseOfItsOwn()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);

        var first = _server.CreateDatabase("fixture");
        var second = _server.CreateDatabase("fixture");
        _server.Execute(first, "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)");

        Assert.NotEqual(first, second);
        Assert.Equal(2L, _server.Scalar<long>(first, "SELECT count(*) FROM t"));
        Assert.Equal(0L, _server.Scalar<long>(second, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"));
        _server.DropDatabase(second);
        Assert.False(_server.DatabaseExists(second));
    }

    private int ReadPostmasterPid() => int.Parse(File.ReadAllLines(Path.Combine(_server.DataDirectory, "postmaster.pid"))[0], System.Globalization.CultureInfo.InvariantCulture);

    private static string EffectiveUserOf(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2];
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no Uid line.");
    }
}
