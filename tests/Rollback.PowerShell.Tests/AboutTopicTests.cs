using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The about_ topics a user reads with Get-Help: found by name, and complete where completeness can be checked: every
/// ErrorId the module can raise is explained in about_Rollback_Safety, every kind is described in about_Rollback_Kinds.
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
        Assert.Contains("RollbackInProgress", ids); // the catalogues were found at all
        var topic = Topic("about_Rollback_Safety");

        // Each id is a line of its own, followed by the indented text that says what it means and what to do.
        var missing = ids.Where(id => !Regex.IsMatch(topic, $@"^\s+{id}\s*\n\s+\S", RegexOptions.Multiline)).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, "about_Rollback_Safety does not explain: " + string.Join(", ", missing));
    }

    [Fact]
    public void KindsTopicDescribesEveryKind()
    {
        using var session = new RollbackSession();
        var kinds = session.Run("(TabExpansion2 -inputScript 'Register-RollbackTarget -Kind ' -cursorColumn 30).CompletionMatches.CompletionText")
            .Output.Select(o => o.BaseObject.ToString()!).ToList();
        Assert.Contains("FileSystemRelease", kinds);
        var topic = Topic("about_Rollback_Kinds");

        var missing = kinds.Where(kind => !Regex.IsMatch(topic, $@"^\s+{kind}\s*\n", RegexOptions.Multiline)).ToList();

        Assert.True(missing.Count == 0, "about_Rollback_Kinds has no section for: " + string.Join(", ", missing));
    }

    private static string Topic(string name) =>
        File.ReadAllText(Path.Combine(RollbackSession.ModuleFolder, "en-US", name + ".help.txt")).Replace("\r\n", "\n", StringComparison.Ordinal);
}

/// <summary>
/// The ErrorIds of the built module, wherever they are declared: the engine's catalogue (RollbackErrorId) and any static
/// class marked [ErrorIdCatalog] in the engine or a provider assembly. Read from out/Rollback as metadata only
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
        type.IsAbstract && type.IsSealed
        && (type.FullName == "Rollback.Errors.RollbackErrorId" || type.GetCustomAttributesData().Any(a => a.AttributeType.Name == "ErrorIdCatalogAttribute"));

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
