using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Verification;

namespace Rollback.Engine;

/// <summary>After the switch: the target reports the point's state, and its health endpoints (when it has any) are healthy.</summary>
internal sealed class HealthVerification
{
    private static readonly TimeSpan MinimumHealthAttempt = TimeSpan.FromSeconds(1);

    private readonly EngineServices _engine;

    public HealthVerification(EngineServices engine)
    {
        _engine = engine;
    }

    /// <summary>
    /// Whether the target now reports the point's state. Runs after the switch even when Ctrl+C stopped the restore, so
    /// the result can say where the target stands: it reads with a context of its own that Ctrl+C does not cancel.
    /// </summary>
    public static List<CheckResult> StateMatches(RollbackTarget target, IRollbackProvider provider, RollbackPoint point, OperationContext context)
    {
        try
        {
            var after = provider.Describe(target, context.WithCancellation(CancellationToken.None));
            return new List<CheckResult>
            {
                after.Matches(point.Fingerprint)
                    ? CheckResult.Pass("StateMatchesPoint", $"The target reports {after.Version}, the point's state.")
                    : CheckResult.Fail("StateMatchesPoint", RollbackErrorId.RollbackFailed, $"The target reports {after.Version} ({after.Detail}), not the point's {point.Version}."),
            };
        }
        catch (Exception ex) when (EngineFailures.IsRestoreFailure(ex))
        {
            return new List<CheckResult> { CheckResult.Fail("StateMatchesPoint", RollbackErrorId.TargetUnreachable, $"Cannot read the target after the switch: {ex.Message}") };
        }
    }

    /// <summary>
    /// Probes the target's health endpoints one after another within one overall timeout, adding a check per endpoint
    /// (and per failing named check) to <paramref name="verification"/>. Never throws: after the switch every problem,
    /// Ctrl+C included, becomes a failed check so the result says where the target stands. Without
    /// <paramref name="checkVersion"/> any version counts (between two traffic steps, both states answer).
    /// </summary>
    public List<HealthCheckResult> Probe(RollbackTarget target, RollbackPoint point, List<CheckResult> verification, OperationContext context, Action<string> phase, bool checkVersion = true)
    {
        var results = new List<HealthCheckResult>();
        try
        {
            var settings = HealthSettings.Read(target.Settings);
            if (!settings.IsConfigured)
            {
                return results;
            }

            using var certificate = settings.TrustedCertificate is null ? null : TrustedCertificate.Load(settings.TrustedCertificate);
            var expected = checkVersion ? settings.ExpectedVersionFor(point.Version) : null;
            var headers = settings.HeadersFor(_engine.Store.Secrets.Directory);
            var started = context.Timestamp();
            foreach (var uri in settings.Uris)
            {
                phase($"Verifying health of {HealthProbe.WithoutUserInfo(uri)}");
                var remaining = settings.Timeout - context.ElapsedSince(started);
                var options = new HealthProbeOptions
                {
                    Uri = uri,
                    ExpectedVersion = expected,
                    ExpectedStatusCodes = settings.ExpectedStatusCodes,
                    Headers = headers,
                    TrustedCertificate = certificate,
                    MaxLatency = settings.MaxLatency,
                    RetryInterval = settings.RetryInterval,
                    // Endpoints share the timeout; one that comes after it ran out still gets one short attempt.
                    Timeout = remaining > MinimumHealthAttempt ? remaining : MinimumHealthAttempt,
                    Target = target.Name,
                };
                var result = _engine.HealthProbe.Check(options, context);
                results.Add(result);
                verification.AddRange(Checks(result));
            }
        }
        catch (RollbackException ex)
        {
            verification.Add(CheckResult.Fail("HealthEndpoint", ex.ErrorId, $"The health endpoints of '{target.Name}' could not be checked: {ex.Message}"));
        }
        catch (OperationCanceledException)
        {
            verification.Add(CheckResult.Fail("HealthEndpoint", RollbackErrorId.OperationCancelled,
                $"Health verification of '{target.Name}' was cancelled after the switch: the target runs {point.Version}, unverified. Run Test-DeploymentHealth to check it."));
        }

        return results;
    }

    /// <summary>The steps -WhatIf lists for health verification (none when the target has no health endpoint).</summary>
    public static IEnumerable<RollbackStep> Planned(RollbackTarget target, RollbackPoint point)
    {
        var health = HealthSettings.Read(target.Settings);
        if (health.IsConfigured)
        {
            var expected = health.ExpectedVersionFor(point.Version);
            yield return RollbackOperations.Planned("VerifyHealth", $"Check {string.Join(", ", health.Uris)} until healthy{(expected is null ? string.Empty : " at " + expected)} (at most {health.Timeout}).");
        }
    }

    private static IEnumerable<CheckResult> Checks(HealthCheckResult result)
    {
        if (result.Healthy)
        {
            yield return CheckResult.Pass("HealthEndpoint", $"{result.Uri}: {result.Detail}");
            yield break;
        }

        yield return CheckResult.Fail("HealthEndpoint", result.ErrorId ?? RollbackErrorId.HealthCheckFailed,
            $"{result.Uri} is not healthy after {result.Attempts} attempt(s) in {result.Elapsed.TotalSeconds:N1} s: {result.Detail}");
        foreach (var check in result.Checks.Where(c => !c.Healthy))
        {
            yield return CheckResult.Fail("HealthCheck." + check.Name, RollbackErrorId.HealthCheckFailed,
                $"{result.Uri} reports {check.Name} {check.Status}{(check.Description is null ? string.Empty : ": " + check.Description)}.");
        }
    }
}
