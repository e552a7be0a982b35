using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using Rollback.Providers.PostgreSql.Store;
using Rollback.Store;
using Rollback.Testing;

namespace Rollback.Benchmarks;

/// <summary>
/// The folder store against the shared PostgreSQL store, same run, same machine: journal appends per second (each one
/// durable: the folder store's fsync, the server's commit with fsync on) and the time to list a target's points when it
/// has many (every manifest read and parsed, as Get-RollbackPoint does); then the folder store copied into a new shared
/// store (Copy-RollbackStore's engine: every entry sealed again, every point committed), and that copy run again.
/// </summary>
internal static class StoreBenchmark
{
    private const string Target = "api";

    public static int Run(Options options)
    {
        using var server = PostgreSqlServer.StartDurable();
        if (server.SkipReason is not null)
        {
            Console.Error.WriteLine("The store benchmark needs a real PostgreSQL server: " + server.SkipReason);
            return 2;
        }

        using var scratch = new ScratchFolder(options, "rollback-store-bench-");
        var stores = new List<(string Name, RollbackStore Store)>
        {
            ("folder store", new RollbackStore(Path.Combine(scratch.Path, "folder"))),
            ("PostgreSQL store", Shared(server, Path.Combine(scratch.Path, "artifacts"))),
        };

        var results = new List<(string Name, double AppendsPerSecond, TimeSpan Listing, int Listed)>();
        foreach (var (name, store) in stores)
        {
            scratch.Progress($"{name}: {options.Appends:N0} journal appends...");
            var appends = Stopwatch.StartNew();
            for (var i = 0; i < options.Appends; i++)
            {
                store.Journal.Append(new HistoryEntry { Target = Target, Action = HistoryAction.Capture, Status = HistoryStatus.Succeeded, Message = "benchmark entry " + i.ToString(CultureInfo.InvariantCulture) });
            }

            appends.Stop();
            scratch.Progress($"{name}: {options.Points:N0} points...");
            for (var i = 0; i < options.Points; i++)
            {
                var id = store.Points.NextId(Target, DateTimeOffset.UtcNow);
                var staging = store.Points.CreateStaging(Target, id);
                store.Points.Commit(staging, new RollbackPoint { Id = id, Target = Target, Kind = "FileSystemRelease", Version = "v" + i.ToString(CultureInfo.InvariantCulture), Fingerprint = "sha256:0", CreatedAt = DateTimeOffset.UtcNow });
            }

            scratch.Progress($"{name}: listing them...");
            var listing = Stopwatch.StartNew();
            var listed = store.Points.List(Target).Count;
            listing.Stop();
            results.Add((name, options.Appends / appends.Elapsed.TotalSeconds, listing.Elapsed, listed));
            store.Backend.Dispose();
        }

        Console.WriteLine();
        Console.WriteLine($"Stores, same run: {options.Appends:N0} durable journal appends and a listing of {options.Points:N0} points ({Environment.ProcessorCount} cores, PostgreSQL {server.MajorVersion} on 127.0.0.1, fsync on)");
        foreach (var (name, perSecond, listing, listed) in results)
        {
            Console.WriteLine($"  {name,-18} {perSecond,10:N0} appends/s   listing {listed:N0} points {listing.TotalSeconds,8:N2} s");
        }

        Console.WriteLine($"  ratio, PostgreSQL / folder: appends/s {results[1].AppendsPerSecond / results[0].AppendsPerSecond:N2}x, listing time {results[1].Listing.TotalSeconds / results[0].Listing.TotalSeconds:N2}x");

        scratch.Progress("Copying the folder store into a new shared store, twice...");
        new RollbackStore(Path.Combine(scratch.Path, "folder")).Targets.Save(new RollbackTarget { Name = Target, Kind = "FileSystemRelease", Settings = SettingsDictionary.Empty }, replace: false);
        var destination = Shared(server, Path.Combine(scratch.Path, "copy-artifacts"));
        var engine = new Engine.RollbackEngine(destination, new Providers.ProviderCatalog(Array.Empty<Providers.IRollbackProvider>()));
        var copy = Stopwatch.StartNew();
        var first = engine.StoreCopy.Copy(Path.Combine(scratch.Path, "folder"), replaceTargets: false);
        copy.Stop();
        var again = Stopwatch.StartNew();
        var second = engine.StoreCopy.Copy(Path.Combine(scratch.Path, "folder"), replaceTargets: false);
        again.Stop();
        var verified = destination.Journal.Verify().IsValid;
        destination.Backend.Dispose();
        Console.WriteLine($"  copy of the folder store into the PostgreSQL store: {first.TargetsCopied} target, {first.JournalEntriesCopied:N0} entries and {first.PointsCopied:N0} points in {copy.Elapsed.TotalSeconds:N2} s; run again: {second.JournalEntriesPresent:N0} entries and {second.PointsPresent:N0} points found present, nothing copied, in {again.Elapsed.TotalSeconds:N2} s; the copy's journal {(verified ? "verifies" : "DOES NOT VERIFY")}");
        var copiedAll = first.JournalEntriesCopied == options.Appends && first.PointsCopied == options.Points && second.JournalEntriesCopied == 0 && second.PointsCopied == 0 && verified;
        return results.TrueForAll(r => r.Listed == options.Points) && copiedAll ? 0 : 1;
    }

    private static RollbackStore Shared(PostgreSqlServer server, string artifacts)
    {
        var passFile = Path.Combine(Path.GetTempPath(), "rollback-bench-pw-" + Guid.NewGuid().ToString("N"));
        try
        {
            server.WritePasswordFile(passFile);
            var credential = new NetworkCredential(PostgreSqlServer.AdminUser, File.ReadAllText(passFile).Trim());
            var connection = string.Create(CultureInfo.InvariantCulture, $"postgresql://{PostgreSqlServer.Host}:{server.Port}/{server.CreateDatabase("store")}?user={PostgreSqlServer.AdminUser}&artifacts={Uri.EscapeDataString(artifacts)}");
            return StoreLocation.OpenShared(connection, credential, new IStoreKind[] { new PostgreSqlStoreKind() });
        }
        finally
        {
            File.Delete(passFile);
        }
    }
}
