# Plans: three release "servers" and a configuration file rolled back as one, a failed stage stopped or undone, the
# bad plans refused, a directory fleet at a throttle.

Describe 'Plans: one rollback across many targets' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $servers = 'web1', 'web2', 'web3'
        foreach ($server in $servers) {
            $root = New-ReleaseRoot $server
            Register-RollbackTarget -Name $server -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        }
        $config = Join-Path $TestDrive 'etc' 'appsettings.json'
        New-Item -ItemType File -Path $config -Value '{ "Pool": 20 }' -Force | Out-Null
        Register-RollbackTarget -Name config -Kind ConfigurationFile -Settings @{ Path = $config } -Confirm:$false | Out-Null
        $plan = Register-RollbackTarget -Name release -Kind Plan -Settings @{ Stages = 'web1, web2, web3', 'config' } -Confirm:$false

        function Deploy-Bad {
            foreach ($server in $servers) { Set-CurrentRelease (Join-Path $TestDrive $server) v2.0.0 }
            Set-Content -LiteralPath $config -Value '{ "Pool": 0 }' -NoNewline
        }
    }

    AfterAll {
        Clear-TestStore
    }

    It 'registers a plan as a target of the Plan kind, its stages normalised' {
        $plan | Should -BeOfType ([Rollback.RollbackTarget])
        $plan.Kind | Should -Be 'Plan'
        $plan.Settings['Stages'] | Should -Be @('web1, web2, web3', 'config')
        (Get-RollbackKind -Name Plan).Settings.Name | Should -Contain 'MaxFailedPercent'
    }

    It 'captures one plan point that names a point of each member' {
        $script:point = New-RollbackPoint -Target release -Note 'known good'
        $point | Should -BeOfType ([Rollback.RollbackPoint])
        $point.Kind | Should -Be 'Plan'
        foreach ($member in $servers + 'config') {
            $point.Metadata["Member.$member"] | Should -Be (Get-RollbackPoint -Target $member -Latest).Id
        }
    }

    It 'is ready only when every member is, and says which is not' {
        Deploy-Bad
        $report = Get-RollbackPoint -Target release -Latest | Test-RollbackReadiness
        $report.IsReady | Should -BeTrue
        $report.Members.Target | Should -Be @('web1', 'web2', 'web3', 'config')

        Add-Content -LiteralPath (Join-Path $TestDrive 'web2' 'releases' 'v1.0.0' 'app.dll') -Value 'tampered'
        $report = Get-RollbackPoint -Target release -Latest | Test-RollbackReadiness
        $report.IsReady | Should -BeFalse
        ($report.Checks | Where-Object Status -eq 'Fail').Name | Should -Contain 'web2: ArtifactsIntact'
        { $report | Invoke-Rollback -Reason r -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,Rollback.PowerShell.Commands.InvokeRollbackCommand'
        foreach ($server in $servers) { Get-CurrentRelease (Join-Path $TestDrive $server) | Should -Be 'v2.0.0' }
        Set-Content -LiteralPath (Join-Path $TestDrive 'web2' 'releases' 'v1.0.0' 'app.dll') -Value 'build v1.0.0' -NoNewline
    }

    It 'rolls the plan back stage by stage as one typed result, one run id in the journal' {
        $script:result = Get-RollbackPoint -Target release -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'error rate' -ThrottleLimit 3 -Confirm:$false

        $result | Should -BeOfType ([Rollback.RollbackResult])
        $result.Status | Should -Be 'Succeeded'
        $result.Members | Should -HaveCount 4
        $result.Members[0] | Should -BeOfType ([Rollback.PlanMemberResult])
        $result.Members.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        $result.Members.Stage | Should -Be @(1, 1, 1, 2)
        foreach ($server in $servers) { Get-CurrentRelease (Join-Path $TestDrive $server) | Should -Be 'v1.0.0' }
        Get-Content -Raw -LiteralPath $config | Should -Be '{ "Pool": 20 }'
        $run = Get-RollbackHistory -PlanRunId $result.PlanRunId
        ($run | Where-Object Action -eq 'Rollback').Target | Sort-Object | Should -Be @('config', 'release', 'web1', 'web2', 'web3')
        (Get-RollbackHistory -Verify).IsValid | Should -BeTrue
    }

    It 'renders a table view of its members' {
        Get-TableHeader $result.Members | Should -Be @('Stage', 'Target', 'Status', 'FromVersion', 'ToVersion', 'Duration', 'Downtime', 'Undo')
    }

    It 'undoes the whole run through the plan safety point' {
        $undo = Invoke-Rollback -Target release -PointId $result.SafetyPointId -Reason 'undo' -Confirm:$false
        $undo.Status | Should -Be 'Succeeded'
        foreach ($server in $servers) { Get-CurrentRelease (Join-Path $TestDrive $server) | Should -Be 'v2.0.0' }
        Get-Content -Raw -LiteralPath $config | Should -Be '{ "Pool": 0 }'
    }

    It 'stops at a failed stage and names the undo commands, or undoes the stages before it' {
        foreach ($server in $servers) { Set-CurrentRelease (Join-Path $TestDrive $server) v1.0.0 }
        Set-Content -LiteralPath $config -Value '{ "Pool": ' -NoNewline
        $broken = New-RollbackPoint -Target release -Note 'half-edited configuration'
        Deploy-Bad

        $stopped = $broken | Invoke-Rollback -Reason r -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failed
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PlanStageFailed,*'
        $stopped.Status | Should -Be 'Failed'
        @(($stopped.Members | Where-Object Stage -eq 1).UndoCommand) | Should -HaveCount 3
        ($stopped.Members | Where-Object Stage -eq 1).UndoCommand | ForEach-Object { $_ | Should -BeLike 'Invoke-Rollback -Target web* -PointId * -Reason *' }
        foreach ($server in $servers) { Get-CurrentRelease (Join-Path $TestDrive $server) | Should -Be 'v1.0.0' }

        Deploy-Bad
        $undone = $broken | Invoke-Rollback -Reason r -OnFailure Undo -Confirm:$false -ErrorAction SilentlyContinue
        $undone.Status | Should -Be 'Failed'
        ($undone.Members | Where-Object Stage -eq 1).Undo.Status | Should -Be @('Succeeded', 'Succeeded', 'Succeeded')
        foreach ($server in $servers) { Get-CurrentRelease (Join-Path $TestDrive $server) | Should -Be 'v2.0.0' }
    }

    It 'refuses bad plans, each with its ErrorId' -TestCases @(
        @{ Stages = @('web1, ghost'); ErrorId = 'PlanMemberNotFound' }
        @{ Stages = @('web1', 'web1'); ErrorId = 'PlanMemberInTwoStages' }
        @{ Stages = @('web1', ' '); ErrorId = 'PlanStageEmpty' }
        @{ Stages = @('bad'); ErrorId = 'PlanCycle' }
    ) {
        param($Stages, $ErrorId)
        { Register-RollbackTarget -Name bad -Kind Plan -Settings @{ Stages = $Stages } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId,Rollback.PowerShell.Commands.RegisterRollbackTargetCommand"
        Get-RollbackTarget -Name bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a throttle of 0 before anything changes' {
        { Invoke-Rollback -Target release -PointId $point.Id -Reason r -ThrottleLimit 0 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidThrottleLimit,Rollback.PowerShell.Commands.InvokeRollbackCommand'
        foreach ($server in $servers) { Get-CurrentRelease (Join-Path $TestDrive $server) | Should -Be 'v2.0.0' }
    }

    It 'rolls a fleet of Directory members back at a throttle' {
        $fleet = 1..6 | ForEach-Object {
            $site = Join-Path $TestDrive "site$_"
            New-Item -ItemType File -Path (Join-Path $site 'VERSION') -Value 'v1' -Force | Out-Null
            (Register-RollbackTarget -Name "site$_" -Kind Directory -Settings @{ Path = $site; VersionFile = 'VERSION' } -Confirm:$false).Name
        }
        Register-RollbackTarget -Name sites -Kind Plan -Settings @{ Stages = ($fleet -join ', ') } -Confirm:$false | Out-Null
        $sitesPoint = New-RollbackPoint -Target sites
        1..6 | ForEach-Object { Set-Content -LiteralPath (Join-Path $TestDrive "site$_" 'VERSION') -Value 'v2' -NoNewline }

        $sites = Invoke-Rollback -Target sites -PointId $sitesPoint.Id -Reason 'fleet' -ThrottleLimit 2 -Confirm:$false

        $sites.Status | Should -Be 'Succeeded'
        $sites.Members.ToVersion | Sort-Object -Unique | Should -Be 'v1'
        1..6 | ForEach-Object { Get-Content -Raw -LiteralPath (Join-Path $TestDrive "site$_" 'VERSION') | Should -Be 'v1' }
    }
}
