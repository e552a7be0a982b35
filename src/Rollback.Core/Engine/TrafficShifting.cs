using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Errors;
using Rollback.Metrics;
using Rollback.Providers;
using Rollback.Settings;

namespace Rollback.Engine;

/// <summary>
/// A traffic kind's rollback in steps (see <see cref="ITrafficProvider"/>), the same for every such kind: each step is
/// the kind's shift, a step of the result and a TrafficStep line of the journal; before the next step, StepWait on the
/// operation's clock, then the target's verification (the kind's own requests through the proxy, the health endpoints,
/// the metrics thresholds when Prometheus is configured). A failed check stops the shift where it stands.
/// </summary>
internal sealed class TrafficShifting
{
    private readonly EngineServices _engine;
    private readonly HealthVerification _health;

    public TrafficShifting(EngineServices engine, HealthVerification health)
    {
        _engine = engine;
        _health = health;
    }

    /// <summary>The steps -WhatIf lists for a traffic kind: each shift, and the wait and checks between two.</summary>
    public static IEnumerable<RollbackStep> Planned(RollbackTarget target, RollbackPoint point, ITrafficProvider traffic, KindSchema schema)
    {
        var percents = TrafficSettings.Steps(target.Name, target.Settings, schema);
        var wait = TrafficSettings.StepWait(target.Settings);
        foreach (var percent in percents)
        {
            var step = new TrafficStep(percent, 0, percents.Count, null);
            yield return RollbackOperations.Planned(step.Name, traffic.DescribeShift(target, point, percent));
            if (!step.IsLast)
            {
                yield return RollbackOperations.Planned(WaitName(percent), $"Hold traffic at {percent} % for {Durations.Describe(wait)}.");
                yield return RollbackOperations.Planned(VerifyName(percent), "Check the traffic, the health endpoints and the metrics thresholds; stop here if one fails.");
            }
        }
    }

    /// <summary>
    /// Shifts traffic step by step to the point's state. Returns null once it is all there; otherwise the step it stopped
    /// at and the failed checks. A shift that fails, or Ctrl+C, throws (the caller says where the target stands).
    /// </summary>
    public TrafficStop? Run(RollbackTarget target, RollbackPoint point, ITrafficProvider traffic, KindSchema schema, RestoreContext context, string? fromVersion, Action<string, int> phase)
    {
        var percents = TrafficSettings.Steps(target.Name, target.Settings, schema);
        var wait = TrafficSettings.StepWait(target.Settings);
        for (var i = 0; i < percents.Count; i++)
        {
            var step = new TrafficStep(percents[i], i + 1, percents.Count, context.SafetyPoint);
            phase($"Moving traffic to {step.Percent} % of {point.Version} (step {step.Number} of {step.Count})", 50 + (40 * i / percents.Count));
            var journal = _engine.Attempt(HistoryAction.TrafficStep, target.Name).Note(e => e with
            {
                PointId = point.Id,
                AttemptId = context.AttemptId,
                From = fromVersion,
                To = point.Version,
                Reason = context.Reason,
                SafetyPointId = context.SafetyPoint?.Id,
                Details = new Dictionary<string, string>
                {
                    ["Traffic.Percent"] = step.Percent.ToString(CultureInfo.InvariantCulture),
                    ["Traffic.Step"] = $"{step.Number}/{step.Count}",
                },
            });
            try
            {
                context.Step(step.Name, () => traffic.Shift(target, point, step, context));
            }
            catch (Exception ex) when (EngineFailures.IsRestoreFailure(ex) || ex is OperationCanceledException)
            {
                journal.Failed(EngineFailures.AsRollbackException(ex, target.Name), ex is OperationCanceledException ? HistoryStatus.Cancelled : HistoryStatus.Failed);
                throw;
            }

            journal.Succeeded(step.IsLast
                ? $"All traffic moved to the state of point {point.Id} ({point.Version})."
                : $"Traffic moved {step.Percent} % of the way to the state of point {point.Id} ({point.Version}).");
            if (step.IsLast)
            {
                return null;
            }

            phase($"Holding traffic at {step.Percent} % for {Durations.Describe(wait)}", 50 + (40 * i / percents.Count));
            context.Step(WaitName(step.Percent), () => context.Wait(wait));
            var started = context.Timestamp();
            var checks = Verify(target, point, traffic, step, context, status => phase(status, 50 + (40 * i / percents.Count)));
            var failed = checks.Where(c => c.Status == CheckStatus.Fail).ToList();
            var message = failed.Count == 0
                ? $"{checks.Count} check(s) passed at {step.Percent} %."
                : string.Join(" ", failed.Select(c => c.Message));
            context.Record(VerifyName(step.Percent), failed.Count == 0 ? StepStatus.Succeeded : StepStatus.Failed, context.ElapsedSince(started), message);
            if (failed.Count > 0)
            {
                return new TrafficStop(step, checks, failed);
            }
        }

        return null;
    }

    /// <summary>The checks between two steps; never throws for what it finds (Ctrl+C does).</summary>
    private List<CheckResult> Verify(RollbackTarget target, RollbackPoint point, ITrafficProvider traffic, TrafficStep step, RestoreContext context, Action<string> phase)
    {
        var checks = new List<CheckResult>();
        phase($"Checking traffic at {step.Percent} %");
        checks.AddRange(traffic.VerifyTraffic(target, point, step, context));
        // Traffic is split between the two states on purpose: the endpoints must be healthy, whichever version answers.
        _health.Probe(target, point, checks, context, phase, checkVersion: false);
        if (checks.Any(c => c.ErrorId == RollbackErrorId.OperationCancelled))
        {
            throw new OperationCanceledException(context.Cancellation);
        }

        var metrics = Metrics(target, context);
        if (metrics is not null)
        {
            checks.Add(metrics);
        }

        return checks;
    }

    /// <summary>The metrics thresholds of the target's policy, when Prometheus is configured: a threshold that fired fails the check.</summary>
    private static CheckResult? Metrics(RollbackTarget target, OperationContext context)
    {
        if (string.IsNullOrWhiteSpace(target.Settings.GetString(MetricsQueries.PrometheusUrlSetting)))
        {
            return null;
        }

        try
        {
            var policy = RollbackPolicyFile.Resolve(null, target.Settings).Validate();
            using var source = new MetricsDecisionSource(MetricsQueries.FromSettings(target.Name, target.Settings));
            var now = context.Now;
            var decision = RollbackDecider.Decide(source.Read(policy, now, null, context.Cancellation), policy, now, target.Name);
            return decision.FiredThresholds.Count == 0
                ? CheckResult.Pass("MetricsThresholds", $"No threshold of the policy fired ({decision.Inputs.Source}).")
                : CheckResult.Fail("MetricsThresholds", RollbackErrorId.TrafficShiftStopped, "The metrics show " + string.Join("; ", decision.FiredThresholds.Select(f => f.Message)) + ".");
        }
        catch (RollbackException ex)
        {
            return CheckResult.Fail("MetricsThresholds", ex.ErrorId, $"The metrics of '{target.Name}' could not be read, so the next step is not taken: {ex.Message}");
        }
    }

    private static string WaitName(int percent) => "Wait" + percent.ToString(CultureInfo.InvariantCulture);

    private static string VerifyName(int percent) => "Verify" + percent.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Where a gradual shift stopped, and why.</summary>
internal sealed class TrafficStop
{
    public TrafficStop(TrafficStep step, IReadOnlyList<CheckResult> checks, IReadOnlyList<CheckResult> failed)
    {
        Step = step;
        Checks = checks;
        Failed = failed;
    }

    public TrafficStep Step { get; }

    public IReadOnlyList<CheckResult> Checks { get; }

    public IReadOnlyList<CheckResult> Failed { get; }
}
