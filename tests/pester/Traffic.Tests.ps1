# The HAProxyBackend kind from the user's side: a real HAProxy (Debian's) started by this file on 127.0.0.1 with its own
# configuration and admin socket in TestDrive:, blue (v2.3.1) and green (v2.4.0) served by two version endpoints (the
# helpers the traffic drill uses), and the traffic asserted by requests through HAProxy. Skipped where HAProxy is not
# installed.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot '..' '..' 'examples' 'HAProxySupport.ps1')
    $script:haproxyMissing = -not (Find-HAProxy)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'RollbackTestSupport.ps1')
    . (Join-Path $PSScriptRoot '..' '..' 'examples' 'HAProxySupport.ps1')
    $null = Use-TestStore
}

Describe 'HAProxyBackend: blue-green rollback through a real HAProxy' -Skip:$haproxyMissing {
    BeforeAll {
        $script:blue = Start-VersionEndpoint 'v2.3.1'
        $script:green = Start-VersionEndpoint 'v2.4.0'
        $script:proxy = Start-HAProxy (Join-Path $TestDrive 'haproxy') $blue $green
        Register-RollbackTarget -Name web -Kind HAProxyBackend -Settings @{
            RuntimeApi = $proxy.Socket; ConfigPath = $proxy.Config; Backend = 'app'
            Colours = 'blue=blue', 'green=green'
            HealthUrl = "blue=$($blue.Uri)", "green=$($green.Uri)"
            ProxyUrl = $proxy.Url; VerifyRequests = 10; Steps = '100'
        }
        $script:point = New-RollbackPoint -Target web -Note 'blue serves v2.3.1'
        Invoke-GreenDeployment $proxy
    }

    AfterAll {
        Stop-HAProxy $proxy
        Stop-VersionEndpoint $blue
        Stop-VersionEndpoint $green
        Clear-TestStore
    }

    It 'captures the version blue serves as the point''s version' {
        $point.Version | Should -Be 'v2.3.1'
        (Get-ProxyAnswer $proxy 10).Keys | Should -Be 'v2.4.0'
    }

    It 'refuses a step list that does not end at 100 with TrafficStepsInvalid, traffic unchanged' {
        { Invoke-Rollback -Target web -PointId $point.Id -Reason 'drill' -Option @{ Steps = '50' } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'TrafficStepsInvalid,*'
        (Get-ProxyAnswer $proxy 10).Keys | Should -Be 'v2.4.0'
    }

    It 'moves every request back to blue, verified through HAProxy, and keeps it in the configuration file' {
        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'v2.4.0 fails' -Confirm:$false

        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be 'v2.4.0'
        $result.ToVersion | Should -Be 'v2.3.1'
        ($result.Verification | Where-Object Name -eq 'TrafficThroughProxy').Status | Should -Be 'Pass'
        (Get-ProxyAnswer $proxy 10).Keys | Should -Be 'v2.3.1'
        (Get-Content -LiteralPath $proxy.Config | Where-Object { $_ -match 'server green' }) | Should -Match 'disabled'
        (Get-RollbackHistory -Target web -Action TrafficStep).Details['Traffic.Percent'] | Should -Be '100'
    }
}
