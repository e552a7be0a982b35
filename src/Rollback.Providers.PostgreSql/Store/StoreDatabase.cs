using System;
using System.Net;
using Npgsql;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// The shared store's server: pooled connections for the registry, manifests and journal, unpooled ones for locks (a
/// session advisory lock must end with its connection), and the one mapping of a server failure to StoreUnavailable.
/// </summary>
internal sealed class StoreDatabase : IDisposable
{
    private readonly NpgsqlDataSource _pooled;
    private readonly NpgsqlDataSource _unpooled;

    public StoreDatabase(StoreConnection connection, NetworkCredential? credential)
    {
        Connection = connection;
        _pooled = NpgsqlDataSource.Create(connection.ConnectionString(credential, pooling: true));
        _unpooled = NpgsqlDataSource.Create(connection.ConnectionString(credential, pooling: false));
    }

    public StoreConnection Connection { get; }

    /// <summary>Runs <paramref name="work"/> on a pooled connection; a failure of the server or the network becomes StoreUnavailable.</summary>
    public T Run<T>(string doing, Func<NpgsqlConnection, T> work)
    {
        try
        {
            using var connection = _pooled.OpenConnection();
            return work(connection);
        }
        catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex))
        {
            throw Unavailable(doing, ex);
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
            throw Unavailable(doing, ex);
        }
    }

    public RollbackException Unavailable(string doing, Exception ex)
    {
        var detail = ex is PostgresException postgres ? $"{postgres.SqlState}: {postgres.MessageText}" : ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
        return new RollbackException(RollbackErrorId.StoreUnavailable, RollbackErrorCategory.ResourceUnavailable,
            $"The shared store {Connection.Display} cannot {doing}: {detail}. Nothing was half-written: run the command again once the server answers.",
            Connection.Display, ex);
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
