using System;
using System.Collections.Generic;
using System.Linq;

namespace Rollback;

/// <summary>
/// The decision flowchart over a <see cref="RollbackPolicy"/>: availability, error rate above the automatic
/// threshold, data corruption (then the other automatic triggers: a security vulnerability, loss of a critical
/// function), error rate in the assessed band, latency against the baseline (then partial loss of non-critical
/// features). Every trigger is evaluated so the reasons are complete; the first that fired, in that order, decides the
/// action. Then the severity matrix gives severity, response time and approvals. Pure: no clock, no I/O.
/// </summary>
public static class RollbackDecider
{
    public static RollbackDecision Decide(DecisionInputs inputs, RollbackPolicy policy, DateTimeOffset decidedAt, string? target = null)
    {
        var breaches = Breaches(inputs, policy).OrderBy(b => b.Name).ToList();
        var fired = breaches.Where(b => b.Held).ToList();
        var pending = breaches.Where(b => !b.Held).ToList();

        var action = fired.Count == 0 ? RollbackAction.Monitor
            : fired[0].Kind == TriggerKind.Automatic ? RollbackAction.ImmediateRollback
            : RollbackAction.AssessRollback;

        var (affected, estimated) = AffectedUsers(inputs);
        var severity = Severity(inputs, policy, action, affected);
        var rule = policy.Rule(severity);

        var reasons = new List<string>();
        reasons.AddRange(fired.Select(f => f.Message));
        reasons.AddRange(pending.Select(p => p.Message));
        reasons.Add(action switch
        {
            RollbackAction.ImmediateRollback => "Automatic trigger: roll back now and notify stakeholders in parallel; do not wait for approval.",
            RollbackAction.AssessRollback => "Assess: weigh the rollback time against the forward-fix time before deciding.",
            _ => "No trigger fired: monitor and consider a forward-fix.",
        });
        if (affected is { } share)
        {
            reasons.Add(estimated
                ? $"{rule.Label} ({rule.Description}): about {Durations.Percent(share)} of users affected, estimated from the error rate and availability; state it with AffectedUsers."
                : $"{rule.Label} ({rule.Description}): {Durations.Percent(share)} of users affected.");
        }
        else
        {
            reasons.Add($"{rule.Label} ({rule.Description}).");
        }

        var automatic = action == RollbackAction.ImmediateRollback;
        return new RollbackDecision
        {
            Action = action,
            Severity = severity,
            SeverityDescription = rule.Description,
            Reasons = reasons,
            FiredThresholds = fired,
            PendingThresholds = pending,
            RequiredApprovals = automatic ? Math.Min(rule.RequiredApprovals, 1) : rule.RequiredApprovals,
            OnCallMayApprove = automatic || rule.OnCallMayApprove,
            ResponseTime = rule.ResponseTime,
            AffectedUsers = affected,
            AffectedUsersEstimated = estimated,
            Inputs = inputs,
            Target = target,
            PolicySource = policy.Source,
            DecidedAt = decidedAt,
        };
    }

    private static IEnumerable<FiredThreshold> Breaches(DecisionInputs inputs, RollbackPolicy policy)
    {
        if (inputs.Availability is { } availability && availability < policy.AvailabilityBelow)
        {
            var held = DecisionInputs.HeldFor(inputs.Availability, inputs.AvailabilityDuration, inputs.AvailabilitySeries, a => a < policy.AvailabilityBelow);
            yield return Measured(DecisionTrigger.AvailabilityBelow, TriggerKind.Automatic, availability, policy.AvailabilityBelow, held, policy.AvailabilityFor,
                $"Availability {Durations.Percent(availability)} is below {Durations.Percent(policy.AvailabilityBelow)}");
        }

        if (inputs.ErrorRate is { } rate && rate > policy.ErrorRateAbove)
        {
            var held = DecisionInputs.HeldFor(inputs.ErrorRate, inputs.ErrorRateDuration, inputs.ErrorRateSeries, r => r > policy.ErrorRateAbove);
            yield return Measured(DecisionTrigger.ErrorRateAbove, TriggerKind.Automatic, rate, policy.ErrorRateAbove, held, policy.ErrorRateFor,
                $"Error rate {Durations.Percent(rate)} is above {Durations.Percent(policy.ErrorRateAbove)}");
        }

        if (inputs.DataCorruption)
        {
            yield return Reported(DecisionTrigger.DataCorruption, TriggerKind.Automatic, "Data corruption detected.");
        }

        if (inputs.SecurityVulnerability)
        {
            yield return Reported(DecisionTrigger.SecurityVulnerability, TriggerKind.Automatic, "The change introduced a security vulnerability.");
        }

        if (inputs.CriticalFunctionLost)
        {
            yield return Reported(DecisionTrigger.CriticalFunctionLost, TriggerKind.Automatic, "A critical business function is lost completely.");
        }

        if (inputs.ErrorRate is { } elevated && elevated >= policy.AssessErrorRateFrom && elevated <= policy.AssessErrorRateTo)
        {
            bool InBand(double r) => r >= policy.AssessErrorRateFrom && r <= policy.AssessErrorRateTo;
            var held = DecisionInputs.HeldFor(inputs.ErrorRate, inputs.ErrorRateDuration, inputs.ErrorRateSeries, InBand);
            yield return Measured(DecisionTrigger.ErrorRateElevated, TriggerKind.Assessed, elevated, policy.AssessErrorRateFrom, held, policy.AssessErrorRateFor,
                $"Error rate {Durations.Percent(elevated)} is between {Durations.Percent(policy.AssessErrorRateFrom)} and {Durations.Percent(policy.AssessErrorRateTo)}");
        }

        if (inputs.LatencyP95 is { } p95 && inputs.LatencyBaseline is { } baseline && baseline > 0)
        {
            var limit = baseline * (1 + policy.LatencyAboveBaseline);
            if (p95 > limit)
            {
                var degradation = (p95 - baseline) / baseline;
                yield return new FiredThreshold
                {
                    Name = DecisionTrigger.LatencyDegraded,
                    Kind = TriggerKind.Assessed,
                    Observed = p95,
                    Threshold = limit,
                    Message = $"p95 latency {Durations.Seconds(p95)} is {Durations.Percent(degradation)} above the baseline {Durations.Seconds(baseline)} (assessed trigger: more than {Durations.Percent(policy.LatencyAboveBaseline)}).",
                };
            }
        }

        if (inputs.NonCriticalFeaturesLost)
        {
            yield return Reported(DecisionTrigger.NonCriticalFeaturesLost, TriggerKind.Assessed, "Non-critical features are partly lost.");
        }
    }

    private static FiredThreshold Measured(DecisionTrigger name, TriggerKind kind, double observed, double threshold, TimeSpan held, TimeSpan required, string what)
    {
        var trigger = kind == TriggerKind.Automatic ? "automatic trigger" : "assessed trigger";
        var message = held >= required
            ? $"{what} for {Durations.Describe(held)} ({trigger}: {Durations.Describe(required)})."
            : $"{what} for {Durations.Describe(held)}; the {trigger} fires when it holds {Durations.Describe(required)}.";
        return new FiredThreshold { Name = name, Kind = kind, Observed = observed, Threshold = threshold, Duration = held, RequiredDuration = required, Message = message };
    }

    private static FiredThreshold Reported(DecisionTrigger name, TriggerKind kind, string message) =>
        new() { Name = name, Kind = kind, Message = message };

    /// <summary>The share of users affected: as stated, else the worse of the error rate and the unavailability.</summary>
    private static (double? Share, bool Estimated) AffectedUsers(DecisionInputs inputs)
    {
        if (inputs.AffectedUsers is { } stated)
        {
            return (stated, false);
        }

        var estimates = new[] { inputs.ErrorRate, 1 - inputs.Availability }.Where(v => v is { } x && !double.IsNaN(x)).Select(v => Math.Min(1, Math.Max(0, v!.Value))).ToList();
        return estimates.Count == 0 ? (null, false) : (estimates.Max(), true);
    }

    /// <summary>
    /// The highest row whose share of users applies; at least SEV-1 once any trigger fired (some degradation), at least
    /// SEV-3 for data corruption or a lost critical function, SEV-4 for a security vulnerability (the matrix's "security breach").
    /// </summary>
    private static RollbackSeverity Severity(DecisionInputs inputs, RollbackPolicy policy, RollbackAction action, double? affected)
    {
        var severity = RollbackSeverity.Sev0;
        if (affected is { } share)
        {
            severity = policy.Severities.Where(r => r.Applies(share)).Select(r => r.Severity).DefaultIfEmpty(RollbackSeverity.Sev0).Max();
        }

        if (action != RollbackAction.Monitor && severity < RollbackSeverity.Sev1)
        {
            severity = RollbackSeverity.Sev1;
        }

        if ((inputs.DataCorruption || inputs.CriticalFunctionLost) && severity < RollbackSeverity.Sev3)
        {
            severity = RollbackSeverity.Sev3;
        }

        return inputs.SecurityVulnerability ? RollbackSeverity.Sev4 : severity;
    }
}
