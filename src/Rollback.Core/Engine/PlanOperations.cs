using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Notifications;
using Rollback.Plans;
using Rollback.Store;

namespace Rollback.Engine;

/// <summary>
/// Plans: targets of the Plan kind, whose settings name other targets in ordered stages. A plan point names a point of
/// each member; a plan's readiness is every member's plus its own, all or nothing; a plan run holds every member's lock,
/// rolls the stages back in order (a stage's members in parallel up to the throttle, each through the engine's own
/// rollback, so each is gated, captured, verified and journaled as alone) and starts a stage only when the one before
/// passed. Every journal entry of a run carries its plan run id. Reached through the other parts when they are given a
/// plan's name, so every host and cmdlet takes a plan unchanged.
/// </summary>
public sealed class PlanOperations : EnginePart
{
    private const string MemberKeyPrefix = "Member.";
    private const string StageKeyPrefix = "Stage.";
    private const int MaxVersionsNamed = 3;

    internal PlanOperations(EngineServices engine)
        : base(engine)
    {
    }

    /// <summary>The registered plan of that name, or null when the name is not a plan (or not registered).</summary>
    public RollbackTarget? Find(string name) =>
        Engine.Store.Targets.GetAll().FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) is { } target && PlanLayout.IsPlan(target) ? target : null;

    /// <summary>The member point each member of a plan point names, in the plan's stage order at capture.</summary>
    public static IReadOnlyDictionary<string, string> MemberPoints(RollbackPoint planPoint) =>
        planPoint.Metadata.Where(m => m.Key.StartsWith(MemberKeyPrefix, StringComparison.Ordinal))
            .ToDictionary(m => m.Key.Substring(MemberKeyPrefix.Length), m => m.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What registration needs beyond the layout: every member is registered, and no plan contains itself through the
    /// plans among its members (PlanMemberNotFound, PlanCycle).
    /// </summary>
    internal static void CheckMembers(TargetRegistry registry, string planName, PlanLayout layout)
    {
        var targets = registry.GetAll().ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var member in layout.Members)
        {
            if (!targets.ContainsKey(member))
            {
                throw new RollbackException(RollbackErrorId.PlanMemberNotFound, RollbackErrorCategory.ObjectNotFound,
                    $"Stage {layout.StageOf(member)} of plan '{planName}' names '{member}', which is not a registered target. Register it first, or correct the name.", member);
            }
        }

        var path = new List<string> { planName };
        FindCycle(targets, planName, layout, path);
    }

    /// <summary>Refuses per-call options for a plan: they belong to one kind, and a plan's members are of many.</summary>
    internal static void RefuseOptions(RollbackTarget plan, SettingsDictionary options)
    {
        if (options.Count > 0)
        {
            throw new RollbackException(RollbackErrorId.PlanArgumentNotSupported, RollbackErrorCategory.InvalidArgument,
                $"'{plan.Name}' is a plan: -Option ({string.Join(", ", options.Keys)}) applies to one kind's target. Set the members' own settings, or roll the member back on its own.", plan.Name);
        }
    }

    /// <summary>Captures every member (up to the plan's throttle at once) and records one plan point naming each member's point.</summary>
    internal RollbackPoint Capture(RollbackTarget plan, string? note, CancellationToken cancellation)
    {
        var runId = Engine.PlanRunId ?? NewRunId(plan.Name);
        var attempt = Engine.Attempt(HistoryAction.Capture, plan.Name).Note(e => e with { Reason = note, PlanRunId = runId });
        try
        {
            var layout = Resolve(plan);
            using (Engine.Locks.Acquire(plan.Name, "Capture of the plan"))
            {
                var members = layout.Members.ToList();
                var captured = MemberWork.Run(members, layout.ThrottleLimit,
                    (member, reporter) => Capture(member, note, Member(reporter, runId, layout.StageOf(member)), cancellation),
                    member => new Captured(member, null, new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped, $"The capture of '{member}' was cancelled before it started.", member)),
                    Engine.Reporter, "Capturing", cancellation);
                Engine.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Plan, Activity = $"Plan {plan.Name}", Completed = true });
                var failures = captured.Where(c => c.Point is null).ToList();
                if (failures.Count > 0)
                {
                    var done = captured.Where(c => c.Point is not null).Select(c => $"{c.Member} ({c.Point!.Id})").ToList();
                    var first = failures[0].Failure!;
                    throw new RollbackException(first.ErrorId, first.Category,
                        $"Plan '{plan.Name}' was not captured: {string.Join(" ", failures.Select(f => f.Failure!.Message))}" +
                        (done.Count > 0 ? $" The members captured are kept as their own points: {string.Join(", ", done)}." : string.Empty), plan.Name, first);
                }

                var points = captured.Select(c => c.Point!).ToList();
                var point = CommitPlanPoint(plan, layout, points.Select(p => (p.Target, p.Id, p.Version, p.Fingerprint)).ToList(), note, isSafetyPoint: false);
                attempt.Note(e => e with { PointId = point.Id, To = point.Version }).Succeeded($"{points.Count} members captured.");
                return point;
            }
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException)
        {
            attempt.Failed(EngineFailures.AsRollbackException(ex, plan.Name), ex is OperationCanceledException ? HistoryStatus.Cancelled : HistoryStatus.Failed);
            throw;
        }
    }

    /// <summary>
    /// A plan's readiness, all or nothing: its own checks (members registered, no cycle, the point names every member,
    /// nothing holds the plan), then every member's own report (up to the throttle at once), each check named after its
    /// member; not ready when any fails.
    /// </summary>
    internal ReadinessReport Check(RollbackTarget plan, string pointId, TimeSpan? maxPointAge, bool lockHeldByCaller, int? throttleLimit, CancellationToken cancellation)
    {
        var checks = new List<CheckResult>();
        var members = new List<ReadinessReport>();
        PlanLayout? layout = null;
        RollbackPoint? point = null;
        try
        {
            layout = Resolve(plan);
            checks.Add(CheckResult.Pass("PlanMembers", $"{layout.Members.Count()} members in {layout.Stages.Count} stages, each registered and in one stage, no plan within itself."));
        }
        catch (RollbackException ex)
        {
            checks.Add(CheckResult.Fail("PlanMembers", ex.ErrorId, ex.Message));
        }

        try
        {
            point = Engine.Store.Points.Get(plan.Name, pointId);
            checks.Add(CheckResult.Pass("PointExists", $"Plan point {point.Id} ({point.Version}, captured {point.CreatedAt:u} by {point.CreatedBy})."));
        }
        catch (RollbackException ex)
        {
            checks.Add(CheckResult.Fail("PointExists", ex.ErrorId, ex.Message));
        }

        if (!lockHeldByCaller)
        {
            checks.Add(Engine.Locks.Probe(plan.Name));
        }

        if (layout is not null && point is not null)
        {
            var named = MemberPoints(point);
            var missing = layout.Members.Where(m => !named.ContainsKey(m)).ToList();
            checks.Add(missing.Count == 0
                ? CheckResult.Pass("PlanPointComplete", $"The plan point names a point of each of the {named.Count} members.")
                : CheckResult.Fail("PlanPointComplete", RollbackErrorId.PlanPointIncomplete,
                    $"Plan point {point.Id} names no point of {string.Join(", ", missing)}: the plan changed since it was captured. Capture a new plan point."));
            if (missing.Count == 0)
            {
                var throttle = throttleLimit ?? layout.ThrottleLimit;
                var ordered = layout.Members.ToList();
                members.AddRange(MemberWork.Run(ordered, throttle,
                    (member, reporter) => CheckMember(member, named[member], maxPointAge, lockHeldByCaller, throttleLimit, Member(reporter, Engine.PlanRunId, Engine.PlanRunId is null ? null : layout.StageOf(member)), cancellation),
                    member => NotChecked(member, named[member]),
                    Engine.Reporter, "Checking", cancellation));
                Engine.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Plan, Activity = $"Plan {plan.Name}", Completed = true });
                checks.AddRange(members.SelectMany(r => r.Checks.Select(c => new CheckResult($"{r.Target}: {c.Name}", c.Status, c.Message) { ErrorId = c.ErrorId })));
            }
        }

        var reachable = members.Count > 0 && members.All(m => m.CurrentFingerprint is not null);
        return new ReadinessReport
        {
            Target = plan.Name,
            PointId = pointId,
            Point = point,
            CurrentVersion = members.Count > 0 && members.All(m => m.CurrentVersion is not null) ? VersionOf(members.Select(m => m.CurrentVersion!)) : null,
            CurrentFingerprint = reachable ? FingerprintOf(members.Select(m => (m.Target, m.CurrentFingerprint!))) : null,
            PointVersion = point?.Version,
            Checks = checks,
            CheckedAt = Engine.Now,
            Members = members,
        };
    }

    /// <summary>
    /// Rolls a plan back to a plan point: the plan's and every member's lock for the whole run (another run on any of them:
    /// RollbackInProgress, nothing changed), the all-or-nothing readiness gate and the approvals of every member, then the
    /// stages in order. A stage passes when its members' own rollbacks (each verified) failed no more than MaxFailedPercent;
    /// otherwise, and on Ctrl+C, nothing further starts, and -OnFailure decides what happens to the members already rolled back.
    /// </summary>
    internal RollbackResult Run(RollbackTarget plan, RollbackRequest request)
    {
        var startedAt = Engine.Now;
        var runId = Engine.PlanRunId ?? NewRunId(plan.Name);
        var attempt = Engine.Attempt(HistoryAction.Rollback, plan.Name).Note(e => e with
        {
            PointId = request.PointId, Reason = request.Reason, ApprovedBy = request.ApprovedBy, PlanRunId = runId,
            Severity = request.Severity is RollbackSeverity severity ? SeverityRule.LabelOf(severity) : null, Trigger = request.AutomaticTrigger?.ToString(),
            Kind = plan.Kind, StartedAt = startedAt, Decision = request.Decision is { } decision ? HistoryDecision.Of(decision) : null,
        });
        try
        {
            RefuseSingleTargetArguments(plan, request);
            ReadinessOperations.RefuseNegativeMaxPointAge(request.MaxPointAge);
            var layout = Resolve(plan);
            var throttle = request.ThrottleLimit is int given ? PlanLayout.CheckThrottle(given, "-ThrottleLimit") : layout.ThrottleLimit;
            using (request.LockHeldByCaller ? null : HoldAll(plan, runId))
            {
                var gate = new RollbackEngine(Engine);
                var readiness = Check(plan, request.PointId, request.MaxPointAge, lockHeldByCaller: true, throttle, request.Cancellation);
                attempt.Note(e => e with { From = readiness.CurrentVersion, To = readiness.PointVersion, Readiness = readiness.Checks });
                if (!readiness.IsReady)
                {
                    throw readiness.ToNotReadyError();
                }

                foreach (var leaf in Leaves(plan))
                {
                    gate.Rollbacks.EnforceApprovals(leaf, request);
                }

                var run = new PlanRun(plan, layout, readiness.Point!, request, runId, throttle, startedAt, attempt, readiness);
                Engine.Notifier.Post(RollbackNotice.Starting(request, plan, readiness.CurrentVersion, readiness.PointVersion, Engine.User, startedAt, runId, Engine.PlanStage));
                var result = new PlanRunner(Engine, this, run).Run();
                Engine.Notifier.Post(RollbackNotice.Of(result, runId, Engine.PlanStage));
                return result;
            }
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException)
        {
            var refusal = EngineFailures.AsRollbackException(ex, plan.Name);
            var entry = attempt.Failed(refusal, ex is OperationCanceledException ? HistoryStatus.Cancelled : HistoryStatus.Refused);
            Engine.Notifier.Post(RollbackNotice.Refused(entry, plan.Kind, startedAt));
            if (ex is OperationCanceledException)
            {
                throw refusal;
            }

            throw;
        }
        finally
        {
            Engine.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Plan, Activity = $"Plan {plan.Name}", Completed = true });
            Engine.Notifier.Drain();
        }
    }

    /// <summary>What a plan run would do, for -WhatIf: each member's own plan, stage by stage; nothing changes and nothing is journaled.</summary>
    internal RollbackResult WhatIf(RollbackTarget plan, string pointId, string reason, IReadOnlyList<string> approvedBy, CancellationToken cancellation)
    {
        var layout = Resolve(plan);
        var point = Engine.Store.Points.Get(plan.Name, pointId);
        var named = MemberPoints(point);
        var same = new RollbackEngine(Engine);
        var members = new List<PlanMemberResult>();
        var steps = new List<RollbackStep>();
        for (var stage = 1; stage <= layout.Stages.Count; stage++)
        {
            var planned = new List<PlanMemberResult>();
            foreach (var member in layout.Stages[stage - 1])
            {
                var memberPoint = named.TryGetValue(member, out var id) ? id : throw Incomplete(plan, point, member);
                var result = same.Rollbacks.Plan(member, memberPoint, reason, approvedBy, cancellation: cancellation);
                planned.Add(MemberResult(stage, result));
            }

            members.AddRange(planned);
            steps.Add(RollbackOperations.Planned($"Stage {stage}", $"Roll back {string.Join(", ", planned.Select(m => $"{m.Target} ({m.FromVersion} -> {m.ToVersion})"))}" +
                (layout.Stages.Count > stage ? $", verify them, then stage {stage + 1}." : ", and verify them.")));
        }

        return new RollbackResult
        {
            Target = plan.Name,
            Kind = plan.Kind,
            PointId = point.Id,
            FromVersion = VersionOf(members.Select(m => m.FromVersion ?? "?")),
            ToVersion = point.Version,
            Status = RollbackStatus.WhatIf,
            StartedAt = Engine.Now,
            Steps = steps,
            Reason = reason,
            ApprovedBy = approvedBy,
            User = Engine.User,
            Members = members,
        };
    }

    internal static PlanMemberResult MemberResult(int stage, RollbackResult result) => new()
    {
        Stage = stage,
        Target = result.Target,
        Kind = result.Kind,
        PointId = result.PointId,
        Status = result.Status switch
        {
            RollbackStatus.Succeeded => PlanMemberStatus.Succeeded,
            RollbackStatus.AlreadyCurrent => PlanMemberStatus.AlreadyCurrent,
            RollbackStatus.VerificationFailed => PlanMemberStatus.VerificationFailed,
            RollbackStatus.WhatIf => PlanMemberStatus.WhatIf,
            _ => PlanMemberStatus.Failed,
        },
        FromVersion = result.FromVersion,
        ToVersion = result.ToVersion,
        StartedAt = result.Status == RollbackStatus.WhatIf ? null : result.StartedAt,
        Duration = result.Duration,
        Downtime = result.Downtime,
        SafetyPointId = result.SafetyPointId,
        ErrorId = result.ErrorId,
        Message = result.Message,
        JournalSequence = result.JournalSequence,
        Result = result,
    };

    private static string NewRunId(string plan) =>
        string.Format(CultureInfo.InvariantCulture, "{0}-{1:yyyyMMddHHmmss}-{2}", plan, DateTime.UtcNow, Guid.NewGuid().ToString("N").Substring(0, 8));

    private static void FindCycle(Dictionary<string, RollbackTarget> targets, string root, PlanLayout layout, List<string> path)
    {
        foreach (var member in layout.Members)
        {
            if (!targets.TryGetValue(member, out var target) || !PlanLayout.IsPlan(target))
            {
                continue;
            }

            if (string.Equals(member, root, StringComparison.OrdinalIgnoreCase) || path.Contains(member, StringComparer.OrdinalIgnoreCase))
            {
                throw new RollbackException(RollbackErrorId.PlanCycle, RollbackErrorCategory.InvalidArgument,
                    $"Plan '{root}' contains itself: {string.Join(" -> ", path.Append(member))}. A plan cannot roll itself back; remove '{root}' from the stages of '{path[path.Count - 1]}'.", root);
            }

            path.Add(member);
            FindCycle(targets, root, PlanLayout.Of(target), path);
            path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>The plan's layout, its members checked against the registry as it stands now.</summary>
    private PlanLayout Resolve(RollbackTarget plan)
    {
        var layout = PlanLayout.Of(plan);
        CheckMembers(Engine.Store.Targets, plan.Name, layout);
        return layout;
    }

    /// <summary>The targets that are not plans, through every plan among the members.</summary>
    private IEnumerable<RollbackTarget> Leaves(RollbackTarget plan) =>
        PlanLayout.Of(plan).Members.Select(Engine.Store.Targets.Get).SelectMany(t => PlanLayout.IsPlan(t) ? Leaves(t) : new[] { t });

    /// <summary>Every target a run of the plan changes (its plans included), in the plan's order.</summary>
    private IEnumerable<string> Touched(RollbackTarget plan) =>
        new[] { plan.Name }.Concat(PlanLayout.Of(plan).Members.Select(Engine.Store.Targets.Get).SelectMany(t => PlanLayout.IsPlan(t) ? Touched(t) : new[] { t.Name }));

    /// <summary>Takes the lock of the plan and of every target it changes, or none (RollbackInProgress naming the one held).</summary>
    private Held HoldAll(RollbackTarget plan, string runId)
    {
        var held = new List<IDisposable>();
        try
        {
            foreach (var name in Touched(plan))
            {
                held.Add(Engine.Locks.Acquire(name, $"Plan run {runId}"));
            }

            return new Held(held);
        }
        catch
        {
            new Held(held).Dispose();
            throw;
        }
    }

    private static void RefuseSingleTargetArguments(RollbackTarget plan, RollbackRequest request)
    {
        RefuseOptions(plan, request.Options);
        if (request.BeforeSwitch is not null || request.AfterSwitch is not null || request.Validator is not null)
        {
            throw new RollbackException(RollbackErrorId.PlanArgumentNotSupported, RollbackErrorCategory.InvalidArgument,
                $"'{plan.Name}' is a plan: -BeforeSwitch, -AfterSwitch and -Validator apply to one target. Give the members their own settings (ReloadCommand, Validator), or roll a member back on its own.", plan.Name);
        }
    }

    private static RollbackException Incomplete(RollbackTarget plan, RollbackPoint point, string member) =>
        new(RollbackErrorId.PlanPointIncomplete, RollbackErrorCategory.InvalidData,
            $"Plan point {point.Id} names no point of '{member}': the plan changed since it was captured. Capture a new plan point (New-RollbackPoint -Target {plan.Name}).", plan.Name);

    /// <summary>An engine for one member, on its worker: the same store and user, its own reporter, the run's id on every entry.</summary>
    internal RollbackEngine Member(IRollbackReporter reporter, string? runId, int? stage) => new(Engine.ForPlanMember(reporter, runId, stage));

    private static Captured Capture(string member, string? note, RollbackEngine engine, CancellationToken cancellation)
    {
        try
        {
            return new Captured(member, engine.Points.Create(member, note, cancellation), null);
        }
        catch (RollbackException ex)
        {
            return new Captured(member, null, ex);
        }
        catch (OperationCanceledException ex)
        {
            return new Captured(member, null, EngineFailures.AsRollbackException(ex, member));
        }
    }

    private static ReadinessReport CheckMember(string member, string pointId, TimeSpan? maxPointAge, bool lockHeld, int? throttle, RollbackEngine engine, CancellationToken cancellation)
    {
        try
        {
            return engine.Readiness.CheckMember(member, pointId, maxPointAge, lockHeld, throttle, cancellation);
        }
        catch (RollbackException ex)
        {
            return new ReadinessReport { Target = member, PointId = pointId, Checks = new[] { CheckResult.Fail("TargetReachable", ex.ErrorId, ex.Message) } };
        }
    }

    private static ReadinessReport NotChecked(string member, string pointId) => new()
    {
        Target = member,
        PointId = pointId,
        Checks = new[] { CheckResult.Fail("Checked", RollbackErrorId.OperationCancelled, "The check was cancelled before it started.") },
    };

    internal RollbackPoint CommitPlanPoint(RollbackTarget plan, PlanLayout layout, IReadOnlyList<(string Member, string PointId, string Version, string Fingerprint)> members, string? note, bool isSafetyPoint)
    {
        var createdAt = Engine.Now;
        var id = Engine.Store.Points.NextId(plan.Name, createdAt);
        var staging = Engine.Store.Points.CreateStaging(plan.Name, id);
        try
        {
            var metadata = members.ToDictionary(m => MemberKeyPrefix + m.Member, m => m.PointId);
            for (var stage = 0; stage < layout.Stages.Count; stage++)
            {
                metadata[StageKeyPrefix + (stage + 1).ToString(CultureInfo.InvariantCulture)] = string.Join(", ", layout.Stages[stage]);
            }

            return Engine.Store.Points.Commit(staging, new RollbackPoint
            {
                Id = id,
                Target = plan.Name,
                Kind = plan.Kind,
                Version = VersionOf(members.Select(m => m.Version)),
                Fingerprint = FingerprintOf(members.Select(m => (m.Member, m.Fingerprint))),
                CreatedAt = createdAt,
                CreatedBy = Engine.User,
                Note = note,
                IsSafetyPoint = isSafetyPoint,
                Metadata = metadata,
            });
        }
        catch
        {
            PointStore.DiscardStaging(staging);
            throw;
        }
    }

    /// <summary>A plan's version: its members' distinct versions in stage order (one when they all agree), the first few named.</summary>
    internal static string VersionOf(IEnumerable<string> versions)
    {
        var distinct = versions.Distinct(StringComparer.Ordinal).ToList();
        var named = string.Join(" + ", distinct.Take(MaxVersionsNamed));
        return distinct.Count > MaxVersionsNamed ? $"{named} + {distinct.Count - MaxVersionsNamed} more" : named;
    }

    /// <summary>A plan's fingerprint: equal exactly when every member is in the same state.</summary>
    private static string FingerprintOf(IEnumerable<(string Member, string Fingerprint)> members) =>
        Checksums.HashText(string.Join("\n", members.OrderBy(m => m.Member, StringComparer.OrdinalIgnoreCase).Select(m => m.Member.ToLowerInvariant() + "=" + m.Fingerprint)));

    private sealed record Captured(string Member, RollbackPoint? Point, RollbackException? Failure);

    /// <summary>Locks held together, let go together.</summary>
    private sealed class Held : IDisposable
    {
        private readonly List<IDisposable> _locks;

        public Held(List<IDisposable> locks) => _locks = locks;

        public void Dispose()
        {
            for (var i = _locks.Count - 1; i >= 0; i--)
            {
                _locks[i].Dispose();
            }

            _locks.Clear();
        }
    }
}
