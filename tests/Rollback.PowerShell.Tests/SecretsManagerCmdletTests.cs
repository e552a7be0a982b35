using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Runtime.Loader;
using System.Text.Json;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The SecretsManagerSecret kind through the cmdlets in a hosted runspace, against moto behind the endpoint that checks
/// every request's SigV4 signature: register, capture, readiness, Invoke-Rollback and Restore-Configuration through the
/// pipeline, -WhatIf, errors by FullyQualifiedErrorId, and a canary value that must appear nowhere.
/// </summary>
public sealed class SecretsManagerCmdletTests : IClassFixture<MotoFixture>
{
    private readonly MotoFixture _aws;

    public SecretsManagerCmdletTests(MotoFixture aws)
    {
        _aws = aws;
    }

    [SkippableFact]
    public void RegisterCaptureAndRollBackThroughThePipeline()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var name = MotoFixture.UniqueName("ps-rollback");
        var ids = _aws.CreateSecret(name, "one", "two");

        var target = Register(session, name).One("RollbackTarget");
        var point = session.Run("New-RollbackPoint -Target db -Note 'before deploy'").One("RollbackPoint");
        var bad = _aws.PutValue(name, "three");
        var readiness = session.Run("Get-RollbackPoint -Target db -Latest | Test-RollbackReadiness").One("ReadinessReport");
        var run = session.Run("Get-RollbackPoint -Target db -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'bad secret' -ApprovedBy oncall -Confirm:$false");

        Assert.Equal("SecretsManagerSecret", target.GetString("Kind"));
        Assert.Equal(ids[1], point.GetString("Version"));
        Assert.Equal(true, readiness.Get("IsReady"));
        var result = run.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal(bad, result.GetString("FromVersion"));
        Assert.Equal(ids[1], result.GetString("ToVersion"));
        Assert.Contains("AWSCURRENT", _aws.Stages(name)[ids[1]]);
        Assert.Contains("AWSPREVIOUS", _aws.Stages(name)[bad]);
        Assert.Contains(run.Progress, p => p.RecordType == ProgressRecordType.Completed);
        Assert.Empty(_aws.Endpoint!.FailuresOfMainKey);

        var again = session.Run("Get-RollbackPoint -Target db -Latest | Invoke-Rollback -Reason again -Confirm:$false").One("RollbackResult");
        Assert.Equal("AlreadyCurrent", again.GetString("Status"));
    }

    [SkippableFact]
    public void InvokeRollbackWhatIfPlansTheStageMoveAndSendsNoChange()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var name = MotoFixture.UniqueName("ps-whatif");
        _aws.CreateSecret(name, "one", "two");
        Register(session, name).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target db").One("RollbackPoint");
        var bad = _aws.PutValue(name, "three");
        var moves = _aws.Endpoint!.Count("UpdateSecretVersionStage");

        var plan = session.Run("Get-RollbackPoint -Target db -Latest | Invoke-Rollback -Reason r -WhatIf").One("RollbackResult");

        Assert.Equal("WhatIf", plan.GetString("Status"));
        var steps = ((IEnumerable)plan.Get("Steps")!).Cast<object>().Select(s => PSObject.AsPSObject(s).GetString("Name")).ToList();
        Assert.Contains("MoveCurrentStage", steps);
        Assert.Contains("VerifyStages", steps);
        Assert.Equal(moves, _aws.Endpoint.Count("UpdateSecretVersionStage"));
        Assert.Contains("AWSCURRENT", _aws.Stages(name)[bad]);
    }

    [SkippableFact]
    public void TheRealAwsCliSignsRequestsTheEndpointAccepts()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        var cli = File.Exists("/usr/bin/aws") ? "/usr/bin/aws" : MotoServer.FindOnPath("aws");
        Skip.If(cli is null, "No AWS CLI (Debian's awscli, as .ci/run installs it): the check of the verifier against an independent client skips.");
        var name = MotoFixture.UniqueName("cli");
        _aws.CreateSecret(name, "one");
        var start = new System.Diagnostics.ProcessStartInfo(cli!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "secretsmanager", "describe-secret", "--secret-id", name, "--endpoint-url", _aws.EndpointUrl.ToString(), "--region", AwsTestEndpoint.Region, "--output", "json" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = AwsTestEndpoint.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = AwsTestEndpoint.SecretKey;
        start.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "the AWS CLI did not finish within 60 s");

        // The verifier accepts a signature made by a client that is neither the module nor the verifier's own code path.
        Assert.True(process.ExitCode == 0, $"aws exited {process.ExitCode}: {error.Result}");
        Assert.Contains(name, output.Result, StringComparison.Ordinal);
        Assert.Empty(_aws.Endpoint!.FailuresOfMainKey);
    }

    [SkippableFact]
    public void RestoreConfigurationPreviousAndWhatIf()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var name = MotoFixture.UniqueName("ps-previous");
        var ids = _aws.CreateSecret(name, "one", "two");
        Register(session, name).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target db").One("RollbackPoint");
        var bad = _aws.PutValue(name, "three");

        var whatIf = session.Run("Get-RollbackPoint -Target db -Latest | Restore-Configuration -Previous -Reason check -WhatIf").One("ConfigurationRestoreResult");
        Assert.Equal(true, whatIf.Get("WhatIf"));
        Assert.Contains("AWSCURRENT", _aws.Stages(name)[bad]);

        var restored = session.Run("Get-RollbackPoint -Target db -Latest | Restore-Configuration -Previous -Reason 'bad rotation' -Confirm:$false").One("ConfigurationRestoreResult");
        Assert.Equal(true, restored.Get("Changed"));
        Assert.Equal(bad, restored.GetString("From"));
        Assert.Equal(ids[1], restored.GetString("To"));
        Assert.Equal(name, restored.GetString("Item"));
        Assert.Contains("AWSCURRENT", _aws.Stages(name)[ids[1]]);

        var history = session.Run("Get-RollbackHistory -Target db -Action RestoreConfiguration -Last 1").One("HistoryEntry");
        Assert.Equal("Succeeded", history.GetString("Status"));
        Assert.Equal(ids[1], history.GetString("To"));
    }

    [SkippableFact]
    public void AnUnknownSecretIsNotReadyAndInvokeRollbackRefusesWithRollbackNotReady()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var name = MotoFixture.UniqueName("ps-unknown");
        _aws.CreateSecret(name, "one");
        Register(session, name).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target db").One("RollbackPoint");
        Register(session, MotoFixture.UniqueName("ps-never"), force: true).One("RollbackTarget");

        var readiness = session.Run("Get-RollbackPoint -Target db -Latest | Test-RollbackReadiness").One("ReadinessReport");
        var refused = session.Run("Get-RollbackPoint -Target db -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason x -Confirm:$false");
        var capture = session.Run("New-RollbackPoint -Target db");

        Assert.Equal(false, readiness.Get("IsReady"));
        refused.SingleError("RollbackNotReady");
        var error = capture.SingleError("AwsResourceNotFound");
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("AWS request id", error.Exception.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AccessDeniedIsAnErrorRecordWithItsId()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var name = MotoFixture.UniqueName("ps-denied");
        _aws.CreateSecret(name, "one");
        Register(session, name).One("RollbackTarget");
        _aws.Endpoint!.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"AccessDeniedException\",\"Message\":\"not authorized to perform: secretsmanager:DescribeSecret\"}", "DescribeSecret"));

        var capture = session.Run("New-RollbackPoint -Target db");

        var error = capture.SingleError("AwsAccessDenied");
        Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
        Assert.Empty(session.Run("Get-RollbackPoint -Target db").Output);
    }

    [SkippableFact]
    public void NoRegionAnywhereIsAwsRegionMissing()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        Skip.If(new[] { "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE" }.Any(v => Environment.GetEnvironmentVariable(v) is not null),
            "An AWS region or profile is set in this environment, so there is always a region.");
        using var session = new RollbackSession();
        session.SetVariable("url", _aws.EndpointUrl.ToString());
        session.Run("Register-RollbackTarget -Name db -Kind SecretsManagerSecret -Settings @{ SecretId = 'x'; EndpointUrl = $url }").One("RollbackTarget");

        session.Run("New-RollbackPoint -Target db").SingleError("AwsRegionMissing");
    }

    [SkippableFact]
    public void ACanarySecretValueAppearsInNoStreamJournalOrStoreFile()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var canary = "CANARY-" + Guid.NewGuid().ToString("N");
        var name = MotoFixture.UniqueName("ps-canary");
        _aws.CreateSecret(name, canary + "-good", canary + "-good2");
        var trafficBefore = _aws.Endpoint!.Traffic.Count;

        var runs = new[]
        {
            Register(session, name),
            session.Run("New-RollbackPoint -Target db -Verbose"),
        }.ToList();
        _aws.PutValue(name, canary + "-bad");
        runs.Add(session.Run("Get-RollbackPoint -Target db -Latest | Test-RollbackReadiness -Verbose"));
        runs.Add(session.Run("Get-RollbackPoint -Target db -Latest | Invoke-Rollback -Reason canary -Confirm:$false -Verbose"));
        runs.Add(session.Run("Get-RollbackPoint -Target db -Latest | Restore-Configuration -Previous -Reason canary -Confirm:$false -Verbose"));
        runs.Add(session.Run("Get-RollbackPoint -Target db -Latest | Restore-Configuration -Reason canary -WhatIf -Verbose"));
        runs.Add(session.Run("Get-RollbackHistory -Target db"));
        _aws.Endpoint.Enqueue(new ScriptedAnswer(400, "{\"__type\":\"AccessDeniedException\",\"Message\":\"denied\"}", "DescribeSecret"));
        runs.Add(session.Run("New-RollbackPoint -Target db -Verbose"));

        foreach (var run in runs)
        {
            foreach (var item in run.Output)
            {
                Assert.DoesNotContain(canary, Describe(item), StringComparison.Ordinal);
            }

            Assert.All(run.AllErrors, e => Assert.DoesNotContain(canary, e + " " + e.Exception, StringComparison.Ordinal));
            Assert.All(run.Warnings, w => Assert.DoesNotContain(canary, w, StringComparison.Ordinal));
            Assert.All(run.Verbose, v => Assert.DoesNotContain(canary, v, StringComparison.Ordinal));
            Assert.All(run.Progress, p => Assert.DoesNotContain(canary, p.Activity + p.StatusDescription + p.CurrentOperation, StringComparison.Ordinal));
        }

        Assert.NotEmpty(runs.SelectMany(r => r.Verbose));
        foreach (var file in Directory.EnumerateFiles(session.StorePath, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(canary, File.ReadAllText(file), StringComparison.Ordinal);
        }

        // And nothing the module sent or received carried it: it never asked for a value.
        Assert.DoesNotContain(_aws.Endpoint.Traffic.Skip(trafficBefore), t => t.Contains(canary, StringComparison.Ordinal));
        Assert.DoesNotContain(_aws.Endpoint.Operations, o => o.EndsWith(".GetSecretValue", StringComparison.Ordinal) || o.EndsWith(".BatchGetSecretValue", StringComparison.Ordinal));
    }

    [Fact]
    public void TheAwsProviderAndTheSdkLoadInAContextOfTheirOwn()
    {
        using var session = new RollbackSession();
        // Registering loads the providers; AWSSDK.Core loads when a client is first built, here for a capture that
        // meets a closed loopback port (so the test needs no moto and runs alone as well as in the suite).
        session.Run("Register-RollbackTarget -Name x -Kind SecretsManagerSecret -Settings @{ SecretId = 'x'; MaxAttempts = 1; Region = 'us-east-1'; EndpointUrl = 'http://127.0.0.1:1/' }").AssertNoErrors();
        session.Run("New-RollbackPoint -Target x").SingleError("AwsEndpointUnreachable");

        var provider = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "Rollback.Providers.Aws");
        var context = AssemblyLoadContext.GetLoadContext(provider)!;
        Assert.NotSame(AssemblyLoadContext.Default, context);
        var sdk = context.Assemblies.Single(a => a.GetName().Name == "AWSSDK.Core");
        Assert.Equal(Path.GetDirectoryName(provider.Location), Path.GetDirectoryName(sdk.Location));
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "AWSSDK.Core");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(context.Assemblies.Single(a => a.GetName().Name == "Rollback.Providers.Aws").GetReferencedAssemblies()
            .Where(n => n.Name == "Rollback.Core").Select(n => AppDomain.CurrentDomain.GetAssemblies().First(a => a.GetName().Name == n.Name)).Single()));
    }

    private RunResult Register(RollbackSession session, string secretId, bool force = false)
    {
        session.SetVariable("secretId", secretId);
        session.SetVariable("url", _aws.EndpointUrl.ToString());
        return session.Run("Register-RollbackTarget -Name db -Kind SecretsManagerSecret -Settings @{ SecretId = $secretId; Region = 'us-east-1'; EndpointUrl = $url }" + (force ? " -Force" : string.Empty));
    }

    private static string Describe(PSObject item)
    {
        var text = item.ToString() + " " + string.Join(" ", item.Properties.Select(p => p.Name + "=" + SafeValue(p)));
        try
        {
            return text + " " + JsonSerializer.Serialize(item.BaseObject, item.BaseObject.GetType());
        }
        catch (NotSupportedException)
        {
            return text;
        }
    }

    private static string SafeValue(PSPropertyInfo property)
    {
        try
        {
            return property.Value is IEnumerable list and not string ? string.Join(",", list.Cast<object>()) : property.Value?.ToString() ?? string.Empty;
        }
        catch (GetValueInvocationException)
        {
            return string.Empty;
        }
    }
}
