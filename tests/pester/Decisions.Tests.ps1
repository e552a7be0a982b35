# Whether to roll back: the automatic triggers and the severity matrix, from the numbers an on-call has at hand.

Describe 'Decisions: Get-RollbackDecision' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
    }

    AfterAll {
        Clear-TestStore
    }

    It 'rolls back now when the error rate is over its trigger for long enough' {
        $decision = Get-RollbackDecision -ErrorRate 0.123 -ErrorRateMinutes 4

        $decision | Should -BeOfType ([Rollback.RollbackDecision])
        $decision.Action | Should -Be 'ImmediateRollback'
        $decision.Severity | Should -Be 'Sev2'
        $decision.OnCallMayApprove | Should -BeTrue
        ($decision.Reasons -join ' ') | Should -Match 'Error rate 12.3%'
    }

    It 'monitors a low error rate' {
        (Get-RollbackDecision -ErrorRate 0.01 -ErrorRateMinutes 4).Action | Should -Be 'Monitor'
    }

    It 'waits while a high error rate has not held for its time yet' {
        $decision = Get-RollbackDecision -ErrorRate 0.2 -ErrorRateMinutes 1

        $decision.Action | Should -Not -Be 'ImmediateRollback'
        $decision.PendingThresholds | Should -Not -BeNullOrEmpty
    }

    It 'rolls back at once on data corruption' {
        (Get-RollbackDecision -DataCorruption).Action | Should -Be 'ImmediateRollback'
    }

    It 'refuses an error rate that is no rate with a parameter validation error' {
        { Get-RollbackDecision -ErrorRate 12.3 -ErrorRateMinutes 4 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'refuses a policy file that is not one with PolicyInvalid' {
        $policy = New-Item -ItemType File -Path (Join-Path $TestDrive 'policy.json') -Value '{ "not": "a policy" ' -Force
        { Get-RollbackDecision -ErrorRate 0.2 -ErrorRateMinutes 4 -PolicyPath $policy.FullName -ErrorAction Stop } | Should -Throw -ErrorId 'PolicyInvalid,*'
    }

    It 'renders its table view, and one for the thresholds that fired' {
        $decision = Get-RollbackDecision -ErrorRate 0.123 -ErrorRateMinutes 4
        Get-TableHeader $decision | Should -Be @('Action', 'Severity', 'ResponseTime', 'Approvals', 'Reason')
        Get-TableHeader $decision.FiredThresholds | Should -Be @('Name', 'Kind', 'Observed', 'Threshold', 'Held', 'Required', 'Message')
    }

    It 'converts to JSON for a runbook' {
        $json = Get-RollbackDecision -DataCorruption | Select-Object Action, RequiredApprovals | ConvertTo-Json -Compress -EnumsAsStrings
        $json | Should -Match '"Action":"ImmediateRollback"'
    }
}
