using System;
using System.IO;
using System.Net.Sockets;
using Npgsql;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql;

/// <summary>What the server or the network answered, turned into the kind's ErrorIds. Never carries a password.</summary>
internal static class PostgreSqlFailures
{
    /// <summary>Whether <paramref name="ex"/> is a failure of the server or the connection (not a bug of ours).</summary>
    public static bool IsServerFailure(Exception ex) =>
        ex is NpgsqlException or SocketException or TimeoutException or IOException || (ex is InvalidOperationException && ex.InnerException is NpgsqlException);

    /// <summary>The kind's error for a failure talking to <paramref name="settings"/>'s server while <paramref name="doing"/>.</summary>
    public static RollbackException Map(Exception ex, DatabaseSettings settings, string doing, string? database = null)
    {
        var where = database is null ? settings.Describe() : $"database '{database}' on {settings.Host}:{settings.Port}";
        if (ex is PostgresException postgres)
        {
            var detail = $"({postgres.SqlState}: {postgres.MessageText})";
            return postgres.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => new RollbackException(PostgreSqlErrorId.PostgreSqlAuthenticationFailed,
                    RollbackErrorCategory.SecurityError, $"Cannot {doing} {where}: the server refused user '{settings.User ?? Environment.UserName}' {detail}.", settings.Database, ex),
                PostgresErrorCodes.InvalidCatalogName => new RollbackException(PostgreSqlErrorId.PostgreSqlDatabaseNotFound,
                    RollbackErrorCategory.ObjectNotFound, $"Cannot {doing} {where}: the server has no such database {detail}.", settings.Database, ex),
                PostgresErrorCodes.InsufficientPrivilege => new RollbackException(PostgreSqlErrorId.PostgreSqlPermissionDenied,
                    RollbackErrorCategory.PermissionDenied, $"Cannot {doing} {where}: permission denied {detail}.", settings.Database, ex),
                _ => new RollbackException(PostgreSqlErrorId.PostgreSqlUnreachable,
                    RollbackErrorCategory.ResourceUnavailable, $"Cannot {doing} {where}: the server refused the request {detail}.", settings.Database, ex),
            };
        }

        var reason = ex.InnerException is { } inner && ex is NpgsqlException ? $"{ex.Message} ({inner.Message})" : ex.Message;
        if (reason.Contains("No password has been provided", StringComparison.OrdinalIgnoreCase))
        {
            return new RollbackException(PostgreSqlErrorId.PostgreSqlAuthenticationFailed, RollbackErrorCategory.SecurityError,
                $"Cannot {doing} {where}: the server asks for a password and none was found (the Password or PassFile setting, PGPASSFILE, ~/.pgpass, PGPASSWORD).", settings.Database, ex);
        }

        return new RollbackException(PostgreSqlErrorId.PostgreSqlUnreachable, RollbackErrorCategory.ResourceUnavailable, $"Cannot {doing} {where}: {reason}", settings.Database, ex);
    }
}
