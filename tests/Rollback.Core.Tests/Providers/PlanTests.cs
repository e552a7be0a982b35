using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// Plans over real FileSystemRelease and ConfigurationFile targets in a temp folder: three "servers" each with a release
/// root (good v2.3.1, bad v2.4.0) and their configuration file, one plan over them in two stages.
/// </summary>
public sealed class PlanTests : IDisposable
{
    private const string GoodJson = "{ \"Database\": { \"Pool\": 20 } }\n";
    private const string BadJson = "{ \"Database\": { \"Pool\": 0 } }\n";
    private const string BrokenJson = "{ \"Database\": { \"Pool\": ";
    private readonly Sandbox _sandbox = new();
    private readonly string[] _servers = { "web1", "web2", "web3" };
    private readonly string _config;

    public PlanTests()
    {
        foreach (var server in _servers)
        {
            _sandbox.Register(server, "FileSystemRelease", ("Root", _sandbox.CreateReleaseRoot(server, "v2.3.1", "v2.3.1", "v2.4.0")));
        }

        _config = _sandbox.PathOf("etc", "appsettings.json");
        Sandbox.WriteFile(_config, GoodJson);
        _sandbox.Register("config", "ConfigurationFile", ("Path", _config));
    }

    public void Dispose() => _sandbox.Dispose();

    private RollbackEngine Engine => _sandbox.Engine;

    [Fact]
    public void CapturingAPlanRecordsOnePlanPointNamingEachMembersPoint()
    {
        RegisterPlan("release", "web1, web2, web3", "config");

        var point = Engine.Points.Create("release", "before 2.4.0");

        Assert.Equal("Plan", point.Kind);
        var members = PlanOperations.MemberPoints(point);
        Assert.Equal(new[] { "config", "web1", "web2", "web3" }, members.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (member, id) in members)
        {
            var memberPoint = Engine.Points.Get(member, id);
            Assert.Equal("before 2.4.0", memberPoint.Note);
        }

        Assert.StartsWith("v2.3.1", point.Version, StringComparison.Ordinal);
        var captures = Engine.History.Get(new HistoryFilter { Action = HistoryAction.Capture });
        var planEntry = captures.Single(e => e.Target == "release");
        Assert.NotNull(planEntry.PlanRunId);
        Assert.Equal(4, captures.Count(e => e.Target != "release" && e.PlanRunId == planEntry.PlanRunId));
    }

    [Fact]
    public void APlanRollsEveryMemberBackStageByStageWithOneRunIdAndASafetyPointThatUndoesIt()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();

        var result = Rollback("release", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("Plan", result.Kind);
        Assert.All(_servers, s => Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Equal(GoodJson, File.ReadAllText(_config));
        Assert.Equal(new[] { "web1", "web2", "web3", "config" }, result.Members.Select(m => m.Target));
        Assert.Equal(new[] { 1, 1, 1, 2 }, result.Members.Select(m => m.Stage));
        Assert.All(result.Members, m => Assert.Equal(PlanMemberStatus.Succeeded, m.Status));
        Assert.All(result.Members.Take(3), m => Assert.Equal(("v2.4.0", "v2.3.1"), (m.FromVersion, m.ToVersion)));
        Assert.All(result.Members, m => Assert.NotNull(m.SafetyPointId));
        var config = result.Members[3];
        Assert.True(result.Members.Take(3).All(m => m.StartedAt + m.Duration <= config.StartedAt), "stage 2 starts after every member of stage 1 ended");
        Assert.Equal(new[] { "Stage 1", "Stage 2" }, result.Steps.Select(s => s.Name));

        // One run id on every journal entry of the run: the plan's, and each member's intent and outcome.
        Assert.NotNull(result.PlanRunId);
        var run = Engine.History.Get(new HistoryFilter { PlanRunId = result.PlanRunId });
        Assert.Equal(new[] { "config", "release", "web1", "web2", "web3" }, run.Where(e => e.Action == HistoryAction.Rollback).Select(e => e.Target).OrderBy(t => t, StringComparer.Ordinal));
        Assert.Contains(run, e => e.Action == HistoryAction.Intent && e.Target == "web2" && e.PlanStage == 1);
        Assert.Equal(result.JournalSequence, run.Single(e => e.Target == "release").Sequence);
        Assert.True(Engine.History.Verify().IsValid);

        // The plan's safety point names each member's: one command undoes the whole run.
        var safety = Engine.Points.Get("release", result.SafetyPointId!);
        Assert.True(safety.IsSafetyPoint);
        var undo = Rollback("release", safety.Id);
        Assert.True(undo.Status == RollbackStatus.Succeeded, undo.Message);
        Assert.All(_servers, s => Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Equal(BadJson, File.ReadAllText(_config));
    }

    [Fact]
    public void APlanAlreadyAtItsPointChangesNothing()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);

        var result = Rollback("release", point.Id);

        Assert.Equal(RollbackStatus.AlreadyCurrent, result.Status);
        Assert.All(result.Members, m => Assert.Equal(PlanMemberStatus.AlreadyCurrent, m.Status));
        Assert.DoesNotContain(Engine.History.Get(new HistoryFilter { PlanRunId = result.PlanRunId }), e => e.Target != "release");
    }

    [Fact]
    public void ReadinessOfAPlanIsEveryMembersChecksAndItsOwnAndNothingChangesWhenOneMemberIsNotReady()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();
        var ready = Engine.Readiness.Test("release", point.Id);
        Assert.True(ready.IsReady);
        Assert.Equal(4, ready.Members.Count);
        Assert.Contains(ready.Checks, c => c.Name == "web2: ArtifactsIntact" && c.Status == CheckStatus.Pass);
        Assert.Contains(ready.Checks, c => c.Name == "PlanPointComplete" && c.Status == CheckStatus.Pass);

        // web2's good release is damaged after the capture: the plan is not ready, and no member changes.
        File.AppendAllText(_sandbox.PathOf("web2", "releases", "v2.3.1", "app.dll"), "tampered");
        var report = Engine.Readiness.Test("release", point.Id);
        Assert.False(report.IsReady);
        Assert.Contains(report.Failures, c => c.Name == "web2: ArtifactsIntact");

        var ex = Assert.Throws<RollbackException>(() => Rollback("release", point.Id));

        Assert.Equal(RollbackErrorId.RollbackNotReady, ex.ErrorId);
        Assert.Contains("web2", ex.Message, StringComparison.Ordinal);
        Assert.All(_servers, s => Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Equal(BadJson, File.ReadAllText(_config));
        var entries = Engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback });
        Assert.Equal("Refused", entries.Single().Status);
        Assert.Equal("release", entries.Single().Target);
    }

    [Fact]
    public void AFailedStageStopsThePlanAndSaysWhichStagesWereRolledBackAndHowToUndoThem()
    {
        _sandbox.Register("web-extra", "FileSystemRelease", ("Root", _sandbox.CreateReleaseRoot("web-extra", "v2.3.1", "v2.3.1", "v2.4.0")));
        RegisterPlan("release", "web1, web2, web3", "config", "web-extra");
        var point = CaptureWithBrokenConfigPoint(more: new[] { "web-extra" });

        var result = Rollback("release", point.Id);

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.PlanStageFailed, result.ErrorId);
        Assert.All(_servers, s => Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Equal(GoodJson + "// edited\n", File.ReadAllText(_config));
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf("web-extra")));
        var config = result.Members.Single(m => m.Target == "config");
        Assert.Equal(PlanMemberStatus.Failed, config.Status);
        Assert.Equal(RollbackErrorId.ConfigurationInvalid, config.ErrorId);
        Assert.Equal(PlanMemberStatus.NotRun, result.Members.Single(m => m.Target == "web-extra").Status);
        Assert.Contains("Stage 2 of 3", result.Message, StringComparison.Ordinal);
        Assert.Contains("stage 1 (web1, web2, web3)", result.Message, StringComparison.Ordinal);
        foreach (var server in result.Members.Where(m => m.Stage == 1))
        {
            Assert.Equal($"Invoke-Rollback -Target {server.Target} -PointId {server.SafetyPointId} -Reason 'Undo plan run {result.PlanRunId}'", server.UndoCommand);
            Assert.Contains(server.UndoCommand!, result.Message, StringComparison.Ordinal);
        }

        Assert.Equal(StepStatus.Failed, result.Steps[result.Steps.Count - 1].Status);
        Assert.Null(result.SafetyPointId);
        Assert.Equal("Failed", Engine.History.Get(new HistoryFilter { Target = "release", Action = HistoryAction.Rollback }).Single().Status);
    }

    [Fact]
    public void UndoReturnsTheCompletedStagesToTheirSafetyPoints()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = CaptureWithBrokenConfigPoint();

        var result = Engine.Rollbacks.Run(new RollbackRequest { Target = "release", PointId = point.Id, Reason = "test", OnFailure = PlanFailureAction.Undo });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.All(_servers, s => Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.All(result.Members.Where(m => m.Stage == 1), m => Assert.Equal(RollbackStatus.Succeeded, m.Undo!.Status));
        Assert.All(result.Members.Where(m => m.Stage == 1), m => Assert.Equal(m.SafetyPointId, m.Undo!.PointId));
        // The configuration failed before it wrote anything: its undo finds it at its safety point already.
        Assert.Equal(RollbackStatus.AlreadyCurrent, result.Members.Single(m => m.Target == "config").Undo!.Status);
        Assert.Equal(GoodJson + "// edited\n", File.ReadAllText(_config));
        Assert.Equal(new[] { "Stage 1", "Stage 2", "Undo stage 2", "Undo stage 1" }, result.Steps.Select(s => s.Name));
        Assert.Contains("Undone, back at their safety points: web1, web2, web3, config.", result.Message, StringComparison.Ordinal);
        var undos = Engine.History.Get(new HistoryFilter { PlanRunId = result.PlanRunId }).Where(e => e.Action == HistoryAction.Rollback && e.Reason!.StartsWith("Undo", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, undos.Count);
    }

    [Fact]
    public void AFleetStageRunsEveryMemberDespiteAFailureAndMaxFailedPercentDecidesTheStage()
    {
        var fleet = Enumerable.Range(1, 9).Select(i => $"node{i}").ToList();
        foreach (var node in fleet)
        {
            _sandbox.Register(node, "FileSystemRelease", ("Root", _sandbox.CreateReleaseRoot(node, "v2.3.1", "v2.3.1", "v2.4.0")));
        }

        var stage = string.Join(", ", fleet.Take(4).Append("config").Concat(fleet.Skip(4)));
        RegisterPlan("fleet", stage);
        RegisterPlan("tolerant", new[] { stage }, ("MaxFailedPercent", "10"));
        File.WriteAllText(_config, BrokenJson);
        var tolerantPoint = Engine.Points.Create("tolerant", null);
        var strictPoint = CaptureWithBrokenConfigPoint("fleet", fleet);

        var strict = Engine.Rollbacks.Run(new RollbackRequest { Target = "fleet", PointId = strictPoint.Id, Reason = "test", ThrottleLimit = 3 });

        Assert.Equal(RollbackStatus.Failed, strict.Status);
        Assert.Equal(9, strict.Members.Count(m => m.Status == PlanMemberStatus.Succeeded));
        Assert.All(fleet, n => Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_sandbox.PathOf(n))));

        DeployBad(fleet);
        File.WriteAllText(_config, GoodJson);
        var tolerant = Engine.Rollbacks.Run(new RollbackRequest { Target = "tolerant", PointId = tolerantPoint.Id, Reason = "test", ThrottleLimit = 3 });

        Assert.Equal(RollbackStatus.Succeeded, tolerant.Status);
        Assert.Contains("1 member(s) failed within MaxFailedPercent 10", tolerant.Message, StringComparison.Ordinal);
        Assert.Equal(PlanMemberStatus.Failed, tolerant.Members.Single(m => m.Target == "config").Status);
    }

    [Fact]
    public void MembersReportProgressAsChildrenOfThePlanOnTheCallingThread()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();
        var reporter = new RecordingReporter();
        var thread = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        reporter.OnProgress = _ => threads.Add(Environment.CurrentManagedThreadId);
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, user: "tester");

        engine.Rollbacks.Run(new RollbackRequest { Target = "release", PointId = point.Id, Reason = "test", ThrottleLimit = 3 });

        Assert.Equal(new[] { thread }, threads);
        Assert.Contains(reporter.Progress, p => p.ActivityId == ProgressActivity.Plan && p.Status.StartsWith("Stage 2 of 2: config", StringComparison.Ordinal));
        var members = reporter.Progress.Where(p => p.ParentActivityId == ProgressActivity.Plan && p.Activity.StartsWith("Stage", StringComparison.Ordinal)).ToList();
        Assert.Contains(reporter.Progress, p => p.ParentActivityId == ProgressActivity.Plan && p.Activity == "Checking web3");
        Assert.Equal(4, members.Where(p => p.Completed).Select(p => p.Activity).Distinct().Count());
        Assert.Contains(members, p => p.Activity == "Stage 1: web2" && p.Status.StartsWith("Rollback of web2", StringComparison.Ordinal));
        Assert.True(reporter.Progress.FindLast(p => p.ActivityId == ProgressActivity.Plan)!.Completed);
    }

    [Fact]
    public void CtrlCBetweenStagesStopsCleanlyAndReportsWhatWasDone()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();
        using var cancellation = new CancellationTokenSource();
        var reporter = new RecordingReporter { OnProgress = p => { if (p.Status.StartsWith("Stage 2", StringComparison.Ordinal)) { cancellation.Cancel(); } } };
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, user: "tester");

        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "release", PointId = point.Id, Reason = "test", Cancellation = cancellation.Token });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        Assert.Equal(PlanMemberStatus.NotRun, result.Members.Single(m => m.Target == "config").Status);
        Assert.Equal(BadJson, File.ReadAllText(_config));
        Assert.All(_servers, s => Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Contains("stopped (Ctrl+C) in stage 2", result.Message, StringComparison.Ordinal);
        Assert.Contains("Rolled back and left so: stage 1 (web1, web2, web3)", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIfListsThePlanStageByStageAndChangesNothing()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();
        var journal = Engine.History.Get(new HistoryFilter()).Count;

        var plan = Engine.Rollbacks.Plan("release", point.Id, "test", Array.Empty<string>());

        Assert.Equal(RollbackStatus.WhatIf, plan.Status);
        Assert.Equal(new[] { "Stage 1", "Stage 2" }, plan.Steps.Select(s => s.Name));
        Assert.Contains("web1 (v2.4.0 -> v2.3.1)", plan.Steps[0].Message, StringComparison.Ordinal);
        Assert.All(plan.Members, m => Assert.Equal(PlanMemberStatus.WhatIf, m.Status));
        Assert.Contains(plan.Members[0].Result!.Steps, s => s.Name == "SwitchCurrent");
        Assert.All(_servers, s => Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Equal(journal, Engine.History.Get(new HistoryFilter()).Count);
    }

    [Theory]
    [InlineData("web1, nosuch", RollbackErrorId.PlanMemberNotFound)]
    [InlineData("web1, web2|web2", RollbackErrorId.PlanMemberInTwoStages)]
    [InlineData("web1, web1", RollbackErrorId.PlanMemberInTwoStages)]
    [InlineData("web1| , ", RollbackErrorId.PlanStageEmpty)]
    [InlineData("web1, bad", RollbackErrorId.PlanCycle)]
    public void BadPlansAreRefusedWhenRegistered(string stages, string errorId)
    {
        if (errorId == RollbackErrorId.PlanCycle)
        {
            // 'bad' is a plan of web2; made to contain 'bad-outer', which contains 'bad': a cycle of two plans.
            RegisterPlan("bad", "web2");
            RegisterPlan("bad-outer", "bad");
            var cycle = Assert.Throws<RollbackException>(() =>
                Engine.Targets.Register("bad", "Plan", new SettingsDictionary(new[] { new KeyValuePair<string, object?>("Stages", "bad-outer") }), replace: true));
            Assert.Equal(RollbackErrorId.PlanCycle, cycle.ErrorId);
            Assert.Contains("bad -> bad-outer -> bad", cycle.Message, StringComparison.Ordinal);
            Assert.Equal("web2", Engine.Targets.Get("bad").Settings.GetList("Stages").Single());
            return;
        }

        var ex = Assert.Throws<RollbackException>(() => RegisterPlan("plan", stages.Split('|')));

        Assert.Equal(errorId, ex.ErrorId);
        Assert.Throws<RollbackException>(() => Engine.Targets.Get("plan"));
    }

    [Fact]
    public void AThrottleOfZeroIsRefusedBeforeAnythingChanges()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();

        var ex = Assert.Throws<RollbackException>(() => Engine.Rollbacks.Run(new RollbackRequest { Target = "release", PointId = point.Id, Reason = "test", ThrottleLimit = 0 }));

        Assert.Equal(RollbackErrorId.InvalidThrottleLimit, ex.ErrorId);
        Assert.All(_servers, s => Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        var setting = Assert.Throws<RollbackException>(() => RegisterPlan("zero", new[] { "web1" }, ("ThrottleLimit", "0")));
        Assert.Equal(RollbackErrorId.InvalidSetting, setting.ErrorId);
    }

    [Fact]
    public void AMemberRemovedFromTheRegistryLaterMakesThePlanNotReady()
    {
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        Engine.Targets.Unregister("web3", removePoints: false);

        var report = Engine.Readiness.Test("release", point.Id);

        Assert.Contains(report.Failures, c => c.Name == "PlanMembers" && c.ErrorId == RollbackErrorId.PlanMemberNotFound);
    }

    [SkippableFact]
    public void AMemberHeldByAnotherChangeRefusesTheWholePlan()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        RegisterPlan("release", "web1, web2, web3", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();
        using (FileLock.TryAcquire(_sandbox.Store.LockPath("target-web3")))
        {
            var ex = Assert.Throws<RollbackException>(() => Rollback("release", point.Id));
            Assert.Equal(RollbackErrorId.RollbackInProgress, ex.ErrorId);
            Assert.Contains("web3", ex.Message, StringComparison.Ordinal);
        }

        Assert.All(_servers, s => Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
    }

    [Fact]
    public async Task OfTwoPlanRunsOnOverlappingMembersExactlyOneRuns()
    {
        // The shared configuration's reload waits for a file the test writes once the other run has answered.
        var go = _sandbox.PathOf("go");
        _sandbox.Engine.Targets.Register("config", "ConfigurationFile", new SettingsDictionary(new[]
        {
            new KeyValuePair<string, object?>("Path", _config),
            new KeyValuePair<string, object?>("ReloadCommand", $"sh -c 'while [ ! -e {go} ]; do sleep 0.05; done'"),
        }), replace: true);
        RegisterPlan("east", "web1", "config");
        RegisterPlan("west", "web3", "config");
        var east = Engine.Points.Create("east", null);
        var west = Engine.Points.Create("west", null);
        DeployBad();

        var runs = new[] { ("east", east.Id), ("west", west.Id) }.Select(p => Task.Run(() =>
        {
            try
            {
                return (object)_sandbox.NewEngine().Rollbacks.Run(new RollbackRequest { Target = p.Item1, PointId = p.Item2, Reason = "test" });
            }
            catch (RollbackException ex)
            {
                return ex;
            }
        })).ToArray();
        var first = await await Task.WhenAny(runs);
        await File.WriteAllTextAsync(go, string.Empty);
        var outcomes = await Task.WhenAll(runs);

        var refused = Assert.IsType<RollbackException>(first);
        Assert.Equal(RollbackErrorId.RollbackInProgress, refused.ErrorId);
        var ran = outcomes.OfType<RollbackResult>().Single();
        Assert.Equal(RollbackStatus.Succeeded, ran.Status);
        var untouched = ran.Target == "east" ? "web3" : "web1";
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(_sandbox.PathOf(untouched)));
    }

    [Fact]
    public void APlanMayHoldAPlanAsAMember()
    {
        RegisterPlan("servers", "web1, web2, web3");
        RegisterPlan("release", "servers", "config");
        var point = Engine.Points.Create("release", null);
        DeployBad();

        var result = Rollback("release", point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var servers = result.Members.Single(m => m.Target == "servers");
        Assert.Equal("Plan", servers.Kind);
        Assert.Equal(3, servers.Result!.Members.Count);
        Assert.Equal(result.PlanRunId, servers.Result.PlanRunId);
        Assert.All(_servers, s => Assert.Equal("v2.3.1", Sandbox.CurrentRelease(_sandbox.PathOf(s))));
        Assert.Equal(GoodJson, File.ReadAllText(_config));
    }

    private void RegisterPlan(string name, params string[] stages) => RegisterPlan(name, stages, Array.Empty<(string, object)>());

    private void RegisterPlan(string name, string[] stages, params (string Key, object Value)[] more) =>
        _sandbox.Register(name, "Plan", more.Prepend(("Stages", (object)stages)).ToArray());

    private RollbackResult Rollback(string target, string pointId) => _sandbox.Rollback(target, pointId);

    /// <summary>Deploys the bad version: v2.4.0 on each server, a truncated configuration.</summary>
    private void DeployBad(IEnumerable<string>? more = null)
    {
        foreach (var server in _servers.Concat(more ?? Array.Empty<string>()).Where(s => Directory.Exists(_sandbox.PathOf(s))))
        {
            Sandbox.Deploy(_sandbox.PathOf(server), "v2.4.0");
        }

        File.WriteAllText(_config, BadJson);
    }

    /// <summary>A plan point whose configuration was captured half-edited (not JSON): its stage fails when restored, not when checked.</summary>
    private RollbackPoint CaptureWithBrokenConfigPoint(string plan = "release", IEnumerable<string>? more = null)
    {
        File.WriteAllText(_config, BrokenJson);
        var point = Engine.Points.Create(plan, null);
        foreach (var server in _servers.Concat(more ?? Array.Empty<string>()).Where(s => Directory.Exists(_sandbox.PathOf(s))))
        {
            Sandbox.Deploy(_sandbox.PathOf(server), "v2.4.0");
        }

        File.WriteAllText(_config, GoodJson + "// edited\n");
        return point;
    }
}
