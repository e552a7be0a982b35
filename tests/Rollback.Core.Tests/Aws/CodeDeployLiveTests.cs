using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Rollback.Engine;
using Rollback.Providers;
using Rollback.Providers.Aws.CodeDeploy;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests.Aws;

/// <summary>
/// Opt-in, against real AWS CodeDeploy: runs only when ROLLBACK_LIVE_CODEDEPLOY_APPLICATION and
/// ROLLBACK_LIVE_CODEDEPLOY_GROUP name a test application and group (credentials and region from the usual AWS
/// environment or ROLLBACK_LIVE_AWS_PROFILE / ROLLBACK_LIVE_AWS_REGION), and says plainly that it was skipped otherwise.
/// It reads (Describe, capture, readiness, automatic rollback setting); it redeploys only when
/// ROLLBACK_LIVE_CODEDEPLOY_REDEPLOY=1, because that runs a real deployment on the group's instances.
/// </summary>
public sealed class CodeDeployLiveTests
{
    private const string Skipped = "Live CodeDeploy test skipped: set ROLLBACK_LIVE_CODEDEPLOY_APPLICATION and ROLLBACK_LIVE_CODEDEPLOY_GROUP (a test application and deployment group with a successful deployment), AWS credentials, and ROLLBACK_LIVE_AWS_REGION or AWS_REGION to run it.";

    [SkippableFact]
    public void CapturesChecksAndOptionallyRedeploysARealGroup()
    {
        var application = Environment.GetEnvironmentVariable("ROLLBACK_LIVE_CODEDEPLOY_APPLICATION");
        var group = Environment.GetEnvironmentVariable("ROLLBACK_LIVE_CODEDEPLOY_GROUP");
        Skip.If(string.IsNullOrWhiteSpace(application) || string.IsNullOrWhiteSpace(group), Skipped);

        using var folder = new TempFolder();
        var engine = new RollbackEngine(new RollbackStore(Path.Combine(folder.Path, "store")), new ProviderCatalog(new IRollbackProvider[] { new CodeDeployDeploymentGroupProvider() }), NullReporter.Instance, null, "live-test");
        var settings = new List<KeyValuePair<string, object?>>
        {
            new("ApplicationName", application),
            new("DeploymentGroupName", group),
            new("PollSeconds", "10"),
        };
        foreach (var (variable, setting) in new[] { ("ROLLBACK_LIVE_AWS_REGION", "Region"), ("ROLLBACK_LIVE_AWS_PROFILE", "Profile") })
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(value))
            {
                settings.Add(new(setting, value));
            }
        }

        engine.Targets.Register("live", CodeDeployDeploymentGroupProvider.KindName, new SettingsDictionary(settings), replace: false);
        var state = engine.Targets.Describe("live");
        Assert.False(string.IsNullOrEmpty(state.Version));
        var point = engine.Points.Create("live", "live test", CancellationToken.None);
        Assert.False(string.IsNullOrEmpty(point.Metadata["DeploymentId"]));
        var report = engine.Readiness.Test("live", point.Id);
        Assert.Contains(report.Checks, c => c.Name == "RevisionRegistered");
        Assert.Contains(report.Checks, c => c.Name == "AutoRollbackEnabled");
        var auto = engine.AutoRollback.Get("live");
        Assert.Equal($"{application}/{group}", auto.Resource);

        if (Environment.GetEnvironmentVariable("ROLLBACK_LIVE_CODEDEPLOY_REDEPLOY") == "1" && report.IsReady)
        {
            var result = engine.Rollbacks.Run(new RollbackRequest { Target = "live", PointId = point.Id, Reason = "Rollback module live test", ApprovedBy = new[] { "live-test" } });
            Assert.True(result.Status is RollbackStatus.Succeeded or RollbackStatus.AlreadyCurrent, result.Message);
        }
    }
}
