using System.Collections.Generic;

namespace Rollback.Providers;

/// <summary>
/// An optional capability: kinds whose system can roll itself back automatically (CodeDeploy's
/// autoRollbackConfiguration), so Get-/Set-AutoRollbackConfiguration can show and change that setting.
/// </summary>
public interface IAutoRollbackProvider
{
    /// <summary>The events the system can roll back on (e.g. DEPLOYMENT_FAILURE).</summary>
    IReadOnlyList<string> AutoRollbackEvents { get; }

    /// <summary>The events recommended for enabling (for CodeDeploy: DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM).</summary>
    IReadOnlyList<string> RecommendedAutoRollbackEvents { get; }

    /// <summary>Reads the target's automatic rollback setting. No side effects.</summary>
    AutoRollbackState GetAutoRollback(RollbackTarget target, OperationContext context);

    /// <summary>Sets it: <paramref name="events"/> replaces the events (empty with enabled=false turns it off).</summary>
    void SetAutoRollback(RollbackTarget target, bool enabled, IReadOnlyList<string> events, OperationContext context);
}

/// <summary>A target's automatic rollback setting as its system reports it.</summary>
public sealed class AutoRollbackState
{
    public AutoRollbackState(string resource, bool enabled, IReadOnlyList<string> events)
    {
        Resource = resource;
        Enabled = enabled;
        Events = events;
    }

    /// <summary>What the setting belongs to on the system (e.g. "Chargeworx/Production" for a CodeDeploy group).</summary>
    public string Resource { get; }

    public bool Enabled { get; }

    public IReadOnlyList<string> Events { get; }
}
