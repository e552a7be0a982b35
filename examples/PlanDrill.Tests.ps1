# The plan drill as a Pester test: three servers, their configuration, their secret (in moto) and their database (a real
# PostgreSQL 15) rolled back as one, and a plan that fails in its second stage and is undone.
# Run with:  dotnet run --project src/Rollback.Runner -- -Command "Invoke-Pester ./examples/PlanDrill.Tests.ps1"

BeforeAll {
    $script:drill = & (Join-Path $PSScriptRoot 'plan-drill.ps1') -PassThru
}

Describe 'Plan drill: a release on three servers, their configuration, their secret and their database' {
    It 'checks the plan and every member before anything changes' {
        $drill.Readiness.IsReady | Should -BeTrue
        $drill.Readiness.Members.Target | Should -Be @('web1', 'web2', 'web3', 'api-config', 'api-secret', 'api-db')
        $drill.Readiness.Checks.Name | Should -Contain 'api-db: DumpReadable'
        $drill.Readiness.Checks.Name | Should -Contain 'web2: ArtifactsIntact'
    }

    It 'rolls every member back, stage by stage, as one result' {
        $drill.Rollback | Should -BeOfType ([Rollback.RollbackResult])
        $drill.Rollback.Status | Should -Be 'Succeeded'
        $drill.Rollback.Members.Target | Should -Be @('web1', 'web2', 'web3', 'api-config', 'api-secret', 'api-db')
        $drill.Rollback.Members.Stage | Should -Be @(1, 1, 1, 2, 2, 3)
        $drill.Rollback.Members.Status | Should -Not -Contain 'Failed'
        $drill.Rollback.SafetyPointId | Should -Not -BeNullOrEmpty
    }

    It 'links every journal entry of the run by its plan run id' {
        $drill.Run.PlanRunId | Sort-Object -Unique | Should -Be $drill.Rollback.PlanRunId
        ($drill.Run | Where-Object Action -eq 'Rollback').Target | Sort-Object | Should -Be @('api-config', 'api-db', 'api-secret', 'release', 'web1', 'web2', 'web3')
        $drill.Journal.IsValid | Should -BeTrue
    }

    It 'moves the secret''s AWSCURRENT back to the known-good version, as the AWS CLI reads it' {
        $secret = $drill.Rollback.Members | Where-Object Target -eq 'api-secret'
        $secret.Status | Should -Be 'Succeeded'
        $secret.Result.FromVersion | Should -Be $drill.Secret.Bad
        $secret.Result.ToVersion | Should -Be $drill.Secret.Good
        $drill.Secret.Current | Should -Be $drill.Secret.Good
    }

    It 'restores the database beside, switches it in by rename and finds its migration and rows back' {
        $database = $drill.Rollback.Members | Where-Object Target -eq 'api-db'
        $database.Status | Should -Be 'Succeeded'
        $database.Stage | Should -Be 3
        $database.Result.FromVersion | Should -Be '20261201000000'
        $database.Result.ToVersion | Should -Be '20261101000000'
        $database.Result.Steps.Name | Should -Contain 'SwitchDatabases'
        $database.Result.Details['KeptDatabase'] | Should -BeLike 'api_replaced_*'
        $drill.Database | Should -Be '20261101000000/500'
    }

    It 'stops the canary plan at its failed second stage and undoes the first' {
        $drill.Canary.Status | Should -Be 'Failed'
        $drill.Canary.ErrorId | Should -Be 'PlanStageFailed'
        ($drill.Canary.Members | Where-Object Target -eq 'api-config').ErrorId | Should -Be 'ConfigurationInvalid'
        ($drill.Canary.Members | Where-Object Target -eq 'web1').Undo.Status | Should -Be 'Succeeded'
        ($drill.Canary.Members | Where-Object Target -in 'web2', 'web3').Status | Should -Be @('NotRun', 'NotRun')
    }

    It 'tells the incident channel when each plan starts and how it ends' {
        $drill.Messages.text | Should -Be @(
            "Rollback of release started: $($drill.Rollback.FromVersion) → $($drill.Rollback.ToVersion)"
            "Rollback of release succeeded: $($drill.Rollback.FromVersion) → $($drill.Rollback.ToVersion)"
            "Rollback of canary started: $($drill.Canary.FromVersion) → $($drill.Canary.ToVersion)"
            "Rollback of canary failed (PlanStageFailed): $($drill.Canary.FromVersion) → $($drill.Canary.ToVersion)")
        $drill.Messages[1].blocks.fields.text | Should -Contain "*Journal sequence*`n$($drill.Rollback.JournalSequence)"
    }

    It 'writes the incident report with a bar per stage and per member' {
        $drill.Report | Should -Match '<svg'
        ([regex]::Matches($drill.Report, 'data-step="web[123]"')).Count | Should -Be 3
        $drill.Report | Should -Match 'data-step="api-config"'
        $drill.Report | Should -Match ([regex]::Escape($drill.Rollback.JournalHash))
    }
}
