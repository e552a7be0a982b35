using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Rollback.Errors;

namespace Rollback.Providers;

/// <summary>
/// Finds providers by Kind. The default catalogue loads the Rollback.Providers.*.dll assemblies that sit
/// beside this one and takes every public IRollbackProvider in them, so adding a kind touches no cmdlet.
/// </summary>
public sealed class ProviderCatalog
{
    private const string ProviderAssemblyPattern = "Rollback.Providers.*.dll";
    private static readonly Lazy<ProviderCatalog> DefaultCatalog = new(Discover);

    // Load contexts exist on .NET (PowerShell 7), not on .NET Framework (Windows PowerShell 5.1), where the
    // ProviderLoadContext type must never even be loaded.
    private static readonly bool LoadContextsExist = !System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

    private readonly Dictionary<string, IRollbackProvider> _providers;

    public ProviderCatalog(IEnumerable<IRollbackProvider> providers)
    {
        _providers = new Dictionary<string, IRollbackProvider>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in providers)
        {
            if (_providers.ContainsKey(provider.Kind))
            {
                throw new InvalidOperationException($"Two providers claim the kind '{provider.Kind}'.");
            }

            _providers.Add(provider.Kind, provider);
        }
    }

    /// <summary>The catalogue of the providers installed beside the engine (immutable; found once per process).</summary>
    public static ProviderCatalog Default => DefaultCatalog.Value;

    public IReadOnlyCollection<string> Kinds => _providers.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    public IEnumerable<IRollbackProvider> Providers => _providers.Values;

    public IRollbackProvider Get(string kind)
    {
        if (_providers.TryGetValue(kind, out var provider))
        {
            return provider;
        }

        throw new RollbackException(RollbackErrorId.UnknownTargetKind, RollbackErrorCategory.InvalidArgument,
            $"There is no provider for the target kind '{kind}'. Known kinds: {string.Join(", ", Kinds)}.", kind);
    }

    public static IEnumerable<IRollbackProvider> FindIn(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(IRollbackProvider).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IRollbackProvider)Activator.CreateInstance(t)!);

    private static ProviderCatalog Discover()
    {
        var directory = Path.GetDirectoryName(typeof(ProviderCatalog).Assembly.Location) ?? AppContext.BaseDirectory;
        var assemblies = Directory.GetFiles(directory, ProviderAssemblyPattern)
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(LoadBesideEngine);
        return new ProviderCatalog(assemblies.SelectMany(FindIn));
    }

    private static Assembly LoadBesideEngine(string path)
    {
        // Prefer an already loaded copy (the host may have loaded it through a reference) to avoid two type identities.
        var name = AssemblyName.GetAssemblyName(path);
        var loaded = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name));
        if (loaded is not null)
        {
            return loaded;
        }

        // On PowerShell 7 a provider and its dependencies get a load context of their own (see ProviderLoadContext).
        return LoadContextsExist ? LoadIsolated(path) : Assembly.LoadFrom(path);
    }

    // Kept out of LoadBesideEngine so that on .NET Framework the AssemblyLoadContext type is never touched.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Assembly LoadIsolated(string path) => ProviderLoadContext.LoadIsolated(path);
}
