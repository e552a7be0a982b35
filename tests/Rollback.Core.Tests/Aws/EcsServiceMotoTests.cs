using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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
/// The EcsService kind's capture, readiness and refusals against moto 5.2.1's ECS behind the endpoint that checks every
/// request's SigV4 signature with botocore; the AWS CLI v2 reads the service through that endpoint afterwards, so
/// "nothing changed" is what an independent client sees. Faults moto cannot produce (access denied, throttling) are
/// scripted by the endpoint. The deployment follow is in <see cref="EcsServiceTests"/>: moto never finishes one.
/// </summary>
public sealed class EcsServiceMotoTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly MotoFixture _aws;
    private readonly TempFolder _folder = new();
    private readonly RollbackEngine _engine;
    private readonly MotoService<MotoEcs> _service;

    public EcsServiceMotoTests(MotoFixture aws)
    {
        _aws = aws;
        _service = new MotoService<MotoEcs>(aws, "ecs", url => new MotoEcs(url));
        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new EcsServiceProvider() }), NullReporter.Instance, null, "tester");
    }

    private AwsTestEndpoint Endpoint => _service.Endpoint;

    private MotoEcs Ecs => _service.Arrange;

    public void Dispose()
    {
        _service.Dispose();
        _folder.Dispose();
    }

    [SkippableFact]
    public void CaptureRecordsTheTaskDefinitionAndDesiredCountMotoReports()
    {
        var (cluster, service, good, _) = Deployed(deployBad: false);

        var point = _engine.Points.Create("svc", null);

        Assert.Equal(good, point.Metadata["TaskDefinition"]);
        Assert.Equal("2", point.Metadata["DesiredCount"]);
        Assert.Equal(good.Substring(good.LastIndexOf('/') + 1), point.Version);
        Assert.Equal(good, Cli(cluster, service)["taskDefinition"]!.GetValue<string>());
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void RollbackOnMotoPutsTheServiceBackOnTheCapturedTaskDefinition()
    {
        var (cluster, service, good, bad) = Deployed(deployBad: true, ("PollSeconds", "0.01"));
        var point = _engine.Points.GetAll("svc").Single();

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "svc", PointId = point.Id, Reason = "crash loop" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(bad, result.Details[EcsServiceProvider.PreviousTaskDefinitionDetail]);
        Assert.Equal(good, Cli(cluster, service)["taskDefinition"]!.GetValue<string>());
        Assert.Equal(1, Endpoint.Count("UpdateService"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ADeregisteredTaskDefinitionIsRefusedAndTheServiceStays()
    {
        var (cluster, service, good, bad) = Deployed(deployBad: false);
        var point = _engine.Points.Create("svc", null);
        Ecs.Deploy(cluster, service, bad);
        Ecs.Deregister(good);

        var readiness = _engine.Readiness.Test("svc", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "svc", PointId = point.Id, Reason = "x" }));

        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.EcsTaskDefinitionInactive, failed.ErrorId);
        Assert.Contains("INACTIVE", failed.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        AssertUnchanged(cluster, service, bad);
    }

    [SkippableFact]
    public void ReadinessOnMotoWarnsOfTheMissingCircuitBreaker()
    {
        var (_, _, _, _) = Deployed(deployBad: true);
        var point = _engine.Points.GetAll("svc").Single();

        var readiness = _engine.Readiness.Test("svc", point.Id);

        // moto drops the deployment configuration, so there is no circuit breaker to roll back by itself.
        Assert.Contains(readiness.Checks, c => c.Name == "CircuitBreakerRollback" && c.Status == CheckStatus.Warn && c.Message.Contains("no circuit breaker", StringComparison.Ordinal));
        Assert.Contains(readiness.Checks, c => c.Name == "TaskDefinitionActive" && c.Status == CheckStatus.Pass);
    }

    [SkippableFact]
    public void AnUnknownServiceOrClusterIsAwsResourceNotFound()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var cluster = MotoEcs.Unique("rollback-cluster");
        Ecs.CreateCluster(cluster);
        Register(cluster, "no-such-service");
        Register(MotoEcs.Unique("no-cluster"), "web", name: "other");

        var service = Assert.Throws<RollbackException>(() => _engine.Points.Create("svc", null));
        var noCluster = Assert.Throws<RollbackException>(() => _engine.Points.Create("other", null));

        Assert.Equal(AwsErrorId.AwsResourceNotFound, service.ErrorId);
        Assert.Contains("MISSING", service.Message, StringComparison.Ordinal);
        Assert.Equal(AwsErrorId.AwsResourceNotFound, noCluster.ErrorId);
        Assert.Contains("ClusterNotFoundException", noCluster.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Points.GetAll("svc"));
    }

    [SkippableFact]
    public void AccessDeniedIsAwsAccessDeniedAndNothingIsSent()
    {
        var (cluster, service, _, bad) = Deployed(deployBad: true);
        var point = _engine.Points.GetAll("svc").Single();
        Endpoint.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"AccessDeniedException\",\"message\":\"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices\"}", "DescribeServices"));

        var readiness = _engine.Readiness.Test("svc", point.Id);

        Assert.False(readiness.IsReady);
        Assert.Contains(readiness.Checks, c => c.Status == CheckStatus.Fail && c.ErrorId == AwsErrorId.AwsAccessDenied);
        Assert.Equal(0, Endpoint.Count("UpdateService"));
        AssertUnchanged(cluster, service, bad);
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsIsAwsThrottledAndTheServiceStays()
    {
        var (cluster, service, _, bad) = Deployed(deployBad: true, ("MaxAttempts", "2"));
        var point = _engine.Points.GetAll("svc").Single();
        for (var i = 0; i < 2; i++)
        {
            Endpoint.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", "UpdateService"));
        }

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "svc", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsThrottled, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "UpdateService" && s.Status == StepStatus.Failed);
        Assert.Equal(2, Endpoint.Count("UpdateService"));
        AssertUnchanged(cluster, service, bad);
    }

    /// <summary>A cluster and a service of 2 tasks on revision 1 (captured as target "svc"), and revision 2 registered; deployed when asked.</summary>
    private (string Cluster, string Service, string Good, string Bad) Deployed(bool deployBad, params (string Key, string Value)[] extra)
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var cluster = MotoEcs.Unique("rollback-cluster");
        var family = MotoEcs.Unique("web");
        Ecs.CreateCluster(cluster);
        var good = Ecs.Register(family, "nginx:1.27");
        var bad = Ecs.Register(family, "nginx:broken");
        Ecs.CreateService(cluster, "web", good, 2);
        Register(cluster, "web", extra: extra);
        if (deployBad)
        {
            _engine.Points.Create("svc", null);
            Ecs.Deploy(cluster, "web", bad);
        }

        return (cluster, "web", good, bad);
    }

    private void Register(string cluster, string service, string name = "svc", params (string Key, string Value)[] extra)
    {
        var settings = new List<KeyValuePair<string, object?>>
        {
            new("Cluster", cluster),
            new("ServiceName", service),
            new("Region", AwsTestEndpoint.Region),
            new("EndpointUrl", Endpoint.Url.ToString()),
        };
        settings.AddRange(extra.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));
        _engine.Targets.Register(name, EcsServiceProvider.KindName, new SettingsDictionary(settings), replace: false);
    }

    /// <summary>The service as the AWS CLI v2 reads it through the checking endpoint.</summary>
    private System.Text.Json.Nodes.JsonNode Cli(string cluster, string service)
    {
        var cli = AwsCli.Find(out var why);
        Skip.If(cli is null, why);
        var answer = cli!.Call(Endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, "ecs", "describe-services", "--cluster", cluster, "--services", service);
        Assert.True(answer.ExitCode == 0, answer.ToString());
        return answer.Json!["services"]![0]!;
    }

    /// <summary>moto keeps the task definition as UpdateService named it (family:revision), the CLI reads it so.</summary>
    private void AssertUnchanged(string cluster, string service, string taskDefinition)
    {
        var seen = Cli(cluster, service)["taskDefinition"]!.GetValue<string>();
        Assert.True(taskDefinition.EndsWith(seen.Substring(seen.LastIndexOf('/') + 1), StringComparison.Ordinal), seen);
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }
}
