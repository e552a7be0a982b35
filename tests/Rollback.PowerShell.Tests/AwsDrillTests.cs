using System;
using System.IO;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>examples/aws-drill.ps1: in a hosted runspace against the signature-checking endpoint, and through the runner with a moto it starts itself.</summary>
public sealed class AwsDrillTests : IClassFixture<MotoFixture>
{
    private readonly MotoFixture _aws;

    public AwsDrillTests(MotoFixture aws)
    {
        _aws = aws;
    }

    private static string DrillPath => Path.Combine(RollbackSession.RepoRoot, "examples", "aws-drill.ps1");

    [SkippableFact]
    public void TheAwsDrillRollsEveryKindBackWithEveryRequestSigned()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        using var lambda = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "lambda");
        using var moto = new MotoLambda(_aws.Moto.Url);
        using var ecs = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "ecs");
        using var s3 = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "s3");
        using var cloudFront = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "cloudfront");
        using var elb = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "elasticloadbalancing");
        using var rds = AwsTestEndpoint.ForMoto(_aws.Moto.Url, "rds");

        var run = session.Run("param($drill, $url, $lambda, $ecs, $s3, $cloudFront, $elb, $rds, $moto, $sandbox) & $drill -EndpointUrl $url -LambdaEndpointUrl $lambda -EcsEndpointUrl $ecs -S3EndpointUrl $s3 -CloudFrontEndpointUrl $cloudFront -ElbEndpointUrl $elb -RdsEndpointUrl $rds -EmulatorUrl $moto -Sandbox $sandbox -PassThru", new System.Collections.Hashtable
        {
            ["s3"] = s3.Url.ToString(),
            ["cloudFront"] = cloudFront.Url.ToString(),
            ["elb"] = elb.Url.ToString(),
            ["rds"] = rds.Url.ToString(),
            ["drill"] = DrillPath,
            ["url"] = _aws.EndpointUrl.ToString(),
            ["lambda"] = lambda.Url.ToString(),
            ["ecs"] = ecs.Url.ToString(),
            ["moto"] = _aws.Moto.Url.ToString(),
            ["sandbox"] = Path.Combine(session.Root, "aws-drill"),
        });

        run.AssertNoErrors();
        var drill = Assert.Single(run.Output);
        var good = drill.GetString("Good")!;
        var bad = drill.GetString("Bad")!;
        Assert.Contains("AWSCURRENT", _aws.Stages(drill.GetString("SecretId")!)[good]);
        Assert.Contains("AWSPREVIOUS", _aws.Stages(drill.GetString("SecretId")!)[bad]);
        Assert.Empty(_aws.Endpoint!.FailuresOfMainKey);
        Assert.True(_aws.Endpoint.Count("UpdateSecretVersionStage") >= 1);
        Assert.Equal(drill.GetString("LambdaGood"), moto.Alias(drill.GetString("Function")!, "live").Version);
        Assert.Single(lambda.Operations, o => o.StartsWith("PUT ", StringComparison.Ordinal));
        Assert.Empty(lambda.FailuresOfMainKey);
        Assert.Equal("Succeeded", System.Management.Automation.PSObject.AsPSObject(drill.Get("Ecs")!).GetString("Status"));
        Assert.Equal(1, ecs.Count("UpdateService"));
        Assert.Empty(ecs.FailuresOfMainKey);
        Assert.Equal("Succeeded", System.Management.Automation.PSObject.AsPSObject(drill.Get("Site")!).GetString("Status"));
        Assert.Contains(s3.Operations, o => o.StartsWith("PUT /" + drill.GetString("Bucket") + "/site/version.txt", StringComparison.Ordinal));
        Assert.Contains(cloudFront.Operations, o => o.StartsWith("POST /2020-05-31/distribution/", StringComparison.Ordinal));
        Assert.Empty(s3.FailuresOfMainKey);
        Assert.Empty(cloudFront.FailuresOfMainKey);
        Assert.Equal("Succeeded", System.Management.Automation.PSObject.AsPSObject(drill.Get("Alb")!).GetString("Status"));
        Assert.Equal(2, elb.Count("ModifyListener"));
        Assert.Empty(elb.FailuresOfMainKey);
        var database = System.Management.Automation.PSObject.AsPSObject(drill.Get("Database")!);
        Assert.Equal("Succeeded", database.GetString("Status"));
        Assert.Equal(System.Management.Automation.PSObject.AsPSObject(drill.Get("DbPoint")!).GetString("Version"), database.GetString("ToVersion"));
        Assert.StartsWith(drill.GetString("DbInstance") + "-old-", drill.GetString("DbReplaced"), StringComparison.Ordinal);
        Assert.Equal(2, rds.Count("CreateDBSnapshot"));
        Assert.Equal(1, rds.Count("RestoreDBInstanceFromDBSnapshot"));
        Assert.Equal(2, rds.Count("ModifyDBInstance"));
        Assert.Empty(rds.FailuresOfMainKey);
        Assert.False(Directory.Exists(Path.Combine(session.Root, "aws-drill")), "the drill removes its sandbox");
    }

    [SkippableFact]
    public void TheAwsDrillThroughTheRunnerStartsMotoAndExitsZero()
    {
        Skip.If(MotoServer.FindOnPath("moto_server") is null, "moto is not installed (no 'moto_server' on PATH): pip install 'moto[server]', as .ci/run does.");
        Skip.If(Environment.GetEnvironmentVariable("ROLLBACK_DRILL_AWS_ENDPOINT") is not null, "ROLLBACK_DRILL_AWS_ENDPOINT is set: the drill would use it instead of starting moto.");
        DrillThroughTheRunner.AssertPasses(DrillPath, "=== Rollback ===", "Succeeded", "AWS drill passed: AWSCURRENT of", "alias live of", "runs arn:aws:ecs:", "paths invalidated", "forwards all to blue again after 2 traffic steps", "the replaced instance kept as");
    }
}
