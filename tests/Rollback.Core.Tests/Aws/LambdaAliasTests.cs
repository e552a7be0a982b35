using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws;
using Rollback.Providers.Aws.Lambda;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Testing;
using Xunit;
using static Rollback.Tests.Aws.AwsKindTesting;

namespace Rollback.Tests.Aws;

/// <summary>
/// The LambdaAlias kind end to end through the engine, against moto's Lambda behind the endpoint that checks every
/// request's SigV4 signature with botocore; after each rollback (or refusal) the AWS CLI v2 reads the alias through the
/// same endpoint, an independent client of the same state. Faults moto cannot produce (access denied, throttling) are
/// scripted by that endpoint.
/// </summary>
public sealed class LambdaAliasTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string Alias = "live";
    private readonly MotoFixture _aws;
    private readonly TempFolder _folder = new();
    private readonly RollbackEngine _engine;
    private readonly MotoService<MotoLambda> _service;

    public LambdaAliasTests(MotoFixture aws)
    {
        _aws = aws;
        _service = new MotoService<MotoLambda>(aws, "lambda", url => new MotoLambda(url));
        _engine = new RollbackEngine(new RollbackStore(Path.Combine(_folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new LambdaAliasProvider() }), NullReporter.Instance, null, "tester");
    }

    private AwsTestEndpoint Endpoint => _service.Endpoint;

    private MotoLambda Lambda => _service.Arrange;

    public void Dispose()
    {
        _service.Dispose();
        _folder.Dispose();
    }

    [SkippableFact]
    public void RollbackPutsTheWeightedAliasBackAndTheCliReadsIt()
    {
        var function = Deployed(out var versions, weightsAtCapture: true);
        var point = _engine.Points.Create("fn", "before v3");
        Assert.Equal("2 (+ 1 at 10%)", point.Version);
        Assert.Equal("1=0.1", point.Metadata["AdditionalVersionWeights"]);
        // The bad deployment: v3 live, with a canary weight on v2.
        Lambda.UpdateAlias(function, Alias, versions[2], new Dictionary<string, double> { [versions[1]] = 0.5 });

        var readiness = _engine.Readiness.Test("fn", point.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        Assert.Equal(2, readiness.Checks.Count(c => c.Name == "CapturedVersionExists" && c.Status == CheckStatus.Pass));
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "errors on v3" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal("3 (+ 2 at 50%)", result.FromVersion);
        Assert.Equal("2 (+ 1 at 10%)", result.ToVersion);
        Assert.Contains(result.Steps, s => s.Name == "UpdateAlias" && s.Status == StepStatus.Succeeded);
        Assert.Contains(result.Steps, s => s.Name == "VerifyAlias" && s.Status == StepStatus.Succeeded);
        Assert.Equal("3 (+ 2 at 50%)", result.Details[LambdaAliasProvider.PreviousVersionDetail]);
        var cli = CliAlias(function);
        Assert.Equal(versions[1], cli["FunctionVersion"]!.GetValue<string>());
        Assert.Equal(0.1, cli["RoutingConfig"]!["AdditionalVersionWeights"]![versions[0]]!.GetValue<double>());
        Assert.Single(cli["RoutingConfig"]!["AdditionalVersionWeights"]!.AsObject());
        Assert.Equal(1, Updates());
        Assert.Empty(Endpoint.FailuresOfMainKey);

        // The safety point holds the bad state, so the rollback itself can be undone.
        var safety = _engine.Points.Get("fn", result.SafetyPointId!);
        Assert.Equal("3 (+ 2 at 50%)", safety.Version);
        var undo = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = safety.Id, Reason = "undo" });
        Assert.Equal(RollbackStatus.Succeeded, undo.Status);
        Assert.Equal(versions[2], Lambda.Alias(function, Alias).Version);
    }

    [SkippableFact]
    public void WeightsTheBadDeploymentAddedAreRemoved()
    {
        var function = Deployed(out var versions, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[1], new Dictionary<string, double> { [versions[2]] = 0.25 });

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "canary failed" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var cli = CliAlias(function);
        Assert.Equal(versions[1], cli["FunctionVersion"]!.GetValue<string>());
        Assert.Empty(cli["RoutingConfig"]?["AdditionalVersionWeights"]?.AsObject() ?? new System.Text.Json.Nodes.JsonObject());
    }

    [SkippableFact]
    public void TheVersionAlreadyLiveIsAlreadyCurrentAndNothingIsSent()
    {
        Deployed(out _, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "again" });

        Assert.Equal(RollbackStatus.AlreadyCurrent, result.Status);
        Assert.Equal(0, Updates());
    }

    [SkippableFact]
    public void ADeletedVersionFailsReadinessAndTheAliasStaysAsItWas()
    {
        var function = Deployed(out var versions, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[2]);
        Lambda.DeleteVersion(function, versions[1]);

        var readiness = _engine.Readiness.Test("fn", point.Id);
        var refused = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "x" }));

        Assert.False(readiness.IsReady);
        var check = Assert.Single(readiness.Checks, c => c.Status == CheckStatus.Fail);
        Assert.Equal(AwsErrorId.LambdaVersionMissing, check.ErrorId);
        Assert.Contains("Version " + versions[1], check.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.Contains(AwsErrorId.LambdaVersionMissing, refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, Updates());
        AssertUnchanged(function, versions[2]);
    }

    [SkippableFact]
    public void AnUnknownAliasIsAwsResourceNotFound()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var function = MotoLambda.UniqueFunction("rollback-missing");
        Lambda.CreateFunction(function, "v1");
        Register(function);

        var capture = Assert.Throws<RollbackException>(() => _engine.Points.Create("fn", null));

        Assert.Equal(AwsErrorId.AwsResourceNotFound, capture.ErrorId);
        Assert.Contains("GetAlias", capture.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.Points.GetAll("fn"));
    }

    [SkippableFact]
    public void AnAliasDeletedAfterCaptureFailsReadiness()
    {
        var function = Deployed(out _, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);
        Lambda.DeleteAlias(function, Alias);

        var readiness = _engine.Readiness.Test("fn", point.Id);

        Assert.False(readiness.IsReady);
        Assert.Contains(readiness.Checks, c => c.Name == "TargetReachable" && c.Status == CheckStatus.Fail && c.ErrorId == AwsErrorId.AwsResourceNotFound);
        Assert.Equal(0, Updates());
    }

    [SkippableFact]
    public void AccessDeniedOnUpdateAliasChangesNothing()
    {
        var function = Deployed(out var versions, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[2]);
        Endpoint.Enqueue(new ScriptedAnswer(403, "{\"Type\":\"User\",\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:UpdateAlias\"}", "PUT"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsAccessDenied, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "UpdateAlias" && s.Status == StepStatus.Failed);
        AssertUnchanged(function, versions[2]);
    }

    [SkippableFact]
    public void ThrottlingPastTheAttemptsIsAwsThrottledAndChangesNothing()
    {
        var function = Deployed(out var versions, weightsAtCapture: false, ("MaxAttempts", "2"));
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[2]);
        for (var i = 0; i < 2; i++)
        {
            Endpoint.Enqueue(new ScriptedAnswer(429, "{\"Type\":\"User\",\"__type\":\"TooManyRequestsException\",\"message\":\"Rate exceeded\"}", "PUT"));
        }

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsThrottled, result.ErrorId);
        Assert.Contains("after 2 attempts", result.Message, StringComparison.Ordinal);
        AssertUnchanged(function, versions[2]);
    }

    [SkippableFact]
    public void AnAliasThatDidNotMoveFailsVerification()
    {
        var function = Deployed(out var versions, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[2]);
        // The service says yes but the alias stays (a concurrent writer moving it back).
        Endpoint.Enqueue(new ScriptedAnswer(200, "{\"Name\":\"live\",\"FunctionVersion\":\"" + versions[1] + "\"}", "PUT"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.LambdaAliasNotMoved, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "VerifyAlias" && s.Status == StepStatus.Failed);
    }

    [SkippableFact]
    public void GradualStepsMoveHalfTheInvocationsThroughTheWeightsThenAll()
    {
        var function = Deployed(out var versions, weightsAtCapture: false);
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[2]);

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "gradual", Options = Options(("Steps", "50,100"), ("StepWait", "00:00:01")) });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(new[] { "Shift50.UpdateAlias", "Shift50.VerifyAlias", "Shift50", "Wait50", "Verify50", "Shift100.UpdateAlias", "Shift100.VerifyAlias", "Shift100" },
            result.Steps.Select(s => s.Name).Where(n => n.StartsWith("Shift", StringComparison.Ordinal) || n is "Wait50" or "Verify50"));
        var half = System.Text.Json.Nodes.JsonNode.Parse(Endpoint.Traffic.First(t => t.Contains("\"RevisionId\"", StringComparison.Ordinal) && t.Contains("\"AdditionalVersionWeights\":{\"", StringComparison.Ordinal)))!;
        Assert.Equal(versions[1], half["FunctionVersion"]!.GetValue<string>());
        Assert.Equal(0.5, half["RoutingConfig"]!["AdditionalVersionWeights"]![versions[2]]!.GetValue<double>());
        var cli = CliAlias(function);
        Assert.Equal(versions[1], cli["FunctionVersion"]!.GetValue<string>());
        Assert.Empty(cli["RoutingConfig"]?["AdditionalVersionWeights"]?.AsObject() ?? new System.Text.Json.Nodes.JsonObject());
        Assert.Equal(2, Updates());
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void AStepNeedingMoreThanOneWeightedVersionIsRefusedAndNothingMoves()
    {
        var function = Deployed(out var versions, weightsAtCapture: true);
        var point = _engine.Points.Create("fn", null);
        Lambda.UpdateAlias(function, Alias, versions[2]);

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "fn", PointId = point.Id, Reason = "gradual", Options = Options(("Steps", "50,100"), ("StepWait", "00:00:01")) });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.LambdaStepsUnsupported, result.ErrorId);
        Assert.Equal(0, Updates());
        AssertUnchanged(function, versions[2]);
    }

    [Fact]
    public void SettingsNeedAFunctionAndAnUnqualifiedAlias()
    {
        var provider = new LambdaAliasProvider();
        var missing = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("FunctionName", "f") })));
        var qualified = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("FunctionName", "f"), Pair("AliasName", "f:live") })));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, missing.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, qualified.ErrorId);
        var valid = provider.ValidateSettings(new SettingsDictionary(new[] { Pair("FunctionName", "f"), Pair("AliasName", " live ") }));
        Assert.Equal("live", valid.GetString("AliasName"));
        // The all-at-once default is the kind's declared one, read at each rollback, not written into the registration.
        Assert.Null(valid.GetString("Steps"));
        Assert.Equal(new[] { 100 }, TrafficSettings.Steps("fn", valid, provider.Schema));
        Assert.Equal(RollbackErrorId.TrafficStepsInvalid, Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("FunctionName", "f"), Pair("AliasName", "live"), Pair("Steps", "50") }))).ErrorId);
        Assert.Contains(provider.Schema.ErrorIds, e => e.ErrorId == AwsErrorId.LambdaVersionMissing);
    }

    /// <summary>A function with versions 1, 2, 3 (different code each) and the alias on 2 (with 10% on 1 when asked); registered as target "fn".</summary>
    private string Deployed(out string[] versions, bool weightsAtCapture, params (string Key, string Value)[] extra)
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var function = MotoLambda.UniqueFunction("rollback-fn");
        versions = new[] { Lambda.CreateFunction(function, "v1"), Lambda.Publish(function, "v2"), Lambda.Publish(function, "v3") };
        Assert.Equal(new[] { "1", "2", "3" }, versions);
        Lambda.CreateAlias(function, Alias, versions[1], weightsAtCapture ? new Dictionary<string, double> { [versions[0]] = 0.1 } : null);
        Register(function, extra);
        return function;
    }

    private void Register(string function, params (string Key, string Value)[] extra)
    {
        var settings = new List<KeyValuePair<string, object?>>
        {
            Pair("FunctionName", function),
            Pair("AliasName", Alias),
            Pair("Region", AwsTestEndpoint.Region),
            Pair("EndpointUrl", Endpoint.Url.ToString()),
        };
        settings.AddRange(extra.Select(e => Pair(e.Key, e.Value)));
        _engine.Targets.Register("fn", LambdaAliasProvider.KindName, new SettingsDictionary(settings), replace: false);
    }

    private int Updates() => Endpoint.Operations.Count(o => o.StartsWith("PUT ", StringComparison.Ordinal) && o.Contains("/aliases/", StringComparison.Ordinal));

    /// <summary>The alias as the AWS CLI v2 reads it through the checking endpoint.</summary>
    private System.Text.Json.Nodes.JsonObject CliAlias(string function) => Cli(Endpoint, "lambda", "get-alias", "--function-name", function, "--name", Alias);

    private void AssertUnchanged(string function, string version)
    {
        Assert.Equal(version, CliAlias(function)["FunctionVersion"]!.GetValue<string>());
        Assert.Empty(Endpoint.FailuresOfMainKey);
    }
}
