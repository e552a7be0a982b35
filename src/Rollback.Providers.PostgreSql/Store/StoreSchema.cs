using System;
using System.Globalization;
using Npgsql;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// The shared store's tables, in the schema rollback_store, created and migrated by the module: each migration once, in
/// order, in one transaction under a transaction advisory lock, so two first uses at once never clash (the second waits
/// and finds nothing left to do). A schema newer than this module knows is refused, never downgraded.
/// </summary>
internal static class StoreSchema
{
    public const string Name = "rollback_store";

    /// <summary>The migrations, version n at index n-1. Never edit a shipped one: add the next.</summary>
    private static readonly string[] Migrations =
    {
        """
        CREATE TABLE rollback_store.targets (
            name_key text PRIMARY KEY,
            name text NOT NULL,
            target text NOT NULL);
        CREATE TABLE rollback_store.points (
            target_key text NOT NULL,
            id text NOT NULL,
            target text NOT NULL,
            manifest text NOT NULL,
            PRIMARY KEY (target_key, id));
        CREATE TABLE rollback_store.journal (
            sequence bigint PRIMARY KEY,
            line text NOT NULL,
            appended_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE rollback_store.journal_head (
            id int PRIMARY KEY CHECK (id = 1),
            head text NOT NULL);
        CREATE TABLE rollback_store.lock_holders (
            name text PRIMARY KEY,
            holder text NOT NULL,
            backend_pid int NOT NULL,
            since timestamptz NOT NULL DEFAULT now());
        """,
        """
        CREATE TABLE rollback_store.documents (
            name text PRIMARY KEY,
            body text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now());
        """,
    };

    public static int LatestVersion => Migrations.Length;

    /// <summary>Brings the schema to <see cref="LatestVersion"/> and returns it.</summary>
    public static int Migrate(StoreDatabase database) => database.Run("create or migrate its schema", connection =>
    {
        var current = CurrentVersion(connection, null);
        if (current == LatestVersion)
        {
            return current;
        }

        using var transaction = connection.BeginTransaction();
        StoreDatabase.Execute(connection, "SELECT pg_advisory_xact_lock(hashtextextended('rollback_store:schema', 0))", transaction);
        StoreDatabase.Execute(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {Name};
            CREATE TABLE IF NOT EXISTS {Name}.schema_version (
                version int PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now(),
                applied_by text NOT NULL DEFAULT current_user)
            """, transaction);
        current = CurrentVersion(connection, transaction);
        Refuse(current, database);
        for (var version = current + 1; version <= LatestVersion; version++)
        {
            StoreDatabase.Execute(connection, Migrations[version - 1], transaction);
            StoreDatabase.Execute(connection, $"INSERT INTO {Name}.schema_version (version) VALUES (@v)", transaction, ("v", version));
        }

        transaction.Commit();
        return LatestVersion;
    });

    /// <summary>The version the database holds now: 0 before the first use.</summary>
    public static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        if (StoreDatabase.Scalar(connection, $"SELECT to_regclass('{Name}.schema_version')::text", transaction) is null)
        {
            return 0;
        }

        var version = StoreDatabase.Scalar(connection, $"SELECT max(version) FROM {Name}.schema_version", transaction);
        return version is null ? 0 : Convert.ToInt32(version, CultureInfo.InvariantCulture);
    }

    private static void Refuse(int current, StoreDatabase database)
    {
        if (current > LatestVersion)
        {
            throw new RollbackException(RollbackErrorId.StoreSchemaNewer, RollbackErrorCategory.InvalidData,
                $"The shared store {database.Connection.Display} has schema version {current}, newer than this module's {LatestVersion}: another machine runs a newer Rollback module. Update this module; the store is never downgraded.",
                database.Connection.Display);
        }
    }
}
