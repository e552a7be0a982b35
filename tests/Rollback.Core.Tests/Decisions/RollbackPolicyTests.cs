using System;
using System.IO;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Decisions;

public sealed class RollbackPolicyTests
{
    [Fact]
    public void DefaultsAreTheSeedThresholds()
    {
        var policy = RollbackPolicy.Default.Validate();

        Assert.Equal(0.95, policy.AvailabilityBelow);
        Assert.Equal(TimeSpan.FromMinutes(5), policy.AvailabilityFor);
        Assert.Equal(0.10, policy.ErrorRateAbove);
        Assert.Equal(TimeSpan.FromMinutes(3), policy.ErrorRateFor);
        Assert.Equal(0.02, policy.AssessErrorRateFrom);
        Assert.Equal(0.10, policy.AssessErrorRateTo);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.AssessErrorRateFor);
        Assert.Equal(0.50, policy.LatencyAboveBaseline);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.LongestDuration);
        Assert.Equal(RollbackPolicy.BuiltInSource, policy.Source);
    }

    [Fact]
    public void FileOverridesThresholdsAndSeverityRowsAndKeepsTheRest()
    {
        var policy = RollbackPolicyFile.Parse("""
            {
              // stricter for payments
              "errorRateAbove": 0.05, "assessErrorRateTo": 0.05, "errorRateFor": "00:01:00", "assessErrorRateFor": 30,
              "severities": { "SEV-1": { "requiredApprovals": 2, "responseTime": "00:15:00" } },
            }
            """, "payments.json");

        Assert.Equal(0.05, policy.ErrorRateAbove);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.ErrorRateFor);
        Assert.Equal(TimeSpan.FromSeconds(30), policy.AssessErrorRateFor);
        Assert.Equal(0.95, policy.AvailabilityBelow);
        Assert.Equal(2, policy.Rule(RollbackSeverity.Sev1).RequiredApprovals);
        Assert.Equal(TimeSpan.FromMinutes(15), policy.Rule(RollbackSeverity.Sev1).ResponseTime);
        Assert.Equal("Minor degradation, < 5% users", policy.Rule(RollbackSeverity.Sev1).Description);
        Assert.Equal("payments.json", policy.Source);

        var decision = RollbackDecider.Decide(new DecisionInputs { ErrorRate = 0.06, ErrorRateDuration = TimeSpan.FromMinutes(1) }, policy, DateTimeOffset.UtcNow);
        Assert.Equal(RollbackAction.ImmediateRollback, decision.Action);
    }

    [Fact]
    public void ResolvePrefersTheExplicitPathThenTheTargetSetting()
    {
        using var temp = new TempFolder();
        var explicitFile = temp.WriteFile("explicit.json", """{ "errorRateFor": "00:00:05" }""");
        var targetFile = temp.WriteFile("target.json", """{ "errorRateFor": "00:00:07" }""");
        var settings = new SettingsDictionary(new[] { new System.Collections.Generic.KeyValuePair<string, object?>(RollbackPolicyFile.PolicyPathSetting, targetFile) });

        Assert.Equal(TimeSpan.FromSeconds(5), RollbackPolicyFile.Resolve(explicitFile, settings).ErrorRateFor);
        Assert.Equal(TimeSpan.FromSeconds(7), RollbackPolicyFile.Resolve(null, settings).ErrorRateFor);
        Assert.Same(RollbackPolicy.Default, RollbackPolicyFile.Resolve(null, SettingsDictionary.Empty));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{ "errorRateAbov": 0.2 }""")]
    [InlineData("""{ "errorRateAbove": "ten percent" }""")]
    [InlineData("""{ "errorRateFor": "soon" }""")]
    [InlineData("""{ "errorRateAbove": 10 }""")]
    [InlineData("""{ "severities": { "SEV-9": { "requiredApprovals": 1 } } }""")]
    [InlineData("""{ "severities": { "SEV-1": { "approvers": 1 } } }""")]
    public void BadFileIsPolicyInvalid(string json)
    {
        var ex = Assert.Throws<RollbackException>(() => RollbackPolicyFile.Parse(json, "bad.json"));

        Assert.Equal(RollbackErrorId.PolicyInvalid, ex.ErrorId);
        Assert.Contains("bad.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsPolicyInvalid()
    {
        var ex = Assert.Throws<RollbackException>(() => RollbackPolicyFile.Load(Path.Combine(Path.GetTempPath(), "no-such-policy-" + Guid.NewGuid().ToString("N") + ".json")));

        Assert.Equal(RollbackErrorId.PolicyInvalid, ex.ErrorId);
    }

    [Theory]
    [InlineData("""{ "assessErrorRateTo": 0.2 }""", "above the automatic threshold")]
    [InlineData("""{ "assessErrorRateFrom": 0.1 }""", "not below its upper bound")]
    [InlineData("""{ "assessErrorRateFrom": 0.08, "assessErrorRateTo": 0.03 }""", "not below its upper bound")]
    [InlineData("""{ "errorRateFor": "-00:01:00" }""", "negative")]
    [InlineData("""{ "availabilityFor": -5 }""", "negative")]
    [InlineData("""{ "latencyAboveBaseline": -0.5 }""", "negative degradation")]
    [InlineData("""{ "severities": { "SEV-3": { "minAffectedUsers": 0.01 } } }""", "rise with severity")]
    [InlineData("""{ "severities": { "SEV-4": { "responseTime": "01:00:00" } } }""", "slower response")]
    [InlineData("""{ "severities": { "SEV-3": { "requiredApprovals": 3 } } }""", "more approvals")]
    [InlineData("""{ "severities": { "SEV-2": { "responseTime": null } } }""", "slower response")]
    public void ContradictoryThresholdsArePolicyContradictory(string json, string why)
    {
        var ex = Assert.Throws<RollbackException>(() => RollbackPolicyFile.Parse(json, "odd.json"));

        Assert.Equal(RollbackErrorId.PolicyContradictory, ex.ErrorId);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SEV-3", RollbackSeverity.Sev3)]
    [InlineData("sev3", RollbackSeverity.Sev3)]
    [InlineData("0", RollbackSeverity.Sev0)]
    public void SeverityLabelsParse(string text, RollbackSeverity expected)
    {
        Assert.True(SeverityRule.TryParse(text, out var severity));
        Assert.Equal(expected, severity);
        Assert.False(SeverityRule.TryParse("SEV-5", out _));
    }
}
