using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Metrics;
using Rollback.Providers;
using Rollback.Verification;

namespace Rollback.Watching;

/// <summary>
/// Watches a deployment for a bounded window and rolls it back when one of the automatic triggers holds for its
/// required time. Each poll checks the health endpoints (one attempt each) and reads the metrics, decides with
/// <see cref="RollbackDecider"/> under the policy, and yields a <see cref="WatchRecord"/>. The endpoints' healthy share is
/// an availability measurement whose hold the watch times itself, from the first poll that saw it below the threshold;
/// metrics carry their own history (a Prometheus range). When an automatic trigger holds, the watcher asks
/// <see cref="WatchRequest.Confirm"/>, runs the rollback through <see cref="RollbackEngine"/> recorded as that automatic
/// trigger (so the approvals rule for automatic triggers applies and the journal names it), and ends: it never rolls
/// back twice. Everything runs on the caller's thread, so a cmdlet may write each record as it comes.
/// </summary>
public sealed class DeploymentWatcher
{
    private static readonly TimeSpan MinimumProbeTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly RollbackEngine _engine;
    private readonly IRollbackReporter _reporter;
    private readonly IHealthProbe _probe;
    private readonly TimeProvider _time;

    /// <summary>A watcher on the engine's reporter and time (polls, holds and the window are measured on it).</summary>
    public DeploymentWatcher(RollbackEngine engine, IHealthProbe? probe = null)
    {
        _engine = engine;
        _reporter = engine.Reporter;
        _probe = probe ?? new HealthProbe();
        _time = engine.Time;
    }

    /// <summary>
    /// Checks the request (InvalidWatchArguments, TargetNotFound, PointNotFound, NothingToWatch and the policy's and
    /// settings' own errors are thrown here, before the first poll), then returns the polls as they happen. Enumerate
    /// it once; disposing the enumerator ends the watch.
    /// </summary>
    public IEnumerable<WatchRecord> Watch(WatchRequest request)
    {
        var plan = Prepare(request);
        return Run(plan);
    }

    private Plan Prepare(WatchRequest request)
    {
        if (request.Interval <= TimeSpan.Zero || request.Duration <= TimeSpan.Zero)
        {
            throw InvalidArguments($"The interval ({request.Interval}) and the duration ({request.Duration}) must both be positive.", request);
        }

        if (request.Interval > request.Duration)
        {
            throw InvalidArguments($"The interval ({request.Interval}) is longer than the watch window ({request.Duration}): the watch would poll once and end. Pass an interval shorter than the duration.", request);
        }

        if (request.ProbeTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw InvalidArguments($"The probe timeout ({timeout}) must be positive.", request);
        }

        var target = _engine.Targets.Get(request.Target);
        var point = _engine.Points.Get(target.Name, request.PointId);
        var policy = (request.Policy ?? RollbackPolicyFile.Resolve(request.PolicyPath, target.Settings)).Validate();
        var probeTimeout = request.ProbeTimeout ?? Clamp(request.Interval, MinimumProbeTimeout, MaximumProbeTimeout);

        X509Certificate2? certificate = null;
        List<HealthProbeOptions> endpoints;
        if (request.HealthUris is { } uris)
        {
            var bad = uris.FirstOrDefault(uri => !HealthSettings.IsHttp(uri));
            if (bad is not null)
            {
                throw InvalidArguments($"'{bad.OriginalString}' is not an absolute http:// or https:// address of a health endpoint.", request);
            }

            endpoints = uris.Select(uri => Endpoint(uri, request, target.Name, probeTimeout,
                request.ExpectedStatusCodes, request.MaxLatency, new Dictionary<string, string>(), null)).ToList();
        }
        else
        {
            var settings = HealthSettings.Read(target.Settings);
            certificate = settings.TrustedCertificate is null ? null : TrustedCertificate.Load(settings.TrustedCertificate);
            endpoints = settings.Uris.Select(uri => Endpoint(uri, request, target.Name, probeTimeout,
                request.ExpectedStatusCodes.Count > 0 ? request.ExpectedStatusCodes : settings.ExpectedStatusCodes,
                request.MaxLatency ?? settings.MaxLatency, _engine.Targets.GetHealthHeaders(settings), certificate)).ToList();
        }

        var queries = request.HealthOnly ? null
            : request.Metrics ?? (string.IsNullOrWhiteSpace(target.Settings.GetString(MetricsQueries.PrometheusUrlSetting)) ? null : MetricsQueries.FromSettings(target.Name, target.Settings));
        if (endpoints.Count == 0 && queries is null)
        {
            certificate?.Dispose();
            throw new RollbackException(RollbackErrorId.NothingToWatch, RollbackErrorCategory.InvalidOperation,
                $"There is nothing to watch on target '{target.Name}': it has no {HealthSettings.HealthUriSetting} setting{(request.HealthOnly ? string.Empty : " and no " + MetricsQueries.PrometheusUrlSetting + " setting")}, and no endpoint or metrics source was given. " +
                $"Register the target with -Settings @{{ {HealthSettings.HealthUriSetting} = '...' }} (Register-RollbackTarget -Force), or pass -Uri or -PrometheusUrl.",
                target.Name);
        }

        return new Plan(request, target, point, policy, endpoints, queries, probeTimeout, certificate);
    }

    private static HealthProbeOptions Endpoint(Uri uri, WatchRequest request, string target, TimeSpan timeout, IReadOnlyList<int> statusCodes, TimeSpan? maxLatency,
        IReadOnlyDictionary<string, string> headers, X509Certificate2? certificate) => new()
    {
        Uri = uri,
        ExpectedVersion = request.ExpectedVersion,
        ExpectedStatusCodes = statusCodes,
        MaxLatency = maxLatency,
        Headers = headers,
        TrustedCertificate = certificate,
        Timeout = timeout,
        RequestTimeout = timeout,
        MaxAttempts = 1,
        Target = target,
    };

    private IEnumerable<WatchRecord> Run(Plan plan)
    {
        var request = plan.Request;
        var cancellation = request.Cancellation;
        var context = new OperationContext(_reporter, _time, cancellation);
        var started = _time.GetTimestamp();
        var breachSeen = new Dictionary<DecisionTrigger, DateTimeOffset>();
        DateTimeOffset? unavailableSince = null;
        WatchRecord? previous = null;
        var poll = 0;
        using var metrics = plan.Queries is null ? null : new MetricsDecisionSource(plan.Queries, timeout: plan.ProbeTimeout);
        try
        {
            while (true)
            {
                if (cancellation.IsCancellationRequested)
                {
                    yield return Cancelled(plan, previous, poll, Elapsed(started));
                    yield break;
                }

                poll++;
                Progress(plan, poll, Elapsed(started), previous);
                Observation? observation;
                try
                {
                    observation = Observe(plan, metrics, ref unavailableSince, context);
                }
                catch (OperationCanceledException)
                {
                    observation = null;
                }

                if (observation is null)
                {
                    yield return Cancelled(plan, previous, poll - 1, Elapsed(started));
                    yield break;
                }

                foreach (var name in breachSeen.Keys.Where(k => observation.Decision.FiredThresholds.Concat(observation.Decision.PendingThresholds).All(t => t.Name != k)).ToList())
                {
                    breachSeen.Remove(name);
                }

                foreach (var breach in observation.Decision.FiredThresholds.Concat(observation.Decision.PendingThresholds))
                {
                    if (!breachSeen.ContainsKey(breach.Name))
                    {
                        breachSeen[breach.Name] = observation.Time;
                    }
                }

                var automatic = observation.Decision.FiredThresholds.FirstOrDefault(t => t.Kind == TriggerKind.Automatic && t.Held);
                WatchRecord record;
                if (automatic is not null)
                {
                    record = Act(plan, previous, observation, automatic, breachSeen[automatic.Name], poll, Elapsed(started), cancellation);
                }
                else
                {
                    // Poll n is due at (n - 1) × interval; this is the last when the next is due after the window.
                    var lastPoll = TimeSpan.FromTicks(request.Interval.Ticks * poll) > request.Duration || Elapsed(started) >= request.Duration;
                    record = Observed(plan, previous, observation, poll, Elapsed(started), lastPoll);
                }

                _reporter.Verbose(record.Message);
                previous = record;
                yield return record;
                if (record.IsFinal)
                {
                    yield break;
                }

                var due = TimeSpan.FromTicks(request.Interval.Ticks * poll);
                if (!WaitUntil(context, started, due))
                {
                    yield return Cancelled(plan, previous, poll, Elapsed(started));
                    yield break;
                }
            }
        }
        finally
        {
            plan.Certificate?.Dispose();
            _reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Watch, Activity = Activity(plan), Completed = true });
        }
    }

    private Observation Observe(Plan plan, MetricsDecisionSource? metrics, ref DateTimeOffset? unavailableSince, OperationContext context)
    {
        var cancellation = context.Cancellation;
        var results = new List<HealthCheckResult>();
        foreach (var endpoint in plan.Endpoints)
        {
            results.Add(_probe.Check(endpoint, context));
        }

        var time = context.Now;
        var problems = new List<string>();
        DecisionInputs? measured = null;
        if (metrics is not null)
        {
            try
            {
                measured = metrics.Read(plan.Policy, time, null, cancellation);
            }
            catch (RollbackException ex)
            {
                // One failed read is one missing observation, not the end of the watch; say so on every poll it lasts.
                problems.Add($"{ex.ErrorId}: {ex.Message}");
                _reporter.Warning(ex.Message);
            }
        }

        cancellation.ThrowIfCancellationRequested();
        double? healthyShare = results.Count == 0 ? null : results.Count(r => r.Healthy) / (double)results.Count;
        var held = TimeSpan.Zero;
        if (healthyShare is { } share && share < plan.Policy.AvailabilityBelow)
        {
            unavailableSince ??= time;
            held = time - unavailableSince.Value;
        }
        else
        {
            unavailableSince = null;
        }

        var inputs = Combine(plan.Policy, measured, healthyShare, held, time, plan);
        var health = results.Count == 0 ? WatchHealth.Unknown
            : results.All(r => r.Healthy) ? WatchHealth.Healthy
            : results.Any(r => r.Healthy) ? WatchHealth.Degraded
            : WatchHealth.Unhealthy;
        return new Observation(time, results, health, RollbackDecider.Decide(inputs, plan.Policy, time, plan.Target.Name), problems);
    }

    /// <summary>
    /// The metrics' inputs with the endpoints' availability folded in: the endpoints' share replaces the metrics'
    /// availability when it is the worse of the two (breached for longer, or lower when neither is breached).
    /// </summary>
    private static DecisionInputs Combine(RollbackPolicy policy, DecisionInputs? measured, double? healthyShare, TimeSpan healthHeld, DateTimeOffset time, Plan plan)
    {
        var source = plan.Endpoints.Count == 0 ? null : $"{plan.Endpoints.Count.ToString(CultureInfo.InvariantCulture)} health endpoint(s)";
        if (measured is null)
        {
            return new DecisionInputs
            {
                Availability = healthyShare,
                AvailabilityDuration = healthHeld,
                MeasuredAt = time,
                Source = source ?? "no measurement",
            };
        }

        var combinedSource = source is null ? measured.Source : source + "; " + measured.Source;
        if (healthyShare is not { } share)
        {
            return Copy(measured, measured.Availability, measured.AvailabilitySeries, measured.AvailabilityDuration, combinedSource);
        }

        var metricsHeld = DecisionInputs.HeldFor(measured.Availability, measured.AvailabilityDuration, measured.AvailabilitySeries, a => a < policy.AvailabilityBelow);
        var healthWorse = measured.Availability is not { } metricsValue
            || (share < policy.AvailabilityBelow && healthHeld >= metricsHeld)
            || (metricsHeld == TimeSpan.Zero && share < metricsValue);
        return healthWorse
            ? Copy(measured, share, null, healthHeld, combinedSource)
            : Copy(measured, measured.Availability, measured.AvailabilitySeries, measured.AvailabilityDuration, combinedSource);
    }

    private static DecisionInputs Copy(DecisionInputs m, double? availability, MetricSeries? series, TimeSpan duration, string source) => new()
    {
        Availability = availability,
        AvailabilitySeries = series,
        AvailabilityDuration = duration,
        ErrorRate = m.ErrorRate,
        ErrorRateSeries = m.ErrorRateSeries,
        ErrorRateDuration = m.ErrorRateDuration,
        LatencyP95 = m.LatencyP95,
        LatencyP95Series = m.LatencyP95Series,
        LatencyBaseline = m.LatencyBaseline,
        MeasuredAt = m.MeasuredAt,
        Source = source,
    };

    private WatchRecord Act(Plan plan, WatchRecord? previous, Observation observation, FiredThreshold trigger, DateTimeOffset breachSeenAt, int poll, TimeSpan elapsed, CancellationToken cancellation)
    {
        var request = plan.Request;
        var consent = request.Confirm?.Invoke(trigger) ?? RollbackConsent.Proceed;
        var what = $"{trigger.Message} The automatic trigger {trigger.Name} held";
        switch (consent)
        {
            case RollbackConsent.WhatIf:
                var planned = _engine.Rollbacks.Plan(plan.Target.Name, plan.Point.Id, Reason(request, trigger), request.ApprovedBy, cancellation: cancellation);
                return Record(plan, previous, observation, poll, elapsed, WatchAction.WhatIf, final: true, trigger, breachSeenAt, planned, null,
                    $"{what}; what if: the watch would roll '{plan.Target.Name}' back to {plan.Point.Version} ({plan.Point.Id}). Nothing was changed.");
            case RollbackConsent.Declined:
                return Record(plan, previous, observation, poll, elapsed, WatchAction.Declined, final: true, trigger, breachSeenAt, null, null,
                    $"{what}; the rollback of '{plan.Target.Name}' to {plan.Point.Version} was declined. Nothing was changed; the watch ends.");
            default:
                break;
        }

        RollbackResult result;
        try
        {
            result = _engine.Rollbacks.Run(new RollbackRequest
            {
                Target = plan.Target.Name,
                PointId = plan.Point.Id,
                Reason = Reason(request, trigger),
                ApprovedBy = request.ApprovedBy,
                Severity = observation.Decision.Severity,
                AutomaticTrigger = trigger.Name,
                Decision = observation.Decision,
                PolicyPath = request.PolicyPath,
                Cancellation = cancellation,
                StartedByWatch = true,
            });
        }
        catch (RollbackException ex)
        {
            // Refused (in progress, not ready, cancelled before the switch): the engine journaled it; nothing changed.
            return Record(plan, previous, observation, poll, elapsed, WatchAction.RollbackFailed, final: true, trigger, breachSeenAt, null, ex.ErrorId,
                $"{what}, but the rollback of '{plan.Target.Name}' was refused: {ex.Message}");
        }

        var succeeded = result.Status is RollbackStatus.Succeeded or RollbackStatus.AlreadyCurrent;
        var message = succeeded
            ? $"{what}; rolled '{plan.Target.Name}' back from {result.FromVersion} to {result.ToVersion}: {result.Status}" +
              (result.RecoveryTime is { } recovery ? $", verified in {Durations.Describe(recovery)}." : ".")
            : $"{what}; the rollback of '{plan.Target.Name}' to {result.ToVersion} ended {result.Status}: {result.Message}";
        return Record(plan, previous, observation, poll, elapsed, succeeded ? WatchAction.RolledBack : WatchAction.RollbackFailed, final: true, trigger, breachSeenAt, result,
            succeeded ? null : result.ErrorId ?? RollbackErrorId.AutomaticRollbackFailed, message);
    }

    private static WatchRecord Observed(Plan plan, WatchRecord? previous, Observation observation, int poll, TimeSpan elapsed, bool lastPoll)
    {
        var decision = observation.Decision;
        var pending = decision.PendingThresholds.Where(t => t.Kind == TriggerKind.Automatic).ToList();
        var action = pending.Count > 0 ? WatchAction.Pending : decision.Action == RollbackAction.AssessRollback ? WatchAction.Assess : WatchAction.Monitor;
        var state = action switch
        {
            WatchAction.Pending => string.Join(" ", pending.Select(p => p.Message)),
            WatchAction.Assess => decision.Reasons[0] + " Assessed triggers are for a person to weigh; the watch does not roll back on them.",
            _ => $"{Describe(observation.Health)}; no threshold is breached.",
        };
        if (!lastPoll)
        {
            return Record(plan, previous, observation, poll, elapsed, action, final: false, null, null, null, null, $"Poll {poll.ToString(CultureInfo.InvariantCulture)}: {state}");
        }

        return Record(plan, previous, observation, poll, elapsed, WatchAction.WindowEnded, final: true, null, null, null, null,
            $"The watch window of {Durations.Describe(plan.Request.Duration)} ended without an automatic trigger holding; nothing was changed. Last poll: {state}");
    }

    private WatchRecord Cancelled(Plan plan, WatchRecord? previous, int poll, TimeSpan elapsed) => new()
    {
        Target = plan.Target.Name,
        PointId = plan.Point.Id,
        Poll = poll,
        Time = _time.GetUtcNow(),
        Elapsed = elapsed,
        Health = previous?.Health ?? WatchHealth.Unknown,
        HealthChecks = previous?.HealthChecks ?? Array.Empty<HealthCheckResult>(),
        Availability = previous?.Availability,
        ErrorRate = previous?.ErrorRate,
        LatencyP95 = previous?.LatencyP95,
        Triggers = previous?.Triggers ?? Array.Empty<FiredThreshold>(),
        Decision = previous?.Decision,
        Action = WatchAction.Cancelled,
        IsFinal = true,
        Changed = true,
        Message = $"The watch of '{plan.Target.Name}' was stopped after {poll.ToString(CultureInfo.InvariantCulture)} poll(s) in {Durations.Describe(elapsed)}; no rollback was started and nothing was changed.",
    };

    private static WatchRecord Record(Plan plan, WatchRecord? previous, Observation observation, int poll, TimeSpan elapsed, WatchAction action, bool final, FiredThreshold? trigger,
        DateTimeOffset? breachSeenAt, RollbackResult? rollback, string? errorId, string message)
    {
        var health = observation.Health;
        var triggers = observation.Decision.FiredThresholds.Concat(observation.Decision.PendingThresholds).ToList();
        return new WatchRecord
        {
            Target = plan.Target.Name,
            PointId = plan.Point.Id,
            Poll = poll,
            Time = observation.Time,
            Elapsed = elapsed,
            Health = health,
            HealthChecks = observation.HealthChecks,
            Availability = observation.Decision.Inputs.Availability,
            ErrorRate = observation.Decision.Inputs.ErrorRate,
            LatencyP95 = observation.Decision.Inputs.LatencyP95,
            Triggers = triggers,
            Decision = observation.Decision,
            Action = action,
            Trigger = trigger?.Name,
            BreachSeenAt = breachSeenAt,
            Rollback = rollback,
            ErrorId = errorId,
            Message = message,
            Problems = observation.Problems,
            IsFinal = final,
            Changed = final || previous is null || health != previous.Health || action != previous.Action
                || !triggers.Select(Key).SequenceEqual(previous.Triggers.Select(Key))
                || observation.Problems.Count > 0 != previous.Problems.Count > 0,
        };

        static string Key(FiredThreshold t) => t.Name + (t.Held ? ":held" : ":pending");
    }

    private void Progress(Plan plan, int poll, TimeSpan elapsed, WatchRecord? previous)
    {
        var duration = plan.Request.Duration;
        _reporter.Progress(new ProgressUpdate
        {
            ActivityId = ProgressActivity.Watch,
            Activity = Activity(plan),
            Status = $"Poll {poll.ToString(CultureInfo.InvariantCulture)}, {Durations.Describe(elapsed)} of {Durations.Describe(duration)}" +
                     (previous is null ? string.Empty : $": {previous.Health}, {previous.Action}"),
            CurrentOperation = previous is null || previous.Triggers.Count == 0 ? null : previous.TriggerSummary,
            PercentComplete = (int)Math.Min(99, 100 * elapsed.Ticks / Math.Max(1, duration.Ticks)),
        });
    }

    private static string Activity(Plan plan) => $"Watching {plan.Target.Name} (rollback to {plan.Point.Version} when an automatic trigger holds)";

    private static string Reason(WatchRequest request, FiredThreshold trigger) => $"{request.Reason} (automatic trigger {trigger.Name}: {trigger.Message})";

    private static string Describe(WatchHealth health) => health switch
    {
        WatchHealth.Healthy => "the endpoints are healthy",
        WatchHealth.Degraded => "some endpoints are unhealthy",
        WatchHealth.Unhealthy => "the endpoints are unhealthy",
        _ => "no endpoint is watched",
    };

    private TimeSpan Elapsed(long started) => _time.GetElapsedTime(started);

    /// <summary>Waits until <paramref name="due"/> after <paramref name="started"/>; false when Ctrl+C ended the wait.</summary>
    private static bool WaitUntil(OperationContext context, long started, TimeSpan due)
    {
        try
        {
            context.Wait(due - context.ElapsedSince(started));
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    private static RollbackException InvalidArguments(string message, WatchRequest request) =>
        new(RollbackErrorId.InvalidWatchArguments, RollbackErrorCategory.InvalidArgument, message, request.Target);

    private sealed record Plan(WatchRequest Request, RollbackTarget Target, RollbackPoint Point, RollbackPolicy Policy, IReadOnlyList<HealthProbeOptions> Endpoints,
        MetricsQueries? Queries, TimeSpan ProbeTimeout, X509Certificate2? Certificate);

    private sealed record Observation(DateTimeOffset Time, IReadOnlyList<HealthCheckResult> HealthChecks, WatchHealth Health, RollbackDecision Decision, IReadOnlyList<string> Problems);
}
