using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Providers;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// Every switch is journaled before it happens, and a switch whose process died is settled by the next command.
/// <see cref="Begin"/> records the attempt (locks/target-&lt;name&gt;.attempt) and journals its intent after the
/// safety capture and before anything on the target changes; the attempt's outcome carries the same AttemptId, and
/// only once it is journaled is the record forgotten. The next command on the target, holding its lock (so the
/// attempt's process no longer runs), removes what dead processes left beside the target and in the store, and settles
/// an unfinished attempt: Reverted when the target is still in its state before the attempt (nothing was switched),
/// Completed when it is in the point's state, and otherwise Completed by restoring the point again (several files
/// stopped between two renames: only what still differs moves), so the next command sees all of a switch or none of
/// it. A state such an attempt's switch set aside (a Directory folder exchanged by rename) is adopted as a safety point
/// first, and the attempt's one outcome names it. Only kinds that describe their switch (<see cref="ISwitchRecovery"/>:
/// the local file-system kinds) are settled so; any other is journaled Interrupted with the state it reports, and left as found.
/// </summary>
internal sealed class AttemptRecovery
{
    private readonly EngineServices _engine;

    public AttemptRecovery(EngineServices engine) => _engine = engine;

    private RollbackStore Store => _engine.Store;

    /// <summary>
    /// Records the attempt and journals its intent: the gate before the switch. A journal (or a locks folder) that cannot
    /// take it stops the attempt here with JournalUnwritable, nothing on the target changed. Returns the attempt's id,
    /// which names the temporary files of its switch (<see cref="RestoreContext.AttemptId"/>). The state before the attempt
    /// (fromFingerprint) is what the next command compares with: found again, nothing was switched. The safety point is
    /// null for a kind that sets the state aside in its switch and commits it later.
    /// </summary>
    public string Begin(JournaledAttempt journal, RollbackTarget target, IRollbackProvider provider, string action, RollbackPoint point,
        string? fromVersion, string fromFingerprint, RollbackPoint? safety, IReadOnlyList<string>? items = null, bool previous = false)
    {
        var record = new AttemptRecord
        {
            Id = TemporaryNames.NewTag(),
            Target = target.Name,
            Action = action,
            PointId = point.Id,
            FromVersion = fromVersion,
            FromFingerprint = fromFingerprint,
            ToVersion = point.Version,
            ToFingerprint = point.Fingerprint,
            SafetyPointId = safety?.Id,
            SwitchPaths = (provider as ISwitchRecovery)?.SwitchedPaths(target, point) ?? Array.Empty<string>(),
            Items = items ?? Array.Empty<string>(),
            Previous = previous,
            ProcessId = Process.GetCurrentProcess().Id,
            User = _engine.User,
            StartedAt = _engine.Now,
        };
        try
        {
            Store.Attempts.Begin(record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RollbackException(RollbackErrorId.JournalUnwritable, RollbackErrorCategory.WriteError,
                $"The attempt on '{target.Name}' cannot be recorded in '{Store.Attempts.Describe(target.Name)}': {ex.Message} Nothing was switched; make the store's locks folder writable.",
                target.Name, ex);
        }

        try
        {
            var moves = record.SwitchPaths.Count > 1 ? $": {record.SwitchPaths.Count} paths to move" : string.Empty;
            journal.Note(e => e with { SafetyPointId = safety?.Id })
                .Intend(record.Id, record.SwitchPaths, $"Switching to {point.Version}{moves}.", () => Store.Attempts.End(target.Name));
        }
        catch (RollbackException)
        {
            // Nothing was switched and nothing will be: no attempt is left to settle.
            Store.Attempts.End(target.Name);
            throw;
        }

        CrashPoints.Reach(CrashPoints.IntentJournaled);
        return record.Id;
    }

    /// <summary>
    /// For commands that do not otherwise take the target's lock (Test-RollbackReadiness, Get-RollbackTarget): settles an
    /// unfinished attempt when the lock is free, so its process no longer runs. Changes nothing when there is none, or
    /// when its process (or any other change) still holds the target.
    /// </summary>
    public void SettleIfAbandoned(RollbackTarget target, CancellationToken cancellation)
    {
        if (!Store.Attempts.Exists(target.Name))
        {
            return;
        }

        using var held = _engine.Locks.TryAcquire(target.Name, "Settling an unfinished attempt");
        if (held is not null)
        {
            Settle(target, _engine.ProviderOf(target), cancellation);
        }
    }

    /// <summary>Under -WhatIf nothing changes: an unfinished attempt is only named.</summary>
    public void Warn(RollbackTarget target)
    {
        var record = Store.Attempts.Find(target.Name, _engine.Reporter.Warning);
        if (record is not null)
        {
            _engine.Reporter.Warning($"{Named(record)} did not journal its outcome. The next command on '{target.Name}' that may change it settles it.");
        }
    }

    /// <summary>Holding the target's lock: removes what dead processes left, then completes or reverts an unfinished attempt.</summary>
    public void Settle(RollbackTarget target, IRollbackProvider provider, CancellationToken cancellation)
    {
        var leftovers = new List<string>();
        var recovery = new RecoveryContext((note, capture) => _engine.Capture(target, note, isSafetyPoint: true, cancellation, capture), _engine.Reporter, _engine.Time, cancellation) { SecretsDirectory = Store.Secrets.Directory };
        leftovers.AddRange((provider as ISwitchRecovery)?.RemoveLeftovers(target, recovery) ?? Array.Empty<string>());
        leftovers.AddRange(Store.Points.RemoveAbandonedStaging(target.Name, artifacts => _engine.Reporter.Warning(
            $"A process that no longer runs was making a safety point of '{target.Name}' from the state its switch set aside, and died before committing it: that state is kept at '{artifacts}'. Move it away or delete it once it is not needed.")));
        var removed = leftovers.Count == 0 ? string.Empty : $" Removed what it left: {string.Join(", ", leftovers)}.";
        var record = Store.Attempts.Find(target.Name, _engine.Reporter.Warning);
        if (record is null)
        {
            if (leftovers.Count > 0)
            {
                var message = $"A process that no longer runs left temporary files of '{target.Name}' before journaling any switch; nothing had been switched.{removed}";
                _engine.Reporter.Warning(message);
                _engine.Attempt(HistoryAction.RecoverAttempt, target.Name).Close(HistoryStatus.Reverted, null, message);
            }

            return;
        }

        if (HasOutcome(record))
        {
            // It died after journaling its outcome and before forgetting the attempt: nothing is unfinished.
            Store.Attempts.End(target.Name);
            return;
        }

        var (status, version, what, failure) = Resolve(target, provider, record, cancellation);
        _engine.Reporter.Warning($"{Named(record)} stopped before journaling its outcome (its process no longer runs): {what}{removed}" +
            (status == HistoryStatus.Failed ? string.Empty : " Its BeforeSwitch/AfterSwitch script blocks and reload may not have run: check what serves the target."));
        _engine.Attempt(HistoryAction.RecoverAttempt, target.Name).Note(e => e with
        {
            PointId = record.PointId,
            From = record.FromVersion,
            To = version,
            Reason = $"Unfinished {record.Action} (attempt {record.Id}, process {record.ProcessId})",
            // A kind that takes its safety point from its switch had none when the intent was journaled: the state it set aside, adopted above.
            SafetyPointId = record.SafetyPointId ?? (recovery.Adopted.Count > 0 ? recovery.Adopted[recovery.Adopted.Count - 1].Id : null),
            AttemptId = record.Id,
            SwitchPaths = record.SwitchPaths.Count == 0 ? null : record.SwitchPaths,
        }).Close(status, failure?.ErrorId, what + removed);
        if (status != HistoryStatus.Failed)
        {
            Store.Attempts.End(target.Name);
        }
    }

    /// <summary>Completes or reverts the attempt; returns the status, the version the target is at, what was done, and the failure when it could not.</summary>
    private (string Status, string? Version, string What, RollbackException? Failure) Resolve(RollbackTarget target, IRollbackProvider provider, AttemptRecord record, CancellationToken cancellation)
    {
        try
        {
            var state = EngineServices.Describe(target, provider, _engine.Operation(cancellation));
            if (provider is not ISwitchRecovery)
            {
                // A kind that does not describe its switch (a remote deployment may still be running where it was started)
                // is left as found: the entry says what it reports, and the next rollback decides.
                var where = state.Matches(record.ToFingerprint) ? "the point's state" : state.Matches(record.FromFingerprint) ? "its state before the attempt" : "neither the point's state nor the one before";
                return (HistoryStatus.Interrupted, state.Version, $"the target reports {state.Version}, {where}; nothing was changed. Check it, then roll back again if needed.", null);
            }

            if (state.Matches(record.FromFingerprint))
            {
                return (HistoryStatus.Reverted, state.Version, $"nothing had been switched; the target is still at {record.FromVersion}.", null);
            }

            if (state.Matches(record.ToFingerprint) && (record.Action == HistoryAction.Rollback || record.Items.Count == 0))
            {
                return (HistoryStatus.Completed, state.Version, $"the switch had finished; the target is at {state.Version}.", null);
            }

            if (provider is ISwitchSafetyPointProvider)
            {
                // One exchange is the whole switch, so there is no part to finish: the target changed after the attempt
                // (another deployment). Rolling it onto the point now would replace that change with no safety point of it.
                return (HistoryStatus.Interrupted, state.Version, $"the target reports {state.Version}, neither the point's state nor the one before: it changed after the attempt, and nothing was changed. Check it, then roll back again if needed.", null);
            }

            // Part of the switch happened (one file renamed of several): finish it from the point, which moves only what still differs.
            var point = Store.Points.Get(target.Name, record.PointId);
            Store.Points.Fetch(point, cancellation);
            FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, _engine.Reporter, cancellation);
            var safety = record.SafetyPointId is null ? null : Store.Points.Get(target.Name, record.SafetyPointId);
            var reason = $"Completing attempt {record.Id}";
            if (record.Action == HistoryAction.RestoreConfiguration && provider is IConfigurationProvider configuration)
            {
                configuration.RestoreConfiguration(target, point, new ConfigurationRestoreContext(_engine.Reporter, _engine.Time, cancellation)
                {
                    SecretsDirectory = Store.Secrets.Directory,
                    Items = record.Items, Reason = reason, SafetyPoint = safety,
                });
            }
            else
            {
                provider.Restore(target, point, new RestoreContext(_engine.Reporter, _engine.Time, cancellation) { Reason = reason, SafetyPoint = safety, SecretsDirectory = Store.Secrets.Directory });
            }

            var after = EngineServices.Describe(target, provider, _engine.Operation(cancellation));
            return (HistoryStatus.Completed, after.Version, $"part of the switch had happened ({state.Version}); the rest was moved from point {point.Id}, and the target is at {after.Version}.", null);
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException || EngineFailures.IsRestoreFailure(ex))
        {
            var failure = EngineFailures.AsRollbackException(ex, target.Name);
            return (HistoryStatus.Failed, null,
                $"completing it failed: {failure.Message} Roll back again (Invoke-Rollback) or restore its safety point {record.SafetyPointId}.", failure);
        }
    }

    /// <summary>Whether the journal already holds the attempt's outcome (a process killed after writing it and before forgetting the attempt).</summary>
    private bool HasOutcome(AttemptRecord record)
    {
        try
        {
            return Store.Journal.Read().Any(e => e.AttemptId == record.Id && e.Action != HistoryAction.Intent && e.Action != HistoryAction.TrafficStep);
        }
        catch (RollbackException)
        {
            return false; // a damaged journal: settle it, the RecoverAttempt entry says what was found
        }
    }

    private static string Named(AttemptRecord record) =>
        $"The {record.Action} of '{record.Target}' to point {record.PointId} (attempt {record.Id}, process {record.ProcessId}, started {record.StartedAt:u} by {record.User})";
}
