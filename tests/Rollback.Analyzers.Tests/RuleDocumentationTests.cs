using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Rollback.Analyzers.Tests;

/// <summary>Every rule has a doc under docs/rules, every doc a rule, and both agree on id, title and severity.</summary>
public sealed class RuleDocumentationTests
{
    private static readonly string RulesFolder = Path.Combine(TestPathsAttribute.Root, "docs", "rules");

    private static Microsoft.CodeAnalysis.DiagnosticDescriptor[] Rules =>
        AnalyzerHarness.AllAnalyzers.SelectMany(a => a.SupportedDiagnostics).DistinctBy(d => d.Id).OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();

    [Fact]
    public void EveryRuleHasADocAndEveryDocARule()
    {
        var ruleIds = Rules.Select(r => r.Id).ToArray();
        var docIds = Directory.EnumerateFiles(RulesFolder, "RB*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Enumerable.Range(1001, 8).Select(n => "RB" + n), ruleIds);
        Assert.Equal(ruleIds, docIds);
    }

    [Fact]
    public void EachDocStatesTheRulesTitleSeverityAndTheRequiredSections()
    {
        foreach (var rule in Rules)
        {
            var text = File.ReadAllText(Path.Combine(RulesFolder, rule.Id + ".md"));
            Assert.StartsWith("# " + rule.Id + ": " + rule.Title, text, StringComparison.Ordinal);
            Assert.Contains("| Severity | " + rule.DefaultSeverity + " |", text, StringComparison.Ordinal);
            foreach (var section in new[] { "## Why", "## Bad", "## Good", "## How to fix", "## Configuration" })
            {
                Assert.Contains(section, text, StringComparison.Ordinal);
            }

            Assert.Equal("docs/rules/" + rule.Id + ".md", rule.HelpLinkUri);
        }
    }

    [Fact]
    public void TheIndexAndTheReleaseTrackingListEveryRule()
    {
        var index = File.ReadAllText(Path.Combine(RulesFolder, "README.md"));
        var unshipped = File.ReadAllText(Path.Combine(TestPathsAttribute.Root, "src", "Rollback.Analyzers", "AnalyzerReleases.Unshipped.md"));
        foreach (var rule in Rules)
        {
            Assert.Contains("| [" + rule.Id + "](" + rule.Id + ".md) | " + rule.Title + " | " + rule.DefaultSeverity + " |", index, StringComparison.Ordinal);
            Assert.Contains(rule.Id + " | " + rule.Category + " | " + rule.DefaultSeverity + " |", unshipped, StringComparison.Ordinal);
        }
    }
}
