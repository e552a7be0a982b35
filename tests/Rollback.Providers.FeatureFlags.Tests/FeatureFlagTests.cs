using System;
using System.Linq;
using System.Security;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.FeatureFlags.Tests;

/// <summary>
/// The FeatureFlag kind through the engine against a real Unleash server: what a point records, the kill switch (a
/// point taken before the flag went on), a ramp-up rolled back, strategies removed and re-created, and each state read
/// back through the admin API and through the client API an application's SDK reads.
/// </summary>
[Collection(UnleashGroup.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FeatureFlagTests : IDisposable
{
    private readonly UnleashServer _unleash;
    private readonly FlagStore _store;

    public FeatureFlagTests(UnleashServer unleash)
    {
        _unleash = unleash;
        _store = new FlagStore(unleash);
    }

    public void Dispose() => _store.Dispose();

    [SkippableFact]
    public void APointRecordsEachEnvironmentsStateAndRolloutParameters()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        _unleash.AddRollout(_store.Flag, "production", 10);
        _unleash.AddRollout(_store.Flag, "development", 100);
        _unleash.SetEnabled(_store.Flag, "development", true);
        _store.Register(_store.Settings());

        var point = _store.Engine.Points.Create(FlagStore.Target, "before the new checkout");

        Assert.Equal("development=on (flexibleRollout 100%), production=off (flexibleRollout 10%)", point.Version);
        Assert.Equal("false", point.Metadata["Enabled.production"]);
        Assert.Equal("true", point.Metadata["Enabled.development"]);
        var artifact = System.IO.File.ReadAllText(System.IO.Path.Combine(point.Path, "artifacts", "feature-flag.json"));
        Assert.Contains("\"rollout\": \"10\"", artifact, StringComparison.Ordinal);
        Assert.Contains("\"stickiness\": \"default\"", artifact, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void TheKillSwitchIsARollbackToAPointTakenBeforeTheFlagWentOn()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        var strategy = _unleash.AddRollout(_store.Flag, "production", 10);
        _unleash.AddRollout(_store.Flag, "development", 100);
        _unleash.SetEnabled(_store.Flag, "development", true);
        _store.Register(_store.Settings(environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "before enabling");
        // The release: on in production, ramped to everyone.
        _unleash.SetRollout(_store.Flag, "production", strategy, 100);
        _unleash.SetEnabled(_store.Flag, "production", true);
        Assert.True(_unleash.ClientView(_store.Flag).Enabled);

        var result = _store.Rollback(point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("production=on (flexibleRollout 100%)", result.FromVersion);
        Assert.Equal("production=off (flexibleRollout 10%)", result.ToVersion);
        Assert.Equal((false, "flexibleRollout:10"), Flatten(_unleash.ClientView(_store.Flag)));
        Assert.Equal((false, "flexibleRollout:10"), Flatten(_unleash.AdminView(_store.Flag, "production")));
        // The environment the target does not cover is left alone.
        Assert.Equal((true, "flexibleRollout:100"), Flatten(_unleash.AdminView(_store.Flag, "development")));
        Assert.Equal("production: off; production: flexibleRollout 100% -> flexibleRollout 10%", result.Details[FeatureFlagProvider.ChangesDetail]);
        Assert.NotNull(result.SafetyPointId);
    }

    [SkippableFact]
    public void ARampUpWithStrategiesReplacedIsRolledBackWithTheFlagLeftOn()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        var original = _unleash.AddRollout(_store.Flag, "production", 25);
        _unleash.SetEnabled(_store.Flag, "production", true);
        _store.Register(_store.Settings(environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "at 25 %");
        // The bad change: the strategy deleted, two others added.
        _unleash.AddRollout(_store.Flag, "production", 50);
        _unleash.AddRollout(_store.Flag, "production", 100);
        _unleash.DeleteStrategy(_store.Flag, "production", original);

        var result = _store.Rollback(point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal((true, "flexibleRollout:25"), Flatten(_unleash.ClientView(_store.Flag)));
        // Rolled back again to the same point: nothing to do.
        var again = _store.Rollback(point.Id);
        Assert.Equal(RollbackStatus.AlreadyCurrent, again.Status);
    }

    [SkippableFact]
    public void AFlagTurnedOnWithUnleashsDefaultStrategyGoesBackToOffWithNone()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        _store.Register(_store.Settings(environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "never released");
        Assert.Equal("production=off", point.Version);
        // Turned on without a strategy: Unleash gives it its default (everyone).
        _unleash.SetEnabled(_store.Flag, "production", true);
        Assert.Equal((true, "flexibleRollout:100"), Flatten(_unleash.ClientView(_store.Flag)));

        var result = _store.Rollback(point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal((false, string.Empty), Flatten(_unleash.AdminView(_store.Flag, "production")));
    }

    [SkippableFact]
    public void TheSafetyPointUndoesTheRollback()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        var strategy = _unleash.AddRollout(_store.Flag, "production", 10);
        _store.Register(_store.Settings(environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "before enabling");
        _unleash.SetRollout(_store.Flag, "production", strategy, 40);
        _unleash.SetEnabled(_store.Flag, "production", true);
        var rollback = _store.Rollback(point.Id);

        var undo = _store.Rollback(rollback.SafetyPointId!);

        Assert.Equal(RollbackStatus.Succeeded, undo.Status);
        Assert.Equal((true, "flexibleRollout:40"), Flatten(_unleash.ClientView(_store.Flag)));
    }

    [SkippableFact]
    public void ATokenGivenAsASecureStringIsKeptByTheStoreAndNeverWrittenInClear()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        _unleash.AddRollout(_store.Flag, "production", 10);
        var secure = new SecureString();
        foreach (var c in _unleash.AdminToken)
        {
            secure.AppendChar(c);
        }

        _store.Register(_store.Settings(token: new SecretText(secure), environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "before enabling");
        _unleash.SetEnabled(_store.Flag, "production", true);
        var result = _store.Rollback(point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.False(_unleash.ClientView(_store.Flag).Enabled);
        var target = _store.Engine.Targets.Get(FlagStore.Target);
        Assert.Equal("store:" + FlagStore.Target + "/Token", target.Settings.GetSecret(FeatureFlagProvider.TokenSetting)!.Locator);
        // Only the store's user-only secret file holds the token; targets, points, the journal never do.
        var holders = _store.StoreFiles().Where(f => f.Text.Contains(_unleash.AdminToken, StringComparison.Ordinal)).Select(f => f.Path).ToList();
        Assert.Equal(new[] { System.IO.Path.Combine(_store.Root, "store", "secrets", FlagStore.Target, "Token") }, holders);
        Assert.Equal(System.IO.UnixFileMode.UserRead | System.IO.UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(holders[0]));
        Assert.DoesNotContain(_unleash.AdminToken, result.ToString() + string.Join(";", result.Details.Values) + string.Join(";", result.Steps.Select(s => s.Message)), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ATokenInClearTextIsRefusedAtRegistration()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);

        var error = Assert.Throws<RollbackException>(() => _store.Register(_store.Settings(token: _unleash.AdminToken)));

        Assert.Equal(RollbackErrorId.InvalidSetting, error.ErrorId);
        Assert.DoesNotContain(_unleash.AdminToken, error.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Engine.Targets.GetAll());
    }

    /// <summary>(enabled, the strategies as "name:rollout" joined by commas): a value that compares.</summary>
    private static (bool, string) Flatten((bool Enabled, System.Collections.Generic.IReadOnlyList<string> Rollouts) view) => (view.Enabled, string.Join(",", view.Rollouts));
}
