using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>The severity policy of seed 004 enforced by the engine: approvals per severity, and the automatic-trigger exception.</summary>
public sealed class ApprovalTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly string _root;
    private readonly RollbackPoint _point;

    public ApprovalTests()
    {
        _root = _sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0");
        _sandbox.Register("api", "FileSystemRelease", ("Root", _root));
        _point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
    }

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData(RollbackSeverity.Sev0, new string[0])]
    [InlineData(RollbackSeverity.Sev0, new[] { "alice" })]
    [InlineData(RollbackSeverity.Sev0, new[] { "alice", "ALICE " })]
    [InlineData(RollbackSeverity.Sev1, new string[0])]
    [InlineData(RollbackSeverity.Sev1, new[] { "tester" })]
    [InlineData(RollbackSeverity.Sev2, new string[0])]
    public void TooFewApproversAreRefusedJournaledAndChangeNothing(RollbackSeverity severity, string[] approvers)
    {
        var ex = Assert.Throws<RollbackException>(() => Rollback(severity, approvers));

        Assert.Equal(RollbackErrorId.ApprovalRequired, ex.ErrorId);
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_root));
        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback }).Single();
        Assert.Equal(HistoryStatus.Refused, entry.Status);
        Assert.Equal(RollbackErrorId.ApprovalRequired, entry.ErrorId);
        Assert.Equal(SeverityRule.LabelOf(severity), entry.Severity);
    }

    [Theory]
    [InlineData(RollbackSeverity.Sev0, new[] { "alice", "bob" })]
    [InlineData(RollbackSeverity.Sev1, new[] { "alice" })]
    [InlineData(RollbackSeverity.Sev2, new[] { "tester" })]
    [InlineData(RollbackSeverity.Sev4, new[] { "oncall" })]
    public void EnoughApproversProceed(RollbackSeverity severity, string[] approvers)
    {
        var result = Rollback(severity, approvers);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(SeverityRule.LabelOf(severity), result.Severity);
        Assert.Equal(SeverityRule.LabelOf(severity), _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback }).Single().Severity);
    }

    [Fact]
    public void AnAutomaticTriggerLetsTheOnCallProceedAloneAndIsJournaled()
    {
        var result = _sandbox.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "api",
            PointId = _point.Id,
            Reason = "error rate 23% for 4 minutes",
            Severity = RollbackSeverity.Sev1,
            AutomaticTrigger = DecisionTrigger.ErrorRateAbove,
        });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("ErrorRateAbove", result.Trigger);
        var entry = _sandbox.Engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback }).Single();
        Assert.Equal("ErrorRateAbove", entry.Trigger);
        Assert.True(_sandbox.Engine.History.Verify().IsValid);
    }

    [Fact]
    public void WithoutSeverityNoApprovalIsRequired()
    {
        var result = _sandbox.Engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "drill" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Null(result.Severity);
    }

    [Fact]
    public void ThePolicyFileCanRaiseTheApprovalsRequired()
    {
        var policy = _sandbox.PathOf("policy.json");
        File.WriteAllText(policy, "{ \"severities\": { \"SEV-1\": { \"requiredApprovals\": 2 }, \"SEV-2\": { \"requiredApprovals\": 2 } } }");

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "api",
            PointId = _point.Id,
            Reason = "r",
            Severity = RollbackSeverity.Sev2,
            ApprovedBy = new[] { "oncall" },
            PolicyPath = policy,
        }));

        Assert.Equal(RollbackErrorId.ApprovalRequired, ex.ErrorId);
        Assert.Contains("needs 2 approval", ex.Message, StringComparison.Ordinal);
    }

    private RollbackResult Rollback(RollbackSeverity severity, string[] approvers) =>
        _sandbox.Engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "r", Severity = severity, ApprovedBy = approvers });
}
