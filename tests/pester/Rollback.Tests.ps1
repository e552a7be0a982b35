# The incident: readiness, a rollback through the pipeline, its safety point, the journal and its verification.

# One Describe: TestDrive: (the store and the sandbox) lives as long as it, across every test here.
Describe 'Rollback: readiness, the rollback, its journal' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $root = New-ReleaseRoot 'app'
        Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        $known = New-RollbackPoint -Target api -Note 'known good'
        Set-CurrentRelease $root v2.0.0
    }

    AfterAll {
        Clear-TestStore
    }

    It 'Test-RollbackReadiness reports every check for the latest point, ready' {
        $report = Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness

        $report | Should -BeOfType ([Rollback.ReadinessReport])
        $report.IsReady | Should -BeTrue
        $report.CurrentVersion | Should -Be 'v2.0.0'
        $report.PointVersion | Should -Be 'v1.0.0'
        $report.Checks.Name | Should -Contain 'ArtifactsIntact'
        $report.Checks.Status | Should -Not -Contain 'Fail'
    }

    It 'Test-RollbackReadiness renders its table view, and one for its checks' {
        $report = Test-RollbackReadiness -Target api -PointId $known.Id
        Get-TableHeader $report | Should -Be @('Target', 'PointId', 'Current', 'Point', 'IsReady', 'Failed', 'Warned')
        Get-TableHeader $report.Checks | Should -Be @('Status', 'Name', 'ErrorId', 'Message')
    }

    It 'Invoke-Rollback describes the rollback and changes nothing under -WhatIf' {
        $result = Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'drill' -WhatIf

        $result.Status | Should -Be 'WhatIf'
        Get-CurrentRelease $root | Should -Be 'v2.0.0'
    }

    It 'Invoke-Rollback rolls back through the pipeline with -Confirm:$false, safety point first' {
        $script:result = Get-RollbackPoint -Target api -Latest |
            Test-RollbackReadiness |
            Invoke-Rollback -Reason 'Error rate 12.3% > 10%' -ApprovedBy oncall -Confirm:$false

        $result | Should -BeOfType ([Rollback.RollbackResult])
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be 'v2.0.0'
        $result.ToVersion | Should -Be 'v1.0.0'
        $result.ApprovedBy | Should -Be 'oncall'
        $result.Steps[0].Name | Should -Be 'CaptureSafetyPoint'
        $result.Verification.Status | Should -Not -Contain 'Fail'
        Get-CurrentRelease $root | Should -Be 'v1.0.0'
    }

    It 'Invoke-Rollback reports its durations, the downtime within the whole' {
        $result.Duration | Should -BeOfType ([timespan])
        $result.Downtime | Should -BeOfType ([timespan])
        $result.Downtime | Should -BeLessOrEqual $result.Duration
    }

    It 'Invoke-Rollback kept the failed state as a safety point, which -Latest never returns' {
        $safety = Get-RollbackPoint -Target api -Id $result.SafetyPointId
        $safety.IsSafetyPoint | Should -BeTrue
        $safety.Version | Should -Be 'v2.0.0'
        (Get-RollbackPoint -Target api -Latest).Id | Should -Be $known.Id
    }

    It 'Invoke-Rollback returns AlreadyCurrent and changes nothing when the target is at the point already' {
        $again = Invoke-Rollback -Target api -PointId $known.Id -Reason 'again' -Confirm:$false -WarningAction SilentlyContinue

        $again.Status | Should -Be 'AlreadyCurrent'
        Get-CurrentRelease $root | Should -Be 'v1.0.0'
    }

    It 'Invoke-Rollback can itself be undone from its safety point' {
        $undo = Invoke-Rollback -Target api -PointId $result.SafetyPointId -Reason 'undo the drill' -Confirm:$false

        $undo.Status | Should -Be 'Succeeded'
        Get-CurrentRelease $root | Should -Be 'v2.0.0'
    }

    It 'Invoke-Rollback refuses a point whose artifacts were altered: RollbackNotReady, nothing changed' {
        # The point of a release holds the SHA-256 of its files; the release folder itself stays in place.
        $file = Join-Path $root 'releases' 'v1.0.0' 'app.dll'
        $original = Get-Content -Raw -LiteralPath $file
        Set-Content -LiteralPath $file -Value 'tampered' -NoNewline
        try {
            $report = Test-RollbackReadiness -Target api -PointId $known.Id
            $report.IsReady | Should -BeFalse
            ($report.Checks | Where-Object Status -eq 'Fail').ErrorId | Should -Be 'ArtifactChecksumMismatch'

            { $report | Invoke-Rollback -Reason 'tampered' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'RollbackNotReady,Rollback.PowerShell.Commands.InvokeRollbackCommand'
            Get-CurrentRelease $root | Should -Be 'v2.0.0'
        }
        finally {
            Set-Content -LiteralPath $file -Value $original -NoNewline
        }
    }

    It 'Invoke-Rollback reports an unknown target with TargetNotFound' {
        { Invoke-Rollback -Target nope -PointId $known.Id -Reason r -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotFound,*'
    }

    It 'Invoke-Rollback renders its table view, and one for its steps' {
        Get-TableHeader $result | Should -Be @('Target', 'Status', 'FromVersion', 'ToVersion', 'Duration', 'Downtime', 'SafetyPointId')
        Get-TableHeader $result.Steps | Should -Be @('Name', 'Status', 'Duration', 'Message')
    }

    It 'Get-RollbackHistory lists every attempt with who, why and the outcome' {
        $history = Get-RollbackHistory -Target api -Action Rollback

        $history | Should -BeOfType ([Rollback.HistoryEntry])
        $history.Status | Should -Be @('Succeeded', 'AlreadyCurrent', 'Succeeded', 'Refused') -Because 'a refused attempt is journaled too'
        $history[0].Reason | Should -Be 'Error rate 12.3% > 10%'
        $history[0].ApprovedBy | Should -Be 'oncall'
    }

    It 'Get-RollbackHistory keeps the last N with -Last' {
        @(Get-RollbackHistory -Last 2).Count | Should -Be 2
    }

    It 'Get-RollbackHistory verifies its hash chain with -Verify' {
        $verification = Get-RollbackHistory -Verify

        $verification | Should -BeOfType ([Rollback.JournalVerification])
        $verification.IsValid | Should -BeTrue
        Get-TableHeader $verification | Should -Be @('IsValid', 'EntryCount', 'FirstBroken', 'Message')
    }

    It 'Get-RollbackHistory names the first entry that breaks the chain after an edit' {
        $journal = Join-Path $store 'journal.jsonl'
        $lines = Get-Content -LiteralPath $journal
        $lines[2] = $lines[2] -replace '"Reason":"[^"]*"', '"Reason":"edited"'
        Set-Content -LiteralPath $journal -Value $lines

        $verification = Get-RollbackHistory -Verify

        $verification.IsValid | Should -BeFalse
        $verification.FirstBrokenSequence | Should -Be 3
    }

    It 'Get-RollbackHistory renders its table view' {
        Get-TableHeader (Get-RollbackHistory) | Should -Be @('Seq', 'Time', 'Target', 'Action', 'Status', 'Change', 'User', 'Reason')
    }
}
