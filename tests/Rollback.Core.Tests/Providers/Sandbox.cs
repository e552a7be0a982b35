using System;
using System.Collections.Generic;
using System.IO;
using Rollback.Engine;
using Rollback.Providers;
using Rollback.Providers.FileSystem;
using Rollback.Store;

namespace Rollback.Tests.Providers;

/// <summary>A temp folder with a store and an engine over the real file-system providers, removed afterwards.</summary>
internal sealed class Sandbox : IDisposable
{
    private readonly TempFolder _folder = new();

    public Sandbox()
        : this(TestStores.Create)
    {
    }

    /// <summary>A sandbox whose store <paramref name="openStore"/> opens in the given folder (a shared store of a test's own server).</summary>
    public Sandbox(Func<string, RollbackStore> openStore)
    {
        Root = _folder.Path;
        Store = openStore(Path.Combine(Root, "store"));
        Catalog = new ProviderCatalog(ProviderCatalog.FindIn(typeof(FileSystemReleaseProvider).Assembly));
        Engine = NewEngine();
    }

    public string Root { get; }

    public RollbackStore Store { get; }

    public ProviderCatalog Catalog { get; }

    public RollbackEngine Engine { get; }

    public RollbackEngine NewEngine(TimeProvider? time = null) => new(Store, Catalog, NullReporter.Instance, time, "tester");

    public string PathOf(params string[] parts) => Path.Combine(Root, Path.Combine(parts));

    public static void WriteFile(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>An /opt/api-style release root with the given releases, each holding a few files, and 'current' linked to <paramref name="current"/>.</summary>
    public string CreateReleaseRoot(string name, string current, params string[] releases)
    {
        var root = PathOf(name);
        foreach (var release in releases)
        {
            WriteFile(Path.Combine(root, "releases", release, "app.dll"), "binary of " + release);
            WriteFile(Path.Combine(root, "releases", release, "config", "app.conf"), "version=" + release);
            WriteFile(Path.Combine(root, "releases", release, "public", "index.html"), "<h1>" + release + "</h1>");
        }

        Platform.NativeFileSystem.CreateDirectoryLink(Path.Combine(root, "current"), Path.Combine(root, "releases", current));
        return root;
    }

    /// <summary>What a deploy tool does: point 'current' at another release.</summary>
    public static void Deploy(string root, string release)
    {
        var temp = Path.Combine(root, ".deploy-link");
        Platform.NativeFileSystem.CreateDirectoryLink(temp, Path.Combine(root, "releases", release));
        Platform.NativeFileSystem.ReplaceByRename(temp, Path.Combine(root, "current"));
    }

    public static string CurrentRelease(string root) => Path.GetFileName(Platform.NativeFileSystem.ReadLink(Path.Combine(root, "current"))!);

    public RollbackTarget Register(string name, string kind, params (string Key, object Value)[] settings)
    {
        var pairs = new List<KeyValuePair<string, object?>>();
        foreach (var (key, value) in settings)
        {
            pairs.Add(new KeyValuePair<string, object?>(key, value));
        }

        return Engine.Targets.Register(name, kind, new SettingsDictionary(pairs), replace: false);
    }

    public RollbackResult Rollback(string target, string pointId, Action? beforeSwitch = null, Action? afterSwitch = null) =>
        Engine.Rollbacks.Run(new RollbackRequest { Target = target, PointId = pointId, Reason = "test", ApprovedBy = new[] { "oncall" }, BeforeSwitch = beforeSwitch, AfterSwitch = afterSwitch });

    /// <summary>Every file under a folder with its content, for before/after comparisons.</summary>
    public static SortedDictionary<string, string> Snapshot(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(folder, file)] = File.ReadAllText(file);
        }

        return files;
    }

    public void Dispose()
    {
        Store.Backend.Dispose();
        _folder.Dispose();
    }
}
