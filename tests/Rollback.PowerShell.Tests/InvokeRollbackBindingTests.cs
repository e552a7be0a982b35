using System;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>Invoke-Rollback's pipeline binding and refusals that need no provider.</summary>
public sealed class InvokeRollbackBindingTests
{
    private const int RollbackActivityId = 4201; // Rollback.Engine.ProgressActivity.Rollback

    private const string MakeReport = @"
function New-Report([string] $Target, [bool] $Ready) {
    $checks = [System.Collections.Generic.List[Rollback.CheckResult]]::new()
    if ($Ready) { $checks.Add([Rollback.CheckResult]::Pass('PointExists', 'there')) }
    else { $checks.Add([Rollback.CheckResult]::Fail('ArtifactsIntact', 'ArtifactChecksumMismatch', 'bin/app.dll changed')) }
    [Rollback.ReadinessReport]@{ Target = $Target; PointId = '20260101-000000000-abcdef'; Checks = $checks }
}
";

    [Fact]
    public void ANotReadyReportIsRefusedWithRollbackNotReadyAndThePipelineGoesOn()
    {
        using var session = new RollbackSession();

        var result = session.Run(MakeReport +
            "(New-Report api $false), (New-Report web $false), (New-Report ghost $true) | Invoke-Rollback -Reason 'drill' -Confirm:$false");

        Assert.Null(result.Terminating);
        Assert.Empty(result.Output);
        Assert.Equal(3, result.Errors.Count);
        Assert.StartsWith("RollbackNotReady,", result.Errors[0].FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("RollbackNotReady,", result.Errors[1].FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("ArtifactChecksumMismatch", result.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Equal("Rollback.ReadinessReport", result.Errors[0].TargetObject?.GetType().FullName);

        // The ready report reached the engine, which refused the unknown target and journaled the refusal.
        Assert.StartsWith("TargetNotFound,", result.Errors[2].FullyQualifiedErrorId, StringComparison.Ordinal);

        // The engine closes its progress activity even on a refusal, so no bar is left behind.
        Assert.Contains(result.Progress, p => p.ActivityId == RollbackActivityId && p.RecordType == ProgressRecordType.Completed);
        // Every refusal is journaled: the two not-ready reports as RollbackNotReady, the unknown target as TargetNotFound.
        var refused = session.Run("Get-RollbackHistory -Status Refused").All("HistoryEntry");
        Assert.Equal(new[] { "api", "web", "ghost" }, refused.Select(e => e.GetString("Target")));
        Assert.Equal(new[] { "RollbackNotReady", "RollbackNotReady", "TargetNotFound" }, refused.Select(e => e.GetString("ErrorId")));
        Assert.All(refused, e => Assert.Equal("drill", e.GetString("Reason")));
    }

    [Fact]
    public void ARollbackNotReadyErrorStopsARunbookUnderErrorActionStop()
    {
        using var session = new RollbackSession();

        var result = session.Run(MakeReport + "$reached = $false; (New-Report api $false) | Invoke-Rollback -Reason r -Confirm:$false -ErrorAction Stop; $reached = $true; $reached");

        Assert.NotNull(result.Terminating);
        Assert.StartsWith("RollbackNotReady,", result.Terminating!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void TargetAndIdBindByPropertyNameLikeARollbackPoint()
    {
        using var session = new RollbackSession();

        var result = session.Run(
            "[pscustomobject]@{ Target = 'ghost'; Id = '20260101-000000000-abcdef' } | Invoke-Rollback -Reason r -WhatIf; " +
            "[pscustomobject]@{ Target = 'ghost'; Id = '20260101-000000000-abcdef' } | Test-RollbackReadiness; " +
            "[pscustomobject]@{ Target = 'ghost'; PointId = '20260101-000000000-abcdef' } | Restore-Configuration -Reason r -WhatIf");

        Assert.Null(result.Terminating);
        Assert.Equal(3, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.StartsWith("TargetNotFound,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.All(result.Errors, e => Assert.Equal("ghost", e.TargetObject));
    }

    [Fact]
    public void WhatIfJournalsNothing()
    {
        using var session = new RollbackSession();

        session.Run("Invoke-Rollback -Target ghost -PointId 20260101-000000000-abcdef -Reason r -WhatIf");

        Assert.Empty(session.Run("Get-RollbackHistory").All("HistoryEntry"));
    }

    [Fact]
    public void NotReadyReportUnderWhatIfIsReportedButNotJournaled()
    {
        using var session = new RollbackSession();

        var result = session.Run(MakeReport + "New-Report api $false | Invoke-Rollback -Reason r -WhatIf");

        Assert.StartsWith("RollbackNotReady,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(session.Run("Get-RollbackHistory").All("HistoryEntry"));
    }
}
