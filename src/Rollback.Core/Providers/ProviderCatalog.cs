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
/// One provider assembly that cannot be loaded, or two providers claiming one kind, cost only what they
/// would have provided: every other kind keeps working, and using the broken one is a ProviderLoadFailed
/// error that names the assembly and the cause.
/// </summary>
public sealed class ProviderCatalog
{
    private const string ProviderAssemblyPattern = "Rollback.Providers.*.dll";
    private static readonly Lazy<ProviderCatalog> DefaultCatalog = new(() => Discover(DefaultDirectory));

    // Load contexts exist on .NET (PowerShell 7), not on .NET Framework (Windows PowerShell 5.1), where the
    // ProviderLoadContext type must never even be loaded.
    private static readonly bool LoadContextsExist = !System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

    private readonly Dictionary<string, IRollbackProvider> _providers;

    /// <summary>Kinds claimed by more than one provider: none of them is used, and the kind reports why.</summary>
    private readonly Dictionary<string, ProviderLoadFailure> _contested;

    public ProviderCatalog(IEnumerable<IRollbackProvider> providers)
        : this(providers, Array.Empty<ProviderLoadFailure>())
    {
    }

    public ProviderCatalog(IEnumerable<IRollbackProvider> providers, IEnumerable<ProviderLoadFailure> failures)
    {
        _providers = new Dictionary<string, IRollbackProvider>(StringComparer.OrdinalIgnoreCase);
        _contested = new Dictionary<string, ProviderLoadFailure>(StringComparer.OrdinalIgnoreCase);
        var failed = failures.ToList();

        // The Plan kind is the engine's own: every catalogue has it (see PlanKind).
        foreach (var group in providers.Append(new Plans.PlanKind()).GroupBy(p => p.Kind, StringComparer.OrdinalIgnoreCase))
        {
            var claimants = group.ToList();
            if (claimants.Count == 1)
            {
                _providers.Add(group.Key, claimants[0]);
                continue;
            }

            var assemblies = string.Join(" and ", claimants.Select(p => $"{p.GetType().FullName} ({AssemblyFileOf(p.GetType().Assembly)})"));
            var duplicate = new ProviderLoadFailure(string.Join(", ", claimants.Select(p => AssemblyFileOf(p.GetType().Assembly)).Distinct()),
                $"the kind '{group.Key}' is claimed by {claimants.Count} providers: {assemblies}; remove all but one", group.Key);
            _contested.Add(group.Key, duplicate);
            failed.Add(duplicate);
        }

        Failures = failed;
    }

    /// <summary>The catalogue of the providers installed beside the engine (immutable; found once per process; never throws).</summary>
    public static ProviderCatalog Default => DefaultCatalog.Value;

    public IReadOnlyCollection<string> Kinds => _providers.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    public IEnumerable<IRollbackProvider> Providers => _providers.Values;

    /// <summary>Provider assemblies that could not be loaded and kinds claimed twice, each with its cause.</summary>
    public IReadOnlyList<ProviderLoadFailure> Failures { get; }

    private static string DefaultDirectory => Path.GetDirectoryName(typeof(ProviderCatalog).Assembly.Location) ?? AppContext.BaseDirectory;

    public IRollbackProvider Get(string kind)
    {
        if (_providers.TryGetValue(kind, out var provider))
        {
            return provider;
        }

        if (_contested.TryGetValue(kind, out var contested))
        {
            throw contested.ToException(kind);
        }

        // An assembly that did not load may have held the kind: say so rather than "no such kind".
        var unloaded = Failures.Where(f => f.Kind is null).ToList();
        if (unloaded.Count > 0)
        {
            throw new RollbackException(RollbackErrorId.ProviderLoadFailed, RollbackErrorCategory.ResourceUnavailable,
                $"There is no provider for the target kind '{kind}', and {string.Join("; ", unloaded.Select(f => f.Describe()))}, so it may have held that kind. " +
                $"Reinstall the module or remove that assembly. Kinds that loaded: {string.Join(", ", Kinds)}.", kind);
        }

        throw new RollbackException(RollbackErrorId.UnknownTargetKind, RollbackErrorCategory.InvalidArgument,
            $"There is no provider for the target kind '{kind}'. Known kinds: {string.Join(", ", Kinds)}.", kind);
    }

    /// <summary>The recommended action a provider declares for one of its own ErrorIds, or null.</summary>
    public string? RecommendedAction(string errorId) =>
        _providers.Values.SelectMany(p => p.Schema.ErrorIds).FirstOrDefault(e => e.ErrorId == errorId)?.RecommendedAction;

    /// <summary>The shared store kinds (postgresql://...) found beside the engine: none in a catalogue made from a list.</summary>
    public IReadOnlyList<Store.IStoreKind> StoreKinds { get; private set; } = Array.Empty<Store.IStoreKind>();

    public static IEnumerable<Store.IStoreKind> FindStoreKindsIn(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(Store.IStoreKind).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Store.IStoreKind)Activator.CreateInstance(t)!);

    /// <summary>The artifact location kinds (s3://...) a shared store may keep its artifacts in, found beside the engine.</summary>
    public IReadOnlyList<Store.IArtifactLocationKind> ArtifactLocationKinds { get; private set; } = Array.Empty<Store.IArtifactLocationKind>();

    public static IEnumerable<Store.IArtifactLocationKind> FindArtifactLocationKindsIn(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(Store.IArtifactLocationKind).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Store.IArtifactLocationKind)Activator.CreateInstance(t)!);

    public static IEnumerable<IRollbackProvider> FindIn(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(IRollbackProvider).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IRollbackProvider)Activator.CreateInstance(t)!);

    /// <summary>
    /// The providers of every Rollback.Providers.*.dll in <paramref name="directory"/>. An assembly that cannot be
    /// loaded, or whose providers cannot be listed or created, becomes a <see cref="ProviderLoadFailure"/> instead.
    /// </summary>
    public static ProviderCatalog Discover(string directory)
    {
        var providers = new List<IRollbackProvider>();
        var storeKinds = new List<Store.IStoreKind>();
        var artifactKinds = new List<Store.IArtifactLocationKind>();
        var failures = new List<ProviderLoadFailure>();
        var paths = Directory.Exists(directory) ? Directory.GetFiles(directory, ProviderAssemblyPattern) : Array.Empty<string>();
        foreach (var path in paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            try
            {
                // Listed in full before any is kept: half an assembly's kinds would be a puzzle, none is a clear error.
                var assembly = LoadBesideEngine(path);
                var found = FindIn(assembly).ToList();
                var kinds = FindStoreKindsIn(assembly).ToList();
                var locations = FindArtifactLocationKindsIn(assembly).ToList();
                providers.AddRange(found);
                storeKinds.AddRange(kinds);
                artifactKinds.AddRange(locations);
            }
            catch (Exception ex) when (IsLoadFailure(ex))
            {
                failures.Add(new ProviderLoadFailure(Path.GetFileName(path), CauseOf(ex), null));
            }
        }

        return new ProviderCatalog(providers, failures) { StoreKinds = storeKinds, ArtifactLocationKinds = artifactKinds };
    }

    private static bool IsLoadFailure(Exception ex) =>
        ex is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException or TypeLoadException
            or TargetInvocationException or MissingMethodException or IOException or UnauthorizedAccessException or NotSupportedException;

    private static string CauseOf(Exception ex)
    {
        var inner = ex is TargetInvocationException { InnerException: { } thrown } ? thrown : ex;
        if (inner is ReflectionTypeLoadException typeLoad && typeLoad.LoaderExceptions.FirstOrDefault(e => e is not null) is { } first)
        {
            return $"{inner.GetType().Name}: {first.Message}";
        }

        return $"{inner.GetType().Name}: {inner.Message}";
    }

    private static string AssemblyFileOf(Assembly assembly)
    {
        var location = assembly.IsDynamic ? string.Empty : assembly.Location;
        return string.IsNullOrEmpty(location) ? assembly.GetName().Name + ".dll" : Path.GetFileName(location);
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

/// <summary>A provider assembly that could not be loaded, or a kind that two providers claim: what and why.</summary>
public sealed class ProviderLoadFailure
{
    public ProviderLoadFailure(string assembly, string cause, string? kind)
    {
        Assembly = assembly;
        Cause = cause;
        Kind = kind;
    }

    /// <summary>The assembly file (or files, for a contested kind).</summary>
    public string Assembly { get; }

    public string Cause { get; }

    /// <summary>The contested kind; null when a whole assembly failed and its kinds are unknown.</summary>
    public string? Kind { get; }

    public string Describe() => Kind is null ? $"the provider assembly {Assembly} could not be loaded ({Cause})" : $"{Assembly}: {Cause}";

    public RollbackException ToException(string kind) =>
        new(RollbackErrorId.ProviderLoadFailed, RollbackErrorCategory.ResourceUnavailable,
            $"The target kind '{kind}' cannot be used: {Describe()}. Every other kind keeps working.", kind);

    public override string ToString() => Describe();
}
