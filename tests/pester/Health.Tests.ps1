# Health and version checks against a real HTTP endpoint on 127.0.0.1, after a rollback and under Watch-Deployment.

Describe 'Health: Test-DeploymentHealth and Watch-Deployment' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $endpoint = Start-HealthEndpoint -Version 'v1.0.0'
        $fast = @{ Timeout = [timespan]::FromSeconds(2); RetryInterval = [timespan]::FromMilliseconds(200) }
    }

    AfterAll {
        Stop-HealthEndpoint $endpoint
        Clear-TestStore
    }

    BeforeEach {
        $endpoint.State.Status = 200
        $endpoint.State.Body = '{"status":"Healthy","version":"v1.0.0"}'
    }

    It 'Test-DeploymentHealth reports a healthy endpoint at the expected version, typed' {
        $health = Test-DeploymentHealth -Uri $endpoint.Uri -ExpectedVersion v1.0.0

        $health | Should -BeOfType ([Rollback.HealthCheckResult])
        $health.Healthy | Should -BeTrue
        $health.StatusCode | Should -Be 200
        $health.ReportedVersion | Should -Be 'v1.0.0'
        $health.Attempts | Should -Be 1
        $health.Latency | Should -BeOfType ([timespan])
    }

    It 'Test-DeploymentHealth reports another version with VersionMismatch, and the result' {
        $health = Test-DeploymentHealth -Uri $endpoint.Uri -ExpectedVersion v2.0.0 @fast -ErrorVariable problems -ErrorAction SilentlyContinue

        $health.Healthy | Should -BeFalse
        $health.ReportedVersion | Should -Be 'v1.0.0'
        $problems.FullyQualifiedErrorId | Should -Be 'VersionMismatch,Rollback.PowerShell.Commands.TestDeploymentHealthCommand'
    }

    It 'Test-DeploymentHealth stops a runbook on an unhealthy endpoint with -ErrorAction Stop: HealthCheckFailed' {
        $endpoint.State.Status = 503
        $endpoint.State.Body = '{"status":"Unhealthy","version":"v1.0.0"}'

        { Test-DeploymentHealth -Uri $endpoint.Uri @fast -ErrorAction Stop } | Should -Throw -ErrorId 'HealthCheckFailed,*'
    }

    It 'Test-DeploymentHealth renders its table view' {
        Get-TableHeader (Test-DeploymentHealth -Uri $endpoint.Uri) | Should -Be @('Healthy', 'Code', 'Reported', 'Expected', 'LatencyMs', 'Attempts', 'Uri', 'Detail')
    }

    It 'Test-DeploymentHealth checks the endpoint after a rollback, from the pipeline' {
        $root = New-ReleaseRoot 'app' -Current v1.0.0
        Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        New-RollbackPoint -Target api | Out-Null
        Set-CurrentRelease $root v2.0.0

        $health = Get-RollbackPoint -Target api -Latest |
            Invoke-Rollback -Reason 'health drill' -Confirm:$false |
            Test-DeploymentHealth -Uri $endpoint.Uri -ExpectedVersion v1.0.0

        $health.Healthy | Should -BeTrue
        Get-CurrentRelease $root | Should -Be 'v1.0.0'
    }

    It 'Watch-Deployment watches a healthy deployment and leaves it alone' {
        $records = Get-RollbackPoint -Target api -Latest |
            Watch-Deployment -Uri $endpoint.Uri -HealthOnly -Interval ([timespan]::FromMilliseconds(200)) -Duration ([timespan]::FromSeconds(1)) -Reason 'watch drill' -Confirm:$false

        $records | Should -BeOfType ([Rollback.WatchRecord])
        $records.Action | Should -Not -Contain 'RolledBack'
        $records[-1].Health | Should -Not -BeNullOrEmpty
        Get-TableHeader $records | Should -Be @('Poll', 'Time', 'Health', 'Available', 'ErrorRate', 'Action', 'Triggers', 'Message')
    }

    It 'Watch-Deployment refuses -HealthOnly without an endpoint: InvalidWatchArguments' {
        { Get-RollbackPoint -Target api -Latest | Watch-Deployment -HealthOnly -Duration ([timespan]::FromSeconds(1)) -Reason r -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidWatchArguments,Rollback.PowerShell.Commands.WatchDeploymentCommand'
    }

    It 'Get-AutoRollbackConfiguration says a release folder has no automatic rollback of its own: AutoRollbackNotSupported' {
        { Get-AutoRollbackConfiguration -Target api -ErrorAction Stop } | Should -Throw -ErrorId 'AutoRollbackNotSupported,*'
    }

    It 'Set-AutoRollbackConfiguration refuses it too' {
        { Set-AutoRollbackConfiguration -Target api -Enable -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'AutoRollbackNotSupported,*'
    }
}
