using System.Collections.Generic;

namespace Rollback.Providers;

/// <summary>
/// An optional capability: a traffic kind (a load balancer's backend, an nginx upstream, a listener's weighted target
/// groups) whose rollback moves traffic between the state before the rollback and the point's captured state. The engine
/// runs the rollback as steps (the Steps setting, 50 then 100 by default): it asks the kind to shift to each step's
/// share, journals the step, waits StepWait on the operation's clock, then runs the target's verification (the kind's
/// <see cref="VerifyTraffic"/>, the health endpoints, the metrics thresholds when Prometheus is configured). A failing
/// check stops the shift where it stands, never pushing further. For such a kind the engine calls <see cref="Shift"/>
/// instead of <see cref="IRollbackProvider.Restore"/>; a kind's Restore is its shift to 100 %, which is what an
/// interrupted attempt is completed with.
/// </summary>
public interface ITrafficProvider
{
    /// <summary>
    /// Moves traffic to <paramref name="shift"/>'s <see cref="TrafficStep.Percent"/> of the way from <see cref="TrafficStep.From"/> (the state before
    /// the rollback, as its safety point captured it) to <paramref name="point"/>'s state: 100 is exactly the point's state.
    /// Records its changes as steps of <paramref name="context"/> (the change itself inside <see cref="RestoreContext.Switch"/>);
    /// honours its cancellation.
    /// </summary>
    void Shift(RollbackTarget target, RollbackPoint point, TrafficStep shift, RestoreContext context);

    /// <summary>
    /// The kind's own check of what the traffic answers now (requests through the proxy, each answering a version the
    /// step allows): after every step, before the next. None when the target configures no such check. Never throws for
    /// what it finds: a failure is a failed check.
    /// </summary>
    IReadOnlyList<CheckResult> VerifyTraffic(RollbackTarget target, RollbackPoint point, TrafficStep shift, OperationContext context);

    /// <summary>What a shift to <paramref name="percent"/> would change, for -WhatIf. Changes nothing.</summary>
    string DescribeShift(RollbackTarget target, RollbackPoint point, int percent);
}

/// <summary>One step of a traffic shift: how far, from where, and which of how many.</summary>
public sealed class TrafficStep
{
    public TrafficStep(int percent, int number, int count, RollbackPoint? from)
    {
        Percent = percent;
        Number = number;
        Count = count;
        From = from;
    }

    /// <summary>How far toward the point's state, 1 to 100; 100 is the point's state itself.</summary>
    public int Percent { get; }

    /// <summary>This step's place, from 1.</summary>
    public int Number { get; }

    public int Count { get; }

    public bool IsLast => Percent == 100;

    /// <summary>
    /// The state before the rollback (its safety point), which the steps before 100 % mix with the point's. Null only
    /// when no safety point was taken; a kind then treats every step as 100 %.
    /// </summary>
    public RollbackPoint? From { get; }

    /// <summary>The step's name in the result and the journal: Shift50, Shift100.</summary>
    public string Name => "Shift" + Percent.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => $"{Percent} % (step {Number} of {Count})";
}
