using System;
using System.Globalization;
using System.IO;
using System.Net;
using Rollback.Providers.PostgreSql.Store;
using Rollback.Store;
using Rollback.Testing;

namespace Rollback.Tests;

/// <summary>
/// The store fixture: the store the engine tests run on. The folder store by default; with ROLLBACK_TEST_STORE=postgresql
/// the shared store, on a real PostgreSQL server started once for the test process (the same <see cref="PostgreSqlServer"/>
/// as the database kind's tests, stopped by its PID when the process exits) with a database per store. The same tests
/// then run against both stores: `ROLLBACK_TEST_STORE=postgresql dotnet test tests/Rollback.Core.Tests --filter ...`.
/// </summary>
internal static class TestStores
{
    public const string Variable = "ROLLBACK_TEST_STORE";

    private static readonly Lazy<PostgreSqlServer> SharedServer = new(() =>
    {
        var server = new PostgreSqlServer();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    });

    /// <summary>Why a test that reads or damages the folder store's own files (manifest.json, journal.jsonl, lock files) skips on the shared store.</summary>
    public const string FolderOnly = "It reads or damages the folder store's own files; the shared store keeps them in PostgreSQL (its own tests: SharedStoreTests).";

    /// <summary>Whether this run's engine tests use the shared store.</summary>
    public static bool UsePostgreSql => string.Equals(Environment.GetEnvironmentVariable(Variable), "postgresql", StringComparison.OrdinalIgnoreCase);

    /// <summary>A new, empty store for a test, keeping its files (or its artifacts) in <paramref name="folder"/>.</summary>
    public static RollbackStore Create(string folder)
    {
        if (!UsePostgreSql)
        {
            return new RollbackStore(folder);
        }

        var server = SharedServer.Value;
        if (server.SkipReason is not null)
        {
            throw new InvalidOperationException($"{Variable}=postgresql, but PostgreSQL cannot be started: {server.SkipReason}");
        }

        return OpenShared(server, server.CreateDatabase("store"), folder);
    }

    /// <summary>The connection string of a shared store in <paramref name="database"/> with its artifacts in <paramref name="artifacts"/> (no password).</summary>
    public static string ConnectionString(PostgreSqlServer server, string database, string artifacts) =>
        string.Create(CultureInfo.InvariantCulture, $"postgresql://{PostgreSqlServer.Host}:{server.Port}/{database}?user={PostgreSqlServer.AdminUser}&artifacts={Uri.EscapeDataString(artifacts)}");

    /// <summary>The admin's credential, read from a password file the server writes (its password is never printed).</summary>
    public static NetworkCredential Credential(PostgreSqlServer server)
    {
        var file = Path.Combine(Path.GetTempPath(), "rollback-pw-" + Guid.NewGuid().ToString("N"));
        try
        {
            server.WritePasswordFile(file);
            return new NetworkCredential(PostgreSqlServer.AdminUser, File.ReadAllText(file).Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Opens (creating or migrating) the shared store in <paramref name="database"/>, keeping the secrets a test gives in
    /// <paramref name="artifacts"/>/user-secrets (a user's own folder, by default, is outside the test's temp folder).
    /// </summary>
    public static RollbackStore OpenShared(PostgreSqlServer server, string database, string artifacts) =>
        StoreLocation.OpenShared(ConnectionString(server, database, artifacts), Credential(server), new IStoreKind[] { new PostgreSqlStoreKind() }, Path.Combine(artifacts, "user-secrets"));
}
