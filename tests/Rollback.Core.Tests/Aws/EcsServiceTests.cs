using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.Ecs;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The EcsService kind's rollback and deployment follow against the loopback ECS endpoint (moto never finishes an ECS
/// deployment): UpdateService to the captured task definition, the deployment followed read by read to COMPLETED or
/// FAILED, a stuck deployment, the circuit-breaker warning, Ctrl+C; the AWS CLI v2 reads the service through the same
/// endpoint after the rollback. Every request's SigV4 signature is verified.
/// </summary>
public sealed class EcsServiceTests : IDisposable
{
    private const string Cluster = "production";
    private const string Service = "checkout";
    private readonly EcsEndpoint _endpoint = new();
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly string _good;
    private readonly string _bad;

    public EcsServiceTests()
    {
        MotoFixture.UseTestCredentials();
        _endpoint.AddCluster(Cluster);
        _good = _endpoint.RegisterTaskDefinition("checkout");
        _bad = _endpoint.RegisterTaskDefinition("checkout");
        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new EcsServiceProvider() }), _reporter, null, "tester");
    }

    public void Dispose()
    {
        _endpoint.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void RollbackUpdatesTheServiceAndFollowsTheDeploymentUntilItIsSteady()
    {
        var point = Incident(breaker: true);
        Assert.Equal("checkout:1", point.Version);
        Assert.Equal(_good, point.Metadata["TaskDefinition"]);
        Assert.Equal("3", point.Metadata["DesiredCount"]);

        var readiness = _engine.Readiness.Test("svc", point.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        Assert.Contains(readiness.Checks, c => c.Name == "CircuitBreakerRollback" && c.Status == CheckStatus.Pass);
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "svc", PointId = point.Id, Reason = "5xx on checkout:2" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("checkout:2", result.FromVersion);
        Assert.Equal("checkout:1", result.ToVersion);
        Assert.Equal("COMPLETED", result.Details[EcsServiceProvider.RolloutStateDetail]);
        Assert.Equal("3", result.Details[EcsServiceProvider.RunningCountDetail]);
        Assert.Equal(_bad, result.Details[EcsServiceProvider.PreviousTaskDefinitionDetail]);
        Assert.StartsWith("ecs-svc/", result.Details[EcsServiceProvider.DeploymentIdDetail], StringComparison.Ordinal);
        Assert.Contains(result.Steps, s => s.Name == "FollowDeployment" && s.Status == StepStatus.Succeeded);
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Deployment && p.Status!.Contains("of 3 running", StringComparison.Ordinal));
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Deployment && p.Completed);
        Assert.Equal(1, _endpoint.Count("UpdateService"));
        Assert.Empty(_endpoint.Rejections);

        var cli = Cli("ecs", "describe-services", "--cluster", Cluster, "--services", Service);
        var described = cli["services"]![0]!;
        Assert.Equal(_good, described["taskDefinition"]!.GetValue<string>());
        var deployment = Assert.Single(described["deployments"]!.AsArray());
        Assert.Equal("COMPLETED", deployment!["rolloutState"]!.GetValue<string>());
        Assert.Equal(3, deployment["runningCount"]!.GetValue<int>());
    }

    [Fact]
    public void AFailedRolloutIsEcsDeploymentFailed()
    {
        var point = Incident(breaker: true);
        _endpoint.FailNextRollout = true;

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "svc", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.EcsDeploymentFailed, result.ErrorId);
        Assert.Contains("circuit breaker: tasks failed to start", result.Message, StringComparison.Ordinal);
        Assert.Contains(result.Steps, s => s.Name == "FollowDeployment" && s.Status == StepStatus.Failed);
        Assert.Equal("FAILED", result.Details[EcsServiceProvider.RolloutStateDetail]);
    }

    [Fact]
    public void AStuckDeploymentFailsReadinessUnlessTheOptionReplacesIt()
    {
        var point = Incident(breaker: true);
        var third = _endpoint.RegisterTaskDefinition("checkout");
        _endpoint.StartStuckDeployment(Cluster, Service, third, TimeSpan.FromHours(2));

        var refused = _engine.Readiness.Test("svc", point.Id);
        var replaced = _engine.Readiness.Test("svc", point.Id, null, Options(("ReplaceStuckDeployment", true)));

        Assert.False(refused.IsReady);
        Assert.Equal(AwsErrorId.EcsDeploymentStuck, Assert.Single(refused.Checks, c => c.Status == CheckStatus.Fail).ErrorId);
        Assert.True(replaced.IsReady, string.Join("; ", replaced.Checks));
        Assert.Contains(replaced.Checks, c => c.Name == "NoDeploymentStuck" && c.Status == CheckStatus.Warn);
        Assert.Equal(0, _endpoint.Count("UpdateService"));
    }

    [Fact]
    public void ACircuitBreakerWithoutRollbackIsAWarning()
    {
        var point = Incident(breaker: false);

        var readiness = _engine.Readiness.Test("svc", point.Id);

        Assert.True(readiness.IsReady);
        var warning = Assert.Single(readiness.Checks, c => c.Name == "CircuitBreakerRollback");
        Assert.Equal(CheckStatus.Warn, warning.Status);
        Assert.Contains("deploymentCircuitBreaker={enable=true,rollback=true}", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CtrlCWhileFollowingStopsCleanlyAndSaysTheDeploymentGoesOn()
    {
        var point = Incident(breaker: true);
        using var cancel = new CancellationTokenSource();
        var reads = 0;
        _reporter.OnProgress = update =>
        {
            if (update.ActivityId == ProgressActivity.Deployment && !update.Completed && ++reads == 1)
            {
                cancel.Cancel();
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "svc", PointId = point.Id, Reason = "x", Cancellation = cancel.Token });

        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        Assert.Contains("ECS has no call that stops a deployment", result.Message, StringComparison.Ordinal);
        Assert.Contains(_reporter.Warnings, w => w.Contains("aws ecs describe-services --cluster production --services checkout", StringComparison.Ordinal));
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Deployment && p.Completed);
        var entries = _engine.History.Get(new HistoryFilter { Target = "svc" });
        var entry = entries[entries.Count - 1];
        Assert.Equal(RollbackErrorId.OperationCancelled, entry.ErrorId);
    }

    [Fact]
    public void RestoreDesiredCountIsAPerCallOption()
    {
        var point = Incident(breaker: true);

        var plan = _engine.Rollbacks.Plan("svc", point.Id, "x", Array.Empty<string>(), Options(("RestoreDesiredCount", true)));

        Assert.Equal(RollbackStatus.WhatIf, plan.Status);
        Assert.Contains(plan.Steps, s => s.Name == "UpdateService" && s.Message.Contains("desired count 3", StringComparison.Ordinal));
        Assert.Equal(0, _endpoint.Count("UpdateService"));
    }

    private static SettingsDictionary Options(params (string Key, object Value)[] pairs) =>
        new(pairs.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));

    /// <summary>The service steady on checkout:1, captured, then deployed to checkout:2 (the bad release).</summary>
    private RollbackPoint Incident(bool breaker)
    {
        _endpoint.AddService(Cluster, Service, _good, 3, circuitBreaker: true, rollback: breaker);
        _engine.Targets.Register("svc", EcsServiceProvider.KindName, new SettingsDictionary(new[]
        {
            new KeyValuePair<string, object?>("Cluster", Cluster),
            new KeyValuePair<string, object?>("ServiceName", Service),
            new KeyValuePair<string, object?>("Region", EcsEndpoint.Region),
            new KeyValuePair<string, object?>("EndpointUrl", _endpoint.Url.ToString()),
            new KeyValuePair<string, object?>("PollSeconds", 0.01),
        }), replace: false);
        var point = _engine.Points.Create("svc", "checkout:1 steady");
        _endpoint.Deploy(Cluster, Service, _bad);
        return point;
    }

    private System.Text.Json.Nodes.JsonObject Cli(params string[] arguments)
    {
        var cli = AwsCli.Find(out var why);
        if (cli is null)
        {
            throw new InvalidOperationException(why);
        }

        var answer = cli.Call(_endpoint.Url, EcsEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, arguments);
        Assert.True(answer.ExitCode == 0, answer.ToString());
        return answer.Json!;
    }
}
