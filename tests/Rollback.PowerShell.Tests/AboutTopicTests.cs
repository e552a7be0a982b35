using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The about_ topics a user reads with Get-Help: found by name, and complete where completeness can be checked: every
/// ErrorId the module can raise is explained in about_Rollback_Safety, every kind Get-RollbackKind lists is described in
/// about_Rollback_Kinds with each of its settings.
/// </summary>
public sealed class AboutTopicTests
{
    [Theory]
    [InlineData("about_Rollback", "SAFETY RULES")]
    [InlineData("about_Rollback_Kinds", "FileSystemRelease")]
    [InlineData("about_Rollback_Safety", "RollbackInProgress")]
    public void TopicIsFoundByGetHelp(string topic, string expectedText)
    {
        using var session = new RollbackSession();

        var result = session.Run("param($topic) Get-Help $topic", new Dictionary<string, object> { ["topic"] = topic });

        result.AssertNoErrors();
        var text = string.Join("\n", result.Output.Select(o => o.BaseObject.ToString()));
        Assert.Contains(topic, text, StringComparison.Ordinal);
        Assert.Contains(expectedText, text, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetyTopicExplainsEveryErrorId()
    {
        var ids = ErrorIdCatalogues.AllIds();
        Assert.Contains("RollbackInProgress", ids); // the engine's catalogue was found
        Assert.Contains("AwsAccessDenied", ids); // and a provider's own ([ErrorIdCatalog] in Rollback.Providers.Aws)
        var topic = Topic("about_Rollback_Safety");

        // Each id is a line of its own, followed by the indented text that says what it means and what to do.
        var missing = ids.Where(id => !Regex.IsMatch(topic, $@"^\s+{id}\s*\n\s+\S", RegexOptions.Multiline)).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "about_Rollback_Safety does not explain: " + string.Join(", ", missing));
    }

    [Fact]
    public void KindsTopicDescribesEveryKindAndEverySetting()
    {
        using var session = new RollbackSession();
        var kinds = session.Run("Get-RollbackKind").Output.Select(o => o.BaseObject).ToList();
        Assert.Contains("FileSystemRelease", kinds.Select(k => k.ToString()));
        var topic = Topic("about_Rollback_Kinds");
        var headings = kinds.Select(k => (Kind: k.ToString()!, Match: Regex.Match(topic, $@"^\s+{k}\s*\n", RegexOptions.Multiline))).ToList();
        var problems = headings.Where(h => !h.Match.Success).Select(h => $"no section for {h.Kind}").ToList();

        // A kind's section runs from its heading to the next kind's (or the next top-level heading); each of the kind's
        // own settings is named there, and every setting all kinds accept is named in the topic.
        var starts = headings.Where(h => h.Match.Success).Select(h => h.Match.Index).Order().ToList();
        foreach (var (kind, match) in headings.Where(h => h.Match.Success))
        {
            var end = starts.Where(s => s > match.Index).DefaultIfEmpty(topic.Length).First();
            var nextTopLevel = Regex.Match(topic[match.Index..end], @"^\S", RegexOptions.Multiline);
            var section = topic[match.Index..(nextTopLevel.Success ? match.Index + nextTopLevel.Index : end)];
            var info = PSObject.AsPSObject(kinds.Single(k => k.ToString() == kind));
            foreach (var setting in Names(info, "Settings").Where(n => !Regex.IsMatch(section, $@"\b{n}\b")))
            {
                problems.Add($"{kind}: setting {setting} is not described in its section");
            }
        }

        var common = kinds.SelectMany(k => Names(PSObject.AsPSObject(k), "CommonSettings")).Distinct();
        problems.AddRange(common.Where(n => !Regex.IsMatch(topic, $@"\b{n}\b")).Select(n => $"the setting every kind accepts, {n}, is not described"));

        Assert.True(problems.Count == 0, "about_Rollback_Kinds: " + string.Join("; ", problems));
    }

    private static IEnumerable<string> Names(PSObject kind, string property) =>
        ((System.Collections.IEnumerable)kind.Properties[property]!.Value!).Cast<object>().Select(s => PSObject.AsPSObject(s).Properties["Name"]!.Value!.ToString()!);

    private static string Topic(string name) =>
        File.ReadAllText(Path.Combine(RollbackSession.ModuleFolder, "en-US", name + ".help.txt")).Replace("\r\n", "\n", StringComparison.Ordinal);
}

/// <summary>
/// The ErrorIds of the built module, wherever they are declared: every static class marked [ErrorIdCatalog], the engine's
/// (RollbackErrorId) and each provider assembly's own. Read from out/Rollback as metadata only
/// (MetadataLoadContext), so the test sees what ships and loads nothing into the process the other tests share.
/// </summary>
internal static class ErrorIdCatalogues
{
    public static IReadOnlyList<string> AllIds()
    {
        var moduleAssemblies = Directory.GetFiles(RollbackSession.ModuleFolder, "*.dll");
        var runtimeAssemblies = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll");
        var resolver = new PathAssemblyResolver(moduleAssemblies.Concat(runtimeAssemblies.Where(r => !moduleAssemblies.Any(m => Path.GetFileName(m) == Path.GetFileName(r)))));
        using var context = new MetadataLoadContext(resolver);
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in moduleAssemblies.Where(f => Path.GetFileName(f).StartsWith("Rollback.", StringComparison.Ordinal) && !f.EndsWith("Rollback.PowerShell.dll", StringComparison.Ordinal)))
        {
            foreach (var catalogue in LoadableTypes(context.LoadFromAssemblyPath(file)).Where(IsCatalogue))
            {
                foreach (var field in catalogue.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType.FullName == "System.String"))
                {
                    ids.Add((string)field.GetRawConstantValue()!);
                }
            }
        }

        return ids.ToList();
    }

    private static bool IsCatalogue(Type type) =>
        type.IsAbstract && type.IsSealed && type.GetCustomAttributesData().Any(a => a.AttributeType.FullName == "Rollback.Errors.ErrorIdCatalogAttribute");

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }
}
