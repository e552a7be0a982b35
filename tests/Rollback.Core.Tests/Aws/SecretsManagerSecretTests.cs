using System;
using System.IO;
using System.Linq;
using Rollback.Providers.Aws;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.SecretsManager;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// The SecretsManagerSecret kind end to end through the engine, against moto behind the SigV4-checking endpoint.
/// Assertions follow the documented AWS behaviour (UpdateSecretVersionStage moves AWSPREVIOUS to the version AWSCURRENT
/// left; DescribeSecret's VersionIdsToStages), never a value read back.
/// </summary>
public sealed class SecretsManagerSecretTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string Current = "AWSCURRENT";
    private const string Previous = "AWSPREVIOUS";
    private readonly MotoFixture _aws;
    private readonly TempFolder _folder = new();
    private readonly RollbackEngine _engine;
    private readonly RollbackStore _store;

    public SecretsManagerSecretTests(MotoFixture aws)
    {
        _aws = aws;
        _store = new RollbackStore(Path.Combine(_folder.Path, "store"));
        _engine = new RollbackEngine(_store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(SecretsManagerSecretProvider).Assembly)), NullReporter.Instance, null, "tester");
    }

    public void Dispose() => _folder.Dispose();

    [SkippableFact]
    public void CaptureRecordsTheCurrentVersionAndStagesNeverAValue()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("capture");
        var ids = _aws.CreateSecret(name, "value-one", "value-two", "value-three");
        Register("app", name);

        var point = _engine.Points.Create("app", "before deploy");

        Assert.Equal(ids[2], point.Version);
        Assert.Equal(Current + "=" + ids[2], point.Fingerprint);
        Assert.Equal(ids[2], point.Metadata["VersionId"]);
        Assert.Equal(Previous, point.Metadata["Stages." + ids[1]]);
        var artifact = Assert.Single(point.Artifacts);
        var text = File.ReadAllText(Path.Combine(point.Path, PointStore.ArtifactsFolderName, artifact.RelativePath));
        Assert.Contains(ids[0], text, StringComparison.Ordinal);
        Assert.DoesNotContain("value-", text, StringComparison.Ordinal);
        Assert.DoesNotContain(_aws.Endpoint!.Operations, o => o.EndsWith("GetSecretValue", StringComparison.Ordinal));
        Assert.Empty(_aws.Endpoint.FailuresOfMainKey);
    }

    [SkippableFact]
    public void RollbackMovesCurrentBackAndVerifiesTheStages()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("rollback");
        var ids = _aws.CreateSecret(name, "good-1", "good-2");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        var bad = _aws.PutValue(name, "bad-3");
        var moves = _aws.Endpoint!.Count("UpdateSecretVersionStage");

        var readiness = _engine.Readiness.Test("app", point.Id);
        Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
        Assert.Contains(readiness.Checks, c => c.Name == "CapturedVersionExists" && c.Status == CheckStatus.Pass);
        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "bad secret" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(bad, result.FromVersion);
        Assert.Equal(ids[1], result.ToVersion);
        var stages = _aws.Stages(name);
        Assert.Contains(Current, stages[ids[1]]);
        Assert.Contains(Previous, stages[bad]);
        Assert.DoesNotContain(Current, stages[bad]);
        Assert.Contains(result.Steps, s => s.Name == "MoveCurrentStage" && s.Status == StepStatus.Succeeded);
        Assert.Contains(result.Steps, s => s.Name == "VerifyStages" && s.Status == StepStatus.Succeeded);
        var safety = _engine.Points.Get("app", result.SafetyPointId!);
        Assert.Equal(bad, safety.Version);
        Assert.Equal(moves + 1, _aws.Endpoint.Count("UpdateSecretVersionStage"));
        Assert.Empty(_aws.Endpoint.FailuresOfMainKey);

        // The rollback can itself be undone: the safety point takes the secret back to the bad version.
        var undo = _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = safety.Id, Reason = "undo" });
        Assert.Equal(RollbackStatus.Succeeded, undo.Status);
        Assert.Contains(Current, _aws.Stages(name)[bad]);
    }

    [SkippableFact]
    public void RollingBackToTheCurrentVersionIsAlreadyCurrentAndChangesNothing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("idempotent");
        _aws.CreateSecret(name, "one", "two");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        var moves = _aws.Endpoint!.Count("UpdateSecretVersionStage");

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "again" });
        var restored = _engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "app", PointId = point.Id, Reason = "again" });

        Assert.Equal(RollbackStatus.AlreadyCurrent, result.Status);
        Assert.False(Assert.Single(restored).Changed);
        Assert.Equal(moves, _aws.Endpoint.Count("UpdateSecretVersionStage"));
    }

    [SkippableFact]
    public void RestoreConfigurationRestoresThePointOrThePreviousVersion()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("previous");
        var ids = _aws.CreateSecret(name, "one", "two");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        var bad = _aws.PutValue(name, "three");

        var whatIf = Assert.Single(_engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "app", PointId = point.Id, Reason = "check", Previous = true, WhatIf = true }));
        Assert.True(whatIf.WhatIf);
        Assert.True(whatIf.Changed);
        Assert.Equal(ids[1], whatIf.To);
        Assert.Contains(Current, _aws.Stages(name)[bad]);

        var previous = Assert.Single(_engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "app", PointId = point.Id, Reason = "previous", Previous = true }));
        Assert.True(previous.Changed);
        Assert.Equal(bad, previous.From);
        Assert.Equal(ids[1], previous.To);
        Assert.Equal(name, previous.Item);
        Assert.Contains(Current, _aws.Stages(name)[ids[1]]);
        Assert.Contains(Previous, _aws.Stages(name)[bad]);

        // -Previous again goes back to what AWSPREVIOUS now names: the bad version (documented, not idempotent).
        _aws.MoveStage(name, Current, bad, ids[1]);
        var fromPoint = Assert.Single(_engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "app", PointId = point.Id, Reason = "point" }));
        Assert.Equal(ids[1], fromPoint.To);
        Assert.Contains(Current, _aws.Stages(name)[ids[1]]);
        var history = _engine.History.Get(new HistoryFilter { Target = "app", Action = HistoryAction.RestoreConfiguration });
        Assert.Equal(2, history.Count);
        Assert.All(history, h => Assert.Equal("Succeeded", h.Status));
    }

    [SkippableFact]
    public void UnknownSecretFailsReadinessAndRollbackChangesNothing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("vanishing");
        _aws.CreateSecret(name, "one", "two");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        _engine.Targets.Register("app", SecretsManagerSecretProvider.KindName, Settings(MotoFixture.UniqueName("never-created")), replace: true);

        var readiness = _engine.Readiness.Test("app", point.Id);
        var error = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "x" }));

        Assert.False(readiness.IsReady);
        Assert.Contains(readiness.Checks, c => c.Status == CheckStatus.Fail && c.ErrorId == AwsErrorId.AwsResourceNotFound);
        Assert.Equal(RollbackErrorId.RollbackNotReady, error.ErrorId);
        Assert.Contains("AWS request id", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ADeprecatedCapturedVersionIsAReadinessFailure()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("deprecated");
        var ids = _aws.CreateSecret(name, "one");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        _aws.PutValue(name, "two");
        _aws.PutValue(name, "three");
        var moves = _aws.Endpoint!.Count("UpdateSecretVersionStage");

        var readiness = _engine.Readiness.Test("app", point.Id);
        var error = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "x" }));
        var restore = Assert.Throws<RollbackException>(() => _engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "app", PointId = point.Id, Reason = "x" }));

        var check = Assert.Single(readiness.Checks, c => c.Name == "CapturedVersionExists");
        Assert.Equal(CheckStatus.Fail, check.Status);
        Assert.Equal(AwsErrorId.SecretVersionMissing, check.ErrorId);
        Assert.Contains("deprecated", check.Message, StringComparison.Ordinal);
        Assert.Contains(ids[0], check.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.RollbackNotReady, error.ErrorId);
        Assert.Equal(AwsErrorId.SecretVersionMissing, restore.ErrorId);
        Assert.Equal(moves, _aws.Endpoint.Count("UpdateSecretVersionStage"));
    }

    [SkippableFact]
    public void ASecretScheduledForDeletionIsRefused()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("deleting");
        _aws.CreateSecret(name, "one", "two");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        _aws.PutValue(name, "three");
        _aws.ScheduleDeletion(name);
        var moves = _aws.Endpoint!.Count("UpdateSecretVersionStage");

        var readiness = _engine.Readiness.Test("app", point.Id);
        var restore = Assert.Throws<RollbackException>(() => _engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "app", PointId = point.Id, Reason = "x" }));

        Assert.Contains(readiness.Checks, c => c.Name == "SecretNotPendingDeletion" && c.Status == CheckStatus.Fail && c.ErrorId == AwsErrorId.SecretPendingDeletion);
        Assert.False(readiness.IsReady);
        Assert.Equal(AwsErrorId.SecretPendingDeletion, restore.ErrorId);
        Assert.Equal(moves, _aws.Endpoint.Count("UpdateSecretVersionStage"));
        var failed = _engine.History.Get(new HistoryFilter { Target = "app", Action = HistoryAction.RestoreConfiguration }).Single();
        Assert.Equal(AwsErrorId.SecretPendingDeletion, failed.ErrorId);
    }

    [SkippableFact]
    public void AStageThatDidNotMoveFailsVerification()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("stuck");
        _aws.CreateSecret(name, "one", "two");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        _aws.PutValue(name, "three");
        // The service says yes but moves nothing (an eventual-consistency lag, a concurrent writer moving it back).
        _aws.Endpoint!.Enqueue(new ScriptedAnswer(200, "{\"ARN\":\"arn\",\"Name\":\"" + name + "\"}", "UpdateSecretVersionStage"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.SecretStageNotMoved, result.ErrorId);
        Assert.Contains(result.Steps, s => s.Name == "VerifyStages" && s.Status == StepStatus.Failed);
    }

    [SkippableFact]
    public void AccessDeniedOnTheMoveLeavesTheSecretAsItWas()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var name = MotoFixture.UniqueName("denied");
        _aws.CreateSecret(name, "one", "two");
        Register("app", name);
        var point = _engine.Points.Create("app", null);
        var bad = _aws.PutValue(name, "three");
        _aws.Endpoint!.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"AccessDeniedException\",\"Message\":\"not authorized to perform: secretsmanager:UpdateSecretVersionStage\"}", "UpdateSecretVersionStage"));

        var result = _engine.Rollbacks.Run(new RollbackRequest { Target = "app", PointId = point.Id, Reason = "x" });

        Assert.Equal(RollbackStatus.Failed, result.Status);
        Assert.Equal(AwsErrorId.AwsAccessDenied, result.ErrorId);
        Assert.Contains(Current, _aws.Stages(name)[bad]);
    }

    [Fact]
    public void SettingsNeedASecretIdAndAValidEndpoint()
    {
        var provider = new SecretsManagerSecretProvider();
        var missing = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("Region", "us-east-1") })));
        var badUrl = Assert.Throws<RollbackException>(() => provider.ValidateSettings(new SettingsDictionary(new[] { Pair("SecretId", "x"), Pair("EndpointUrl", "not a url") })));

        Assert.Equal(RollbackErrorId.InvalidTargetSettings, missing.ErrorId);
        Assert.Equal(RollbackErrorId.InvalidTargetSettings, badUrl.ErrorId);
        Assert.Equal("x", provider.ValidateSettings(new SettingsDictionary(new[] { Pair("SecretId", " x ") })).GetString("SecretId"));
    }

    [Fact]
    public void PreviousIsRefusedForKindsWithoutAPreviousVersion()
    {
        using var folder = new TempFolder();
        var file = folder.WriteFile("app.json", "{}");
        var store = new RollbackStore(Path.Combine(folder.Path, "store"));
        var engine = new RollbackEngine(store, new ProviderCatalog(ProviderCatalog.FindIn(typeof(Rollback.Providers.FileSystem.ConfigurationFileProvider).Assembly)), NullReporter.Instance, null, "tester");
        engine.Targets.Register("cfg", "ConfigurationFile", new SettingsDictionary(new[] { Pair("Path", file) }), replace: false);
        var point = engine.Points.Create("cfg", null);

        var error = Assert.Throws<RollbackException>(() => engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "cfg", PointId = point.Id, Reason = "x", Previous = true }));

        Assert.Equal(RollbackErrorId.ConfigurationNotSupported, error.ErrorId);
    }

    private static System.Collections.Generic.KeyValuePair<string, object?> Pair(string key, object value) => new(key, value);

    private SettingsDictionary Settings(string secretId) => new(new[]
    {
        Pair("SecretId", secretId),
        Pair("Region", AwsTestEndpoint.Region),
        Pair("EndpointUrl", _aws.EndpointUrl.ToString()),
        Pair("TimeoutSeconds", "15"),
    });

    private void Register(string target, string secretId) => _engine.Targets.Register(target, SecretsManagerSecretProvider.KindName, Settings(secretId), replace: false);
}
