using System;
using System.Linq;
using Xunit;

namespace Rollback.Tests.Decisions;

public sealed class RollbackDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 15, 45, 0, TimeSpan.Zero);

    private static RollbackDecision Decide(DecisionInputs inputs, RollbackPolicy? policy = null) =>
        RollbackDecider.Decide(inputs, policy ?? RollbackPolicy.Default, Now);

    private static TimeSpan Minutes(double minutes) => TimeSpan.FromMinutes(minutes);

    [Fact]
    public void NothingWrongMeansMonitor()
    {
        var decision = Decide(new DecisionInputs { ErrorRate = 0.001, ErrorRateDuration = Minutes(30), Availability = 1, AvailabilityDuration = Minutes(30) });

        Assert.Equal(RollbackAction.Monitor, decision.Action);
        Assert.Equal(RollbackSeverity.Sev1, decision.Severity); // 0.1% of users is "minor degradation, < 5% users"
        Assert.Empty(decision.FiredThresholds);

        var quiet = Decide(new DecisionInputs());
        Assert.Equal(RollbackAction.Monitor, quiet.Action);
        Assert.Equal(RollbackSeverity.Sev0, quiet.Severity);
        Assert.Equal(2, quiet.RequiredApprovals);
        Assert.False(quiet.OnCallMayApprove);
        Assert.Null(quiet.ResponseTime);
        Assert.Equal("Standard process", quiet.ResponseTimeText);
        Assert.Contains("monitor", quiet.Reasons[0], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DesignExampleErrorRate123ForFourMinutesIsImmediate()
    {
        var decision = Decide(new DecisionInputs { ErrorRate = 0.123, ErrorRateDuration = Minutes(4) });

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        var fired = Assert.Single(decision.FiredThresholds);
        Assert.Equal(DecisionTrigger.ErrorRateAbove, fired.Name);
        Assert.Equal(TriggerKind.Automatic, fired.Kind);
        Assert.Equal(0.123, fired.Observed);
        Assert.Equal(0.10, fired.Threshold);
        Assert.Equal(Minutes(4), fired.Duration);
        Assert.Equal(Minutes(3), fired.RequiredDuration);
        Assert.StartsWith("Error rate 12.3% is above 10% for 4 min", decision.Reasons[0], StringComparison.Ordinal);
        Assert.Equal(RollbackSeverity.Sev2, decision.Severity);
        Assert.True(decision.AffectedUsersEstimated);
        Assert.True(decision.OnCallMayApprove);
        Assert.Equal(1, decision.RequiredApprovals);
        Assert.Equal(Minutes(15), decision.ResponseTime);
    }

    [Theory]
    [InlineData(0.10, 60, RollbackAction.AssessRollback)] // exactly 10% is not "exceeds 10%": it is the top of the assessed band
    [InlineData(0.1001, 3, RollbackAction.ImmediateRollback)] // exactly 3 consecutive minutes is enough
    [InlineData(0.1001, 2.9, RollbackAction.Monitor)] // not yet: pending
    [InlineData(0.02, 10, RollbackAction.AssessRollback)] // exactly 2% for exactly 10 minutes
    [InlineData(0.0199, 60, RollbackAction.Monitor)]
    [InlineData(0.05, 9.9, RollbackAction.Monitor)]
    public void ErrorRateBoundaries(double rate, double minutes, RollbackAction expected)
    {
        Assert.Equal(expected, Decide(new DecisionInputs { ErrorRate = rate, ErrorRateDuration = Minutes(minutes) }).Action);
    }

    [Theory]
    [InlineData(0.9499, 5, RollbackAction.ImmediateRollback)]
    [InlineData(0.95, 60, RollbackAction.Monitor)] // "below 95%": 95% itself is not below
    [InlineData(0.90, 4.9, RollbackAction.Monitor)]
    public void AvailabilityBoundaries(double availability, double minutes, RollbackAction expected)
    {
        var decision = Decide(new DecisionInputs { Availability = availability, AvailabilityDuration = Minutes(minutes) });

        Assert.Equal(expected, decision.Action);
    }

    [Fact]
    public void PendingBreachIsReportedWithTheTimeStillNeeded()
    {
        var decision = Decide(new DecisionInputs { ErrorRate = 0.2, ErrorRateDuration = Minutes(1) });

        Assert.Equal(RollbackAction.Monitor, decision.Action);
        var pending = Assert.Single(decision.PendingThresholds);
        Assert.False(pending.Held);
        Assert.Contains("fires when it holds 3 min", pending.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(DecisionInputs.DataCorruption), DecisionTrigger.DataCorruption, RollbackSeverity.Sev3)]
    [InlineData(nameof(DecisionInputs.SecurityVulnerability), DecisionTrigger.SecurityVulnerability, RollbackSeverity.Sev4)]
    [InlineData(nameof(DecisionInputs.CriticalFunctionLost), DecisionTrigger.CriticalFunctionLost, RollbackSeverity.Sev3)]
    public void ReportedAutomaticTriggersAreImmediate(string flag, DecisionTrigger trigger, RollbackSeverity severity)
    {
        var inputs = flag switch
        {
            nameof(DecisionInputs.DataCorruption) => new DecisionInputs { DataCorruption = true },
            nameof(DecisionInputs.SecurityVulnerability) => new DecisionInputs { SecurityVulnerability = true },
            _ => new DecisionInputs { CriticalFunctionLost = true },
        };

        var decision = Decide(inputs);

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        Assert.Equal(trigger, Assert.Single(decision.FiredThresholds).Name);
        Assert.Equal(severity, decision.Severity);
        Assert.True(decision.OnCallMayApprove);
    }

    [Fact]
    public void LatencyMoreThanHalfAboveBaselineIsAssessed()
    {
        var slow = Decide(new DecisionInputs { LatencyP95 = 0.42, LatencyBaseline = 0.175 });
        Assert.Equal(RollbackAction.AssessRollback, slow.Action);
        var fired = Assert.Single(slow.FiredThresholds);
        Assert.Equal(DecisionTrigger.LatencyDegraded, fired.Name);
        Assert.Equal(0.175 * 1.5, fired.Threshold!.Value, 9);

        Assert.Equal(RollbackAction.Monitor, Decide(new DecisionInputs { LatencyP95 = 0.3, LatencyBaseline = 0.2 }).Action); // exactly +50%
        Assert.Equal(RollbackAction.Monitor, Decide(new DecisionInputs { LatencyP95 = 5 }).Action); // no baseline: not evaluated
    }

    [Fact]
    public void NonCriticalFeatureLossIsAssessedAtLeastSev1()
    {
        var decision = Decide(new DecisionInputs { NonCriticalFeaturesLost = true });

        Assert.Equal(RollbackAction.AssessRollback, decision.Action);
        Assert.Equal(RollbackSeverity.Sev1, decision.Severity);
        Assert.Equal(Minutes(30), decision.ResponseTime);
        Assert.False(decision.OnCallMayApprove);
    }

    [Fact]
    public void FlowchartOrderPutsTheDecidingTriggerFirst()
    {
        var decision = Decide(new DecisionInputs
        {
            NonCriticalFeaturesLost = true,
            LatencyP95 = 1,
            LatencyBaseline = 0.1,
            DataCorruption = true,
            Availability = 0.5,
            AvailabilityDuration = Minutes(6),
            ErrorRate = 0.5,
            ErrorRateDuration = Minutes(6),
        });

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        Assert.Equal(
            new[] { DecisionTrigger.AvailabilityBelow, DecisionTrigger.ErrorRateAbove, DecisionTrigger.DataCorruption, DecisionTrigger.LatencyDegraded, DecisionTrigger.NonCriticalFeaturesLost },
            decision.FiredThresholds.Select(f => f.Name));
        Assert.StartsWith("Availability 50%", decision.Reasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public void AutomaticTriggerWinsOverAnEarlierAssessedOneOnlyByFlowchartPosition()
    {
        // Latency (assessed) and data corruption (automatic): corruption comes first in the flowchart.
        var decision = Decide(new DecisionInputs { LatencyP95 = 1, LatencyBaseline = 0.1, DataCorruption = true });

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        Assert.Equal(DecisionTrigger.DataCorruption, decision.FiredThresholds[0].Name);
    }

    [Theory]
    [InlineData(0.0, RollbackSeverity.Sev0)]
    [InlineData(0.0499, RollbackSeverity.Sev1)]
    [InlineData(0.05, RollbackSeverity.Sev2)]
    [InlineData(0.25, RollbackSeverity.Sev2)]
    [InlineData(0.2501, RollbackSeverity.Sev3)]
    [InlineData(1.0, RollbackSeverity.Sev4)]
    public void SeverityFollowsTheShareOfAffectedUsers(double affected, RollbackSeverity expected)
    {
        var decision = Decide(new DecisionInputs { AffectedUsers = affected });

        Assert.Equal(expected, decision.Severity);
        Assert.False(decision.AffectedUsersEstimated);
        var rule = RollbackPolicy.Default.Rule(expected);
        Assert.Equal(rule.ResponseTime, decision.ResponseTime);
        Assert.Equal(rule.RequiredApprovals, decision.RequiredApprovals);
    }

    [Fact]
    public void SeverityMatrixHasTheSeedValues()
    {
        var rows = RollbackPolicy.Default.Severities;

        Assert.Equal(new[] { "SEV-0", "SEV-1", "SEV-2", "SEV-3", "SEV-4" }, rows.Select(r => r.Label));
        Assert.Equal(new TimeSpan?[] { null, Minutes(30), Minutes(15), Minutes(5), TimeSpan.Zero }, rows.Select(r => r.ResponseTime));
        Assert.Equal(new[] { 2, 1, 1, 1, 1 }, rows.Select(r => r.RequiredApprovals));
        Assert.Equal(new[] { false, false, true, true, true }, rows.Select(r => r.OnCallMayApprove));
        Assert.Equal("Immediate", SeverityRule.DescribeResponseTime(rows[4].ResponseTime));
    }

    [Fact]
    public void AutomaticTriggerLetsTheOnCallProceedAloneEvenAtSev1()
    {
        var decision = Decide(new DecisionInputs { ErrorRate = 0.5, ErrorRateDuration = Minutes(5), AffectedUsers = 0.01 });

        Assert.Equal(RollbackSeverity.Sev1, decision.Severity);
        Assert.Equal(1, decision.RequiredApprovals);
        Assert.True(decision.OnCallMayApprove);
    }

    [Fact]
    public void SeriesGiveTheConsecutiveDuration()
    {
        var step = TimeSpan.FromMinutes(1);
        var start = Now.AddMinutes(-10);
        double[] values = { 0.01, 0.01, 0.3, 0.01, 0.01, 0.12, 0.15, 0.2 }; // above 10% for the last 3 samples only
        var series = new MetricSeries(values.Select((v, i) => new MetricSample(start + TimeSpan.FromTicks(step.Ticks * i), v)), step);

        var decision = Decide(new DecisionInputs { ErrorRate = series.Latest, ErrorRateSeries = series });

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        Assert.Equal(Minutes(3), decision.FiredThresholds[0].Duration);

        var shorter = new MetricSeries(series.Samples.Take(7), step); // 0.12, 0.15: two minutes
        Assert.Equal(RollbackAction.Monitor, Decide(new DecisionInputs { ErrorRate = shorter.Latest, ErrorRateSeries = shorter }).Action);
    }

    [Fact]
    public void SeriesRunStopsAtNaNAndAtGaps()
    {
        var step = TimeSpan.FromSeconds(15);
        var t = Now;
        var withNaN = new MetricSeries(new[] { new MetricSample(t, 0.5), new MetricSample(t + step, double.NaN), new MetricSample(t + step + step, 0.5) }, step);
        Assert.Equal(step, withNaN.HeldFor(v => v > 0.1));
        Assert.Equal(0.5, withNaN.Latest);

        var withGap = new MetricSeries(new[] { new MetricSample(t, 0.5), new MetricSample(t + TimeSpan.FromMinutes(5), 0.5) }, step);
        Assert.Equal(step, withGap.HeldFor(v => v > 0.1));
    }

    [Fact]
    public void ShorterPolicyDurationsFireSooner()
    {
        var policy = RollbackPolicy.Default with { ErrorRateFor = TimeSpan.FromSeconds(3), Source = "test" };

        var decision = Decide(new DecisionInputs { ErrorRate = 0.2, ErrorRateDuration = TimeSpan.FromSeconds(3) }, policy);

        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
        Assert.Equal("test", decision.PolicySource);
    }
}
