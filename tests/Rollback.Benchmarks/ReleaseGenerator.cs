using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace Rollback.Benchmarks;

/// <summary>
/// A deterministic application release: nested folders like a real app (bin, lib, wwwroot assets, locales,
/// views, config), many small files and a few large ones, pseudo-random content. The same layout is written
/// for every version; one file in eight and every large file differ between versions, as a real deploy would.
/// </summary>
internal sealed class ReleaseGenerator
{
    public const string VersionFileName = "version.txt";

    private const double LargeShare = 0.6;
    private const int FilesPerFolder = 25;

    private static readonly string[] Areas = { "bin", "lib", "wwwroot/assets", "wwwroot/locales", "views", "config", "plugins" };
    private static readonly string[] Words =
    {
        "core", "auth", "billing", "orders", "search", "admin", "shared", "ui", "api", "data", "cache", "jobs",
        "reports", "users", "catalog", "checkout", "mail", "audit", "export", "import", "widgets", "themes",
    };

    private static readonly string[] Extensions = { ".dll", ".json", ".js", ".css", ".svg", ".html", ".xml", ".txt", ".map", ".png" };

    private readonly List<PlannedFile> _files = new();

    public ReleaseGenerator(int fileCount, long totalBytes)
    {
        if (fileCount < 2 || totalBytes < fileCount)
        {
            throw new ArgumentException("A release needs at least 2 files and 1 byte per file.");
        }

        var random = new SplitMix64(0x5EED_2024);
        var folders = PlanFolders(random, Math.Max(1, fileCount / FilesPerFolder));
        var largeCount = Math.Max(1, fileCount / 1000);
        var weights = new double[fileCount];
        double largeWeight = 0;
        double smallWeight = 0;
        for (var i = 0; i < fileCount; i++)
        {
            // Large files: comparable sizes; small ones: log-uniform from 200 B to 64 KiB, as assets and configs are.
            weights[i] = i < largeCount ? 1 + (2 * random.NextDouble()) : Math.Exp(Math.Log(200) + (random.NextDouble() * Math.Log(65536 / 200.0)));
            if (i < largeCount)
            {
                largeWeight += weights[i];
            }
            else
            {
                smallWeight += weights[i];
            }
        }

        var largeBytes = (long)(totalBytes * LargeShare);
        long assigned = 0;
        for (var i = 0; i < fileCount; i++)
        {
            var share = i < largeCount ? largeBytes * weights[i] / largeWeight : (totalBytes - largeBytes) * weights[i] / smallWeight;
            var size = Math.Max(1, (long)share);
            assigned += size;
            var folder = i < largeCount ? (i % 2 == 0 ? "bin" : "lib/native") : folders[(int)(random.Next() % (ulong)folders.Count)];
            var extension = i < largeCount ? (i % 2 == 0 ? ".dll" : ".so") : Extensions[(int)(random.Next() % (ulong)Extensions.Length)];
            var name = Words[(int)(random.Next() % (ulong)Words.Length)] + "-" + i.ToString(CultureInfo.InvariantCulture) + extension;
            _files.Add(new PlannedFile(folder + "/" + name, size, ChangesPerVersion: i < largeCount || i % 8 == 3, Seed: (ulong)i));
        }

        // Rounding leaves a few bytes over or under: the first large file takes the difference.
        _files[0] = _files[0] with { Size = Math.Max(1, _files[0].Size + (totalBytes - assigned)) };
    }

    public IReadOnlyList<PlannedFile> Files => _files;

    /// <summary>A file every version has, for watchers to poll.</summary>
    public string ProbeFile => _files[_files.Count / 2].RelativePath;

    /// <summary>Writes a version of the release into <paramref name="folder"/>; with <paramref name="changedOnly"/>, only the files that differ between versions.</summary>
    public void Write(string folder, string version, bool changedOnly)
    {
        var buffer = new byte[1 << 20];
        var versionSeed = StableHash(version);
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in _files)
        {
            if (changedOnly && !file.ChangesPerVersion)
            {
                continue;
            }

            var path = Path.Combine(folder, file.RelativePath);
            var directory = Path.GetDirectoryName(path)!;
            if (created.Add(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var random = new SplitMix64((file.Seed * 0x9E37_79B9_7F4A_7C15UL) ^ (file.ChangesPerVersion ? versionSeed : 0));
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
            var left = file.Size;
            while (left > 0)
            {
                var chunk = (int)Math.Min(buffer.Length, left);
                random.Fill(buffer.AsSpan(0, chunk));
                stream.Write(buffer, 0, chunk);
                left -= chunk;
            }
        }

        File.WriteAllText(Path.Combine(folder, VersionFileName), version + "\n");
    }

    private static List<string> PlanFolders(SplitMix64 random, int count)
    {
        var folders = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (folders.Count < count)
        {
            var path = Areas[(int)(random.Next() % (ulong)Areas.Length)];
            var depth = 1 + (int)(random.Next() % 3);
            for (var level = 0; level < depth; level++)
            {
                path += "/" + Words[(int)(random.Next() % (ulong)Words.Length)];
            }

            // Deep trees repeat names; a numbered leaf keeps folder count on target without unbounded retries.
            if (!seen.Add(path))
            {
                path += "-" + folders.Count.ToString(CultureInfo.InvariantCulture);
                seen.Add(path);
            }

            folders.Add(path);
        }

        return folders;
    }

    private static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>One file of the plan: where it goes, how big, and whether its content depends on the version.</summary>
    internal sealed record PlannedFile(string RelativePath, long Size, bool ChangesPerVersion, ulong Seed);

    /// <summary>A small, fast, seedable generator (SplitMix64), so content is identical on every run and runtime.</summary>
    private sealed class SplitMix64
    {
        private ulong _state;

        public SplitMix64(ulong seed) => _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E37_79B9_7F4A_7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        public void Fill(Span<byte> target)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(target);
            for (var i = 0; i < words.Length; i++)
            {
                words[i] = Next();
            }

            for (var i = words.Length * sizeof(ulong); i < target.Length; i++)
            {
                target[i] = (byte)Next();
            }
        }
    }
}
