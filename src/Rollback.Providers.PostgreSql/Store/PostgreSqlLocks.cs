using System;
using Npgsql;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// Target locks as session advisory locks, each on a connection of its own: the lock ends with the session, so a
/// process that dies (kill -9, a power cut) lets go of it as soon as the server sees its connection close, and no lock
/// is ever stale. Who holds it (user, process, host, since when) is a row in rollback_store.lock_holders, believed
/// only while that session still holds the lock.
/// </summary>
internal sealed class PostgreSqlLocks : IStoreLocks
{
    private const string KeySql = "hashtextextended('rollback_store:lock:' || @name, 0)";
    private readonly StoreDatabase _database;

    public PostgreSqlLocks(StoreDatabase database) => _database = database;

    public IStoreLock? TryAcquire(string name, string holder)
    {
        var session = _database.OpenSession("take the lock '" + name + "'");
        try
        {
            if (StoreDatabase.Scalar(session, $"SELECT pg_try_advisory_lock({KeySql})", null, ("name", name)) is not true)
            {
                session.Dispose();
                return null;
            }

            StoreDatabase.Execute(session, """
                INSERT INTO rollback_store.lock_holders (name, holder, backend_pid, since) VALUES (@name, @holder, pg_backend_pid(), now())
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, backend_pid = excluded.backend_pid, since = excluded.since
                """, null, ("name", name), ("holder", holder));
            return new HeldLock(_database, session, name);
        }
        catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex))
        {
            session.Dispose();
            throw _database.Failure("take the lock '" + name + "'", ex);
        }
    }

    public string? Holder(string name) => _database.Run("read who holds the lock '" + name + "'", connection =>
        (string?)StoreDatabase.Scalar(connection, """
            SELECT h.holder || ' (database session ' || h.backend_pid || ')' FROM rollback_store.lock_holders h
            WHERE h.name = @name AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.pid = h.backend_pid)
            """, null, ("name", name)));

    /// <summary>A held lock: its session, whose end (here, or the process's) is what lets go of it.</summary>
    private sealed class HeldLock : IStoreLock
    {
        private readonly StoreDatabase _database;
        private readonly NpgsqlConnection _session;
        private readonly string _name;

        public HeldLock(StoreDatabase database, NpgsqlConnection session, string name)
        {
            _database = database;
            _session = session;
            _name = name;
        }

        public void EnsureHeld()
        {
            // A session holds its advisory lock until it ends: one round trip on it proves both. A server restarted since
            // the lock was taken ended the session, and with it the lock, though the command's other queries (on new
            // pooled connections) succeed; another runner may hold the lock now.
            try
            {
                _ = StoreDatabase.Scalar(_session, "SELECT 1");
            }
            catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex) || ex is InvalidOperationException)
            {
                throw _database.Failure($"keep the lock '{_name}': the database session that held it has ended (the server restarted or the connection dropped), so another runner may hold it now, and nothing was switched", ex);
            }
        }

        public void Dispose()
        {
            try
            {
                StoreDatabase.Execute(_session, "DELETE FROM rollback_store.lock_holders WHERE name = @name AND backend_pid = pg_backend_pid()", null, ("name", _name));

                // Let go now rather than by closing: the server ends a closed session's backend a moment later, and a
                // command that asks for the lock in that moment (the next one in this process, say) would find it held.
                _ = StoreDatabase.Scalar(_session, $"SELECT pg_advisory_unlock({KeySql})", null, ("name", _name));
            }
            catch (Exception ex) when (PostgreSqlFailures.IsServerFailure(ex) || ex is InvalidOperationException)
            {
                // The server or the connection is gone (Npgsql: "Connection is not open" once it broke), and the lock with
                // it: the row is believed only while a session holds the lock.
            }
            finally
            {
                // Closing the session ends the lock in any case (the connection is not pooled).
                _session.Dispose();
            }
        }
    }
}
