using System;
using System.Collections.Generic;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;

namespace Rollback.Providers;

/// <summary>What a provider gets while capturing: the operation's context and the folder to write the artifacts into.</summary>
public sealed class CaptureContext : OperationContext
{
    public CaptureContext(string artifactsDirectory, IRollbackReporter reporter, TimeProvider time, CancellationToken cancellation)
        : base(reporter, time, cancellation)
    {
        ArtifactsDirectory = artifactsDirectory;
    }

    public string ArtifactsDirectory { get; }

    /// <summary>
    /// The capture is the safety point taken just before a rollback or restore: a target too broken to capture in full
    /// (its live release deleted) is captured as far as it exists, with a warning, since refusing would refuse the
    /// rollback when it is needed most.
    /// </summary>
    public bool IsSafetyPoint { get; init; }
}

/// <summary>
/// What a kind gets while finishing what attempts that died left beside a target (<see cref="ISwitchRecovery.RemoveLeftovers"/>),
/// called by the engine holding the target's lock: the operation's context, and a way to keep a state a switch set aside.
/// </summary>
public sealed class RecoveryContext : OperationContext
{
    private readonly Func<string, Func<CaptureContext, CapturedState>, RollbackPoint> _adopt;
    private readonly List<RollbackPoint> _adopted = new();

    /// <summary>A recovery context whose <paramref name="adopt"/> commits what a capture writes into a new point's artifacts folder as a safety point with the given note.</summary>
    public RecoveryContext(Func<string, Func<CaptureContext, CapturedState>, RollbackPoint> adopt, IRollbackReporter reporter, TimeProvider time, CancellationToken cancellation)
        : base(reporter, time, cancellation)
    {
        _adopt = adopt;
    }

    /// <summary>The safety points <see cref="AdoptSetAside"/> made, in order.</summary>
    public IReadOnlyList<RollbackPoint> Adopted => _adopted;

    /// <summary>
    /// Makes a state that a dead attempt's switch set aside a safety point: <paramref name="capture"/> writes it into the
    /// point's artifacts folder (by rename where it can), and <paramref name="note"/> says where it came from.
    /// </summary>
    public RollbackPoint AdoptSetAside(string note, Func<CaptureContext, CapturedState> capture)
    {
        var point = _adopt(note, capture);
        _adopted.Add(point);
        return point;
    }
}

/// <summary>A user-supplied check of a configuration file before it is written (an nginx -t, a script block).</summary>
/// <param name="candidatePath">A copy of the content to be written, in the item's own folder so relative includes resolve.</param>
/// <param name="itemPath">The configuration file that will be replaced.</param>
public delegate ValidationOutcome ConfigurationValidator(string candidatePath, string itemPath);

public sealed class ValidationOutcome
{
    public ValidationOutcome(bool isValid, string message)
    {
        IsValid = isValid;
        Message = message;
    }

    public bool IsValid { get; }

    public string Message { get; }
}

/// <summary>What a provider gets while restoring: the operation's context, steps, the switch with its hooks and downtime.</summary>
public class RestoreContext : OperationContext
{
    private readonly List<RollbackStep> _steps = new();
    private bool _inSwitch;

    public RestoreContext(IRollbackReporter reporter, TimeProvider time, CancellationToken cancellation)
        : base(reporter, time, cancellation)
    {
    }

    /// <summary>Runs just before the switch (stop what serves the target).</summary>
    public Action? BeforeSwitch { get; init; }

    /// <summary>Runs just after the switch (start what serves the target).</summary>
    public Action? AfterSwitch { get; init; }

    /// <summary>A validator to apply to configuration items besides the built-in parsers.</summary>
    public ConfigurationValidator? Validator { get; init; }

    /// <summary>
    /// The safety point captured before this restore (null under -WhatIf), or, for an <see cref="ISwitchSafetyPointProvider"/>,
    /// the one its <see cref="CommitSafetyPoint"/> made after the switch (null until then).
    /// </summary>
    public RollbackPoint? SafetyPoint { get; internal set; }

    /// <summary>Set by the engine when the provider supplies the safety point from its switch.</summary>
    internal Func<Func<CaptureContext, CapturedState>, RollbackPoint>? SafetyPointCommitter { get; set; }

    /// <summary>
    /// Set by the engine for a provider whose restore, once its switch is done, only deals with what the switch set aside:
    /// called when the switch has succeeded, so the engine reads the target back while the provider keeps its safety point.
    /// </summary>
    internal Action? SwitchDone { get; set; }

    /// <summary>
    /// For an <see cref="ISwitchSafetyPointProvider"/>, after its switch: commits what <paramref name="capture"/> writes into the
    /// point's artifacts folder (the state the switch set aside) as this attempt's safety point, as the step CaptureSafetyPoint.
    /// </summary>
    public RollbackPoint CommitSafetyPoint(Func<CaptureContext, CapturedState> capture)
    {
        var commit = SafetyPointCommitter ?? throw new InvalidOperationException("The engine captured the safety point before this restore; a provider commits one only when it supplies it from its switch.");
        return SafetyPoint = Step("CaptureSafetyPoint", () => commit(capture));
    }

    /// <summary>
    /// The attempt this restore belongs to (journaled as its intent before the restore starts). Temporary names beside
    /// the target carry it (see <see cref="Store.TemporaryNames"/>), so what a killed attempt left can be told apart.
    /// </summary>
    public string AttemptId { get; internal set; } = Store.TemporaryNames.NewTag();

    public IReadOnlyList<RollbackStep> Steps => _steps;

    /// <summary>Why the rollback runs, as the user gave it (a provider may name it on the system it changes, e.g. a deployment's description).</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>
    /// Facts of the restore that the system itself assigned (a CodeDeploy deployment id, its instance counts), carried
    /// into the result's and the journal entry's Details. Never a secret value.
    /// </summary>
    public IDictionary<string, string> Details { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public TimeSpan Downtime { get; private set; }

    /// <summary>True once <see cref="Switch"/> has begun: before it, a restore has changed nothing on the target.</summary>
    public bool SwitchStarted { get; private set; }

    /// <summary>Configuration items a provider restored, reported into the result.</summary>
    public List<ConfigurationRestoreResult> ConfigurationItems { get; } = new();

    public void Step(string name, Action action) => Step<object?>(name, () =>
    {
        action();
        return null;
    });

    /// <summary>Runs one named step, timing it and recording its outcome; a failure is recorded and rethrown.</summary>
    public T Step<T>(string name, Func<T> action) => Run(name, action, honourCancellation: true);

    /// <summary>
    /// The switch: BeforeSwitch, the provider's atomic change, AfterSwitch. The whole of it counts as
    /// downtime, so a provider stages everything before calling this and keeps <paramref name="change"/> to renames.
    /// Once BeforeSwitch has stopped what serves the target, AfterSwitch runs whatever happens next (a failed
    /// change, Ctrl+C), so the service is never left stopped.
    /// </summary>
    public void Switch(string name, Action change)
    {
        SwitchStarted = true;
        _inSwitch = true;
        var started = Timestamp();
        try
        {
            if (BeforeSwitch is not null)
            {
                Step("BeforeSwitch", () => RunHook(BeforeSwitch, "BeforeSwitch"));
            }

            try
            {
                Run<object?>(name, () =>
                {
                    change();
                    return null;
                }, honourCancellation: true);
            }
            finally
            {
                if (AfterSwitch is not null)
                {
                    Run<object?>("AfterSwitch", () =>
                    {
                        RunHook(AfterSwitch, "AfterSwitch");
                        return null;
                    }, honourCancellation: false);
                }
            }
        }
        finally
        {
            Downtime += ElapsedSince(started);
            _inSwitch = false;
        }

        SwitchDone?.Invoke();
    }

    /// <summary>Records a step the engine ran and timed itself (a check between two traffic steps that found a failure without throwing).</summary>
    internal void Record(string name, StepStatus status, TimeSpan duration, string message) =>
        _steps.Add(new RollbackStep { Name = name, Status = status, StartedAt = Now - duration, Duration = duration, Message = message });

    private T Run<T>(string name, Func<T> action, bool honourCancellation)
    {
        if (honourCancellation)
        {
            Cancellation.ThrowIfCancellationRequested();
        }

        Reporter.Verbose($"Step '{name}'.");
        var startedAt = Now;
        var started = Timestamp();
        try
        {
            var result = action();
            _steps.Add(new RollbackStep { Name = name, Status = StepStatus.Succeeded, StartedAt = startedAt, Duration = ElapsedSince(started), InSwitch = _inSwitch });
            return result;
        }
        catch (Exception ex)
        {
            _steps.Add(new RollbackStep { Name = name, Status = StepStatus.Failed, StartedAt = startedAt, Duration = ElapsedSince(started), Message = ex.Message, InSwitch = _inSwitch });
            throw;
        }
    }

    private static void RunHook(Action hook, string which)
    {
        try
        {
            hook();
        }
        catch (Exception ex) when (ex is not RollbackException and not OperationCanceledException)
        {
            throw new RollbackException(RollbackErrorId.SwitchHookFailed, RollbackErrorCategory.InvalidOperation,
                $"The {which} script failed: {ex.Message}", which, ex);
        }
    }
}

/// <summary>What a configuration provider gets from Restore-Configuration.</summary>
public sealed class ConfigurationRestoreContext : RestoreContext
{
    public ConfigurationRestoreContext(IRollbackReporter reporter, TimeProvider time, CancellationToken cancellation)
        : base(reporter, time, cancellation)
    {
    }

    /// <summary>Restrict the restore to these items (paths as the target lists them, or file names); empty means all.</summary>
    public IReadOnlyList<string> Items { get; init; } = Array.Empty<string>();

    /// <summary>Validate only and report what would change; write nothing.</summary>
    public bool WhatIf { get; init; }

    /// <summary>Restore the system's own previous version instead of the point's (see <see cref="IPreviousVersionProvider"/>).</summary>
    public bool Previous { get; init; }
}
