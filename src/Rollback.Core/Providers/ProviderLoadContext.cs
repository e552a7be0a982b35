using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace Rollback.Providers;

/// <summary>
/// On .NET (PowerShell 7) each provider assembly loads into its own AssemblyLoadContext, together with its private
/// dependencies from the module folder (AWSSDK.Core, YamlDotNet), so a module loaded in the same session with another
/// version of them (AWS.Tools.*, powershell-yaml) neither breaks the provider nor is broken by it. The engine's own
/// assembly (Rollback.Core), the framework (System.*, Microsoft.*, netstandard) and anything not in the module folder
/// come from the default context, so IRollbackProvider and the model types are the same types on both sides.
/// On .NET Framework (Windows PowerShell 5.1) there are no load contexts: providers load beside the engine as before.
/// </summary>
internal sealed class ProviderLoadContext : AssemblyLoadContext
{
    private readonly string _folder;

    private ProviderLoadContext(string folder)
    {
        _folder = folder;
    }

    /// <summary>Loads <paramref name="path"/> into a new context of its own. Only call on .NET (see ProviderCatalog), never on .NET Framework.</summary>
    public static Assembly LoadIsolated(string path)
    {
        var context = new ProviderLoadContext(Path.GetDirectoryName(path)!);
        return context.LoadFromAssemblyPath(path);
    }

    /// <summary>Whether a dependency is shared with the default context rather than loaded privately.</summary>
    public static bool IsShared(string name) =>
        name.Equals("Rollback.Core", StringComparison.OrdinalIgnoreCase)
        || name.Equals("netstandard", StringComparison.OrdinalIgnoreCase)
        || name.Equals("mscorlib", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("System.", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Microsoft.", StringComparison.OrdinalIgnoreCase)
        || name.Equals("System", StringComparison.OrdinalIgnoreCase);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name ?? string.Empty;
        if (name.Equals("Rollback.Core", StringComparison.OrdinalIgnoreCase))
        {
            // Exactly the engine that loaded the provider, wherever it was loaded from: one IRollbackProvider type.
            return typeof(ProviderLoadContext).Assembly;
        }

        var time = typeof(TimeProvider).Assembly;
        if (name.Equals(time.GetName().Name, StringComparison.OrdinalIgnoreCase))
        {
            // The contract's time source (Microsoft.Bcl.TimeProvider where the host has no TimeProvider of its own): the engine's copy.
            return time;
        }

        if (IsShared(name))
        {
            try
            {
                return Default.LoadFromAssemblyName(assemblyName);
            }
            catch (FileNotFoundException)
            {
                // The host does not carry it (Microsoft.Bcl.AsyncInterfaces on some PowerShell builds): the module's copy.
            }
        }

        var candidate = Path.Combine(_folder, name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }
}
