using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// rollback_store.journal: a row per line, exactly the line the folder store would write (so the hash chain and -Verify
/// are the same code), and rollback_store.journal_head beside it. An append reads the tail, inserts the next line and
/// moves the head in one transaction under a transaction advisory lock: appends from any number of machines are
/// serialised, and the sequence is the primary key, so the chain can neither fork nor lose an entry.
/// </summary>
internal sealed class PostgreSqlJournalLog : IJournalLog
{
    private const string LockSql = "SELECT pg_advisory_xact_lock(hashtextextended('rollback_store:journal', 0))";
    private readonly StoreDatabase _database;

    public PostgreSqlJournalLog(StoreDatabase database) => _database = database;

    public string Location => _database.Connection.Display + " (rollback_store.journal)";

    public string HeadLocation => _database.Connection.Display + " (rollback_store.journal_head)";

    public IEnumerable<string> Lines() => _database.Run("read the journal", connection =>
    {
        using var command = StoreDatabase.Command(connection, "SELECT line FROM rollback_store.journal ORDER BY sequence");
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    });

    public bool EndsInsideALine() => false;

    public JournalTail Tail() => _database.Run("read the journal's last entry", connection => ReadTail(connection, null, countNow: true));

    public JournalTail LockedTail() => _database.InTransaction("read the journal's last entry", (connection, transaction) =>
    {
        StoreDatabase.Execute(connection, LockSql, transaction);
        return ReadTail(connection, transaction, countNow: true);
    });

    public string? ReadHeadText() => _database.Run("read the journal's head record", connection =>
        (string?)StoreDatabase.Scalar(connection, "SELECT head FROM rollback_store.journal_head WHERE id = 1"));

    public JournalHead? ReadHead() => Parse(ReadHeadText());

    public void EnsureWritable() => _database.Run("check that the journal can be written", connection =>
    {
        if (StoreDatabase.Scalar(connection, "SELECT has_table_privilege('rollback_store.journal', 'INSERT') AND has_table_privilege('rollback_store.journal_head', 'INSERT, UPDATE')") is not true)
        {
            throw new UnauthorizedAccessException($"The database user '{_database.Connection.User}' may not insert into rollback_store.journal and rollback_store.journal_head.");
        }

        return 1;
    });

    public T Append<T>(Func<JournalTail, JournalHead?, bool, JournalAppend<T>> seal) =>
        _database.InTransaction("append to the journal", (connection, transaction) =>
        {
            StoreDatabase.Execute(connection, LockSql, transaction);
            var tail = ReadTail(connection, transaction, countNow: false);
            var head = Parse((string?)StoreDatabase.Scalar(connection, "SELECT head FROM rollback_store.journal_head WHERE id = 1", transaction));
            var appended = seal(tail, head, false);
            var headText = JsonSerializer.Serialize(appended.Head, StoreJson.Compact);
            StoreDatabase.Execute(connection, "INSERT INTO rollback_store.journal (sequence, line) VALUES (@sequence, @line)", transaction,
                ("sequence", appended.Head.Sequence), ("line", appended.Line));
            StoreDatabase.Execute(connection, "INSERT INTO rollback_store.journal_head (id, head) VALUES (1, @head) ON CONFLICT (id) DO UPDATE SET head = excluded.head", transaction,
                ("head", headText));
            return appended.Result;
        });

    private static JournalTail ReadTail(NpgsqlConnection connection, NpgsqlTransaction? transaction, bool countNow)
    {
        var last = (string?)StoreDatabase.Scalar(connection, "SELECT line FROM rollback_store.journal ORDER BY sequence DESC LIMIT 1", transaction);
        long Count() => Convert.ToInt64(StoreDatabase.Scalar(connection, "SELECT count(*) FROM rollback_store.journal", transaction), CultureInfo.InvariantCulture);

        // Counted only when asked (a damaged last line), and then while the connection is still open.
        if (countNow && last is not null)
        {
            var count = Count();
            return new JournalTail(last, () => count);
        }

        return new JournalTail(last, Count);
    }

    private static JournalHead? Parse(string? text)
    {
        try
        {
            return text is null ? null : JsonSerializer.Deserialize<JournalHead>(text, StoreJson.Compact);
        }
        catch (JsonException)
        {
            return new JournalHead(-1, string.Empty);
        }
    }
}
