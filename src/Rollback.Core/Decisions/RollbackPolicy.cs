using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;

namespace Rollback;

/// <summary>
/// The rollback triggers' thresholds and the severity matrix. <see cref="Default"/> holds the built-in values; a
/// policy file (<see cref="RollbackPolicyFile"/>) overrides any of them per target. Rates and shares are fractions.
/// Immutable: copies are made with 'with'.
/// </summary>
public sealed record RollbackPolicy
{
    public const string BuiltInSource = "built-in";

    /// <summary>Automatic: availability below this ...</summary>
    public double AvailabilityBelow { get; init; } = 0.95;

    /// <summary>... for at least this long.</summary>
    public TimeSpan AvailabilityFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Automatic: error rate strictly above this ...</summary>
    public double ErrorRateAbove { get; init; } = 0.10;

    /// <summary>... for at least this many consecutive minutes.</summary>
    public TimeSpan ErrorRateFor { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Assessed: error rate from this (inclusive) ...</summary>
    public double AssessErrorRateFrom { get; init; } = 0.02;

    /// <summary>... to this (inclusive) ...</summary>
    public double AssessErrorRateTo { get; init; } = 0.10;

    /// <summary>... sustained for at least this long.</summary>
    public TimeSpan AssessErrorRateFor { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Assessed: p95 latency more than this fraction above the baseline (0.5 = 50% slower).</summary>
    public double LatencyAboveBaseline { get; init; } = 0.50;

    /// <summary>The severity matrix, SEV-0 to SEV-4 in order.</summary>
    public IReadOnlyList<SeverityRule> Severities { get; init; } = DefaultSeverities;

    /// <summary>"built-in", or the path of the policy file.</summary>
    public string Source { get; init; } = BuiltInSource;

    /// <summary>The built-in severity matrix. SEV-1's "&lt; 5% users" starts above zero affected users; SEV-3's "&gt; 25%" is strict.</summary>
    public static IReadOnlyList<SeverityRule> DefaultSeverities { get; } = new[]
    {
        new SeverityRule { Severity = RollbackSeverity.Sev0, Description = "Informational, no impact", MinAffectedUsers = 0, ResponseTime = null, RequiredApprovals = 2, OnCallMayApprove = false },
        new SeverityRule { Severity = RollbackSeverity.Sev1, Description = "Minor degradation, < 5% users", MinAffectedUsers = 0, MinAffectedUsersExclusive = true, ResponseTime = TimeSpan.FromMinutes(30), RequiredApprovals = 1, OnCallMayApprove = false },
        new SeverityRule { Severity = RollbackSeverity.Sev2, Description = "Significant degradation, 5-25% users", MinAffectedUsers = 0.05, ResponseTime = TimeSpan.FromMinutes(15), RequiredApprovals = 1, OnCallMayApprove = true },
        new SeverityRule { Severity = RollbackSeverity.Sev3, Description = "Major outage, > 25% users", MinAffectedUsers = 0.25, MinAffectedUsersExclusive = true, ResponseTime = TimeSpan.FromMinutes(5), RequiredApprovals = 1, OnCallMayApprove = true },
        new SeverityRule { Severity = RollbackSeverity.Sev4, Description = "Complete outage, security breach", MinAffectedUsers = 1.0, ResponseTime = TimeSpan.Zero, RequiredApprovals = 1, OnCallMayApprove = true },
    };

    /// <summary>The built-in policy. Declared after <see cref="DefaultSeverities"/>: static initializers run in order.</summary>
    public static RollbackPolicy Default { get; } = new();

    /// <summary>The longest time any threshold needs to hold: how far back a metrics source must look.</summary>
    public TimeSpan LongestDuration => new[] { AvailabilityFor, ErrorRateFor, AssessErrorRateFor }.Max();

    public SeverityRule Rule(RollbackSeverity severity) => Severities.First(r => r.Severity == severity);

    /// <summary>Checks that the thresholds make sense together; throws PolicyContradictory (or PolicyInvalid for a value out of range).</summary>
    public RollbackPolicy Validate()
    {
        Fraction(nameof(AvailabilityBelow), AvailabilityBelow);
        Fraction(nameof(ErrorRateAbove), ErrorRateAbove);
        Fraction(nameof(AssessErrorRateFrom), AssessErrorRateFrom);
        Fraction(nameof(AssessErrorRateTo), AssessErrorRateTo);
        NotNegative(nameof(AvailabilityFor), AvailabilityFor);
        NotNegative(nameof(ErrorRateFor), ErrorRateFor);
        NotNegative(nameof(AssessErrorRateFor), AssessErrorRateFor);
        if (double.IsNaN(LatencyAboveBaseline) || double.IsInfinity(LatencyAboveBaseline))
        {
            throw Invalid($"latencyAboveBaseline must be a number, not {LatencyAboveBaseline}");
        }

        if (LatencyAboveBaseline < 0)
        {
            throw Contradictory($"latencyAboveBaseline is {LatencyAboveBaseline}: a negative degradation would fire while the service is faster than its baseline");
        }

        if (AssessErrorRateFrom >= AssessErrorRateTo)
        {
            throw Contradictory($"the assessed error-rate band starts at {Durations.Percent(AssessErrorRateFrom)}, not below its upper bound {Durations.Percent(AssessErrorRateTo)}");
        }

        if (AssessErrorRateTo > ErrorRateAbove)
        {
            throw Contradictory($"the assessed error-rate band reaches {Durations.Percent(AssessErrorRateTo)}, above the automatic threshold {Durations.Percent(ErrorRateAbove)}: a rate there would be both assessed and automatic");
        }

        ValidateSeverities();
        return this;
    }

    private void ValidateSeverities()
    {
        var expected = Enum.GetValues(typeof(RollbackSeverity)).Cast<RollbackSeverity>().ToList();
        if (!Severities.Select(r => r.Severity).SequenceEqual(expected))
        {
            throw Contradictory("the severity matrix must have one row each for SEV-0 to SEV-4, in that order");
        }

        foreach (var rule in Severities)
        {
            Fraction(rule.Label + " minAffectedUsers", rule.MinAffectedUsers);
            if (rule.RequiredApprovals < 0)
            {
                throw Contradictory($"{rule.Label} requires {rule.RequiredApprovals} approvals");
            }

            if (rule.ResponseTime is { } time && time < TimeSpan.Zero)
            {
                throw Contradictory($"{rule.Label} has a negative response time ({time})");
            }
        }

        for (var i = 1; i < Severities.Count; i++)
        {
            var lower = Severities[i - 1];
            var higher = Severities[i];
            if (higher.MinAffectedUsers < lower.MinAffectedUsers ||
                (higher.MinAffectedUsers == lower.MinAffectedUsers && lower.MinAffectedUsersExclusive && !higher.MinAffectedUsersExclusive))
            {
                throw Contradictory($"{higher.Label} starts at {Durations.Percent(higher.MinAffectedUsers)} of users, below {lower.Label}'s {Durations.Percent(lower.MinAffectedUsers)}: rows must rise with severity");
            }

            if (ResponseTicks(higher) > ResponseTicks(lower))
            {
                throw Contradictory($"{higher.Label} allows a slower response ({SeverityRule.DescribeResponseTime(higher.ResponseTime)}) than {lower.Label} ({SeverityRule.DescribeResponseTime(lower.ResponseTime)})");
            }

            if (higher.RequiredApprovals > lower.RequiredApprovals)
            {
                throw Contradictory($"{higher.Label} requires more approvals ({higher.RequiredApprovals}) than {lower.Label} ({lower.RequiredApprovals}): a worse outage must not wait for more people");
            }
        }
    }

    private static long ResponseTicks(SeverityRule rule) => rule.ResponseTime?.Ticks ?? long.MaxValue;

    private void Fraction(string name, double value)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            throw Invalid($"{name} is {value}; shares and rates are fractions from 0 to 1 (0.1 is 10%)");
        }
    }

    private void NotNegative(string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            throw Contradictory($"{name} is negative ({value})");
        }
    }

    private RollbackException Invalid(string why) =>
        new(RollbackErrorId.PolicyInvalid, RollbackErrorCategory.InvalidData, $"The rollback policy '{Source}' is not valid: {why}.", Source);

    private RollbackException Contradictory(string why) =>
        new(RollbackErrorId.PolicyContradictory, RollbackErrorCategory.InvalidData, $"The rollback policy '{Source}' contradicts itself: {why}.", Source);
}
