using System;
using System.Diagnostics;
using System.IO;

namespace Rollback.Benchmarks;

/// <summary>A benchmark's scratch folder under --work (or the temp folder), removed afterwards, and its progress lines on stderr.</summary>
internal sealed class ScratchFolder : IDisposable
{
    private readonly Stopwatch _total = Stopwatch.StartNew();

    public ScratchFolder(Options options, string prefix)
    {
        Path = System.IO.Path.Combine(options.Work ?? System.IO.Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A progress line stamped with the seconds since the benchmark started.</summary>
    public void Progress(string message) => Console.Error.WriteLine($"[{_total.Elapsed.TotalSeconds,6:0.0} s] {message}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover scratch folder is harmless.
        }
    }
}
