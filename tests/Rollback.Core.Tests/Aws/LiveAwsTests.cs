using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Providers;
using Rollback.Providers.Aws.SecretsManager;
using Rollback.Store;
using Rollback.Testing;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// Opt-in, against real AWS Secrets Manager: runs only when ROLLBACK_LIVE_AWS_SECRET_ID names a test secret (with
/// credentials in the usual places: environment, AWS_PROFILE or ROLLBACK_LIVE_AWS_PROFILE, a role; the region from
/// ROLLBACK_LIVE_AWS_REGION or the SDK chain). Without ROLLBACK_LIVE_AWS_ALLOW_STAGE_MOVES=1 it changes nothing:
/// capture, readiness, and rollbacks to the version already current (AlreadyCurrent). With it, it also moves
/// AWSCURRENT to AWSPREVIOUS and back, checking the stages after each move. Runs alone: the moto tests put test
/// credentials in the process environment, and this test puts the original ones back while it runs.
/// </summary>
[Collection(ProcessEnvironmentGroup.Name)]
public sealed class LiveAwsTests
{
    private const string SecretVariable = "ROLLBACK_LIVE_AWS_SECRET_ID";

    [SkippableFact]
    public void RealSecretsManagerCaptureReadinessAndRollback()
    {
        var secretId = Environment.GetEnvironmentVariable(SecretVariable);
        Skip.If(string.IsNullOrWhiteSpace(secretId),
            $"Skipped: the live AWS test runs only when {SecretVariable} names a test secret (and AWS credentials are available); it is not set.");

        var saved = new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        foreach (var pair in MotoFixture.OriginalAwsEnvironment)
        {
            Environment.SetEnvironmentVariable(pair.Key, pair.Value);
        }

        using var folder = new TempFolder();
        try
        {
            var engine = new RollbackEngine(new RollbackStore(Path.Combine(folder.Path, "store")),
                new ProviderCatalog(ProviderCatalog.FindIn(typeof(SecretsManagerSecretProvider).Assembly)), NullReporter.Instance, null, "live-test");
            var settings = new SettingsDictionary(new[]
            {
                new System.Collections.Generic.KeyValuePair<string, object?>("SecretId", secretId),
                new System.Collections.Generic.KeyValuePair<string, object?>("Region", Environment.GetEnvironmentVariable("ROLLBACK_LIVE_AWS_REGION")),
                new System.Collections.Generic.KeyValuePair<string, object?>("Profile", Environment.GetEnvironmentVariable("ROLLBACK_LIVE_AWS_PROFILE")),
            });
            engine.Targets.Register("live", SecretsManagerSecretProvider.KindName, settings, replace: false);

            var point = engine.Points.Create("live", "live test");
            var readiness = engine.Readiness.Test("live", point.Id);
            Assert.True(readiness.IsReady, string.Join("; ", readiness.Checks));
            Assert.Equal(RollbackStatus.AlreadyCurrent, engine.Rollbacks.Run(new RollbackRequest { Target = "live", PointId = point.Id, Reason = "live test" }).Status);
            Assert.False(Assert.Single(engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "live", PointId = point.Id, Reason = "live test" })).Changed);

            if (Environment.GetEnvironmentVariable("ROLLBACK_LIVE_AWS_ALLOW_STAGE_MOVES") == "1")
            {
                var previous = Assert.Single(engine.Configuration.Restore(new ConfigurationRestoreRequest { Target = "live", PointId = point.Id, Reason = "live test: -Previous", Previous = true }));
                Assert.True(previous.Changed);
                var back = engine.Rollbacks.Run(new RollbackRequest { Target = "live", PointId = point.Id, Reason = "live test: back" });
                Assert.Equal(RollbackStatus.Succeeded, back.Status);
                Assert.Equal(point.Version, engine.Targets.Describe("live").Version);
            }
        }
        finally
        {
            foreach (var pair in saved)
            {
                Environment.SetEnvironmentVariable(pair.Key, pair.Value);
            }
        }
    }
}
