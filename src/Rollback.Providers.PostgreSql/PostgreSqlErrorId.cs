using System.Collections.Generic;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// The ErrorIds of the PostgreSqlDatabase kind. Each is a contract: scripts catch by <c>FullyQualifiedErrorId</c>, so
/// an id never changes once shipped. Space is the engine's own <see cref="RollbackErrorId.InsufficientSpace"/>.
/// </summary>
[ErrorIdCatalog]
public static class PostgreSqlErrorId
{
    /// <summary>The server refused the user or its password (SQLSTATE 28P01 / 28000).</summary>
    public const string PostgreSqlAuthenticationFailed = nameof(PostgreSqlAuthenticationFailed);

    /// <summary>The server answers, but has no database of that name (3D000).</summary>
    public const string PostgreSqlDatabaseNotFound = nameof(PostgreSqlDatabaseNotFound);

    /// <summary>No server answers at the host and port (refused, timed out, name not found, TLS refused).</summary>
    public const string PostgreSqlUnreachable = nameof(PostgreSqlUnreachable);

    /// <summary>The user lacks a privilege a step needs (42501): CREATEDB, owning the database, pg_signal_backend.</summary>
    public const string PostgreSqlPermissionDenied = nameof(PostgreSqlPermissionDenied);

    /// <summary>pg_dump or pg_restore is not installed where the kind looks (ToolsDirectory, the PostgreSQL folders, PATH).</summary>
    public const string PostgreSqlToolMissing = nameof(PostgreSqlToolMissing);

    /// <summary>pg_dump failed; nothing was captured.</summary>
    public const string PostgreSqlDumpFailed = nameof(PostgreSqlDumpFailed);

    /// <summary>The point's dump matches its checksum but pg_restore cannot read it (truncated when it was written).</summary>
    public const string PostgreSqlDumpUnreadable = nameof(PostgreSqlDumpUnreadable);

    /// <summary>The dump comes from a newer PostgreSQL major version than this server, or than the pg_restore used.</summary>
    public const string PostgreSqlDumpTooNew = nameof(PostgreSqlDumpTooNew);

    /// <summary>pg_restore into the copy beside (or in place) failed; the live database was not switched.</summary>
    public const string PostgreSqlRestoreFailed = nameof(PostgreSqlRestoreFailed);

    /// <summary>The restored copy's migration version or key-table row counts differ from the point's; nothing was switched.</summary>
    public const string PostgreSqlRestoredCopyDiffers = nameof(PostgreSqlRestoredCopyDiffers);

    /// <summary>The target's CheckQuery failed or answered false on the restored copy; nothing was switched.</summary>
    public const string PostgreSqlCheckQueryFailed = nameof(PostgreSqlCheckQueryFailed);

    /// <summary>The rename switch could not be made (sessions that would not end, a rename refused); the live name kept its database.</summary>
    public const string PostgreSqlSwitchFailed = nameof(PostgreSqlSwitchFailed);

    /// <summary>The configured migration history table is not in the database.</summary>
    public const string PostgreSqlMigrationHistoryMissing = nameof(PostgreSqlMigrationHistoryMissing);

    /// <summary>A configured key table is not in the database.</summary>
    public const string PostgreSqlKeyTableMissing = nameof(PostgreSqlKeyTableMissing);

    internal static IReadOnlyList<ErrorIdInfo> All { get; } = new[]
    {
        new ErrorIdInfo(PostgreSqlAuthenticationFailed, "Check the User setting and the password the kind finds: the Password setting (register the target again with the right PSCredential), else the PassFile setting, PGPASSFILE or ~/.pgpass (host:port:database:user:password, mode 0600), or PGPASSWORD."),
        new ErrorIdInfo(PostgreSqlDatabaseNotFound, "Check the Database setting (psql -l lists the server's databases); a rollback interrupted by a crash is settled by the next command on the target."),
        new ErrorIdInfo(PostgreSqlUnreachable, "Check Host, Port and SslMode, that the server runs (pg_isready -h HOST -p PORT) and that pg_hba.conf lets this machine in."),
        new ErrorIdInfo(PostgreSqlPermissionDenied, "Grant the user what the message names: CREATEDB and ownership of the database for the switch, pg_signal_backend to end other sessions, SELECT on the key tables."),
        new ErrorIdInfo(PostgreSqlToolMissing, "Install the PostgreSQL client tools of the server's major version or newer (apt-get install postgresql-client), or set ToolsDirectory to the folder holding pg_dump and pg_restore."),
        new ErrorIdInfo(PostgreSqlDumpFailed, "Read pg_dump's message: permissions on every table (or run as the owner), disk space in the store, a lock held too long."),
        new ErrorIdInfo(PostgreSqlDumpUnreadable, "The dump was cut short when it was written: roll back to another point (Get-RollbackPoint -Target NAME), and check the store's disk."),
        new ErrorIdInfo(PostgreSqlDumpTooNew, "Restore onto a server of the dump's major version or newer, with pg_restore of that version (ToolsDirectory), or roll back to a point taken from this server."),
        new ErrorIdInfo(PostgreSqlRestoreFailed, "Read pg_restore's message (missing roles or extensions on this server are the usual cause); the live database is unchanged."),
        new ErrorIdInfo(PostgreSqlRestoredCopyDiffers, "The dump did not restore to what was captured: roll back to another point, and check the server's log for errors during the restore."),
        new ErrorIdInfo(PostgreSqlCheckQueryFailed, "Read the query's error or answer: fix the CheckQuery setting (-Option @{ CheckQuery = ... } for one call) or roll back to another point."),
        new ErrorIdInfo(PostgreSqlSwitchFailed, "Find what keeps sessions open on the database (pg_stat_activity) and stop it, then roll back again; the live name still holds its database."),
        new ErrorIdInfo(PostgreSqlMigrationHistoryMissing, "Set MigrationHistoryTable to the table the application's migration tool writes (__EFMigrationsHistory, schema_migrations, flyway_schema_history), or remove it."),
        new ErrorIdInfo(PostgreSqlKeyTableMissing, "Check the KeyTables setting (schema.table names); register the target again with -Force to change it."),
    };
}
