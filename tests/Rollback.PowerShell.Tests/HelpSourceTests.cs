using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using Rollback.HelpCompiler;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The help source, docs/cmdlets/*.md, against the cmdlets themselves: one file per exported cmdlet, SYNTAX exactly as
/// PowerShell prints each parameter set, and each parameter's "Parameter Sets" as the code declares them. The MAML the
/// build compiles from these files is checked through Get-Help in <see cref="HelpTests"/>.
/// </summary>
public sealed class HelpSourceTests
{
    private static readonly string CmdletDocs = Path.Combine(RollbackSession.RepoRoot, "docs", "cmdlets");

    [Fact]
    public void EveryExportedCmdletHasOneMarkdownFileAndNoOtherFileIsThere()
    {
        using var session = new RollbackSession();
        var exported = HelpTests.CommandsOf(session).Select(c => c.Name).Order(StringComparer.Ordinal);

        var documented = Directory.GetFiles(CmdletDocs, "*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);

        Assert.Equal(exported, documented);
    }

    [Fact]
    public void SyntaxIsWhatPowerShellPrintsForEachParameterSet()
    {
        using var session = new RollbackSession();
        var problems = new List<string>();
        foreach (var command in HelpTests.CommandsOf(session))
        {
            var help = Read(command.Name);
            var expected = command.ParameterSets.ToDictionary(s => s.Name, StringComparer.Ordinal);
            var written = help.Syntax.ToDictionary(s => s.ParameterSet, StringComparer.Ordinal);
            foreach (var missing in expected.Keys.Except(written.Keys))
            {
                problems.Add($"{command.Name}: no '### {missing}' under SYNTAX. Expected:\n    {SyntaxOf(command, expected[missing])}");
            }

            foreach (var extra in written.Keys.Except(expected.Keys))
            {
                problems.Add($"{command.Name}: SYNTAX has '### {extra}', which is not a parameter set of the cmdlet.");
            }

            foreach (var set in expected.Values.Where(s => written.ContainsKey(s.Name)))
            {
                var block = written[set.Name];
                if (!string.Equals(Normalize(block.Text), Normalize(SyntaxOf(command, set)), StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"{command.Name} ({set.Name}): SYNTAX says\n    {block.Text}\n  PowerShell says\n    {SyntaxOf(command, set)}");
                }

                // "(Default)" marks the default set where there is more than one, as platyPS writes it.
                if (expected.Count > 1 && block.IsDefault != set.IsDefault)
                {
                    problems.Add($"{command.Name}: '### {set.Name}' is {(set.IsDefault ? string.Empty : "not ")}the default parameter set; {(set.IsDefault ? "add" : "remove")} ' (Default)'.");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void EachParametersSetsAreTheOnesTheCodeDeclares()
    {
        using var session = new RollbackSession();
        var problems = new List<string>();
        foreach (var command in HelpTests.CommandsOf(session))
        {
            var allSets = command.ParameterSets.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var parameter in Read(command.Name).Parameters)
            {
                if (!command.Parameters.TryGetValue(parameter.Name, out var declared))
                {
                    continue; // HelpTests reports a documented parameter the cmdlet does not have.
                }

                var sets = declared.ParameterSets.ContainsKey(ParameterAttribute.AllParameterSets) ? allSets : declared.ParameterSets.Keys.ToHashSet(StringComparer.Ordinal);
                var expected = sets.SetEquals(allSets) ? "(All)" : string.Join(", ", sets.Order(StringComparer.Ordinal));
                var written = parameter.InAllParameterSets ? "(All)" : string.Join(", ", parameter.ParameterSets.Order(StringComparer.Ordinal));
                if (expected != written)
                {
                    problems.Add($"{command.Name} -{parameter.Name}: 'Parameter Sets: {written}', expected '{expected}'.");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static CmdletHelp Read(string name)
    {
        var path = Path.Combine(CmdletDocs, name + ".md");
        return HelpMarkdown.Parse(path, File.ReadAllText(path));
    }

    private static string SyntaxOf(CommandInfo command, CommandParameterSetInfo set) => command.Name + " " + set;

    private static string Normalize(string syntax) => Regex.Replace(syntax.Trim(), @"\s+", " ");
}
