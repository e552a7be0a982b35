using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Rollback.Plans;
using Rollback.Providers;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Verification;

namespace Rollback.Engine;

/// <summary>The engine's targets: register (settings checked by the kind's provider), unregister, read, describe.</summary>
public sealed class TargetOperations : EnginePart
{

    internal TargetOperations(EngineServices engine)
        : base(engine)
    {
    }

    public RollbackTarget Register(string name, string kind, SettingsDictionary settings, bool replace)
    {
        TargetRegistry.ValidateName(name);
        var provider = Engine.Catalog.Get(kind);
        SettingsCheck.Settings(provider.Kind, settings, RollbackEngine.DeclaredSettings(provider));
        var validated = provider.ValidateSettings(settings);
        if (provider is PlanKind)
        {
            PlanOperations.CheckMembers(Engine.Store.Targets, name, PlanLayout.Read(name, validated));
        }

        ValidateHealthSettings(validated);
        var secrets = RollbackEngine.DeclaredSettings(provider).Where(d => d.Secret && validated.ContainsKey(d.Name)).ToList();
        var target = new RollbackTarget
        {
            Name = name,
            Kind = provider.Kind,
            Settings = secrets.Aggregate(validated, (stored, secret) => stored.With(secret.Name, StoredSecret(name, secret.Name, stored[secret.Name]))),
            RegisteredAt = Engine.Now,
            RegisteredBy = Engine.User,
        };
        Engine.Store.Targets.Save(target, replace);
        ForgetHashes(name);

        // Values given as a SecureString are written only once the target is saved: a refused registration changes none.
        Engine.Store.Secrets.RemoveAll(name);
        foreach (var secret in secrets)
        {
            if (validated[secret.Name] is SecretText text)
            {
                Engine.Store.Secrets.Keep(name, secret.Name, text.Value);
            }
        }

        Engine.Attempt(HistoryAction.RegisterTarget, name).Note(e => e with { To = provider.Kind }).Succeeded();
        return target;
    }

    public void Unregister(string name, bool removePoints)
    {
        var target = Get(name);
        using (Engine.Locks.Acquire(target.Name, "Unregister"))
        {
            Engine.Store.Targets.Remove(target.Name);
            Engine.Store.Secrets.RemoveAll(target.Name);
            ForgetHashes(target.Name);
            if (removePoints)
            {
                Engine.Store.Points.DeleteAll(target.Name);
            }
        }

        Engine.Attempt(HistoryAction.UnregisterTarget, target.Name).Succeeded(removePoints ? "Points removed." : "Points kept.");
    }

    /// <summary>Drops the hashes kept of the target's live folder (see <see cref="HashCache"/>): a target registered again starts reading afresh.</summary>
    private void ForgetHashes(string name) => StoreFiles.DeleteWithoutFollowingLinks(HashCache.PathFor(Engine.Store.HashCacheDirectory, name));

    /// <summary>The registered target of that name (case-insensitive); TargetNotFound when there is none.</summary>
    public RollbackTarget Get(string name) => Engine.Store.Targets.Get(name);

    public IReadOnlyList<RollbackTarget> GetAll() => Engine.Store.Targets.GetAll();

    /// <summary>
    /// Settles an attempt on the target whose process died before journaling its outcome (a warning names it; see
    /// <see cref="AttemptRecovery"/>), so what the caller reads next is a whole state. Changes nothing when there is
    /// none, or when its process still holds the target.
    /// </summary>
    public void SettleUnfinishedAttempt(string name, CancellationToken cancellation = default) =>
        Engine.Attempts.SettleIfAbandoned(Engine.Store.Targets.Get(name), cancellation);

    /// <summary>The target's current state as its provider reads it. No side effects.</summary>
    public TargetState Describe(string name, CancellationToken cancellation = default)
    {
        var target = Get(name);
        return EngineServices.Describe(target, Engine.ProviderOf(target), Engine.Operation(cancellation));
    }

    /// <summary>
    /// The headers the target's health endpoints are probed with, its Authorization header read from where its secret
    /// is kept (an environment variable, a user-only file, the store).
    /// </summary>
    public IReadOnlyDictionary<string, string> GetHealthHeaders(HealthSettings settings) => settings.HeadersFor(Engine.Store.Secrets.Directory);

    private static void ValidateHealthSettings(SettingsDictionary settings)
    {
        var health = HealthSettings.Read(settings);
        if (health.TrustedCertificate is not null)
        {
            // Fail at registration, not in the middle of an incident, when the certificate cannot be read.
            TrustedCertificate.Load(health.TrustedCertificate).Dispose();
        }
    }

    /// <summary>
    /// A secret setting as the store keeps it: a reference (env:NAME, file:/path) as given, the file checked to be
    /// user-only; a value given as a SecureString becomes a reference to the store file it will be written to.
    /// </summary>
    private static SecretReference StoredSecret(string target, string setting, object value)
    {
        if (value is SecretText)
        {
            return SecretFiles.ReferenceFor(target, setting);
        }

        var reference = value as SecretReference ?? (SecretReference.TryParse((string)value, out var parsed) ? parsed! : throw new InvalidOperationException("SettingsCheck lets only references through."));
        if (reference.Locator.StartsWith(SecretReference.FilePrefix, StringComparison.Ordinal))
        {
            SecretReference.CheckProtected(reference.Locator.Substring(SecretReference.FilePrefix.Length));
        }

        return reference;
    }
}
