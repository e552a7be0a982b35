using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Rollback.Tests.PostgreSql;

/// <summary>
/// The migrations bundle of the test EF Core model (tests/Rollback.SchemaMigrationModel), built by the real dotnet-ef
/// (10.0.15, installed as a tool into the test output) the first time a test asks for it, and cached under the test
/// output by a hash of the model's sources: building a bundle takes minutes, so a run builds it once, and a run whose
/// model did not change builds it not at all.
/// </summary>
internal static class SchemaMigrationBundle
{
    public const string First = "20260101000001_CreateProducts";
    public const string Second = "20260101000002_DropProductNotes";
    public const string Third = "20260101000003_AddProductSku";
    private const string DotNetEfVersion = "10.0.15";
    private static readonly Lazy<string> Built = new(Build, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The bundle's path (an executable: efbundle [migration] --connection ...).</summary>
    public static string Path => Built.Value;

    private static string Build()
    {
        var model = System.IO.Path.Combine(RepositoryRoot(), "tests", "Rollback.SchemaMigrationModel");
        var sources = Directory.GetFiles(model, "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(model, "*.csproj"))
            .Where(f => !f.Contains($"{System.IO.Path.DirectorySeparatorChar}obj{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{System.IO.Path.DirectorySeparatorChar}bin{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in sources)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(System.IO.Path.GetRelativePath(model, file)));
            hash.AppendData(File.ReadAllBytes(file));
        }

        var cache = System.IO.Path.Combine(AppContext.BaseDirectory, "efbundle-cache", Convert.ToHexString(hash.GetHashAndReset())[..16]);
        var bundle = System.IO.Path.Combine(cache, "efbundle");
        if (File.Exists(bundle))
        {
            return bundle;
        }

        var tools = System.IO.Path.Combine(AppContext.BaseDirectory, "dotnet-tools");
        var dotnetEf = System.IO.Path.Combine(tools, "dotnet-ef");
        if (!File.Exists(dotnetEf))
        {
            Run("dotnet", model, "tool", "install", "dotnet-ef", "--version", DotNetEfVersion, "--tool-path", tools);
        }

        Directory.CreateDirectory(cache);
        var building = bundle + ".building";
        Run(dotnetEf, model, "migrations", "bundle", "--project", model, "--output", building, "--force");
        File.Move(building, bundle);
        return bundle;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "Rollback.Module.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Rollback.Module.sln) is not above the test output.");
    }

    /// <summary>Runs <paramref name="program"/> to its end and returns what it wrote; a failure throws with its output.</summary>
    public static string Run(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(900_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish within 15 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}{output.Result}");
        }

        return output.Result + error;
    }
}
