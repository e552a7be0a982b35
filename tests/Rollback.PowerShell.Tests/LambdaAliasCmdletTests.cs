using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The LambdaAlias kind through the cmdlets in a hosted runspace, against moto's Lambda behind the endpoint that checks
/// every request's SigV4 signature: register, capture, readiness, -WhatIf, Invoke-Rollback through the pipeline, the
/// kind's own ErrorIds by FullyQualifiedErrorId, and the alias as moto then holds it.
/// </summary>
public sealed class LambdaAliasCmdletTests : IClassFixture<MotoFixture>, IDisposable
{
    private readonly MotoFixture _aws;
    private readonly MotoService<MotoLambda> _service;

    public LambdaAliasCmdletTests(MotoFixture aws)
    {
        _aws = aws;
        _service = new MotoService<MotoLambda>(aws, "lambda", url => new MotoLambda(url));
    }

    public void Dispose() => _service.Dispose();

    [SkippableFact]
    public void WhatIfThenRollbackThroughThePipeline()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var function = Deployed(session);
        session.Run("New-RollbackPoint -Target checkout -Note 'v2 live'").One("RollbackPoint");
        _service.Arrange.UpdateAlias(function, "live", "3");

        var plan = session.Run("Get-RollbackPoint -Target checkout -Latest | Invoke-Rollback -Reason r -WhatIf").One("RollbackResult");
        Assert.Equal("WhatIf", plan.GetString("Status"));
        var steps = ((IEnumerable)plan.Get("Steps")!).Cast<object>().Select(s => PSObject.AsPSObject(s).GetString("Name")).ToList();
        Assert.Contains("Shift100", steps);
        Assert.Equal("3", _service.Arrange.Alias(function, "live").Version);

        var run = session.Run("Get-RollbackPoint -Target checkout -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'errors on v3' -ApprovedBy oncall -Confirm:$false");
        run.AssertNoErrors();
        var result = run.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal("3", result.GetString("FromVersion"));
        Assert.Equal("2", result.GetString("ToVersion"));
        Assert.Equal("2", _service.Arrange.Alias(function, "live").Version);
        Assert.Empty(_service.Endpoint.FailuresOfMainKey);

        var kind = session.Run("Get-RollbackKind -Name LambdaAlias").One("RollbackKindInfo");
        Assert.Contains("LambdaVersionMissing", string.Join(",", ((IEnumerable)kind.Get("ErrorIds")!).Cast<object>().Select(e => PSObject.AsPSObject(e).GetString("ErrorId"))), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ADeletedVersionIsRefusedWithItsErrorIdAndTheAliasStays()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        var function = Deployed(session);
        session.Run("New-RollbackPoint -Target checkout").One("RollbackPoint");
        _service.Arrange.UpdateAlias(function, "live", "3");
        _service.Arrange.DeleteVersion(function, "2");

        var readiness = session.Run("Get-RollbackPoint -Target checkout -Latest | Test-RollbackReadiness").One("ReadinessReport");
        var run = session.Run("Get-RollbackPoint -Target checkout -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason r -Confirm:$false");

        Assert.Equal(false, readiness.Get("IsReady"));
        var failed = ((IEnumerable)readiness.Get("Checks")!).Cast<object>().Select(PSObject.AsPSObject).Single(c => c.GetString("Status") == "Fail");
        Assert.Equal("LambdaVersionMissing", failed.GetString("ErrorId"));
        Assert.StartsWith("RollbackNotReady", run.SingleError("RollbackNotReady").FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("3", _service.Arrange.Alias(function, "live").Version);
    }

    [SkippableFact]
    public void AnUnknownFunctionIsAwsResourceNotFoundAndNoPointIsKept()
    {
        Skip.If(_aws.SkipReason is not null, _aws.SkipReason);
        using var session = new RollbackSession();
        Register(session, MotoLambda.UniqueFunction("rollback-none"));

        var run = session.Run("New-RollbackPoint -Target checkout");

        Assert.StartsWith("AwsResourceNotFound", run.SingleError("AwsResourceNotFound").FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(session.Run("Get-RollbackPoint -Target checkout").Output);
    }

    /// <summary>Versions 1..3 of a new function, alias "live" on 2, registered as "checkout".</summary>
    private string Deployed(RollbackSession session)
    {
        var function = MotoLambda.UniqueFunction("rollback-ps");
        _service.Arrange.CreateFunction(function, "v1");
        _service.Arrange.Publish(function, "v2");
        _service.Arrange.Publish(function, "v3");
        _service.Arrange.CreateAlias(function, "live", "2");
        Register(session, function);
        return function;
    }

    private void Register(RollbackSession session, string function) =>
        session.Run("param($f, $url) Register-RollbackTarget -Name checkout -Kind LambdaAlias -Settings @{ FunctionName = $f; AliasName = 'live'; Region = 'us-east-1'; EndpointUrl = $url }",
            new Hashtable { ["f"] = function, ["url"] = _service.Endpoint.Url.ToString() }).AssertNoErrors();
}
