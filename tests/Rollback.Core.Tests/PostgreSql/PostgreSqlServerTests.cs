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

    [SkippableFact]
    public void ANewServerRemovesTheFolderAnEarlierRunLeftAndNoFolderInUse()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "The test servers run on Linux.");
        var abandoned = FakeRoot(postmasterPid: null, age: TimeSpan.FromHours(1));
        var serving = FakeRoot(postmasterPid: Environment.ProcessId, age: TimeSpan.FromHours(1));
        var recent = FakeRoot(postmasterPid: null, age: TimeSpan.Zero);
        try
        {
            using (new PostgreSqlServer())
            {
            }

            Assert.False(Directory.Exists(abandoned), "the folder no server uses was left");
            Assert.True(Directory.Exists(serving), "the folder of a running postmaster was removed");
            Assert.True(Directory.Exists(recent), "a folder changed a moment ago was removed");
        }
        finally
        {
            foreach (var root in new[] { abandoned, serving, recent })
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        }
    }

    /// <summary>A test server's folder as a run leaves it: data/postmaster.pid naming <paramref name="postmasterPid"/>, or none.</summary>
    private static string FakeRoot(int? postmasterPid, TimeSpan age)
    {
        var root = Path.Combine(Path.GetTempPath(), "rollback-test-pg-" + Guid.NewGuid().ToString("N"));
        var data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "PG_VERSION"), "15\n");
        if (postmasterPid is { } pid)
        {
            File.WriteAllText(Path.Combine(data, "postmaster.pid"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n" + data + "\n");
        }

        Directory.SetLastWriteTimeUtc(root, DateTime.UtcNow - age);
        return root;
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
