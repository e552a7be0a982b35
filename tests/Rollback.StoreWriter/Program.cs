using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Rollback.Errors;
using Rollback.Providers.PostgreSql.Store;
using Rollback.Store;

namespace Rollback.StoreWriter;

/// <summary>
/// One writer of the shared store, as a process of its own: opens the store (the password from PGPASSFILE, as a user's
/// would), says "ready", waits for the go file, then appends its entries, taking and letting go of one target lock at
/// random in between. Each time it held the lock is written to the output file as "ACQUIRED RELEASED" in the monotonic
/// clock's ticks (Stopwatch: CLOCK_MONOTONIC, the same clock for every process on the machine), read just after the lock
/// was granted and just before it was let go, so two holders' intervals overlap only if the lock let two in at once.
/// </summary>
internal static class Program
{
    private static readonly TimeSpan GoPatience = TimeSpan.FromSeconds(60);

    public static int Main(string[] args)
    {
        if (args.Length != 6)
        {
            Console.Error.WriteLine("usage: Rollback.StoreWriter <connection> <writer> <entries> <lock-name> <go-file> <output-file>");
            return 64;
        }

        var (connection, writer, entries, lockName, goFile, output) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), args[3], args[4], args[5]);
        try
        {
            var store = StoreLocation.OpenShared(connection, credential: null, new IStoreKind[] { new PostgreSqlStoreKind() });
            using (store.Backend)
            {
                Console.WriteLine("ready");
                var waited = Stopwatch.StartNew();
                while (!File.Exists(goFile))
                {
                    if (waited.Elapsed > GoPatience)
                    {
                        Console.Error.WriteLine($"no go file within {GoPatience.TotalSeconds} s");
                        return 3;
                    }

                    Thread.Sleep(5);
                }

                var random = new Random(writer);
                var held = new List<string>();
                for (var i = 0; i < entries; i++)
                {
                    store.Journal.Append(new HistoryEntry
                    {
                        Time = DateTimeOffset.UtcNow,
                        Target = "writer" + writer.ToString(CultureInfo.InvariantCulture),
                        Action = HistoryAction.Capture,
                        Reason = "entry " + i.ToString(CultureInfo.InvariantCulture),
                        User = "writer",
                        Status = HistoryStatus.Succeeded,
                    });
                    if (random.Next(4) == 0 && store.Backend.Locks.TryAcquire(lockName, $"writer {writer} (process {Environment.ProcessId})") is { } lockHeld)
                    {
                        long acquired, released;
                        using (lockHeld)
                        {
                            acquired = Stopwatch.GetTimestamp();
                            Thread.Sleep(random.Next(3));
                            released = Stopwatch.GetTimestamp();
                        }

                        held.Add(string.Create(CultureInfo.InvariantCulture, $"{acquired} {released}"));
                    }
                }

                File.WriteAllLines(output, held);
                return 0;
            }
        }
        catch (RollbackException ex)
        {
            Console.Error.WriteLine($"{ex.ErrorId}: {ex.Message}");
            return 1;
        }
    }
}
