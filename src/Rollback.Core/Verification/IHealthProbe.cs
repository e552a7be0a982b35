using Rollback.Providers;

namespace Rollback.Verification;

/// <summary>Checks a health endpoint until it is healthy or the options' timeout passes. The engine's seam for tests.</summary>
public interface IHealthProbe
{
    /// <summary>
    /// Never throws for an unhealthy or unreachable endpoint (that is the result); throws OperationCanceledException when
    /// the context is cancelled. Retries wait, and timeouts run, on the context's time.
    /// </summary>
    HealthCheckResult Check(HealthProbeOptions options, OperationContext context);
}
