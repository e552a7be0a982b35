using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Store;
using Rollback.Notifications;
using Rollback.Plans;
using Rollback.Providers;

namespace Rollback.Engine;

/// <summary>
/// Rollbacks, for every kind: the approvals, the lock, the readiness gate, the safety capture of the failed state, the
/// provider's restore as timed steps, verification of the state and of health, and one journal line per attempt,
/// refused and failed ones included.
/// </summary>
public sealed class RollbackOperations : EnginePart
{
    /// <summary>The ErrorIds of a point whose artifacts differ from their manifest (see <see cref="FileTree.DifferencesError"/>).</summary>
    private static readonly HashSet<string> ArtifactFailures = new(StringComparer.Ordinal)
    {
        RollbackErrorId.ArtifactMissing, RollbackErrorId.ArtifactChecksumMismatch, RollbackErrorId.ArtifactUnexpected, RollbackErrorId.ArtifactMetadataMismatch, RollbackErrorId.ArtifactPathEscapes,
    };

    private readonly ReadinessOperations _readiness;
    private readonly PlanOperations _plans;
    private readonly HealthVerification _health;
    private readonly TrafficShifting _traffic;

    internal RollbackOperations(EngineServices engine, ReadinessOperations readiness, PlanOperations plans)
        : base(engine)
    {
        _readiness = readiness;
        _plans = plans;
        _health = new HealthVerification(engine);
        _traffic = new TrafficShifting(engine, _health);
    }

    /// <summary>
    /// What a rollback would do, for -WhatIf: the planned steps, with nothing changed on the target or the store. For a
    /// plan: each member's plan, stage by stage, in <see cref="RollbackResult.Members"/>.
    /// </summary>
    public RollbackResult Plan(string targetName, string pointId, string reason, IReadOnlyList<string> approvedBy, SettingsDictionary? options = null, CancellationToken cancellation = default)
    {
        var registered = Engine.Store.Targets.Get(targetName);
        if (PlanLayout.IsPlan(registered))
        {
            PlanOperations.RefuseOptions(registered, options ?? SettingsDictionary.Empty);
            return _plans.WhatIf(registered, pointId, reason, approvedBy, cancellation);
        }

        var (target, provider) = Engine.WithOptions(registered, options ?? SettingsDictionary.Empty);
        var point = Engine.Store.Points.Get(target.Name, pointId);
        Engine.Store.Points.Fetch(point, cancellation);
        var context = Engine.Operation(cancellation);
        var current = EngineServices.Describe(target, provider, context);
        var steps = new List<RollbackStep> { Planned("CheckReadiness", "Verify the point's artifacts and the target's preconditions.") };
        if (provider is ICompanionSafetyPoints companions)
        {
            steps.AddRange(companions.CompanionTargets(target).Select(name => Planned("CaptureCompanionSafetyPoint", $"Capture target '{name}' as a safety point.")));
        }

        if (provider is not ISwitchSafetyPointProvider)
        {
            steps.Add(Planned("CaptureSafetyPoint", $"Capture the current state ({current.Version}) as a safety point."));
        }

        steps.AddRange(provider is ITrafficProvider traffic
            ? TrafficShifting.Planned(target, point, traffic, provider.Schema)
            : provider.PlanRestore(target, point, context).Select(s => Planned(s.Name, s.Description)));
        steps.Add(Planned("Verify", $"Check that the target reports {point.Version}."));
        steps.AddRange(HealthVerification.Planned(target, point));
        return new RollbackResult
        {
            Target = target.Name,
            Kind = target.Kind,
            PointId = point.Id,
            FromVersion = current.Version,
            ToVersion = point.Version,
            Status = RollbackStatus.WhatIf,
            StartedAt = Engine.Now,
            Steps = steps,
            Reason = reason,
            ApprovedBy = approvedBy,
            User = Engine.User,
            Message = current.Matches(point.Fingerprint) ? $"The target is already at {point.Version}; a rollback would return AlreadyCurrent." : null,
        };
    }

    /// <summary>
    /// Rolls a target back to a point. Refusals (unknown target or point, not ready, in progress) are journaled and
    /// thrown; a restore that fails is journaled and returned with Status Failed, so the caller reports both.
    /// </summary>
    public RollbackResult Run(RollbackRequest request)
    {
        if (_plans.Find(request.Target) is { } plan)
        {
            return _plans.Run(plan, request);
        }

        var startedAt = Engine.Now;
        var attempt = Engine.Attempt(HistoryAction.Rollback, request.Target).Note(e => e with
        {
            PointId = request.PointId,
            Reason = request.Reason,
            ApprovedBy = request.ApprovedBy,
            Severity = SeverityLabel(request),
            Trigger = request.AutomaticTrigger?.ToString(),
            StartedAt = startedAt,
            Decision = request.Decision is { } decision ? HistoryDecision.Of(decision) : null,
        });
        string? kind = null;
        try
        {
            ReadinessOperations.RefuseNegativeMaxPointAge(request.MaxPointAge);
            var (target, provider) = Engine.WithOptions(Engine.Store.Targets.Get(request.Target), request.Options);
            kind = target.Kind;
            attempt.Note(e => e with { Target = target.Name, Kind = target.Kind });
            if (provider is ITrafficProvider)
            {
                // A step list that does not end at 100 is refused before the lock, the readiness check or any change.
                _ = Settings.TrafficSettings.Steps(target.Name, target.Settings, provider.Schema);
            }

            EnforceApprovals(target, request);
            using (var held = request.LockHeldByCaller ? null : Engine.Locks.Acquire(target.Name, "Rollback to " + request.PointId))
            {
                Engine.Attempts.Settle(target, provider, request.Cancellation);
                ReportPhase(target, "Checking readiness", 5);
                // One rollback reads the live folder, then the same files set aside, and the staged copy, then the same files
                // live: every read of this one operation shares the hashes of files not touched since (see HashReuse).
                var hashes = Engine.NewHashReuse();
                var readiness = _readiness.Check(target, provider, request.PointId, request.MaxPointAge, lockHeldByCaller: true, request.Cancellation, hashes, stagingVerifies: true);
                attempt.Note(e => e with { From = readiness.CurrentVersion, To = readiness.PointVersion, Readiness = readiness.Checks });
                foreach (var warning in readiness.Warnings.Where(w => w.Name != "VersionDiffers"))
                {
                    Engine.Reporter.Warning(warning.Message);
                }

                if (!readiness.IsReady)
                {
                    throw readiness.ToNotReadyError();
                }

                // Readiness has just read the current state under the lock; reading it again would double the cost on big folders.
                var run = new Attempt(request, target, readiness.Point!, startedAt, attempt, readiness.CurrentVersion, readiness.CurrentFingerprint ?? string.Empty, readiness);
                if (readiness.CurrentFingerprint == run.Point.Fingerprint)
                {
                    return Finish(run, null, null, new Outcome(RollbackStatus.AlreadyCurrent, Array.Empty<CheckResult>()) { Message = $"The target is already at {run.Point.Version}; nothing was changed." });
                }

                Engine.Notifier.Post(RollbackNotice.Starting(request, target, readiness.CurrentVersion, run.Point.Version, Engine.User, startedAt, Engine.PlanRunId, Engine.PlanStage));
                return Restore(run, provider, hashes, held);
            }
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException)
        {
            var refusal = EngineFailures.AsRollbackException(ex, request.Target);
            var entry = attempt.Failed(refusal, ex is OperationCanceledException ? HistoryStatus.Cancelled : HistoryStatus.Refused);
            Engine.Notifier.Post(RollbackNotice.Refused(entry, kind, startedAt));
            if (ex is OperationCanceledException)
            {
                throw refusal;
            }

            throw;
        }
        finally
        {
            Engine.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Rollback, Activity = "Rollback", Completed = true });
            Engine.Notifier.Drain();
        }
    }

    /// <summary>
    /// Records the refusal of a rollback whose readiness report was not ready (the caller honours the report it
    /// was given rather than re-checking), and returns the RollbackNotReady error to report.
    /// </summary>
    public RollbackException RefuseNotReady(ReadinessReport report, string reason, IReadOnlyList<string> approvedBy)
    {
        var refusal = report.ToNotReadyError();
        Engine.Attempt(HistoryAction.Rollback, report.Target)
            .Note(e => e with { PointId = report.PointId, From = report.CurrentVersion, To = report.PointVersion, Reason = reason, ApprovedBy = approvedBy, StartedAt = Engine.Now, Readiness = report.Checks })
            .Failed(refusal, HistoryStatus.Refused);
        return refusal;
    }

    internal static RollbackStep Planned(string name, string description) => new() { Name = name, Status = StepStatus.Planned, Message = description };

    /// <summary>
    /// Safety capture, the provider's restore, then verification; a failure or Ctrl+C is a Failed result that says where
    /// the target stands. <paramref name="held"/> is the target's lock when this rollback took it (null when its caller
    /// holds it), proven still held before the switch.
    /// </summary>
    private RollbackResult Restore(Attempt run, IRollbackProvider provider, HashReuse hashes, IStoreLock? held)
    {
        var (request, target, point) = (run.Request, run.Target, run.Point);
        var context = new RestoreContext(Engine.Reporter, Engine.Time, request.Cancellation)
        {
            Hashes = hashes,
            SecretsDirectory = Engine.Store.Secrets.Directory,
            Reason = request.Reason,
            BeforeSwitch = request.BeforeSwitch,
            AfterSwitch = request.AfterSwitch,
            Validator = request.Validator,
        };
        if (provider is ICompanionSafetyPoints companions)
        {
            foreach (var name in companions.CompanionTargets(target))
            {
                var companion = Engine.Store.Targets.Get(name);
                ReportPhase(target, $"Capturing a safety point of '{companion.Name}'", 15);
                var companionPoint = context.Step("CaptureCompanionSafetyPoint", () =>
                {
                    using (Engine.Locks.Acquire(companion.Name, $"Safety point before rollback of {target.Name}"))
                    {
                        return Engine.Capture(companion, $"Safety point before rollback of '{target.Name}' to {point.Id}: {request.Reason}", isSafetyPoint: true, request.Cancellation);
                    }
                });
                context.Details["SafetyPoint." + companion.Name] = companionPoint.Id;
            }
        }

        var safetyNote = $"Safety point before rollback to {point.Id}: {request.Reason}";
        ReportPhase(target, "Capturing a safety point of the current state", 20);
        // The verification's read of the target: for a provider whose restore, once switched, only keeps what the switch set
        // aside, it starts on another thread at the end of the switch and runs while the safety point is committed on this one.
        var verifyingAt = Engine.Now;
        var verifying = Engine.Time.GetTimestamp();
        Task<List<CheckResult>>? readBack = null;
        var readBackReports = new DeferredReporter();
        if (provider is ISwitchSafetyPointProvider)
        {
            // The provider's switch sets the current state aside whole; it commits that as the safety point, not a copy made now.
            context.SafetyPointCommitter = capture => Engine.Capture(target, safetyNote, isSafetyPoint: true, request.Cancellation, capture, hashes);
            context.SwitchDone = () =>
            {
                verifyingAt = Engine.Now;
                verifying = Engine.Time.GetTimestamp();
                var readContext = context.WithReporter(readBackReports);
                readBack = Task.Run(() => HealthVerification.StateMatches(target, provider, point, readContext), CancellationToken.None);
            };
        }
        else
        {
            context.SafetyPoint = context.Step("CaptureSafetyPoint", () => Engine.Capture(target, safetyNote, isSafetyPoint: true, request.Cancellation, hashes: hashes));
        }

        List<CheckResult> StateMatches()
        {
            if (readBack is null)
            {
                verifyingAt = Engine.Now;
                verifying = Engine.Time.GetTimestamp();
                return HealthVerification.StateMatches(target, provider, point, context);
            }

            try
            {
                return readBackReports.ForwardUntilDone(readBack, Engine.Reporter);
            }
            finally
            {
                readBack = null;
            }
        }

        // A shared store's lock lives in a server session: a restart since it was taken ends it, and another runner may
        // hold it now. Nothing has changed on the target yet, so stop here rather than switch without it.
        held?.EnsureHeld();
        context.AttemptId = Engine.Attempts.Begin(run.Journal, target, provider, HistoryAction.Rollback, point, run.FromVersion, run.FromFingerprint, context.SafetyPoint);

        TrafficStop? stopped = null;
        try
        {
            ReportPhase(target, $"Restoring {point.Version}", 50);
            if (provider is ITrafficProvider traffic)
            {
                stopped = _traffic.Run(target, point, traffic, provider.Schema, context, run.FromVersion, (status, percent) => ReportPhase(target, status, percent));
            }
            else
            {
                provider.Restore(target, point, context);
            }
        }
        catch (RollbackException ex) when (!context.SwitchStarted && provider is ISwitchSafetyPointProvider && ArtifactFailures.Contains(ex.ErrorId))
        {
            // The point's contents, proven as they were staged, differ from its manifest: the readiness gate refuses it, and
            // nothing on the target has changed (the staged copy was beside it). Journaled as Refused, as readiness refusals are.
            throw run.Readiness.Replacing(CheckResult.Fail(ReadinessOperations.ArtifactsIntactCheck, ex.ErrorId, ex.Message)).ToNotReadyError();
        }
        catch (Exception ex) when (EngineFailures.IsRestoreFailure(ex) || ex is OperationCanceledException)
        {
            // Say where the target stands now: a failure or Ctrl+C may come before or after the switch.
            var failure = EngineFailures.AsRollbackException(ex, target.Name);
            var state = StateMatches();
            var safetyWords = context.SafetyPoint is null ? string.Empty : $" The safety point {context.SafetyPoint.Id} holds the state before this attempt.";
            return Finish(run, context, context.SafetyPoint, new Outcome(RollbackStatus.Failed, state)
            {
                ErrorId = failure.ErrorId,
                Message = $"{failure.Message} {state[0].Message}{safetyWords}",
            });
        }

        if (stopped is not null)
        {
            var where = stopped.Step.From is null ? string.Empty : $" between the state of the safety point {stopped.Step.From.Id} and";
            return Finish(run, context, context.SafetyPoint, new Outcome(RollbackStatus.VerificationFailed, stopped.Checks)
            {
                ErrorId = RollbackErrorId.TrafficShiftStopped,
                Message = $"The traffic shift stopped at {stopped.Step.Percent} % (step {stopped.Step.Number} of {stopped.Step.Count}): {string.Join(" ", stopped.Failed.Select(c => c.Message))} " +
                    $"Traffic stays split{where} the state of point {point.Id}; nothing was pushed further. Fix the cause and run Invoke-Rollback again to finish, or roll back to the safety point to undo the step.",
            });
        }

        ReportPhase(target, "Verifying", 90);
        var verification = StateMatches();
        if (provider is ITrafficProvider shifted && verification.All(v => v.Status != CheckStatus.Fail))
        {
            var last = new TrafficStep(100, 1, 1, context.SafetyPoint);
            verification.AddRange(shifted.VerifyTraffic(target, point, last, context.WithCancellation(System.Threading.CancellationToken.None)));
        }

        var health = verification.All(v => v.Status != CheckStatus.Fail)
            ? _health.Probe(target, point, verification, context, status => ReportPhase(target, status, 95))
            : new List<HealthCheckResult>();
        var failures = verification.Where(v => v.Status == CheckStatus.Fail).ToList();
        var verified = failures.Count == 0;
        return Finish(run, context, context.SafetyPoint, new Outcome(verified ? RollbackStatus.Succeeded : RollbackStatus.VerificationFailed, verification)
        {
            ErrorId = verified ? null : failures[0].ErrorId ?? RollbackErrorId.RollbackFailed,
            Message = verified ? null : string.Join(" ", failures.Select(v => v.Message)),
            Health = health,
            VerificationStartedAt = verifyingAt,
            VerificationDuration = Engine.Time.GetElapsedTime(verifying),
            RecoveryTime = verified ? run.Journal.Elapsed : null,
        });
    }

    /// <summary>Journals the attempt's outcome and returns the result, both with the same duration.</summary>
    private RollbackResult Finish(Attempt run, RestoreContext? context, RollbackPoint? safety, Outcome outcome)
    {
        var (request, target, point) = (run.Request, run.Target, run.Point);
        var entry = run.Journal.Note(e => e with
        {
            PointId = point.Id,
            To = point.Version,
            SafetyPointId = safety?.Id,
            VerificationDuration = outcome.VerificationDuration,
            RecoveryTime = outcome.RecoveryTime,
            Details = context is null || context.Details.Count == 0 ? null : new Dictionary<string, string>(context.Details),
            Downtime = context?.Downtime ?? TimeSpan.Zero,
            Steps = context?.Steps.ToList() ?? new List<RollbackStep>(),
            VerificationStartedAt = outcome.VerificationStartedAt,
            Verification = outcome.Verification,
        }).Close(outcome.Status.ToString(), outcome.ErrorId, outcome.Message);
        var result = new RollbackResult
        {
            Target = target.Name,
            Kind = target.Kind,
            PointId = point.Id,
            FromVersion = entry.From ?? string.Empty,
            ToVersion = point.Version,
            Status = outcome.Status,
            StartedAt = run.StartedAt,
            Duration = entry.Duration,
            Downtime = context?.Downtime ?? TimeSpan.Zero,
            Steps = context?.Steps.ToList() ?? new List<RollbackStep>(),
            SafetyPointId = safety?.Id,
            Verification = outcome.Verification,
            Reason = request.Reason,
            ApprovedBy = request.ApprovedBy,
            User = Engine.User,
            Severity = entry.Severity,
            Trigger = entry.Trigger,
            JournalSequence = entry.Sequence,
            JournalHash = entry.Hash,
            ErrorId = outcome.ErrorId,
            Message = outcome.Message,
            ConfigurationItems = context?.ConfigurationItems.ToList() ?? new List<ConfigurationRestoreResult>(),
            Details = context is null ? new Dictionary<string, string>() : new Dictionary<string, string>(context.Details),
            Health = outcome.Health,
            VerificationStartedAt = outcome.VerificationStartedAt,
            VerificationDuration = outcome.VerificationDuration,
            RecoveryTime = outcome.RecoveryTime,
        };
        Engine.Notifier.Post(RollbackNotice.Of(result, Engine.PlanRunId, Engine.PlanStage));
        return result;
    }

    /// <summary>
    /// The severity policy: a rollback under a given severity needs that many distinct approvers, and below the levels
    /// where the on-call may approve, the person running it cannot approve their own rollback. When an automatic trigger
    /// fired, the on-call may proceed alone; the trigger is journaled.
    /// </summary>
    internal void EnforceApprovals(RollbackTarget target, RollbackRequest request)
    {
        if (request.Severity is not RollbackSeverity severity || request.AutomaticTrigger is not null)
        {
            return;
        }

        var rule = RollbackPolicyFile.Resolve(request.PolicyPath, target.Settings).Rule(severity);
        var approvers = request.ApprovedBy.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (!rule.OnCallMayApprove)
        {
            approvers.RemoveAll(a => string.Equals(a, Engine.User, StringComparison.OrdinalIgnoreCase));
        }

        if (approvers.Count < rule.RequiredApprovals)
        {
            var who = rule.OnCallMayApprove ? "the on-call engineer (or another approver)" : $"approvers other than '{Engine.User}'";
            throw new RollbackException(RollbackErrorId.ApprovalRequired, RollbackErrorCategory.PermissionDenied,
                $"A {rule.Label} rollback of '{target.Name}' needs {rule.RequiredApprovals} approval(s) from {who}; it has {approvers.Count}" +
                (approvers.Count > 0 ? $" ({string.Join(", ", approvers)})" : string.Empty) +
                ". Pass their names with -ApprovedBy, or roll back under the automatic trigger that fired.",
                target.Name);
        }
    }

    private static string? SeverityLabel(RollbackRequest request) =>
        request.Severity is RollbackSeverity severity ? SeverityRule.LabelOf(severity) : null;

    private void ReportPhase(RollbackTarget target, string status, int percent) =>
        Engine.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Rollback, Activity = $"Rollback of {target.Name}", Status = status, PercentComplete = percent });

    /// <summary>A rollback under way, past the readiness gate: what its result and its journal line are made of.</summary>
    /// <remarks>FromVersion and FromFingerprint are the state readiness read under the lock: what an interrupted switch is compared with.</remarks>
    private sealed record Attempt(RollbackRequest Request, RollbackTarget Target, RollbackPoint Point, DateTimeOffset StartedAt, JournaledAttempt Journal, string? FromVersion, string FromFingerprint, ReadinessReport Readiness);

    /// <summary>How a rollback ended.</summary>
    private sealed record Outcome(RollbackStatus Status, IReadOnlyList<CheckResult> Verification)
    {
        public string? ErrorId { get; init; }

        public string? Message { get; init; }

        public IReadOnlyList<HealthCheckResult> Health { get; init; } = Array.Empty<HealthCheckResult>();

        public DateTimeOffset? VerificationStartedAt { get; init; }

        public TimeSpan? VerificationDuration { get; init; }

        public TimeSpan? RecoveryTime { get; init; }
    }
}
