using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Plans;

namespace Rollback.Engine;

/// <summary>A plan run past its gate (locks held, every member ready, approvals given): what its stages and its result are made of.</summary>
internal sealed record PlanRun(RollbackTarget Plan, PlanLayout Layout, RollbackPoint Point, RollbackRequest Request, string RunId, int Throttle,
    DateTimeOffset StartedAt, JournaledAttempt Journal, ReadinessReport Readiness);

/// <summary>
/// The stages of one plan run, in order: each stage's members rolled back in parallel (each through the engine's own
/// rollback), the stage judged on their verified outcomes, nothing further started once one fails or Ctrl+C comes; then,
/// under -OnFailure Undo, the members already changed returned to their safety points, last stage first. Ends with the
/// plan's one journal entry and its result.
/// </summary>
internal sealed class PlanRunner
{
    private const int MembersNamedInProgress = 5;

    private readonly EngineServices _engine;
    private readonly PlanOperations _plans;
    private readonly PlanRun _run;
    private readonly IReadOnlyDictionary<string, string> _memberPoints;
    private readonly Dictionary<string, string> _kinds;

    public PlanRunner(EngineServices engine, PlanOperations plans, PlanRun run)
    {
        _engine = engine;
        _plans = plans;
        _run = run;
        _memberPoints = PlanOperations.MemberPoints(run.Point);
        _kinds = run.Layout.Members.ToDictionary(m => m, m => engine.Store.Targets.Get(m).Kind, StringComparer.OrdinalIgnoreCase);
    }

    private CancellationToken Cancellation => _run.Request.Cancellation;

    public RollbackResult Run()
    {
        if (_run.Readiness.CurrentFingerprint == _run.Point.Fingerprint)
        {
            var current = _run.Readiness.Members.Select(r => new PlanMemberResult
            {
                Stage = _run.Layout.StageOf(r.Target), Target = r.Target, Kind = _kinds[r.Target], PointId = r.PointId, Status = PlanMemberStatus.AlreadyCurrent,
                FromVersion = r.CurrentVersion, ToVersion = r.PointVersion, Message = "Already at the point; nothing was changed.",
            }).ToList();
            return Finish(RollbackStatus.AlreadyCurrent, current, new List<RollbackStep>(), null, $"Every member of plan '{_run.Plan.Name}' is already at {_run.Point.Version}; nothing was changed.", null);
        }

        var members = new List<PlanMemberResult>();
        var steps = new List<RollbackStep>();
        int? failedStage = null;
        var stages = _run.Layout.Stages;
        for (var stage = 1; stage <= stages.Count; stage++)
        {
            var names = stages[stage - 1];
            if (Cancellation.IsCancellationRequested)
            {
                failedStage = stage;
                members.AddRange(names.Select(m => NotRun(stage, m, "Ctrl+C came before its stage started.")));
                break;
            }

            ReportStage(stage, names);
            var startedAt = _engine.Now;
            var started = _engine.Time.GetTimestamp();
            var stageNumber = stage;
            var outcomes = MemberWork.Run(names, _run.Throttle, (member, reporter) => RollBack(stageNumber, member, reporter),
                member => NotRun(stageNumber, member, "Ctrl+C came before it started."), _engine.Reporter, $"Stage {stage}:", Cancellation);
            members.AddRange(outcomes);
            var failed = outcomes.Count(IsFailure);
            var passes = _run.Layout.StagePasses(failed, names.Count) && outcomes.All(o => o.Status != PlanMemberStatus.NotRun);
            steps.Add(new RollbackStep
            {
                Name = $"Stage {stage}",
                Status = passes ? StepStatus.Succeeded : StepStatus.Failed,
                StartedAt = startedAt,
                Duration = _engine.Time.GetElapsedTime(started),
                Message = string.Join(", ", outcomes.Select(o => $"{o.Target}: {o.Status}")),
            });
            if (!passes)
            {
                failedStage = stage;
                break;
            }
        }

        if (failedStage is not int failedAt)
        {
            var allowed = members.Count(IsFailure);
            var safety = PlanSafetyPoint(members);
            return Finish(RollbackStatus.Succeeded, members, steps, safety,
                allowed == 0 ? null : $"{allowed} member(s) failed within MaxFailedPercent {_run.Layout.MaxFailedPercent}: {string.Join(" ", members.Where(IsFailure).Select(m => $"[{m.Target}: {m.ErrorId}] {m.Message}"))}",
                null);
        }

        for (var later = failedAt + 1; later <= stages.Count; later++)
        {
            var stage = later;
            members.AddRange(stages[later - 1].Select(m => NotRun(stage, m, $"Stage {failedAt} failed before its stage.")));
        }

        var cancelled = Cancellation.IsCancellationRequested;
        var why = Why(failedAt, members, cancelled);
        if (_run.Request.OnFailure == PlanFailureAction.Undo && !cancelled)
        {
            members = Undo(failedAt, members, steps);
            return Finish(RollbackStatus.Failed, members, steps, null, why + " " + UndoOutcome(members), cancelled ? RollbackErrorId.OperationCancelled : RollbackErrorId.PlanStageFailed);
        }

        members = members.Select(m => m.SafetyPointId is { } id && m.Status != PlanMemberStatus.NotRun
            ? m with { UndoCommand = $"Invoke-Rollback -Target {m.Target} -PointId {id} -Reason 'Undo plan run {_run.RunId}'" }
            : m).ToList();
        return Finish(RollbackStatus.Failed, members, steps, null, why + " " + StopOutcome(members, cancelled), cancelled ? RollbackErrorId.OperationCancelled : RollbackErrorId.PlanStageFailed);
    }

    private static bool IsFailure(PlanMemberResult member) => member.Status is PlanMemberStatus.Failed or PlanMemberStatus.VerificationFailed;

    private PlanMemberResult RollBack(int stage, string member, IRollbackReporter reporter)
    {
        var request = _run.Request;
        return Member(stage, member, _memberPoints[member], reporter, new RollbackRequest
        {
            Target = member,
            PointId = _memberPoints[member],
            Reason = request.Reason,
            ApprovedBy = request.ApprovedBy,
            Severity = request.Severity,
            AutomaticTrigger = request.AutomaticTrigger,
            PolicyPath = request.PolicyPath,
            MaxPointAge = request.MaxPointAge,
            ThrottleLimit = request.ThrottleLimit,
            OnFailure = request.OnFailure,
            Cancellation = request.Cancellation,
            LockHeldByCaller = true,
        });
    }

    private PlanMemberResult Member(int stage, string member, string pointId, IRollbackReporter reporter, RollbackRequest request)
    {
        try
        {
            return PlanOperations.MemberResult(stage, _plans.Member(reporter, _run.RunId, stage).Rollbacks.Run(request));
        }
        catch (RollbackException ex) when (ex.ErrorId == RollbackErrorId.OperationCancelled)
        {
            return NotRun(stage, member, ex.Message);
        }
        catch (RollbackException ex)
        {
            // Refused before it changed anything (its state moved since the gate, a lock taken outside the module...): journaled as such by its rollback.
            return new PlanMemberResult { Stage = stage, Target = member, Kind = _kinds[member], PointId = pointId, Status = PlanMemberStatus.Failed, ErrorId = ex.ErrorId, Message = ex.Message };
        }
    }

    private PlanMemberResult NotRun(int stage, string member, string why) => new()
    {
        Stage = stage, Target = member, Kind = _kinds[member], PointId = _memberPoints[member], Status = PlanMemberStatus.NotRun, Message = why + " Nothing changed on it.",
    };

    /// <summary>Returns every member changed so far (it has a safety point) to that safety point, the failed stage first, back to stage 1.</summary>
    private List<PlanMemberResult> Undo(int failedStage, List<PlanMemberResult> members, List<RollbackStep> steps)
    {
        var undone = members.ToDictionary(m => m.Target, StringComparer.OrdinalIgnoreCase);
        for (var stage = failedStage; stage >= 1; stage--)
        {
            var changed = members.Where(m => m.Stage == stage && m.SafetyPointId is not null && m.Status != PlanMemberStatus.NotRun).ToList();
            if (changed.Count == 0)
            {
                continue;
            }

            ReportStage(stage, changed.Select(c => c.Target).ToList(), undo: true);
            var startedAt = _engine.Now;
            var started = _engine.Time.GetTimestamp();
            var stageNumber = stage;
            var reason = $"Undo of plan run {_run.RunId} (stage {failedStage} failed): {_run.Request.Reason}";
            var results = MemberWork.Run(changed.Select(c => c.Target).ToList(), _run.Throttle,
                (member, reporter) => Member(stageNumber, member, undone[member].SafetyPointId!, reporter, new RollbackRequest
                {
                    Target = member, PointId = undone[member].SafetyPointId!, Reason = reason, ApprovedBy = _run.Request.ApprovedBy,
                    ThrottleLimit = _run.Request.ThrottleLimit, OnFailure = PlanFailureAction.Stop, Cancellation = Cancellation, LockHeldByCaller = true,
                }),
                member => NotRun(stageNumber, member, "Ctrl+C came before its undo started."), _engine.Reporter, $"Undo stage {stage}:", Cancellation);
            foreach (var result in results)
            {
                undone[result.Target] = undone[result.Target] with { Undo = result.Result, UndoCommand = result.Result is { Status: RollbackStatus.Succeeded or RollbackStatus.AlreadyCurrent } ? null : UndoCommandOf(undone[result.Target]) };
            }

            steps.Add(new RollbackStep
            {
                Name = $"Undo stage {stage}",
                Status = results.All(r => r.Status is PlanMemberStatus.Succeeded or PlanMemberStatus.AlreadyCurrent) ? StepStatus.Succeeded : StepStatus.Failed,
                StartedAt = startedAt,
                Duration = _engine.Time.GetElapsedTime(started),
                Message = string.Join(", ", results.Select(r => $"{r.Target}: {r.Status}")),
            });
        }

        return members.Select(m => undone[m.Target]).ToList();
    }

    private string UndoCommandOf(PlanMemberResult member) => $"Invoke-Rollback -Target {member.Target} -PointId {member.SafetyPointId} -Reason 'Undo plan run {_run.RunId}'";

    private string Why(int failedStage, IReadOnlyList<PlanMemberResult> members, bool cancelled)
    {
        var names = string.Join(", ", _run.Layout.Stages[failedStage - 1]);
        var failures = members.Where(m => m.Stage == failedStage && IsFailure(m)).Select(m => $"[{m.Target}: {m.ErrorId}] {m.Message}").ToList();
        var head = cancelled
            ? $"Plan '{_run.Plan.Name}' was stopped (Ctrl+C) in stage {failedStage} of {_run.Layout.Stages.Count} ({names})."
            : $"Stage {failedStage} of {_run.Layout.Stages.Count} of plan '{_run.Plan.Name}' ({names}) failed; nothing further ran.";
        return failures.Count == 0 ? head : head + " " + string.Join(" ", failures);
    }

    private static string StopOutcome(IReadOnlyList<PlanMemberResult> members, bool cancelled)
    {
        var changed = members.Where(m => m.UndoCommand is not null).ToList();
        if (changed.Count == 0)
        {
            return "No member was changed.";
        }

        var byStage = changed.GroupBy(m => m.Stage).OrderBy(g => g.Key).Select(g => $"stage {g.Key} ({string.Join(", ", g.Select(m => m.Target))})");
        var notRun = members.Where(m => m.Status == PlanMemberStatus.NotRun).Select(m => m.Target).ToList();
        return $"Rolled back and left so: {string.Join("; ", byStage)}." +
            (notRun.Count > 0 ? $" Not run, unchanged: {string.Join(", ", notRun)}." : string.Empty) +
            $" To undo them, last stage first: {string.Join("; ", changed.OrderByDescending(m => m.Stage).Select(m => m.UndoCommand))}" +
            (cancelled ? "." : ", or run the plan again with -OnFailure Undo next time.");
    }

    private static string UndoOutcome(IReadOnlyList<PlanMemberResult> members)
    {
        var tried = members.Where(m => m.Undo is not null || m.UndoCommand is not null).ToList();
        if (tried.Count == 0)
        {
            return "No member had been changed, so none was undone.";
        }

        var back = tried.Where(m => m.Undo is { Status: RollbackStatus.Succeeded or RollbackStatus.AlreadyCurrent }).Select(m => m.Target).ToList();
        var left = tried.Where(m => m.UndoCommand is not null).ToList();
        return (back.Count > 0 ? $"Undone, back at their safety points: {string.Join(", ", back)}." : string.Empty) +
            (left.Count > 0 ? $" Undo failed for {string.Join(", ", left.Select(m => $"{m.Target} ({m.Undo?.ErrorId}: {m.Undo?.Message})"))}; to retry: {string.Join("; ", left.Select(m => m.UndoCommand))}." : string.Empty);
    }

    /// <summary>
    /// After a whole run, a plan point of the state before it: each member's safety point (or, for a member that was already
    /// at its point, that point), so that one Invoke-Rollback of the plan to it undoes the run. None when a member has neither.
    /// </summary>
    private RollbackPoint? PlanSafetyPoint(List<PlanMemberResult> members)
    {
        var before = new List<(string, string, string, string)>();
        foreach (var member in members)
        {
            var id = member.SafetyPointId ?? (member.Status == PlanMemberStatus.AlreadyCurrent ? member.PointId : null);
            if (id is null)
            {
                return null;
            }

            var point = _engine.Store.Points.Get(member.Target, id);
            before.Add((member.Target, point.Id, point.Version, point.Fingerprint));
        }

        return _plans.CommitPlanPoint(_run.Plan, _run.Layout, before, $"Safety point before plan run {_run.RunId}: {_run.Request.Reason}", isSafetyPoint: true);
    }

    private void ReportStage(int stage, IReadOnlyList<string> names, bool undo = false)
    {
        var shown = string.Join(", ", names.Take(MembersNamedInProgress)) + (names.Count > MembersNamedInProgress ? $" and {names.Count - MembersNamedInProgress} more" : string.Empty);
        _engine.Reporter.Progress(new ProgressUpdate
        {
            ActivityId = ProgressActivity.Plan,
            Activity = $"Rollback of plan {_run.Plan.Name}",
            Status = (undo ? $"Undoing stage {stage}" : $"Stage {stage} of {_run.Layout.Stages.Count}") + $": {shown}",
            PercentComplete = (stage - 1) * 100 / _run.Layout.Stages.Count,
        });
    }

    private RollbackResult Finish(RollbackStatus status, List<PlanMemberResult> members, IReadOnlyList<RollbackStep> steps, RollbackPoint? safety, string? message, string? errorId)
    {
        var request = _run.Request;
        var downtime = TimeSpan.FromTicks(members.GroupBy(m => m.Stage).Sum(g => g.Max(m => m.Downtime.Ticks)));
        var verification = members.Select(Verification).ToList();
        var entry = _run.Journal.Note(e => e with
        {
            Downtime = downtime,
            Steps = steps,
            Verification = verification,
            Members = members.Select(m => new HistoryMember { Stage = m.Stage, Target = m.Target, Status = m.Status, Sequence = m.JournalSequence == 0 ? null : m.JournalSequence }).ToList(),
            PointId = _run.Point.Id,
            To = _run.Point.Version,
            SafetyPointId = safety?.Id,
            RecoveryTime = status == RollbackStatus.Succeeded ? _run.Journal.Elapsed : null,
            Details = new Dictionary<string, string>
            {
                ["Members"] = members.Count.ToString(CultureInfo.InvariantCulture),
                ["Stages"] = _run.Layout.Stages.Count.ToString(CultureInfo.InvariantCulture),
                ["OnFailure"] = request.OnFailure.ToString(),
                ["ThrottleLimit"] = _run.Throttle.ToString(CultureInfo.InvariantCulture),
            },
        }).Close(status.ToString(), errorId, message);
        return new RollbackResult
        {
            Target = _run.Plan.Name,
            Kind = _run.Plan.Kind,
            PointId = _run.Point.Id,
            FromVersion = entry.From ?? string.Empty,
            ToVersion = _run.Point.Version,
            Status = status,
            StartedAt = _run.StartedAt,
            Duration = entry.Duration,
            Downtime = downtime,
            Steps = steps,
            SafetyPointId = safety?.Id,
            Verification = verification,
            Reason = request.Reason,
            ApprovedBy = request.ApprovedBy,
            User = _engine.User,
            Severity = entry.Severity,
            Trigger = entry.Trigger,
            JournalSequence = entry.Sequence,
            JournalHash = entry.Hash,
            ErrorId = errorId,
            Message = message,
            RecoveryTime = entry.RecoveryTime,
            PlanRunId = _run.RunId,
            Members = members,
        };
    }

    private static CheckResult Verification(PlanMemberResult member) => member.Status switch
    {
        PlanMemberStatus.Succeeded or PlanMemberStatus.AlreadyCurrent => CheckResult.Pass(member.Target, $"Stage {member.Stage}: {member.Status} ({member.FromVersion} -> {member.ToVersion})."),
        PlanMemberStatus.NotRun => CheckResult.Warn(member.Target, $"Stage {member.Stage}: not run. {member.Message}"),
        _ => CheckResult.Fail(member.Target, member.ErrorId ?? RollbackErrorId.RollbackFailed, $"Stage {member.Stage}: {member.Status}. {member.Message}"),
    };
}
