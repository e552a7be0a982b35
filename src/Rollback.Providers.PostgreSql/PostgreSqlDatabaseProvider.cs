using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Npgsql;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// A PostgreSQL database. A point is a pg_dump custom-format dump (with its SHA-256), taken in one snapshot with the
/// migration version and the key tables' row counts it records. A rollback (after the engine's safety dump of the live
/// database) restores the point into a new database beside the live one with pg_restore --jobs, checks that copy
/// (migration version, row counts, the CheckQuery), and only then switches: new sessions are refused, the remaining ones
/// ended, and in one transaction the live database is renamed to a kept name and the copy to the live name. The window
/// without a database is the switch, not the restore. The replaced database is kept (named in the result and the
/// journal) until the safety point that holds its state is removed. InPlace restores into the live database in one
/// transaction instead, for servers without the space; its whole restore is reported as downtime.
/// </summary>
public sealed class PostgreSqlDatabaseProvider : IRollbackProvider, ISwitchRecovery, IPointResources
{
    public const string KindName = "PostgreSqlDatabase";

    /// <summary>Crash points (see <see cref="CrashPoints"/>): pg_restore into the copy has started.</summary>
    internal const string RestoringCrashPoint = "PostgreSql.Restoring";

    /// <summary>New sessions on the live database are refused and the others ended; nothing is renamed yet.</summary>
    internal const string ConnectionsClosedCrashPoint = "PostgreSql.ConnectionsClosed";

    /// <summary>Both renames are made in the switch's transaction, which is not committed yet.</summary>
    internal const string RenamedCrashPoint = "PostgreSql.Renamed";

    private const string DumpFile = "database.dump";
    private const string RowCountPrefix = "RowCount.";

    public string Kind => KindName;

    public string Description => "A PostgreSQL database: pg_dump into the point; rollback restores beside the live database and switches by rename (or in place).";

    public KindSchema Schema { get; } = new(DatabaseSettings.Definitions, PostgreSqlErrorId.All);

    public SettingsDictionary ValidateSettings(SettingsDictionary settings) => DatabaseSettings.Validate(settings);

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        using var connection = new ServerSession(settings).Open(context.Cancellation, doing: "read");
        return Read(connection, settings);
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        var tools = new PgTools(settings);
        var dump = Path.Combine(context.ArtifactsDirectory, DumpFile);

        // One snapshot for the dump and what the point records of it: the exported snapshot is held until pg_dump has taken it.
        using var connection = new ServerSession(settings).Open(context.Cancellation, doing: "capture");
        using var snapshot = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var snapshotId = (string)ServerSession.Scalar(connection, "SELECT pg_export_snapshot()", context.Cancellation)!;
        var facts = ReadFacts(connection, settings, context.Cancellation);
        var pgDumpVersion = tools.Version("pg_dump");
        tools.Run("pg_dump", new[] { "--format=custom", "--no-password", "--snapshot=" + snapshotId, "--file=" + dump, "--dbname=" + PgTools.ConnInfo(settings.Database) },
            $"pg_dump of {settings.Describe()}", ProgressActivity.Capture, context);
        snapshot.Commit();

        var header = tools.ReadHeader(dump, context);
        var sha = Checksums.HashFile(dump);
        var size = new FileInfo(dump).Length;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Host"] = settings.Host,
            ["Port"] = settings.Port.ToString(CultureInfo.InvariantCulture),
            [DatabaseSettings.DatabaseSetting] = settings.Database,
            ["ServerVersion"] = facts.ServerVersion,
            ["PgDumpVersion"] = pgDumpVersion,
            ["DumpedFromVersion"] = header.DumpedFromVersion,
            ["DumpedByVersion"] = header.DumpedByVersion,
            ["DatabaseSize"] = facts.Size.ToString(CultureInfo.InvariantCulture),
            ["DumpSha256"] = sha,
        };
        if (facts.MigrationTable is not null)
        {
            metadata["MigrationHistoryTable"] = facts.MigrationTable.ToString();
            metadata["MigrationVersion"] = facts.MigrationVersion!;
        }

        foreach (var count in facts.RowCounts)
        {
            metadata[RowCountPrefix + count.Key] = count.Value.ToString(CultureInfo.InvariantCulture);
        }

        context.Reporter.Verbose($"Dumped {settings.Describe()} ({size / 1048576.0:N1} MiB, {header.Entries:N0} entries, SHA-256 {sha.Substring(0, 12)}).");
        return new CapturedState
        {
            Version = VersionOf(facts.MigrationVersion, sha),
            Fingerprint = Fingerprint(sha, facts.MigrationVersion),
            Artifacts = new[] { new ArtifactEntry { RelativePath = DumpFile, Size = size, Sha256 = sha } },
            Metadata = metadata,
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => ArtifactBaseOf(point);

    private static string ArtifactBaseOf(RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        var tools = new PgTools(settings);
        var checks = new List<CheckResult> { CheckResult.Pass("DatabaseReachable", $"Connected to {settings.Describe()} with these credentials ({current.Detail}).") };
        var dump = DumpOf(point);

        DumpHeader? header = null;
        checks.Add(Guard("DumpReadable", () =>
        {
            header = tools.ReadHeader(dump, context);
            return CheckResult.Pass("DumpReadable", $"pg_restore reads the dump: {header.Entries:N0} entries, dumped from PostgreSQL {header.DumpedFromVersion} by pg_dump {header.DumpedByVersion}.");
        }));

        using var maintenance = new ServerSession(settings).OpenMaintenance(context.Cancellation);
        var serverVersion = (string)ServerSession.Scalar(maintenance, "SHOW server_version", context.Cancellation)!;
        if (header is not null)
        {
            checks.Add(Guard("DumpRestorable", () => Restorable(header, serverVersion, tools.Version("pg_restore"))));
        }

        if (settings.Strategy == RestoreStrategy.Beside)
        {
            checks.Add(SpaceOnServer(maintenance, settings, point, context.Cancellation));
        }

        checks.Add(SpaceInStore(point, settings, current));
        var (sessions, applications) = ServerSession.OtherSessions(maintenance, settings.Database, context.Cancellation);
        checks.Add(sessions == 0
            ? CheckResult.Pass("OpenConnections", $"No other session is connected to '{settings.Database}'.")
            : CheckResult.Warn("OpenConnections", $"{sessions} other session(s) are connected to '{settings.Database}': {string.Join(", ", applications)}. The switch ends them; stop or pause those applications first if they cannot reconnect."));
        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        if (settings.Strategy == RestoreStrategy.InPlace)
        {
            return new[]
            {
                new PlannedStep("EndSessions", $"End the other sessions on '{settings.Database}'."),
                new PlannedStep("RestoreInPlace", $"pg_restore --clean --single-transaction the point's dump into '{settings.Database}' (the whole restore is downtime)."),
                new PlannedStep("VerifyRestored", "Check the migration version, the key tables' row counts and the CheckQuery."),
            };
        }

        return new[]
        {
            new PlannedStep("CreateCopy", $"Create '{DatabaseNames.StagingName(settings.Database, "<attempt>")}' beside '{settings.Database}'."),
            new PlannedStep("RestoreCopy", $"pg_restore --jobs {settings.Jobs} the point's dump into it."),
            new PlannedStep("VerifyCopy", "Check the copy's migration version, key-table row counts and the CheckQuery; nothing is switched when one differs."),
            new PlannedStep("SwitchDatabases", $"Refuse new sessions on '{settings.Database}', end the others, and in one transaction rename it to '{DatabaseNames.KeptName(settings.Database, context.Now)}' (kept) and the copy to '{settings.Database}'."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        if (settings.Strategy == RestoreStrategy.InPlace)
        {
            RestoreInPlace(point, settings, context);
            return;
        }

        var session = new ServerSession(settings);
        var tools = new PgTools(settings);
        var staging = DatabaseNames.StagingName(settings.Database, context.AttemptId);
        var switched = false;
        try
        {
            context.Step("CreateCopy", () => CreateCopy(session, settings, staging, point, context));
            context.Step("RestoreCopy", () => tools.Run("pg_restore",
                new[] { "--jobs=" + settings.Jobs.ToString(CultureInfo.InvariantCulture), "--exit-on-error", "--no-password", "--dbname=" + PgTools.ConnInfo(staging), DumpOf(point) },
                $"pg_restore of point {point.Id} into '{staging}'", ProgressActivity.Stage, context,
                started: _ => CrashPoints.Reach(RestoringCrashPoint)));
            context.Step("VerifyCopy", () => VerifyRestored(session, settings, staging, point, context));
            var kept = DatabaseNames.KeptName(settings.Database, context.Now);
            context.Switch("SwitchDatabases", () =>
            {
                SwitchByRename(session, settings, staging, kept, point, context);
                switched = true;
            });
            context.Details["KeptDatabase"] = kept;
            context.Details["RestoredFrom"] = $"{point.Id} ({DumpFile}, SHA-256 {point.Artifacts[0].Sha256.Substring(0, 12)})";
            context.Reporter.Verbose($"'{settings.Database}' now holds point {point.Id}; the database it replaced is kept as '{kept}' (connect to it by that name; Remove-RollbackPoint of safety point {context.SafetyPoint?.Id} drops it).");
        }
        finally
        {
            if (!switched)
            {
                DropQuietly(session, staging, context);
            }
        }
    }

    public IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point)
    {
        var settings = DatabaseSettings.Read(target.Settings);
        return new[] { $"postgresql://{settings.Host}:{settings.Port.ToString(CultureInfo.InvariantCulture)}/{settings.Database}" };
    }

    /// <summary>
    /// Under the target's lock (so the attempt that made them no longer runs): drops the copies that attempts of this
    /// target were restoring (never a kept database), and lets sessions into the live database again where a switch died
    /// after refusing them (its transaction, and so the renames, were rolled back by the server).
    /// </summary>
    public IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        var session = new ServerSession(settings);
        var removed = new List<string>();
        using var maintenance = session.OpenMaintenance(context.Cancellation);
        var leftovers = DatabaseNames.Marked(maintenance).Where(m => m.Marker.Role == DatabaseNames.Staging && m.Marker.LiveName == settings.Database).ToList();
        if (leftovers.Count == 0)
        {
            return removed;
        }

        if (ServerSession.Scalar(maintenance, "SELECT datallowconn FROM pg_database WHERE datname = @db", context.Cancellation, ("db", settings.Database)) is false)
        {
            ServerSession.Execute(maintenance, $"ALTER DATABASE {ServerSession.Quote(settings.Database)} WITH ALLOW_CONNECTIONS true", context.Cancellation);
            context.Reporter.Warning($"A rollback that stopped during its switch had refused new sessions on '{settings.Database}'; they are allowed again.");
        }

        foreach (var (name, marker) in leftovers)
        {
            ServerSession.Execute(maintenance, $"DROP DATABASE IF EXISTS {ServerSession.Quote(name)} WITH (FORCE)", context.Cancellation);
            removed.Add($"database '{name}' (a copy of point {marker.Point} that attempt {marker.Attempt} was restoring)");
        }

        return removed;
    }

    /// <summary>Drops the databases a rollback kept whose state <paramref name="pointId"/> (a safety point) holds.</summary>
    public IReadOnlyList<string> RemovePointResources(RollbackTarget target, string pointId, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = access.Settings;
        using var maintenance = new ServerSession(settings).OpenMaintenance(context.Cancellation);
        var dropped = new List<string>();
        foreach (var (name, _) in DatabaseNames.Marked(maintenance).Where(m => m.Marker.Role == DatabaseNames.Kept && m.Marker.LiveName == settings.Database && m.Marker.Point == pointId))
        {
            ServerSession.Execute(maintenance, $"DROP DATABASE IF EXISTS {ServerSession.Quote(name)} WITH (FORCE)", context.Cancellation);
            dropped.Add(name);
        }

        return dropped;
    }

    private static void CreateCopy(ServerSession session, DatabaseSettings settings, string staging, RollbackPoint point, RestoreContext context)
    {
        using var maintenance = session.OpenMaintenance(context.Cancellation);
        using var command = new NpgsqlCommand("SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = @db", maintenance);
        command.Parameters.AddWithValue("db", settings.Database);
        string owner, encoding, collate, ctype;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                throw new RollbackException(PostgreSqlErrorId.PostgreSqlDatabaseNotFound, RollbackErrorCategory.ObjectNotFound, $"The server has no database '{settings.Database}'.", settings.Database);
            }

            (owner, encoding, collate, ctype) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
        }

        var marker = DatabaseNames.MarkerText(new DatabaseNames.Marker
        {
            Role = DatabaseNames.Staging, LiveName = settings.Database, Attempt = context.AttemptId, Point = point.Id, ProcessId = Environment.ProcessId, Time = context.Now,
        });
        Guarded(settings, "create the copy beside", () =>
        {
            ServerSession.Execute(maintenance,
                $"CREATE DATABASE {ServerSession.Quote(staging)} WITH TEMPLATE template0 OWNER {ServerSession.Quote(owner)} ENCODING {ServerSession.Literal(encoding)} LC_COLLATE {ServerSession.Literal(collate)} LC_CTYPE {ServerSession.Literal(ctype)}",
                context.Cancellation);
            ServerSession.Execute(maintenance, $"COMMENT ON DATABASE {ServerSession.Quote(staging)} IS {ServerSession.Literal(marker)}", context.Cancellation);
        });
    }

    /// <summary>The restored copy must hold what the point recorded: its migration version and key-table row counts, and pass the CheckQuery.</summary>
    private static void VerifyRestored(ServerSession session, DatabaseSettings settings, string database, RollbackPoint point, OperationContext context)
    {
        using var connection = session.Open(context.Cancellation, database, "verify");
        var where = $"the restored database '{database}'";
        var differences = new List<string>();
        if (point.Metadata.TryGetValue("MigrationHistoryTable", out var table))
        {
            var history = TableName.Parse(table, DatabaseSettings.MigrationHistoryTableSetting);
            var version = MigrationHistory.Exists(connection, history) ? MigrationHistory.Read(connection, history) : "(no history table)";
            if (version != point.Metadata["MigrationVersion"])
            {
                differences.Add($"migration version {version}, not {point.Metadata["MigrationVersion"]}");
            }
        }

        var recorded = point.Metadata.Where(m => m.Key.StartsWith(RowCountPrefix, StringComparison.Ordinal)).ToList();
        foreach (var (key, expected) in recorded.Select(m => (m.Key.Substring(RowCountPrefix.Length), m.Value)))
        {
            var name = TableName.Parse(key, DatabaseSettings.KeyTablesSetting);
            var actual = MigrationHistory.Exists(connection, name)
                ? Convert.ToInt64(ServerSession.Scalar(connection, $"SELECT count(*) FROM {name.Quoted}", context.Cancellation), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)
                : "(missing)";
            if (actual != expected)
            {
                differences.Add($"{key} has {actual} rows, not {expected}");
            }
        }

        if (differences.Count > 0)
        {
            throw new RollbackException(PostgreSqlErrorId.PostgreSqlRestoredCopyDiffers, RollbackErrorCategory.InvalidData,
                $"{where} differs from point {point.Id}: {string.Join("; ", differences)}. Nothing was switched.", settings.Database);
        }

        if (settings.CheckQuery is { } query)
        {
            object? answer;
            try
            {
                answer = ServerSession.Scalar(connection, query, context.Cancellation);
            }
            catch (PostgresException ex)
            {
                throw new RollbackException(PostgreSqlErrorId.PostgreSqlCheckQueryFailed, RollbackErrorCategory.InvalidResult,
                    $"The CheckQuery failed on {where}: {ex.SqlState}: {ex.MessageText}. Nothing was switched.", settings.Database, ex);
            }

            if (answer is null or false)
            {
                throw new RollbackException(PostgreSqlErrorId.PostgreSqlCheckQueryFailed, RollbackErrorCategory.InvalidResult,
                    $"The CheckQuery answered {(answer is null ? "no row or null" : "false")} on {where}. Nothing was switched.", settings.Database);
            }
        }

        context.Reporter.Verbose($"{where} matches point {point.Id}{(recorded.Count == 0 ? string.Empty : $" ({recorded.Count} key table row count(s))")}{(settings.CheckQuery is null ? string.Empty : " and passes the CheckQuery")}.");
    }

    /// <summary>
    /// Refuses new sessions on the live database, ends the others, waits for them to go, then in one transaction renames
    /// the live database to <paramref name="kept"/> and the copy to the live name, marking both. A failure before the
    /// commit leaves the names as they were and lets sessions in again.
    /// </summary>
    private static void SwitchByRename(ServerSession session, DatabaseSettings settings, string staging, string kept, RollbackPoint point, RestoreContext context)
    {
        using var maintenance = session.OpenMaintenance(context.Cancellation);
        var live = ServerSession.Quote(settings.Database);
        var committed = false;
        try
        {
            Guarded(settings, "switch", () =>
            {
                ServerSession.Execute(maintenance, $"ALTER DATABASE {live} WITH ALLOW_CONNECTIONS false", context.Cancellation);
                EndSessions(maintenance, settings, context);
                CrashPoints.Reach(ConnectionsClosedCrashPoint);
                using var transaction = maintenance.BeginTransaction();
                ServerSession.Execute(maintenance, $"ALTER DATABASE {live} RENAME TO {ServerSession.Quote(kept)}", context.Cancellation);
                ServerSession.Execute(maintenance, $"ALTER DATABASE {ServerSession.Quote(staging)} RENAME TO {live}", context.Cancellation);
                ServerSession.Execute(maintenance, $"ALTER DATABASE {ServerSession.Quote(kept)} WITH ALLOW_CONNECTIONS true", context.Cancellation);
                ServerSession.Execute(maintenance, $"COMMENT ON DATABASE {ServerSession.Quote(kept)} IS {ServerSession.Literal(DatabaseNames.MarkerText(new DatabaseNames.Marker { Role = DatabaseNames.Kept, LiveName = settings.Database, Attempt = context.AttemptId, Point = context.SafetyPoint?.Id, Time = context.Now }))}", context.Cancellation);
                ServerSession.Execute(maintenance, $"COMMENT ON DATABASE {live} IS {ServerSession.Literal(LiveMarker(settings, point, context))}", context.Cancellation);
                CrashPoints.Reach(RenamedCrashPoint);
                transaction.Commit();
                committed = true;
            });
        }
        finally
        {
            if (!committed)
            {
                // The renames did not happen: the live name still holds its database; let its sessions in again.
                try
                {
                    ServerSession.Execute(maintenance, $"ALTER DATABASE {live} WITH ALLOW_CONNECTIONS true", CancellationToken.None);
                }
                catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex))
                {
                    context.Reporter.Warning($"Sessions on '{settings.Database}' could not be allowed again ({ex.Message}): run ALTER DATABASE {live} WITH ALLOW_CONNECTIONS true.");
                }
            }
        }
    }

    private static string LiveMarker(DatabaseSettings settings, RollbackPoint point, OperationContext context) =>
        DatabaseNames.MarkerText(new DatabaseNames.Marker { Role = DatabaseNames.Live, LiveName = settings.Database, Point = point.Id, DumpSha256 = point.Artifacts[0].Sha256, Time = context.Now });

    /// <summary>Ends every other session on the live database and waits (SwitchTimeout) until they are gone.</summary>
    private static void EndSessions(NpgsqlConnection maintenance, DatabaseSettings settings, OperationContext context)
    {
        var started = context.Timestamp();
        while (true)
        {
            var remaining = Convert.ToInt64(ServerSession.Scalar(maintenance,
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", context.Cancellation, ("db", settings.Database)), CultureInfo.InvariantCulture);
            if (remaining == 0)
            {
                return;
            }

            if (context.ElapsedSince(started) > settings.SwitchTimeout)
            {
                throw new RollbackException(PostgreSqlErrorId.PostgreSqlSwitchFailed, RollbackErrorCategory.ResourceBusy,
                    $"{remaining} session(s) on '{settings.Database}' did not end within {settings.SwitchTimeout.TotalSeconds:N0} s. Nothing was switched.", settings.Database);
            }

            Thread.Sleep(5);
        }
    }

    private static void RestoreInPlace(RollbackPoint point, DatabaseSettings settings, RestoreContext context)
    {
        var session = new ServerSession(settings);
        var tools = new PgTools(settings);
        context.Switch("RestoreInPlace", () =>
        {
            using (var maintenance = session.OpenMaintenance(context.Cancellation))
            {
                Guarded(settings, "end the sessions on", () => ServerSession.Execute(maintenance,
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", context.Cancellation, ("db", settings.Database)));
            }

            tools.Run("pg_restore", new[] { "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-password", "--dbname=" + PgTools.ConnInfo(settings.Database), DumpOf(point) },
                $"pg_restore --clean of point {point.Id} into '{settings.Database}'", ProgressActivity.Stage, context,
                started: _ => CrashPoints.Reach(RestoringCrashPoint));
            using var after = session.OpenMaintenance(CancellationToken.None);
            ServerSession.Execute(after, $"COMMENT ON DATABASE {ServerSession.Quote(settings.Database)} IS {ServerSession.Literal(LiveMarker(settings, point, context))}", CancellationToken.None);
        });
        context.Step("VerifyRestored", () => VerifyRestored(session, settings, settings.Database, point, context));
    }

    private static void DropQuietly(ServerSession session, string database, OperationContext context)
    {
        try
        {
            // Ctrl+C may be what ended the restore: the copy is dropped all the same.
            using var maintenance = session.OpenMaintenance(CancellationToken.None);
            ServerSession.Execute(maintenance, $"DROP DATABASE IF EXISTS {ServerSession.Quote(database)} WITH (FORCE)", CancellationToken.None);
        }
        catch (Exception ex) when (ex is RollbackException || PostgreSqlFailures.IsServerFailure(ex))
        {
            context.Reporter.Warning($"The copy '{database}' could not be dropped ({ex.Message}); the next command on the target drops it.");
        }
    }

    private static void Guarded(DatabaseSettings settings, string doing, Action action)
    {
        try
        {
            action();
        }
        catch (PostgresException ex)
        {
            throw PostgreSqlFailures.Map(ex, settings, doing);
        }
    }

    /// <summary>The live database's state: identity (the point it was restored from, else its oid) and migration version.</summary>
    private static TargetState Read(NpgsqlConnection connection, DatabaseSettings settings)
    {
        using var command = new NpgsqlCommand("SELECT d.oid::bigint, shobj_description(d.oid, 'pg_database'), current_setting('server_version') FROM pg_database d WHERE d.datname = current_database()", connection);
        long oid;
        string? comment;
        string server;
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            (oid, comment, server) = (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2));
        }

        var table = MigrationHistory.Find(connection, settings.MigrationHistoryTable, settings.Describe());
        var migration = table is null ? null : MigrationHistory.Read(connection, table);
        var marker = DatabaseNames.ParseMarker(comment);
        var restored = marker is { Role: DatabaseNames.Live, DumpSha256: { } sha } && marker.LiveName == settings.Database ? sha : null;
        return new TargetState
        {
            Version = restored is not null ? VersionOf(migration, restored) : migration ?? $"database oid {oid}",
            Fingerprint = restored is not null ? Fingerprint(restored, migration) : Checksums.HashText($"database:{oid}|migration:{migration}"),
            Detail = $"PostgreSQL {server}, {settings.Describe()}{(restored is null ? string.Empty : $", restored from point {marker!.Point}")}",
        };
    }

    private static Facts ReadFacts(NpgsqlConnection connection, DatabaseSettings settings, CancellationToken cancellation)
    {
        var table = MigrationHistory.Find(connection, settings.MigrationHistoryTable, settings.Describe());
        return new Facts(
            (string)ServerSession.Scalar(connection, "SHOW server_version", cancellation)!,
            Convert.ToInt64(ServerSession.Scalar(connection, "SELECT pg_database_size(current_database())", cancellation), CultureInfo.InvariantCulture),
            table,
            table is null ? null : MigrationHistory.Read(connection, table),
            ServerSession.RowCounts(connection, settings.KeyTables, settings.Describe(), cancellation));
    }

    private static CheckResult Restorable(DumpHeader header, string serverVersion, string pgRestoreVersion)
    {
        var dumpMajor = ServerSession.MajorOf(header.DumpedFromVersion);
        var byMajor = ServerSession.MajorOf(header.DumpedByVersion);
        var serverMajor = ServerSession.MajorOf(serverVersion);
        var restoreMajor = ServerSession.MajorOf(pgRestoreVersion);
        if (dumpMajor > serverMajor)
        {
            return CheckResult.Fail("DumpRestorable", PostgreSqlErrorId.PostgreSqlDumpTooNew,
                $"The dump comes from PostgreSQL {header.DumpedFromVersion}, a newer major version than this server's {serverVersion}: it may use what this server lacks.");
        }

        if (byMajor > restoreMajor)
        {
            return CheckResult.Fail("DumpRestorable", PostgreSqlErrorId.PostgreSqlDumpTooNew,
                $"The dump was written by pg_dump {header.DumpedByVersion}, newer than pg_restore {pgRestoreVersion} here: install the client tools of {byMajor} or later (ToolsDirectory).");
        }

        return CheckResult.Pass("DumpRestorable", $"The dump (PostgreSQL {header.DumpedFromVersion}, pg_dump {header.DumpedByVersion}) restores into PostgreSQL {serverVersion} with pg_restore {pgRestoreVersion}.");
    }

    /// <summary>
    /// Space for the restore beside on the server's data file system: the database's size when captured, plus MinFreeSpaceMB.
    /// Measured where the server's data directory is visible from here (a server on this machine); a warning elsewhere.
    /// </summary>
    private static CheckResult SpaceOnServer(NpgsqlConnection maintenance, DatabaseSettings settings, RollbackPoint point, CancellationToken cancellation)
    {
        const string name = "ServerFreeSpace";
        var needed = (point.Metadata.TryGetValue("DatabaseSize", out var size) ? long.Parse(size, CultureInfo.InvariantCulture) : point.TotalSize * 4) + settings.MinFreeBytes;
        string? dataDirectory = null;
        try
        {
            dataDirectory = ServerSession.Scalar(maintenance, "SELECT current_setting('data_directory')", cancellation) as string;
        }
        catch (PostgresException)
        {
            // Not visible to this role (it needs pg_read_all_settings).
        }

        if (dataDirectory is null || !Directory.Exists(dataDirectory))
        {
            return CheckResult.Warn(name, $"The free space on the server cannot be measured from here (its data directory is not visible): the restore beside needs about {Mib(needed)} MiB with MinFreeSpaceMB. Use Strategy InPlace where it lacks the space.");
        }

        var free = new DriveInfo(dataDirectory).AvailableFreeSpace;
        return free >= needed
            ? CheckResult.Pass(name, $"{Mib(free)} MiB free on the server's data file system; the restore beside needs about {Mib(needed)} MiB (MinFreeSpaceMB {Mib(settings.MinFreeBytes)}).")
            : CheckResult.Fail(name, RollbackErrorId.InsufficientSpace,
                $"{Mib(free)} MiB free on the server's data file system ({dataDirectory}), and the restore beside needs about {Mib(needed)} MiB (the database as captured plus MinFreeSpaceMB {Mib(settings.MinFreeBytes)}). Free space, lower MinFreeSpaceMB, or use -Option @{{ Strategy = 'InPlace' }}.");
    }

    /// <summary>Space in the store for the safety dump: about the point's dump, plus MinFreeSpaceMB.</summary>
    private static CheckResult SpaceInStore(RollbackPoint point, DatabaseSettings settings, TargetState current)
    {
        const string name = "StoreFreeSpace";
        var needed = point.TotalSize + settings.MinFreeBytes;
        var free = new DriveInfo(Path.GetFullPath(point.Path)).AvailableFreeSpace;
        return free >= needed
            ? CheckResult.Pass(name, $"{Mib(free)} MiB free in the store for the safety dump of {current.Version} (about {Mib(point.TotalSize)} MiB).")
            : CheckResult.Fail(name, RollbackErrorId.InsufficientSpace,
                $"{Mib(free)} MiB free in the store, and the safety dump needs about {Mib(needed)} MiB with MinFreeSpaceMB. Free space or lower MinFreeSpaceMB.");
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("N0", CultureInfo.InvariantCulture);

    private static CheckResult Guard(string name, Func<CheckResult> check)
    {
        try
        {
            return check();
        }
        catch (RollbackException ex)
        {
            return CheckResult.Fail(name, ex.ErrorId, ex.Message);
        }
    }

    private static string DumpOf(RollbackPoint point) => Path.Combine(ArtifactBaseOf(point), DumpFile);

    private static string VersionOf(string? migration, string dumpSha) => migration ?? string.Concat("dump ", dumpSha.AsSpan(0, 12));

    /// <summary>
    /// A database restored from a dump is in that point's state while its migration version is the point's: the point's
    /// fingerprint is its dump's SHA-256 with that version. (Data written since is not compared: see the README.)
    /// </summary>
    private static string Fingerprint(string dumpSha, string? migration) => Checksums.HashText($"dump:{dumpSha}|migration:{migration}");

    private sealed record Facts(string ServerVersion, long Size, TableName? MigrationTable, string? MigrationVersion, SortedDictionary<string, long> RowCounts);
}
