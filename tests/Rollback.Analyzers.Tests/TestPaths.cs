using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Rollback.Analyzers.Tests;

/// <summary>Paths stamped in at build: the repository root and PowerShellStandard.Library's reference assembly.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class TestPathsAttribute : Attribute
{
    public TestPathsAttribute(string repoRoot, string powerShellReference)
    {
        RepoRoot = repoRoot;
        PowerShellReference = powerShellReference;
    }

    public string RepoRoot { get; }

    public string PowerShellReference { get; }

    private static TestPathsAttribute Stamped => typeof(TestPathsAttribute).Assembly.GetCustomAttribute<TestPathsAttribute>()
        ?? throw new InvalidOperationException("The test assembly carries no TestPathsAttribute.");

    public static string Root => Stamped.RepoRoot;

    /// <summary>The stamped path, else the package in the NuGet cache (NUGET_PACKAGES or ~/.nuget/packages).</summary>
    public static string PowerShell
    {
        get
        {
            var candidates = new[]
            {
                Stamped.PowerShellReference,
                Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? string.Empty, "powershellstandard.library", "5.1.1", "lib", "netstandard2.0", "System.Management.Automation.dll"),
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "powershellstandard.library", "5.1.1", "lib", "netstandard2.0", "System.Management.Automation.dll"),
            };
            return candidates.FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException("PowerShellStandard.Library's System.Management.Automation.dll was not found; restore the test project.", candidates[0]);
        }
    }
}
