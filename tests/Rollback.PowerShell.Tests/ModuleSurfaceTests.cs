using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>The module as users import it: what it exports, the contracts every cmdlet keeps, its parameter surface, its files.</summary>
public sealed class ModuleSurfaceTests
{
    private const string SnapshotVariable = "ROLLBACK_UPDATE_SNAPSHOTS";

    internal static readonly string[] ExpectedCmdlets = new[]
    {
        "Get-RollbackHistory", "Get-RollbackPoint", "Get-RollbackTarget", "Invoke-Rollback", "New-RollbackPoint",
        "Register-RollbackTarget", "Remove-RollbackPoint", "Restore-Configuration", "Test-RollbackReadiness", "Unregister-RollbackTarget",
        "Get-RollbackDecision",
        "Test-DeploymentHealth",
        "Watch-Deployment",
        "Get-AutoRollbackConfiguration", "Set-AutoRollbackConfiguration",
        "Get-RollbackKind",
        "Register-RollbackNotification", "Get-RollbackNotification", "Unregister-RollbackNotification",
        "Export-RollbackReport",
        "Get-RollbackStore",
        "Copy-RollbackStore",
    }.Order(StringComparer.Ordinal).ToArray();

    private static readonly Dictionary<string, ConfirmImpact> ChangingCmdlets = new(StringComparer.Ordinal)
    {
        ["Register-RollbackTarget"] = ConfirmImpact.Medium,
        ["Unregister-RollbackTarget"] = ConfirmImpact.High,
        ["New-RollbackPoint"] = ConfirmImpact.Low,
        ["Remove-RollbackPoint"] = ConfirmImpact.High,
        ["Invoke-Rollback"] = ConfirmImpact.High,
        ["Restore-Configuration"] = ConfirmImpact.High,
        ["Watch-Deployment"] = ConfirmImpact.High,
        ["Set-AutoRollbackConfiguration"] = ConfirmImpact.Medium,
        ["Register-RollbackNotification"] = ConfirmImpact.Medium,
        ["Unregister-RollbackNotification"] = ConfirmImpact.Medium,
        ["Export-RollbackReport"] = ConfirmImpact.Low,
        ["Copy-RollbackStore"] = ConfirmImpact.Medium,
    };

    private static readonly string[] ResultTypes =
    {
        "RollbackTarget", "RollbackPoint", "ReadinessReport", "CheckResult", "RollbackResult", "RollbackStep",
        "ConfigurationRestoreResult", "HistoryEntry", "JournalVerification",
        "RollbackDecision", "FiredThreshold", "HealthCheckResult", "HealthCheckEntry",
        "WatchRecord",
        "AutoRollbackConfiguration",
        "RollbackKindInfo",
        "NotificationChannel",
        "ReportFiles",
    };

    [Fact]
    public void ModuleImportsAndExportsExactlyTheExpectedCmdlets()
    {
        using var session = new RollbackSession();

        var module = session.Run("Get-Module Rollback");
        var info = Assert.IsType<PSModuleInfo>(Assert.Single(module.Output).BaseObject);
        Assert.Equal(ModuleType.Binary, info.ModuleType);
        Assert.NotEqual(new Version(0, 0), info.Version);
        Assert.Empty(info.ExportedFunctions);
        Assert.Empty(info.ExportedAliases);
        Assert.Empty(info.ExportedVariables);

        var names = Commands(session).Select(c => c.Name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(ExpectedCmdlets.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void EveryCmdletDeclaresItsElementOutputTypeAndChangingOnesSupportShouldProcess()
    {
        using var session = new RollbackSession();

        foreach (var command in Commands(session))
        {
            var outputTypes = command.OutputType;
            Assert.True(outputTypes.Count > 0, $"{command.Name} declares no [OutputType].");
            foreach (var outputType in outputTypes)
            {
                Assert.NotNull(outputType.Type);
                Assert.Equal("Rollback.Core", outputType.Type.Assembly.GetName().Name);
                Assert.False(outputType.Type.IsArray, $"{command.Name} declares an array output type; declare the element type.");
            }

            var attribute = command.ImplementingType.GetCustomAttribute<CmdletAttribute>()!;
            Assert.True(command.ImplementingType.IsSealed, $"{command.ImplementingType.Name} is not sealed.");
            if (ChangingCmdlets.TryGetValue(command.Name, out var impact))
            {
                Assert.True(attribute.SupportsShouldProcess, $"{command.Name} changes state but does not support ShouldProcess.");
                Assert.Equal(impact, attribute.ConfirmImpact);
                Assert.True(command.Parameters.ContainsKey("WhatIf"), command.Name);
            }
            else
            {
                Assert.False(attribute.SupportsShouldProcess, $"{command.Name} only reads but offers -WhatIf.");
            }

            // Get-RollbackKind lists what is installed beside the module and reads no store.
            Assert.True(command.Parameters.ContainsKey("StorePath") || command.Name == "Get-RollbackKind", $"{command.Name} has no -StorePath.");
        }
    }

    [Fact]
    public void EveryRollbackErrorCategoryIsAPowerShellErrorCategory()
    {
        using var session = new RollbackSession();

        var names = session.Run("[Enum]::GetNames([Rollback.Errors.RollbackErrorCategory])").Output.Select(o => o.ToString()).ToList();

        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.True(Enum.TryParse<ErrorCategory>(name, out _), $"ErrorCategory has no {name}."));
    }

    [Fact]
    public void ParameterSurfaceMatchesTheCheckedInSnapshot()
    {
        using var session = new RollbackSession();
        var actual = DescribeSurface(Commands(session));
        var snapshot = Path.Combine(RollbackSession.RepoRoot, "tests", "Rollback.PowerShell.Tests", "Snapshots", "ParameterSurface.txt");

        if (Environment.GetEnvironmentVariable(SnapshotVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
            File.WriteAllText(snapshot, actual);
        }

        Assert.True(File.Exists(snapshot), $"{snapshot} is missing; run the tests once with {SnapshotVariable}=1 to write it.");
        var expected = File.ReadAllText(snapshot).ReplaceLineEndings("\n");
        Assert.True(expected == actual,
            $"The parameter surface changed. If that is deliberate, rerun with {SnapshotVariable}=1 and commit the snapshot diff.\n--- actual ---\n{actual}");
    }

    [Fact]
    public void EveryPowerShellScriptInTheRepositoryParses()
    {
        var scripts = Directory.EnumerateFiles(RollbackSession.RepoRoot, "*.ps1", SearchOption.AllDirectories)
            .Where(p => !IsBuildOutput(p))
            .ToList();

        Assert.Contains(scripts, p => Path.GetFileName(p) == "build.ps1");
        foreach (var script in scripts)
        {
            Parser.ParseFile(script, out _, out var errors);
            Assert.True(errors.Length == 0, $"{script}: " + string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}:{e.Extent.StartColumnNumber} {e.Message}")));
        }
    }

    [Fact]
    public void FormatFileHasATableViewForEveryResultTypeAndItsDeserializedForm()
    {
        var format = XDocument.Load(Path.Combine(RollbackSession.ModuleFolder, "Rollback.format.ps1xml"));
        var views = format.Descendants("View").ToList();

        foreach (var type in ResultTypes)
        {
            var view = views.SingleOrDefault(v => v.Descendants("TypeName").Any(t => t.Value == "Rollback." + type));
            Assert.True(view is not null, $"No view for Rollback.{type}.");
            Assert.Contains(view!.Descendants("TypeName"), t => t.Value == "Deserialized.Rollback." + type);
            Assert.NotNull(view.Element("TableControl"));
        }

        foreach (var script in format.Descendants("ScriptBlock"))
        {
            Parser.ParseInput(script.Value, out _, out var errors);
            Assert.True(errors.Length == 0, script.Value);
        }
    }

    [Fact]
    public void StagedManifestCarriesTheBuildVersionAndListsTheCmdlets()
    {
        var ast = Parser.ParseFile(RollbackSession.ManifestPath, out _, out var errors);
        Assert.Empty(errors);
        var hashtable = (HashtableAst)ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false)!;
        var data = Assert.IsType<System.Collections.Hashtable>(hashtable.SafeGetValue());
        Assert.DoesNotContain("dev", data["ModuleVersion"]!.ToString(), StringComparison.Ordinal);
        Assert.True(Version.TryParse(data["ModuleVersion"]!.ToString(), out _));
        var exported = ((object[])data["CmdletsToExport"]!).Select(o => o.ToString()).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(ExpectedCmdlets.Order(StringComparer.Ordinal), exported);
    }

    private static List<CmdletInfo> Commands(RollbackSession session) =>
        session.Run("Get-Command -Module Rollback").Output.Select(o => Assert.IsType<CmdletInfo>(o.BaseObject)).ToList();

    private static bool IsBuildOutput(string path)
    {
        var relative = Path.GetRelativePath(RollbackSession.RepoRoot, path).Replace('\\', '/');
        var parts = relative.Split('/');
        return parts.Any(p => p is "bin" or "obj" or ".git") || parts[0] == "out";
    }

    private static string TypeName(Type type) =>
        Nullable.GetUnderlyingType(type) is { } underlying ? underlying.Name + "?" : type.Name;

    /// <summary>cmdlet → parameter set → parameter (type, mandatory, position, pipeline binding, aliases), common parameters left out.</summary>
    private static string DescribeSurface(IEnumerable<CmdletInfo> commands)
    {
        var text = new StringBuilder();
        foreach (var command in commands.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            text.Append(command.Name).Append('\n');
            foreach (var set in command.ParameterSets.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                text.Append("  [").Append(set.Name).Append(']').Append(set.IsDefault ? " (default)" : string.Empty).Append('\n');
                foreach (var parameter in set.Parameters.Where(p => !Cmdlet.CommonParameters.Contains(p.Name) && !Cmdlet.OptionalCommonParameters.Contains(p.Name)).OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    text.Append("    -").Append(parameter.Name).Append(" <").Append(TypeName(parameter.ParameterType)).Append('>');
                    if (parameter.IsMandatory)
                    {
                        text.Append(" Mandatory");
                    }

                    if (parameter.Position >= 0)
                    {
                        text.Append(" Position=").Append(parameter.Position);
                    }

                    if (parameter.ValueFromPipeline)
                    {
                        text.Append(" FromPipeline");
                    }

                    if (parameter.ValueFromPipelineByPropertyName)
                    {
                        text.Append(" FromPipelineByPropertyName");
                    }

                    if (parameter.Aliases.Count > 0)
                    {
                        text.Append(" Aliases=").Append(string.Join(",", parameter.Aliases.OrderBy(a => a, StringComparer.Ordinal)));
                    }

                    text.Append('\n');
                }
            }
        }

        return text.ToString();
    }
}
