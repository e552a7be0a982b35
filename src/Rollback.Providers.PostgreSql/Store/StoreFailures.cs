using System;
using Npgsql;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>What kind of failure a shared store's server or network answered with.</summary>
internal enum StoreFailure
{
    /// <summary>The server cannot be reached, went away or is shutting down or starting: run again once it answers.</summary>
    Connection,

    /// <summary>The server refused the user or its password (28P01, 28000), or asks for a password none was found for.</summary>
    Authentication,

    /// <summary>The user lacks a privilege (42501).</summary>
    Privilege,

    /// <summary>Any other refusal of a server that answers (a constraint, a missing database or table, a full disk).</summary>
    Request,
}

/// <summary>Sorts a failure by SQLSTATE: only connection-class failures are worth running again as they are.</summary>
internal static class StoreFailures
{
    public static StoreFailure Classify(Exception ex)
    {
        if ((ex as PostgresException ?? ex.InnerException as PostgresException) is { } postgres)
        {
            return postgres.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => StoreFailure.Authentication,
                PostgresErrorCodes.InsufficientPrivilege => StoreFailure.Privilege,
                // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down),
                // 53300 too many connections, and class 08 (connection exceptions).
                PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections => StoreFailure.Connection,
                _ when postgres.SqlState.StartsWith("08", StringComparison.Ordinal) => StoreFailure.Connection,
                _ => StoreFailure.Request,
            };
        }

        // Npgsql's own: no password found for a server that asks for one.
        if (ex is NpgsqlException && ex.Message.Contains("No password has been provided", StringComparison.OrdinalIgnoreCase))
        {
            return StoreFailure.Authentication;
        }

        // Refused, reset, timed out, the stream ended: the server or the network, never the request.
        return StoreFailure.Connection;
    }
}
