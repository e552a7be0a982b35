using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.FeatureFlags.Tests;

/// <summary>The tests that use the real Unleash server: one per test run of this assembly, each test with flags of its own.</summary>
[CollectionDefinition(Name)]
public sealed class UnleashGroup : ICollectionFixture<UnleashServer>
{
    public const string Name = "Unleash server";
}

/// <summary>
/// One test's store and engine over the FeatureFlag kind, a flag of its own on the run's Unleash server, and the admin
/// token in a user-only file (what a <c>file:</c> reference points at).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class FlagStore : IDisposable
{
    public const string Target = "checkout-flag";

    public FlagStore(UnleashServer unleash)
    {
        Unleash = unleash;
        Root = Path.Combine(Path.GetTempPath(), "rollback-flags-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Flag = "checkout.flow-" + Guid.NewGuid().ToString("N")[..8];
        TokenFile = UserOnlyFile("admin-token", unleash.AdminToken);
        Engine = new RollbackEngine(new RollbackStore(Path.Combine(Root, "store")), new ProviderCatalog(ProviderCatalog.FindIn(typeof(FeatureFlagProvider).Assembly)), user: "tester");
    }

    public UnleashServer Unleash { get; }

    public string Root { get; }

    public string Flag { get; }

    public string TokenFile { get; }

    public RollbackEngine Engine { get; }

    /// <summary>The target's settings: the server, the token by reference, the flag, and (unless null) the environments covered.</summary>
    public Dictionary<string, object?> Settings(object? token = null, string? url = null, params string[] environments)
    {
        var settings = new Dictionary<string, object?>
        {
            [FeatureFlagProvider.UrlSetting] = url ?? Unleash.Url.ToString(),
            [FeatureFlagProvider.TokenSetting] = token ?? "file:" + TokenFile,
            [FeatureFlagProvider.FlagSetting] = Flag,
            [FeatureFlagProvider.TimeoutSecondsSetting] = "5",
        };
        if (environments.Length > 0)
        {
            settings[FeatureFlagProvider.EnvironmentsSetting] = environments;
        }

        return settings;
    }

    public void Register(Dictionary<string, object?> settings) =>
        Engine.Targets.Register(Target, FeatureFlagProvider.KindName, new SettingsDictionary(settings), replace: true);

    public RollbackResult Rollback(string pointId) =>
        Engine.Rollbacks.Run(new RollbackRequest { Target = Target, PointId = pointId, Reason = "checkout errors after the flag went on" });

    /// <summary>A file readable by its owner only, holding <paramref name="text"/>.</summary>
    public string UserOnlyFile(string name, string text)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, string.Empty);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Every file of the store, as text (targets, manifests, artifacts, the journal, kept secrets).</summary>
    public IEnumerable<(string Path, string Text)> StoreFiles() =>
        Directory.EnumerateFiles(Path.Combine(Root, "store"), "*", SearchOption.AllDirectories).Select(p => (p, File.ReadAllText(p)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
