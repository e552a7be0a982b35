using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Npgsql;
using Rollback.Engine;
using Rollback.Providers;
using Rollback.Providers.PostgreSql;
using Rollback.Store;
using Rollback.Testing;

namespace Rollback.Benchmarks;

/// <summary>
/// --postgres: a PostgreSqlDatabase rollback of a database of --rows rows (default one million, about 200 MB) on a real
/// PostgreSQL server (fsync on), against the plain procedure measured in the same run on the same dump.
/// (a) The unavailable window: a client reads the database in a tight loop (a new session whenever one fails), and the
/// window is the longest stretch between two successful reads while the rollback runs; ours (restore beside, then the
/// rename switch) against "stop the application, pg_restore --clean, start it" (the client paused for that time).
/// (b) Restore throughput: our restore beside (pg_restore --jobs into the copy) against a plain single-job pg_restore
/// of the same dump into an empty database, and a plain pg_restore --jobs. Figures only; nothing is asserted.
/// </summary>
internal static class PostgreSqlBenchmark
{
    private const string Target = "bench";

    public static int Run(Options options)
    {
        using var scratch = new ScratchFolder(options, "rollback-pg-bench-");
        scratch.Progress("Starting PostgreSQL (fsync on) on 127.0.0.1...");
        using var server = PostgreSqlServer.StartDurable();
        if (server.SkipReason is not null)
        {
            Console.Error.WriteLine("The PostgreSQL benchmark needs a real server: " + server.SkipReason);
            return 1;
        }

        var database = server.CreateDatabase("bench");
        scratch.Progress($"Filling '{database}' with {options.Rows:N0} rows...");
        server.Execute(database, $"""
            CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
            INSERT INTO schema_migrations VALUES ('1'), ('2');
            CREATE TABLE items (id bigint PRIMARY KEY, sku text NOT NULL, payload text NOT NULL);
            INSERT INTO items SELECT g, 'sku-' || g, repeat(md5(g::text), 4) FROM generate_series(1, {options.Rows}) g;
            ANALYZE items;
            """);
        var size = server.Scalar<long>(database, "SELECT pg_database_size(current_database())");
        var passFile = Path.Combine(scratch.Path, "pgpass");
        server.WritePassFile(passFile);

        var engine = new RollbackEngine(new RollbackStore(Path.Combine(scratch.Path, "store")),
            new ProviderCatalog(ProviderCatalog.FindIn(typeof(PostgreSqlDatabaseProvider).Assembly)), NullReporter.Instance, null, "bench");
        engine.Targets.Register(Target, PostgreSqlDatabaseProvider.KindName, new SettingsDictionary(new Dictionary<string, object?>
        {
            ["Host"] = PostgreSqlServer.Host,
            ["Port"] = server.Port.ToString(CultureInfo.InvariantCulture),
            ["Database"] = database,
            ["User"] = PostgreSqlServer.AdminUser,
            ["SslMode"] = "disable",
            ["PassFile"] = passFile,
            ["KeyTables"] = new[] { "public.items" },
            ["MinFreeSpaceMB"] = "1",
            ["ToolsDirectory"] = server.BinDirectory!,
        }), replace: false);

        scratch.Progress("Capturing a point (pg_dump -Fc)...");
        var captureWatch = Stopwatch.StartNew();
        var point = engine.Points.Create(Target, "bench");
        captureWatch.Stop();
        var dump = Path.Combine(point.Path, PointStore.ArtifactsFolderName, "database.dump");
        var dumpSize = new FileInfo(dump).Length;
        server.Execute(database, "INSERT INTO schema_migrations VALUES ('3'); DELETE FROM items WHERE id % 10 = 0;");

        scratch.Progress("(a) Ours: rollback beside and rename switch, with a client reading in a tight loop...");
        RollbackResult ours;
        TimeSpan oursWindow;
        using (var reader = new TightReader(server.ConnectionString(database)))
        {
            ours = engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "bench" });
            oursWindow = reader.Stop();
        }

        if (ours.Status != RollbackStatus.Succeeded)
        {
            Console.Error.WriteLine($"The rollback did not succeed: {ours.Status} {ours.Message}");
            return 1;
        }

        server.Execute(database, "INSERT INTO schema_migrations VALUES ('3'); DELETE FROM items WHERE id % 10 = 0;");
        scratch.Progress("(a) Baseline: stop the application, pg_restore --clean, start it...");
        TimeSpan plainWindow;
        using (var reader = new TightReader(server.ConnectionString(database)))
        {
            reader.Pause();
            server.Execute("postgres", $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()");
            PgRestore(server, passFile, database, dump, "--clean", "--if-exists");
            reader.Resume();
            plainWindow = reader.Stop();
        }

        server.Execute(database, "INSERT INTO schema_migrations VALUES ('4'); DELETE FROM items WHERE id % 7 = 0;");
        scratch.Progress("(b) Ours again, without the reading client (the same conditions as the plain restores)...");
        var quiet = engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = point.Id, Reason = "bench" });
        scratch.Progress("(b) Plain pg_restore of the same dump into empty databases (one job, then --jobs)...");
        var single = TimedRestore(server, passFile, dump, jobs: 1);
        var jobs = Math.Min(8, Environment.ProcessorCount);
        var parallel = TimedRestore(server, passFile, dump, jobs);
        var oursRestore = quiet.Steps.Single(s => s.Name == "RestoreCopy").Duration;
        var oursSwitch = ours.Steps.Single(s => s.Name == "SwitchDatabases").Duration;

        foreach (var name in server.DatabasesStartingWith(database).Where(n => n != database))
        {
            server.DropDatabase(name);
        }

        var mib = dumpSize / 1048576.0;
        Console.WriteLine();
        Console.WriteLine($"PostgreSqlDatabase rollback, {options.Rows:N0} rows, database {size / 1048576.0:N0} MiB, dump {mib:N1} MiB, PostgreSQL {server.MajorVersion} (fsync on), {Environment.ProcessorCount} cores");
        Console.WriteLine($"  capture (pg_dump -Fc, one snapshot)          {Seconds(captureWatch.Elapsed)}");
        Console.WriteLine($"  (a) unavailable window, ours                 {Milliseconds(oursWindow)}   (switch step {Milliseconds(oursSwitch)}, engine downtime {Milliseconds(ours.Downtime)})");
        Console.WriteLine($"  (a) unavailable window, stop/--clean/start   {Seconds(plainWindow)}");
        Console.WriteLine($"  (a) ratio                                    {plainWindow.TotalMilliseconds / Math.Max(0.001, oursWindow.TotalMilliseconds):N0}x shorter");
        Console.WriteLine($"  (b) restore beside, ours (--jobs {jobs})          {Seconds(oursRestore)}  {mib / oursRestore.TotalSeconds:N1} MiB/s of dump");
        Console.WriteLine($"  (b) plain pg_restore, one job                {Seconds(single)}  {mib / single.TotalSeconds:N1} MiB/s");
        Console.WriteLine($"  (b) plain pg_restore --jobs {jobs}                {Seconds(parallel)}  {mib / parallel.TotalSeconds:N1} MiB/s");
        Console.WriteLine($"  (b) ours / plain one job                     {oursRestore.TotalSeconds / single.TotalSeconds:N2}x the time");
        Console.WriteLine($"  (b) ours / plain --jobs {jobs}                    {oursRestore.TotalSeconds / parallel.TotalSeconds:N2}x the time");
        Console.WriteLine($"  whole rollback (safety dump, restore, verify, switch)  {Seconds(ours.Duration)}");
        return 0;
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds,8:N2} s";

    private static string Milliseconds(TimeSpan span) => $"{span.TotalMilliseconds,8:N1} ms";

    private static TimeSpan TimedRestore(PostgreSqlServer server, string passFile, string dump, int jobs)
    {
        var target = server.CreateDatabase("plain");
        var watch = Stopwatch.StartNew();
        PgRestore(server, passFile, target, dump, "--jobs=" + jobs.ToString(CultureInfo.InvariantCulture));
        watch.Stop();
        server.DropDatabase(target);
        return watch.Elapsed;
    }

    private static void PgRestore(PostgreSqlServer server, string passFile, string database, string dump, params string[] extra)
    {
        var start = new ProcessStartInfo(server.Tool("pg_restore")) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-h", PostgreSqlServer.Host, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", PostgreSqlServer.AdminUser, "--no-password", "--exit-on-error", "-d", database }.Concat(extra).Append(dump))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSFILE"] = passFile;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_restore failed: {error}{output.Result}");
        }
    }

    /// <summary>
    /// A client reading the database in a tight loop (a query that needs the table and the migration history), opening a
    /// new session whenever one fails. The window is the longest time between two successful reads.
    /// </summary>
    private sealed class TightReader : IDisposable
    {
        private readonly string _connectionString;
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _running = new(true);
        private volatile bool _stop;
        private long _lastSuccess;
        private long _longestGap;

        public TightReader(string connectionString)
        {
            _connectionString = connectionString;
            _lastSuccess = Stopwatch.GetTimestamp();
            _thread = new Thread(Loop) { IsBackground = true };
            _thread.Start();
            // Until the first read succeeds, nothing is measured.
            while (Interlocked.Read(ref _lastSuccess) == 0 || Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastSuccess)) > TimeSpan.FromSeconds(1))
            {
                Thread.Sleep(10);
            }

            Interlocked.Exchange(ref _longestGap, 0);
        }

        public void Pause() => _running.Reset();

        /// <summary>Lets the client read again, and returns once it has read successfully (so the pause is measured).</summary>
        public void Resume()
        {
            var before = Interlocked.Read(ref _lastSuccess);
            _running.Set();
            while (Interlocked.Read(ref _lastSuccess) == before)
            {
                Thread.Sleep(1);
            }
        }

        public TimeSpan Stop()
        {
            _stop = true;
            _running.Set();
            _thread.Join();
            return Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestGap));
        }

        public void Dispose()
        {
            if (!_stop)
            {
                Stop();
            }

            _running.Dispose();
        }

        private void Loop()
        {
            NpgsqlConnection? connection = null;
            while (!_stop)
            {
                _running.Wait();
                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(_connectionString);
                        connection.Open();
                    }

                    using var command = new NpgsqlCommand("SELECT (SELECT max(version) FROM schema_migrations), (SELECT sku FROM items WHERE id = 1)", connection);
                    using (var reader = command.ExecuteReader())
                    {
                        reader.Read();
                    }

                    var now = Stopwatch.GetTimestamp();
                    var gap = now - Interlocked.Exchange(ref _lastSuccess, now);
                    if (gap > Interlocked.Read(ref _longestGap))
                    {
                        Interlocked.Exchange(ref _longestGap, gap);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
                {
                    connection?.Dispose();
                    connection = null;
                }
            }

            connection?.Dispose();
        }
    }
}
