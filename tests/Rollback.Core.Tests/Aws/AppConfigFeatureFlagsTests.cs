using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.AppConfig;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The AppConfigFeatureFlags kind against moto 5.2.1's AppConfig (applications, feature-flag profiles, hosted
/// configuration versions) behind the endpoint that checks every request's SigV4 signature with botocore, with the
/// environments and deployments moto lacks answered in the same endpoint by <see cref="MotoAppConfig"/>. The AWS CLI v2
/// reads the deployment and the hosted version through that endpoint after each rollback.
/// </summary>
public sealed class AppConfigFeatureFlagsTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly RecordingReporter _reporter = new();
    private readonly RollbackEngine _engine;
    private readonly MotoService<MotoAppConfig> _service;

    public AppConfigFeatureFlagsTests(MotoFixture aws)
    {
        _service = new MotoService<MotoAppConfig>(aws, "appconfig", url => new MotoAppConfig(url));
        if (_service.SkipReason is null)
        {
            Endpoint.Serve = AppConfig.Serve;
        }

        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new AppConfigFeatureFlagsProvider() }), _reporter, null, "tester");
    }

    private AwsTestEndpoint Endpoint => _service.Endpoint;

    private MotoAppConfig AppConfig => _service.Arrange;

    public void Dispose()
    {
        _service.Dispose();
        _folder.Dispose();
    }

    [SkippableFact]
    public void RollbackDeploysTheCapturedVersionAgainAsTheCliReadsIt()
    {
        var flags = Incident();
        var point = flags.Point;
        Assert.Equal("v" + flags.Good, point.Version);
        Assert.Equal(flags.Good, point.Metadata["ConfigurationVersion"]);

        var readiness = _engine.Readiness.Test("flags", point.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "flags", PointId = point.Id, Reason = "checkout-v2 flag broke payments" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("v" + flags.Bad, result.FromVersion);
        Assert.Equal("v" + flags.Good, result.ToVersion);
        Assert.Equal(flags.Bad, result.Details[AppConfigFeatureFlagsProvider.PreviousVersionDetail]);
        Assert.Equal("COMPLETE", result.Details[AppConfigFeatureFlagsProvider.DeploymentStateDetail]);
        Assert.Equal(new[] { "StartDeployment", "FollowDeployment", "VerifyDeployment" }, result.Steps.Select(s => s.Name).Where(n => n is "StartDeployment" or "FollowDeployment" or "VerifyDeployment"));
        Assert.Contains(_reporter.Progress, p => p.ActivityId == ProgressActivity.Deployment && p.Completed);
        Assert.Equal(1, AppConfig.Count("StartDeployment"));

        var number = result.Details[AppConfigFeatureFlagsProvider.DeploymentNumberDetail];
        var deployment = Cli("appconfig", "get-deployment", "--application-id", flags.Application, "--environment-id", flags.Environment, "--deployment-number", number);
        Assert.Equal("COMPLETE", deployment["State"]!.GetValue<string>());
        Assert.Equal(flags.Good, deployment["ConfigurationVersion"]!.GetValue<string>());
        Assert.Equal(flags.Profile, deployment["ConfigurationProfileId"]!.GetValue<string>());
        Assert.Equal("AppConfig.AllAtOnce", deployment["DeploymentStrategyId"]!.GetValue<string>());

        // The hosted version the environment serves again, read by the CLI from moto, is the content the point holds.
        var content = Path.Combine(_folder.Path, "cli-content.json");
        Cli("appconfig", "get-hosted-configuration-version", "--application-id", flags.Application, "--configuration-profile-id", flags.Profile, "--version-number", flags.Good, content);
        Assert.Equal(File.ReadAllText(Path.Combine(point.Path, PointStore.ArtifactsFolderName, "configuration-content")), File.ReadAllText(content));
        Assert.Contains("\"enabled\":false", File.ReadAllText(content), StringComparison.Ordinal);
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ADeletedHostedVersionIsAppConfigVersionMissingAndNothingIsDeployed()
    {
        var flags = Incident();
        AppConfig.DeleteHostedVersion(flags.Application, flags.Profile, flags.Good);

        var readiness = _engine.Readiness.Test("flags", flags.Point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "flags", PointId = flags.Point.Id, Reason = "x" }));

        Assert.False(readiness.IsReady);
        Assert.Equal(AwsErrorId.AppConfigVersionMissing, Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail).ErrorId);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Equal(0, AppConfig.Count("StartDeployment"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void ADeploymentInProgressFailsReadiness()
    {
        var flags = Incident();
        AppConfig.StartStuckDeployment(flags.Application, flags.Environment, flags.Profile, flags.Bad);

        var readiness = _engine.Readiness.Test("flags", flags.Point.Id);

        Assert.False(readiness.IsReady);
        var failed = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.AppConfigDeploymentInProgress, failed.ErrorId);
        Assert.Contains("aws appconfig stop-deployment", failed.Message, StringComparison.Ordinal);
        Assert.Equal(0, AppConfig.Count("StartDeployment"));
    }

    [SkippableFact]
    public void ADeploymentAppConfigRollsBackIsAppConfigDeploymentRolledBack()
    {
        var flags = Incident();
        AppConfig.RollBackNext = true;

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "flags", PointId = flags.Point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AppConfigDeploymentRolledBack, result.ErrorId);
        Assert.Equal("ROLLED_BACK", result.Details[AppConfigFeatureFlagsProvider.DeploymentStateDetail]);
        Assert.Contains(result.Steps, s => s.Name == "FollowDeployment" && s.Status == StepStatus.Failed);
    }

    [SkippableFact]
    public void CtrlCWhileFollowingStopsTheDeployment()
    {
        var flags = Incident();
        using var cancel = new CancellationTokenSource();
        _reporter.OnProgress = update =>
        {
            if (update.ActivityId == ProgressActivity.Deployment && !update.Completed)
            {
                cancel.Cancel();
            }
        };

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "flags", PointId = flags.Point.Id, Reason = "x", Cancellation = cancel.Token });

        Assert.Equal(RollbackErrorId.OperationCancelled, result.ErrorId);
        Assert.Equal(1, AppConfig.Count("StopDeployment"));
        Assert.Equal("ROLLED_BACK", result.Details[AppConfigFeatureFlagsProvider.StopStateDetail]);
        Assert.Contains(_reporter.Warnings, w => w.Contains("stopped in AppConfig (StopDeployment: ROLLED_BACK)", StringComparison.Ordinal));
        var number = result.Details[AppConfigFeatureFlagsProvider.DeploymentNumberDetail];
        var deployment = Cli("appconfig", "get-deployment", "--application-id", flags.Application, "--environment-id", flags.Environment, "--deployment-number", number);
        Assert.Equal("ROLLED_BACK", deployment["State"]!.GetValue<string>());
    }

    [SkippableFact]
    public void UnknownApplicationProfileOrEnvironmentIsAwsResourceNotFound()
    {
        Skip.If(_service.SkipReason is not null, _service.SkipReason);
        var application = AppConfig.CreateApplication("shop-" + Guid.NewGuid().ToString("N")[..6]);
        var profile = AppConfig.CreateFeatureFlagProfile(application, "flags");
        AppConfig.AddEnvironment(application, "production");
        Register("no-app", "nosuchap", "flags", "production");
        Register("no-profile", application, "nosuchprofile", "production");
        Register("no-env", application, profile, "staging");

        foreach (var target in new[] { "no-app", "no-profile", "no-env" })
        {
            var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create(target, null));
            Assert.Equal(AwsErrorId.AwsResourceNotFound, refused.ErrorId);
        }

        Assert.Equal(0, AppConfig.Count("StartDeployment"));
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void AnEnvironmentThatNeverCompletedADeploymentIsAppConfigNoCompleteDeployment()
    {
        Skip.If(_service.SkipReason is not null, _service.SkipReason);
        var application = AppConfig.CreateApplication("shop-" + Guid.NewGuid().ToString("N")[..6]);
        AppConfig.CreateFeatureFlagProfile(application, "flags");
        AppConfig.AddEnvironment(application, "production");
        Register("flags", application, "flags", "production");

        var refused = Assert.Throws<RollbackException>(() => _engine.Points.Create("flags", null));

        Assert.Equal(AwsErrorId.AppConfigNoCompleteDeployment, refused.ErrorId);
    }

    [SkippableFact]
    public void AccessDeniedAndThrottlingAreTheirErrorIdsAndNothingIsDeployed()
    {
        var flags = Incident();
        Endpoint.Enqueue(new ScriptedAnswer(403, "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: appconfig:GetApplication\"}", "GET"));
        var readiness = _engine.Readiness.Test("flags", flags.Point.Id);
        Assert.Contains(readiness.Checks, c => c.Status == CheckStatus.Fail && c.ErrorId == AwsErrorId.AwsAccessDenied);

        // Every attempt of StartDeployment throttled (MaxAttempts = 1): the environment keeps serving the bad version.
        Endpoint.Enqueue(new ScriptedAnswer(429, "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}", "POST"));
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "flags", PointId = flags.Point.Id, Reason = "x" });

        Assert.Equal(AwsErrorId.AwsThrottled, result.ErrorId);
        Assert.Equal(0, AppConfig.Count("StartDeployment"));
        var deployments = Cli("appconfig", "list-deployments", "--application-id", flags.Application, "--environment-id", flags.Environment)["Items"]!.AsArray();
        Assert.Equal(flags.Bad, deployments[0]!["ConfigurationVersion"]!.GetValue<string>());
        Assert.Equal(2, deployments.Count);
    }

    private void Register(string name, string application, string profile, string environment, params (string Key, object Value)[] more) =>
        _engine.Targets.Register(name, AppConfigFeatureFlagsProvider.KindName, new SettingsDictionary(new[]
        {
            new KeyValuePair<string, object?>("Application", application),
            new KeyValuePair<string, object?>("ConfigurationProfile", profile),
            new KeyValuePair<string, object?>("Environment", environment),
            new KeyValuePair<string, object?>("Region", AwsTestEndpoint.Region),
            new KeyValuePair<string, object?>("EndpointUrl", Endpoint.Url.ToString()),
            new KeyValuePair<string, object?>("PollSeconds", 0.01),
            new KeyValuePair<string, object?>("MaxAttempts", 1),
        }.Concat(more.Select(m => new KeyValuePair<string, object?>(m.Key, m.Value)))), replace: false);

    /// <summary>
    /// The flag off (version 1) deployed and captured, then version 2 (the flag on) deployed: the incident. The target
    /// names the profile and the environment by name, the application by id.
    /// </summary>
    private Incident Incident()
    {
        Skip.If(_service.SkipReason is not null, _service.SkipReason);
        var application = AppConfig.CreateApplication("shop-" + Guid.NewGuid().ToString("N")[..6]);
        var profile = AppConfig.CreateFeatureFlagProfile(application, "checkout-flags");
        var good = AppConfig.CreateHostedVersion(application, profile, MotoAppConfig.Flags("checkout-v2", enabled: false));
        var environment = AppConfig.AddEnvironment(application, "production");
        AppConfig.Deploy(application, environment, profile, good);
        Register("flags", application, "checkout-flags", "production");
        var point = _engine.Points.Create("flags", "flag off");
        var bad = AppConfig.CreateHostedVersion(application, profile, MotoAppConfig.Flags("checkout-v2", enabled: true));
        AppConfig.Deploy(application, environment, profile, bad);
        return new Incident(application, profile, environment, good, bad, point);
    }

    private System.Text.Json.Nodes.JsonObject Cli(params string[] arguments)
    {
        var cli = AwsCli.Find(out var why) ?? throw new InvalidOperationException(why);
        var answer = cli.Call(Endpoint.Url, AwsTestEndpoint.Region, AwsTestEndpoint.AccessKey, AwsTestEndpoint.SecretKey, arguments);
        Assert.True(answer.ExitCode == 0, answer.ToString());
        return answer.Json ?? new System.Text.Json.Nodes.JsonObject();
    }
}

/// <summary>One incident's AppConfig ids and the point taken before it.</summary>
internal sealed record Incident(string Application, string Profile, string Environment, string Good, string Bad, RollbackPoint Point);
