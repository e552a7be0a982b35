using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.ElasticLoadBalancing;
using Rollback.Store;
using Rollback.Testing;
using Xunit;
using static Rollback.Tests.Aws.AwsKindTesting;

namespace Rollback.Tests.Aws;

/// <summary>
/// The LoadBalancerListener kind end to end through the engine, against moto's ELBv2 behind the endpoint that checks
/// every request's SigV4 signature with botocore; after each rollback (or refusal) the AWS CLI v2 reads the listener
/// through the same endpoint. moto's target health follows the EC2 instance state only (an ip target is healthy once
/// registered, an instance target "unused" once its instance stops), so a stopped instance is how a group turns
/// unhealthy here; access denied and throttling are scripted by the endpoint.
/// </summary>
public sealed class LoadBalancerListenerTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly MotoFixture _aws;
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly MotoService<MotoElb> _service;

    public LoadBalancerListenerTests(MotoFixture aws)
    {
        _aws = aws;
        _service = new MotoService<MotoElb>(aws, "elasticloadbalancing", url => new MotoElb(url));

        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new LoadBalancerListenerProvider() }), _reporter, null, "tester");
    }

    private AwsTestEndpoint Endpoint => _service.Endpoint;

    private MotoElb Elb => _service.Arrange;

    public void Dispose()
    {
        _service.Dispose();
        _folder.Dispose();
    }

    [SkippableFact]
    public void BlueGreenAllAtOnceForwardsBackToBlueAsTheCliReadsIt()
    {
        var (listener, blue, green) = Deployed();
        var point = _engine.Points.Create("alb", "blue live");
        Assert.StartsWith("blue-", point.Version, StringComparison.Ordinal);
        Elb.SetListener(listener, (blue, 0), (green, 100));

        var readiness = _engine.Readiness.Test("alb", point.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        Assert.Contains(readiness.Checks, c => c.Name == "TargetsHealthy" && c.Status == CheckStatus.Pass && c.Message.Contains("2 of 2", StringComparison.Ordinal));
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "errors on green", Options = Options(("Steps", "100")) });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.StartsWith("green-", result.FromVersion, StringComparison.Ordinal);
        Assert.Contains(result.Steps, s => s.Name == "Shift100.ModifyListener" && s.Status == StepStatus.Succeeded);
        Assert.Matches("^blue-[0-9a-f]+=0, green-[0-9a-f]+=100$", result.Details[LoadBalancerListenerProvider.PreviousWeightsDetail]);
        Assert.Equal(new[] { 100, 0 }, CliWeights(listener, blue, green));
        Assert.Equal(1, Endpoint.Count("ModifyListener"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void GradualStepsMoveHalfTheTrafficThenAllOfIt()
    {
        var (listener, blue, green) = Deployed();
        var point = _engine.Points.Create("alb", null);
        Elb.SetListener(listener, (blue, 0), (green, 100));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "gradual", Options = Options(("Steps", "50,100"), ("StepWait", "00:00:01")) });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(new[] { "Shift50", "Wait50", "Verify50", "Shift100" }, result.Steps.Select(s => s.Name).Where(n => n is "Shift50" or "Wait50" or "Verify50" or "Shift100"));
        Assert.Equal(2, Endpoint.Count("ModifyListener"));
        var modifies = Endpoint.Traffic.Where(t => t.StartsWith("Action=ModifyListener", StringComparison.Ordinal)).ToList();
        Assert.Contains("TargetGroups.member.1.Weight=50", modifies[0], StringComparison.Ordinal);
        Assert.Contains("TargetGroups.member.2.Weight=50", modifies[0], StringComparison.Ordinal);
        Assert.Equal(new[] { 100, 0 }, CliWeights(listener, blue, green));
        Assert.Equal(2, _engine.History.Get(new HistoryFilter { Target = "alb" }).Count(e => e.Action == HistoryAction.TrafficStep && e.Status == HistoryStatus.Succeeded));
    }

    [SkippableFact]
    public void ATargetGroupGoingUnhealthyBetweenStepsStopsTheShiftAtHalf()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var lb = Elb.CreateLoadBalancer(MotoElb.Unique("lb"));
        var (blue, instance) = Elb.CreateInstanceTargetGroup(MotoElb.Unique("blue"));
        var green = Elb.CreateTargetGroup(MotoElb.Unique("green"), "10.0.2.20");
        var listener = Elb.CreateListener(lb, 80, (blue, 100), (green, 0));
        Register(("ListenerArn", listener));
        var point = _engine.Points.Create("alb", null);
        Elb.SetListener(listener, (blue, 0), (green, 100));
        // While traffic is held at 50 %, blue's only instance stops.
        _reporter.OnProgress = update =>
        {
            if (update.Status?.StartsWith("Holding traffic at 50", StringComparison.Ordinal) == true)
            {
                Elb.StopInstance(instance);
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "gradual", Options = Options(("Steps", "50,100"), ("StepWait", "00:00:01")) });

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.TrafficShiftStopped, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "Verify50" && s.Status == StepStatus.Failed && s.Message!.Contains("none of its 1 target(s) is healthy", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Steps, s => s.Name == "Shift100");
        Assert.Equal(new[] { 50, 50 }, CliWeights(listener, blue, green));
        Assert.Equal(1, Endpoint.Count("ModifyListener"));
    }

    [SkippableFact]
    public void ARuleIsMovedWithModifyRule()
    {
        var (listener, blue, green) = Deployed();
        _engine.Targets.Unregister("alb", removePoints: true);
        var rule = Elb.CreateRule(listener, 10, "/api/*", (blue, 100), (green, 0));
        Register(("RuleArn", rule));
        var point = _engine.Points.Create("alb", null);
        Elb.SetRule(rule, (blue, 20), (green, 80));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "rule", Options = Options(("Steps", "100")) });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Contains(result.Steps, s => s.Name == "Shift100.ModifyRule");
        var cli = Cli("elbv2", "describe-rules", "--rule-arns", rule);
        var groups = cli["Rules"]![0]!["Actions"]![0]!["ForwardConfig"]!["TargetGroups"]!.AsArray();
        Assert.Equal(new[] { 100, 0 }, new[] { blue, green }.Select(g => groups.Single(t => t!["TargetGroupArn"]!.GetValue<string>() == g)!["Weight"]!.GetValue<int>()));
        Assert.Equal(0, Endpoint.Count("ModifyListener"));
    }

    [SkippableFact]
    public void ADeletedTargetGroupFailsReadinessAndTheListenerStaysAsItWas()
    {
        var (listener, blue, green) = Deployed();
        var point = _engine.Points.Create("alb", null);
        Elb.SetListener(listener, (green, 1));
        Elb.DeleteTargetGroup(blue);

        var readiness = _engine.Readiness.Test("alb", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "x" }));

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.LoadBalancerTargetGroupMissing, failed.ErrorId);
        Assert.Contains("no longer exists", failed.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(AwsErrorId.LoadBalancerTargetGroupMissing, refused.Message, StringComparison.Ordinal);
        AssertUnchanged(listener, green);
    }

    [SkippableFact]
    public void UnhealthyTargetsFailReadinessAndNothingIsChanged()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var lb = Elb.CreateLoadBalancer(MotoElb.Unique("lb"));
        var (blue, instance) = Elb.CreateInstanceTargetGroup(MotoElb.Unique("blue"));
        var green = Elb.CreateTargetGroup(MotoElb.Unique("green"), "10.0.2.20");
        var listener = Elb.CreateListener(lb, 80, (blue, 100), (green, 0));
        Register(("ListenerArn", listener));
        var point = _engine.Points.Create("alb", null);
        Elb.SetListener(listener, (blue, 0), (green, 100));
        Elb.StopInstance(instance);

        var readiness = _engine.Readiness.Test("alb", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "x" }));

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.LoadBalancerTargetsUnhealthy, failed.ErrorId);
        Assert.Contains("Target.InvalidState", failed.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Equal(new[] { 0, 100 }, CliWeights(listener, blue, green));
        Assert.Equal(0, Endpoint.Count("ModifyListener"));
    }

    [SkippableFact]
    public void AnUnknownListenerIsAwsResourceNotFoundAndNoPointIsKept()
    {
        var (listener, _, _) = Deployed();
        Elb.DeleteListener(listener);

        var error = Assert.Throws<RollbackException>(() => _engine.Points.Create("alb", null));

        Assert.Equal(AwsErrorId.AwsResourceNotFound, error.ErrorId);
        Assert.Contains("ListenerNotFound", error.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Points.GetAll("alb"));
    }

    [SkippableFact]
    public void AListenerThatDoesMoreThanForwardIsRefusedAtCapture()
    {
        var (listener, _, _) = Deployed();
        Elb.SetFixedResponse(listener);

        var error = Assert.Throws<RollbackException>(() => _engine.Points.Create("alb", null));

        Assert.Equal(AwsErrorId.LoadBalancerActionUnsupported, error.ErrorId);
        Assert.Contains("fixed-response", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AccessDeniedOnModifyListenerChangesNothing()
    {
        var (listener, blue, green) = Deployed();
        var point = _engine.Points.Create("alb", null);
        Elb.SetListener(listener, (blue, 0), (green, 100));
        Endpoint.Enqueue(new ScriptedAnswer(403, QueryError("AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: elasticloadbalancing:ModifyListener"), "ModifyListener"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "alb", PointId = point.Id, Reason = "x", Options = Options(("Steps", "100")) });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsAccessDenied, result.ErrorId);
        Assert.Contains("elasticloadbalancing:ModifyListener", result.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { 0, 100 }, CliWeights(listener, blue, green));
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsFailsReadinessWithAwsThrottled()
    {
        var (listener, blue, green) = Deployed(("MaxAttempts", "2"));
        var point = _engine.Points.Create("alb", null);
        Elb.SetListener(listener, (blue, 0), (green, 100));
        for (var i = 0; i < 2; i++)
        {
            Endpoint.Enqueue(new ScriptedAnswer(400, QueryError("Throttling", "Rate exceeded"), "DescribeTargetHealth"));
        }

        var readiness = _engine.Readiness.Test("alb", point.Id);

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.AwsThrottled, failed.ErrorId);
        Assert.Contains("after 2 attempts", failed.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { 0, 100 }, CliWeights(listener, blue, green));
    }

    [Fact]
    public void AStepMixesTheSharesBeforeAndAtThePoint()
    {
        var to = new Forwarding { TargetGroups = { Forwarding.Group.Of("arn:tg/targetgroup/blue/1", 1), Forwarding.Group.Of("arn:tg/targetgroup/green/2", 0) } };
        var from = new Forwarding { TargetGroups = { Forwarding.Group.Of("arn:tg/targetgroup/green/2", 300), Forwarding.Group.Of("arn:tg/targetgroup/canary/3", 100) } };

        var quarter = to.MixedWith(from, 25);

        Assert.Equal("blue=25, green=56, canary=19", quarter.WeightsText);
        Assert.Equal("blue", to.Label);
        Assert.Equal("blue 25 % + green 56 % + canary 19 %", quarter.Label);
        Assert.Equal(new Forwarding { TargetGroups = { Forwarding.Group.Of("arn:tg/targetgroup/blue/1", 100) } }.Fingerprint, to.Fingerprint);
    }

    [Fact]
    public void SettingsNeedEitherAListenerOrARule()
    {
        var provider = new LoadBalancerListenerProvider();
        const string listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/0123/4567";
        var neither = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("Region", "us-east-1") })));
        var both = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("ListenerArn", listener), Pair("RuleArn", listener.Replace("listener/", "listener-rule/", StringComparison.Ordinal) + "/89") })));
        var notAListener = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("ListenerArn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1") })));
        var steps = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("ListenerArn", listener), Pair("Steps", "50") })));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, neither.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, both.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, notAListener.ErrorId);
        Assert.Equal(RollbackErrorId.TrafficStepsInvalid, steps.ErrorId);
        Assert.Equal(listener, provider.ValidateSettings(new SettingsDictionary(new[] { Pair("ListenerArn", " " + listener + " ") })).GetString("ListenerArn"));
    }

    private static string QueryError(string code, string message) =>
        $"<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>test-request</RequestId></ErrorResponse>";

    /// <summary>A load balancer whose listener forwards all traffic to blue (two healthy targets), none to green; registered as target "alb".</summary>
    private (string Listener, string Blue, string Green) Deployed(params (string Key, string Value)[] extra)
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var lb = Elb.CreateLoadBalancer(MotoElb.Unique("lb"));
        var blue = Elb.CreateTargetGroup(MotoElb.Unique("blue"), "10.0.1.10", "10.0.1.11");
        var green = Elb.CreateTargetGroup(MotoElb.Unique("green"), "10.0.2.20");
        var listener = Elb.CreateListener(lb, 80, (blue, 100), (green, 0));
        Register(new[] { ("ListenerArn", listener) }.Concat(extra).ToArray());
        return (listener, blue, green);
    }

    private void Register(params (string Key, string Value)[] settings)
    {
        var all = new List<KeyValuePair<string, object?>> { Pair("Region", AwsTestEndpoint.Region), Pair("EndpointUrl", Endpoint.Url.ToString()) };
        all.AddRange(settings.Select(e => Pair(e.Key, e.Value)));
        _engine.Targets.Register("alb", LoadBalancerListenerProvider.KindName, new SettingsDictionary(all), replace: false);
    }

    private JsonObject Cli(params string[] arguments) => AwsKindTesting.Cli(Endpoint, arguments);

    /// <summary>The listener's forward weights of the given groups as the AWS CLI v2 reads them (0 for a group it does not forward to).</summary>
    private int[] CliWeights(string listener, params string[] groups)
    {
        var forward = Cli("elbv2", "describe-listeners", "--listener-arns", listener)["Listeners"]![0]!["DefaultActions"]![0]!["ForwardConfig"]!["TargetGroups"]!.AsArray();
        return groups.Select(g => forward.FirstOrDefault(t => t!["TargetGroupArn"]!.GetValue<string>() == g)?["Weight"]?.GetValue<int>() ?? 0).ToArray();
    }

    private void AssertUnchanged(string listener, string group)
    {
        Assert.Equal(new[] { 1 }, CliWeights(listener, group));
        Assert.Equal(0, Endpoint.Count("ModifyListener"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }
}
