using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Plans;

namespace Rollback.Engine;

/// <summary>The engine's points: capture one (journaled), read them, the retention rule, remove one.</summary>
public sealed class PointOperations : EnginePart
{
    private readonly PlanOperations _plans;

    internal PointOperations(EngineServices engine, PlanOperations plans)
        : base(engine)
    {
        _plans = plans;
    }

    /// <summary>Captures the target's current state as a known-good point, under the target's lock; a plan's point names a new point of each member.</summary>
    public RollbackPoint Create(string targetName, string? note, CancellationToken cancellation = default)
    {
        var target = Engine.Store.Targets.Get(targetName);
        if (PlanLayout.IsPlan(target))
        {
            return _plans.Capture(target, note, cancellation);
        }

        var attempt = Engine.Attempt(HistoryAction.Capture, target.Name).Note(e => e with { Reason = note });
        try
        {
            using (Engine.Locks.Acquire(target.Name, "Capture"))
            {
                Engine.Attempts.Settle(target, Engine.ProviderOf(target), cancellation);
                var point = Engine.Capture(target, note, isSafetyPoint: false, cancellation);
                attempt.Note(e => e with { PointId = point.Id, To = point.Version }).Succeeded();
                return point;
            }
        }
        catch (RollbackException ex)
        {
            attempt.Failed(ex);
            throw;
        }
    }

    /// <summary>The target's points, oldest first; a point whose manifest is damaged is left out with a warning that names it.</summary>
    public IReadOnlyList<RollbackPoint> GetAll(string targetName)
    {
        var target = Engine.Store.Targets.Get(targetName);
        return Engine.Store.Points.List(target.Name, skipped: ex => Engine.Reporter.Warning(ex.Message));
    }

    public RollbackPoint Get(string targetName, string pointId)
    {
        var target = Engine.Store.Targets.Get(targetName);
        return Engine.Store.Points.Get(target.Name, pointId);
    }

    /// <summary>
    /// The newest point captured on purpose: never a safety point, which holds a failed state. Throws PointNotFound
    /// when the target has none.
    /// </summary>
    public RollbackPoint GetLatestKnownGood(string targetName)
    {
        var target = Engine.Store.Targets.Get(targetName);
        return GetAll(target.Name).LastOrDefault(p => !p.IsSafetyPoint)
            ?? throw new RollbackException(RollbackErrorId.PointNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Target '{target.Name}' has no rollback point other than safety points. Capture one with New-RollbackPoint -Target {target.Name} before a deployment.",
                target.Name);
    }

    /// <summary>
    /// The retention rule: all but the newest <paramref name="keepLast"/> known-good points, and the safety points older
    /// than the oldest one kept (newer safety points may still be needed to undo a recent rollback).
    /// </summary>
    public IReadOnlyList<RollbackPoint> GetPrunable(string targetName, int keepLast)
    {
        var oldestFirst = GetAll(targetName);
        var kept = oldestFirst.Where(p => !p.IsSafetyPoint).Reverse().Take(keepLast).ToList();
        if (kept.Count == 0)
        {
            return Array.Empty<RollbackPoint>();
        }

        var oldestKept = kept[kept.Count - 1].Id;
        return oldestFirst.Where(p => !kept.Contains(p) && (!p.IsSafetyPoint || string.CompareOrdinal(p.Id, oldestKept) < 0)).ToList();
    }

    public void Remove(RollbackPoint point) => Remove(point.Target, point.Id, point.Version);

    /// <summary>Removes a point by id whatever its manifest holds: the way out for a point whose manifest is damaged.</summary>
    public void Remove(string targetName, string pointId, string? version = null)
    {
        var target = Engine.Store.Targets.Get(targetName);
        var attempt = Engine.Attempt(HistoryAction.RemovePoint, target.Name).Note(e => e with { PointId = pointId, From = version });
        using (Engine.Locks.Acquire(target.Name, "RemovePoint"))
        {
            // What the kind keeps for this point on the target's system goes first: a failure keeps the point that names it.
            if (Engine.ProviderOf(target) is Providers.IPointResources resources)
            {
                try
                {
                    var removed = resources.RemovePointResources(target, pointId, Engine.Operation(CancellationToken.None));
                    foreach (var what in removed)
                    {
                        Engine.Reporter.Verbose($"Removed {what}, kept for point {pointId}.");
                    }

                    if (removed.Count > 0)
                    {
                        attempt.Note(e => e with { Reason = "Removed with it: " + string.Join(", ", removed) });
                    }
                }
                catch (RollbackException ex)
                {
                    attempt.Failed(ex);
                    throw;
                }
            }

            Engine.Store.Points.Delete(target.Name, pointId);
        }

        attempt.Succeeded();
    }
}
