# The rollback drill as a Pester test, for teams that rehearse rollbacks on a schedule.
# Run with:  dotnet run --project src/Rollback.Runner -- -Command "Invoke-Pester ./examples/Drill.Tests.ps1"
# (or Invoke-Pester in any pwsh 7 with Pester 5; the drill imports the built module when it is not loaded yet)

BeforeAll {
    $script:drill = & (Join-Path $PSScriptRoot 'drill.ps1') -PassThru
}

Describe 'Rollback drill: a bad v2.4.0 release' {
    It 'finds the known-good point ready' {
        $drill.Readiness.IsReady | Should -BeTrue
        $drill.Readiness.PointVersion | Should -Be 'v2.3.1'
    }

    It 'rolls back to v2.3.1 and verifies it' {
        $drill.Rollback.Status | Should -Be 'Succeeded'
        $drill.Rollback.FromVersion | Should -Be 'v2.4.0'
        $drill.Rollback.ToVersion | Should -Be 'v2.3.1'
        $drill.Version | Should -Be 'v2.3.1'
        $drill.Rollback.Verification.Status | Should -Not -Contain 'Fail'
    }

    It 'captures the failed state as a safety point first' {
        $drill.Rollback.SafetyPointId | Should -Not -BeNullOrEmpty
        $drill.Rollback.Steps[0].Name | Should -Be 'CaptureSafetyPoint'
    }

    It 'reports the switch as its downtime, within the rollback it is part of' {
        # Durations are asserted as reported, never bounded by the clock: a loaded machine is slow, not wrong.
        $drill.Rollback.Downtime | Should -BeOfType [timespan]
        $drill.Rollback.Downtime | Should -BeGreaterOrEqual ([timespan]::Zero)
        $drill.Rollback.Downtime | Should -BeLessOrEqual $drill.Rollback.Duration
    }

    It 'restores the validated configuration' {
        $changed = $drill.Configuration | Where-Object Changed
        $changed.Item | Should -Match 'appsettings\.Production\.json$'
        $changed.Validated | Should -BeTrue
        $changed.SafetyCopy | Should -Not -BeNullOrEmpty
    }

    It 'records every step in a journal whose chain verifies' {
        $drill.Journal.IsValid | Should -BeTrue
        ($drill.History | Where-Object Action -eq 'Rollback').Status | Should -Be 'Succeeded'
        ($drill.History | Where-Object Action -eq 'Rollback').ApprovedBy | Should -Be 'oncall'
    }
}
