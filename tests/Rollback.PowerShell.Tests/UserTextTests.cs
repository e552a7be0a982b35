using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Words for users: what ships or is read by users (help, about topics, messages, the module's code and doc comments,
/// README, docs, examples, benchmark output) never cites the internal documents the module was designed from ("seed 002 says ..."). Users have never
/// seen them; the text says what the practice is instead.
/// </summary>
public sealed partial class UserTextTests
{
    [Fact]
    public void ShippedTextCitesNoInternalDocument()
    {
        var root = RollbackSession.RepoRoot;
        var problems = new List<string>();

        // Every line counts: prose, messages, and the module's code with its doc comments (IntelliSense shows them).
        var prose = Files(root, "module", "*")
            .Concat(Files(root, "docs", "*.md"))
            .Concat(Files(root, "examples", "*"))
            .Concat(Files(root, "src", "*.resx"))
            .Concat(Files(root, "src", "*.cs"))
            .Append(Path.Combine(root, "README.md"));
        foreach (var file in prose)
        {
            problems.AddRange(Find(root, file, line => line));
        }

        // The benchmarks: the text of their string literals (the figures they print), not their identifiers (a random
        // generator's seed is a seed).
        foreach (var file in Files(root, Path.Combine("tests", "Rollback.Benchmarks"), "*.cs"))
        {
            problems.AddRange(Find(root, file, line => string.Join(" ", StringLiteral().Matches(line).Select(m => m.Value))));
        }

        Assert.True(problems.Count == 0, "Cites an internal document; say what the practice is instead:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void TheLicenseTheManifestNamesShipsWithTheModule()
    {
        using var session = new RollbackSession();
        var licenseUri = session.Run("(Get-Module Rollback).LicenseUri").Output.Select(o => o.BaseObject.ToString()).SingleOrDefault();
        var staged = Path.Combine(RollbackSession.ModuleFolder, "LICENSE");

        Assert.EndsWith("/LICENSE", licenseUri ?? string.Empty, StringComparison.Ordinal);
        Assert.StartsWith("MIT License", File.ReadAllText(Path.Combine(RollbackSession.RepoRoot, "LICENSE")), StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(RollbackSession.RepoRoot, "LICENSE")), File.ReadAllText(staged));
    }

    private static IEnumerable<string> Files(string root, string folder, string pattern) =>
        Directory.EnumerateFiles(Path.Combine(root, folder), pattern, SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static IEnumerable<string> Find(string root, string file, Func<string, string> textOf)
    {
        var lines = File.ReadAllLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            if (InternalDocument().IsMatch(textOf(lines[i])))
            {
                yield return $"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}";
            }
        }
    }

    // "seed 002", "Seed 004's matrix", "the seeds' values": the runbooks the module was designed from.
    [GeneratedRegex(@"\bseeds?\b", RegexOptions.IgnoreCase)]
    private static partial Regex InternalDocument();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();
}
