using System;

namespace Rollback.PowerShell.Tests;

/// <summary>The repository root, stamped at build so tests find out/Rollback and examples/ wherever they run from.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RepoRootAttribute : Attribute
{
    public RepoRootAttribute(string path) => Path = path;

    public string Path { get; }
}
