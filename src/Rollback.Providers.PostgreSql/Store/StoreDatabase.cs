using System;
using System.IO;
using System.Net;
using Npgsql;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// The shared store's server: pooled connections for the registry, manifests and journal, unpooled ones for locks (a
/// session advisory lock must end with its connection), and the one mapping of a server's failures to the store's ErrorIds.
/// </summary>
internal sealed class StoreDatabase : IDisposable
{
    private readonly NpgsqlDataSource _pooled;
    private readonly NpgsqlDataSource _unpooled;
    private readonly bool _passwordFromCredential;

    public StoreDatabase(StoreConnection connection, NetworkCredential? credential)
    {
        Connection = connection;
        _passwordFromCredential = credential is { Password.Length: > 0 };
        _pooled = NpgsqlDataSource.Create(connection.ConnectionString(credential, pooling: true));
        _unpooled = NpgsqlDataSource.Create(connection.ConnectionString(credential, pooling: false));
    }

    public StoreConnection Connection { get; }

    /// <summary>Runs <paramref name="work"/> on a pooled connection; a failure of the server or the network becomes the store's ErrorId (see <see cref="Failure"/>).</summary>
    public T Run<T>(string doing, Func<NpgsqlConnection, T> work)
    {
        try
        {
            using var connection = _pooled.OpenConnection();
            return work(connection);
        }
        catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex))
        {
            throw Failure(doing, ex);
        }
    }

    /// <summary>As <see cref="Run{T}"/>, inside one transaction that commits only when <paramref name="work"/> returns.</summary>
    public T InTransaction<T>(string doing, Func<NpgsqlConnection, NpgsqlTransaction, T> work) =>
        Run(doing, connection =>
        {
            using var transaction = connection.BeginTransaction();
            var result = work(connection, transaction);
            transaction.Commit();
            return result;
        });

    /// <summary>A connection of its own (not pooled): what a session advisory lock is held on.</summary>
    public NpgsqlConnection OpenSession(string doing)
    {
        try
        {
            return _unpooled.OpenConnection();
        }
        catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex))
        {
            throw Failure(doing, ex);
        }
    }

    /// <summary>
    /// What a failure of the server or the network while <paramref name="doing"/> means for the user: StoreUnavailable
    /// only when the server could not be reached or went away (run again once it answers); StoreAuthenticationFailed when
    /// it refused the user or password (naming the user and where the password came from, never the password);
    /// StoreAccessDenied for a missing privilege; StoreRequestFailed for any other refusal, which running again alone
    /// will not cure. A connection failure also empties the pool: its other idle connections went with the server.
    /// </summary>
    public RollbackException Failure(string doing, Exception ex)
    {
        var postgres = ex as PostgresException ?? ex.InnerException as PostgresException;
        var store = Connection.Display;
        switch (StoreFailures.Classify(ex))
        {
            case StoreFailure.Authentication:
                var refusal = postgres is null ? "it asks for a password" : $"{postgres.SqlState}: {postgres.MessageText}";
                return new RollbackException(RollbackErrorId.StoreAuthenticationFailed, RollbackErrorCategory.SecurityError,
                    $"The shared store {store} refused user '{Connection.User}' ({refusal}) when asked to {doing}. The password came from {PasswordSource}. Give the user's right password there, or another with -StoreCredential.",
                    store, ex);
            case StoreFailure.Privilege:
                return new RollbackException(RollbackErrorId.StoreAccessDenied, RollbackErrorCategory.PermissionDenied,
                    $"The shared store {store} does not let user '{Connection.User}' {doing} ({postgres!.SqlState}: {postgres.MessageText}). Grant the user the privileges on schema {StoreSchema.Name} and its tables (the role that created them can), or use the store as a user that has them.",
                    store, ex);
            case StoreFailure.Request:
                return new RollbackException(RollbackErrorId.StoreRequestFailed, RollbackErrorCategory.InvalidOperation,
                    $"The shared store {store} refused to {doing}: {postgres!.SqlState}: {postgres.MessageText}. The server answers, so running the command again alone will not help; nothing was half-written.",
                    store, ex);
            default:
                _pooled.Clear();
                var detail = postgres is not null ? $"{postgres.SqlState}: {postgres.MessageText}" : ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
                return new RollbackException(RollbackErrorId.StoreUnavailable, RollbackErrorCategory.ResourceUnavailable,
                    $"The shared store {store} cannot {doing}: {detail}. Nothing was half-written: run the command again once the server answers.",
                    store, ex);
        }
    }

    /// <summary>Where Npgsql takes the password from, in its order, for messages (never the password itself).</summary>
    private string PasswordSource
    {
        get
        {
            if (_passwordFromCredential)
            {
                return "the credential given (-StoreCredential)";
            }

            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGPASSWORD")))
            {
                return "the PGPASSWORD environment variable";
            }

            var passFile = Environment.GetEnvironmentVariable("PGPASSFILE");
            if (!string.IsNullOrEmpty(passFile))
            {
                return $"the password file '{passFile}' (PGPASSFILE)";
            }

            var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pgpass");
            return File.Exists(home)
                ? $"the password file '{home}'"
                : $"nowhere: no -StoreCredential, PGPASSWORD or PGPASSFILE, and no '{home}'";
        }
    }

    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    public static void Execute(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, transaction, parameters);
        command.ExecuteNonQuery();
    }

    public static object? Scalar(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, transaction, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public void Dispose()
    {
        _pooled.Dispose();
        _unpooled.Dispose();
    }
}
