using System;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Verification;

namespace Rollback.Engine;

/// <summary>
/// What every part of the engine shares: the store, the providers, the reporter, the time, the user, the target locks,
/// the journal of attempts, reading a target's state and capturing a point. One per engine; holds nothing else.
/// </summary>
internal sealed class EngineServices
{
    public EngineServices(RollbackStore store, ProviderCatalog catalog, IRollbackReporter reporter, TimeProvider time, string user, IHealthProbe healthProbe)
    {
        Store = store;
        Catalog = catalog;
        Reporter = reporter;
        Time = time;
        User = user;
        HealthProbe = healthProbe;
        Locks = new TargetLocks(store, time, user);
        Attempts = new AttemptRecovery(this);
        Notifier = new Notifications.Notifier(this);
    }

    public RollbackStore Store { get; }

    public ProviderCatalog Catalog { get; }

    public IRollbackReporter Reporter { get; }

    public TimeProvider Time { get; }

    public string User { get; }

    public IHealthProbe HealthProbe { get; }

    /// <summary>The plan run this engine works for (a plan's member's engine), stamped on every journal entry it writes; null outside a plan.</summary>
    public string? PlanRunId { get; private init; }

    /// <summary>The stage (from 1) of the member this engine works for in <see cref="PlanRunId"/>; null outside a plan.</summary>
    public int? PlanStage { get; private init; }

    public TargetLocks Locks { get; }

    /// <summary>Tells the subscribed notification channels about this engine's rollbacks (see <see cref="Notifications.Notifier"/>).</summary>
    public Notifications.Notifier Notifier { get; }

    /// <summary>Intents before switches, and settling the switches whose process died (see <see cref="AttemptRecovery"/>).</summary>
    public AttemptRecovery Attempts { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>The context of one provider call: this engine's reporter and time, the caller's cancellation.</summary>
    public OperationContext Operation(CancellationToken cancellation, HashReuse? hashes = null) => new(Reporter, Time, cancellation) { Hashes = hashes ?? NewHashReuse(), SecretsDirectory = Store.Secrets.Directory };

    /// <summary>The hash reuse of one operation, on this engine's time, with the store's hash caches kept between commands.</summary>
    public HashReuse NewHashReuse() => new(Time, Store.HashCacheDirectory);

    /// <summary>Starts journaling one attempt; its outcome closes it (see <see cref="JournaledAttempt"/>).</summary>
    public JournaledAttempt Attempt(string action, string target) => new(Store.Journal, Time, User, action, target, PlanRunId, PlanStage);

    /// <summary>
    /// The services of one member of a plan run: the same store, providers, time and user, its own reporter (members run
    /// on worker threads, whose reports the plan forwards from the calling thread), and the run's id on every entry.
    /// </summary>
    public EngineServices ForPlanMember(IRollbackReporter reporter, string? planRunId, int? stage) =>
        new(Store, Catalog, reporter, Time, User, HealthProbe) { PlanRunId = planRunId, PlanStage = stage };

    public IRollbackProvider ProviderOf(RollbackTarget target) => Catalog.Get(target.Kind);

    /// <summary>The target as one call sees it: its settings with the per-call <paramref name="options"/> laid over them, once they check out.</summary>
    public (RollbackTarget Target, IRollbackProvider Provider) WithOptions(RollbackTarget target, SettingsDictionary options)
    {
        var provider = ProviderOf(target);
        if (options.Count == 0)
        {
            return (target, provider);
        }

        SettingsCheck.Options(provider.Kind, options, RollbackEngine.DeclaredSettings(provider));
        var settings = options.Aggregate(target.Settings, (merged, option) => merged.With(option.Key, option.Value));
        return (new RollbackTarget { Name = target.Name, Kind = target.Kind, Settings = settings, RegisteredAt = target.RegisteredAt, RegisteredBy = target.RegisteredBy }, provider);
    }

    /// <summary>Reads the target's state; a failure becomes a RollbackException naming the target (the provider's ErrorId kept).</summary>
    public static TargetState Describe(RollbackTarget target, IRollbackProvider provider, OperationContext context)
    {
        try
        {
            return provider.Describe(target, context);
        }
        catch (RollbackException ex)
        {
            // Keep the provider's id (AwsResourceNotFound, AwsAccessDenied...): it says more than "unreachable".
            throw new RollbackException(ex.ErrorId, ex.Category, $"Cannot read the state of target '{target.Name}': {ex.Message}", target.Name, ex);
        }
        catch (Exception ex) when (EngineFailures.IsRestoreFailure(ex))
        {
            throw new RollbackException(RollbackErrorId.TargetUnreachable, RollbackErrorCategory.ResourceUnavailable,
                $"Cannot read the state of target '{target.Name}': {ex.Message}", target.Name, ex);
        }
    }

    /// <summary>
    /// Captures the target's current state as a point, committed to the store only when the capture is whole: by the
    /// provider's Capture, or by <paramref name="capture"/> (a state the provider's switch set aside).
    /// </summary>
    public RollbackPoint Capture(RollbackTarget target, string? note, bool isSafetyPoint, CancellationToken cancellation, Func<CaptureContext, CapturedState>? capture = null, HashReuse? hashes = null)
    {
        var provider = ProviderOf(target);
        var setAside = capture is not null;
        capture ??= context => provider.Capture(target, context);
        var createdAt = Now;
        var id = Store.Points.NextId(target.Name, createdAt);
        var staging = Store.Points.CreateStaging(target.Name, id);
        if (setAside)
        {
            PointStore.MarkHoldsSetAsideState(staging);
        }

        try
        {
            var captured = capture(new CaptureContext(Path.Combine(staging, PointStore.ArtifactsFolderName), Reporter, Time, cancellation) { IsSafetyPoint = isSafetyPoint, Hashes = hashes ?? NewHashReuse(), SecretsDirectory = Store.Secrets.Directory });
            var point = new RollbackPoint
            {
                Id = id,
                Target = target.Name,
                Kind = target.Kind,
                Version = captured.Version,
                Fingerprint = captured.Fingerprint,
                CreatedAt = createdAt,
                CreatedBy = User,
                Note = note,
                IsSafetyPoint = isSafetyPoint,
                Artifacts = captured.Artifacts,
                TotalSize = captured.Artifacts.Sum(a => a.Size),
                Metadata = captured.Metadata,
            };
            return Store.Points.Commit(staging, point, cancellation);
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException || EngineFailures.IsRestoreFailure(ex))
        {
            var artifacts = Path.Combine(staging, PointStore.ArtifactsFolderName);
            if (setAside && Directory.Exists(artifacts) && Directory.EnumerateFileSystemEntries(artifacts).Any())
            {
                // A state a switch set aside is its only copy: a point that could not be committed must not take it along.
                throw new RollbackException(RollbackErrorId.CaptureFailed, RollbackErrorCategory.WriteError,
                    $"Committing the safety point of target '{target.Name}' failed: {ex.Message} The state it holds is kept at '{artifacts}'.", target.Name, ex);
            }

            PointStore.DiscardStaging(staging);
            if (ex is RollbackException)
            {
                throw;
            }

            throw new RollbackException(ex is UnauthorizedAccessException ? RollbackErrorId.TargetReadOnly : RollbackErrorId.CaptureFailed,
                ex is UnauthorizedAccessException ? RollbackErrorCategory.PermissionDenied : RollbackErrorCategory.ReadError,
                $"Capturing target '{target.Name}' failed: {ex.Message}", target.Name, ex);
        }
    }
}

/// <summary>How the engine tells an expected failure of a target from a bug, and turns it into a RollbackException.</summary>
internal static class EngineFailures
{
    public static bool IsRestoreFailure(Exception ex) => ex is IOException or UnauthorizedAccessException or RollbackException;

    public static RollbackException AsRollbackException(Exception ex, string targetName) => ex switch
    {
        RollbackException rollback => rollback,
        OperationCanceledException => new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped,
            $"The operation on '{targetName}' was cancelled.", targetName, ex),
        UnauthorizedAccessException => new RollbackException(RollbackErrorId.TargetReadOnly, RollbackErrorCategory.PermissionDenied,
            $"Target '{targetName}' cannot be written: {ex.Message} Run with an account that may write it.", targetName, ex),
        _ when ex.InnerException is UnauthorizedAccessException => AsRollbackException(ex.InnerException, targetName),
        _ => new RollbackException(RollbackErrorId.RollbackFailed, RollbackErrorCategory.WriteError, $"Restoring target '{targetName}' failed: {ex.Message}", targetName, ex),
    };
}
