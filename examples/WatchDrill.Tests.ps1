# The automatic-rollback drill as a Pester test, for teams that rehearse Watch-Deployment on a schedule.
# Run with:  dotnet run --project src/Rollback.Runner -- -Command "Invoke-Pester ./examples/WatchDrill.Tests.ps1"
# (or Invoke-Pester in any pwsh 7 with Pester 5; the drill imports the built module when it is not loaded yet)

BeforeAll {
    $script:drill = & (Join-Path $PSScriptRoot 'watch-drill.ps1') -PassThru
}

Describe 'Watch drill: an unhealthy v2.4.0 under Watch-Deployment' {
    It 'waits for the automatic trigger to hold before acting' {
        ($drill.Records | Where-Object Action -eq 'Pending') | Should -Not -BeNullOrEmpty
        $drill.Final.Trigger | Should -Be 'AvailabilityBelow'
        ($drill.Final.Time - $drill.Final.BreachSeenAt) | Should -BeGreaterOrEqual ([timespan]::FromSeconds(2))
    }

    It 'rolls back once, to v2.3.1, verified' {
        $drill.Final.Action | Should -Be 'RolledBack'
        @($drill.Records | Where-Object { $null -ne $_.Rollback }).Count | Should -Be 1
        $drill.Rollback.Status | Should -Be 'Succeeded'
        $drill.Rollback.ToVersion | Should -Be 'v2.3.1'
        $drill.Version | Should -Be 'v2.3.1'
        $drill.Rollback.Verification.Status | Should -Not -Contain 'Fail'
    }

    It 'journals the rollback under the trigger that held' {
        $drill.Journal.IsValid | Should -BeTrue
        $drill.History.Trigger | Should -Be 'AvailabilityBelow'
    }
}
