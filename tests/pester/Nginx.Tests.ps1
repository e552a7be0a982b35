# The NginxUpstream kind from the user's side: a real nginx (Debian's) started by this file on 127.0.0.1 with its own
# configuration, pid file and logs in TestDrive:, blue (v2.3.1) and green (v2.4.0) served by two version endpoints (the
# helpers the traffic drill uses), and the traffic asserted by requests through nginx. Skipped where nginx is not
# installed.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot '..' '..' 'examples' 'NginxSupport.ps1')
    $script:nginxMissing = -not (Find-Nginx)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'RollbackTestSupport.ps1')
    . (Join-Path $PSScriptRoot '..' '..' 'examples' 'NginxSupport.ps1')
    $null = Use-TestStore
}

Describe 'NginxUpstream: blue-green and gradual rollback through a real nginx' -Skip:$nginxMissing {
    BeforeAll {
        $script:blue = Start-VersionEndpoint 'v2.3.1'
        $script:green = Start-VersionEndpoint 'v2.4.0'
        $script:nginx = Start-Nginx (Join-Path $TestDrive 'nginx') $blue $green
        Register-RollbackTarget -Name web -Kind NginxUpstream -Settings @{
            ConfigPath = $nginx.Config; Upstream = 'app'; TestCommand = $nginx.TestCommand
            Colours = "blue=$($nginx.BlueServer)", "green=$($nginx.GreenServer)"
            HealthUrl = "blue=$($blue.Uri)", "green=$($green.Uri)"
            ProxyUrl = $nginx.Url; VerifyRequests = 10; Steps = '100'
        }
        $script:point = New-RollbackPoint -Target web -Note 'blue serves v2.3.1'
        $script:captured = Get-Content -Raw -LiteralPath $nginx.Config
        Invoke-NginxDeployment $nginx
    }

    AfterAll {
        Stop-Nginx $nginx
        Stop-VersionEndpoint $blue
        Stop-VersionEndpoint $green
        Clear-TestStore
    }

    It 'captures the version blue serves as the point''s version' {
        $point.Version | Should -Be 'v2.3.1'
        (Get-ProxyAnswer $nginx 10).Keys | Should -Be 'v2.4.0'
    }

    It 'lists the kind with its settings and ErrorIds' {
        $kind = Get-RollbackKind -Name NginxUpstream
        $kind.Capabilities | Should -Be 'GradualTraffic'
        $kind.Settings.Name | Should -Contain 'ProxyPassUpstreams'
        $kind.ErrorIds.ErrorId | Should -Contain 'NginxConfigRejected'
    }

    It 'refuses a file nginx rejects with NginxConfigRejected, file and traffic unchanged' {
        $good = Get-Content -Raw -LiteralPath $nginx.Config
        Set-Content -LiteralPath $nginx.Config -NoNewline -Value $good.Replace('access_log off;', "access_log off;`n    no_such_directive on;")
        $broken = Get-Content -Raw -LiteralPath $nginx.Config
        try {
            $report = Test-RollbackReadiness -Target web -PointId $point.Id
            ($report.Checks | Where-Object Status -eq 'Fail').ErrorId | Should -Contain 'NginxConfigRejected'
            { Invoke-Rollback -Target web -PointId $point.Id -Reason 'drill' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,*'
            Get-Content -Raw -LiteralPath $nginx.Config | Should -BeExactly $broken
            (Get-ProxyAnswer $nginx 10).Keys | Should -Be 'v2.4.0'
        }
        finally { Set-Content -LiteralPath $nginx.Config -NoNewline -Value $good }
    }

    It 'describes the switch under -WhatIf and changes nothing' {
        $before = Get-Content -Raw -LiteralPath $nginx.Config
        $result = Invoke-Rollback -Target web -PointId $point.Id -Reason 'drill' -WhatIf
        $result.Status | Should -Be 'WhatIf'
        ($result.Steps | Where-Object Name -eq 'Shift100').Message | Should -Match 'nginx -t|reload'
        Get-Content -Raw -LiteralPath $nginx.Config | Should -BeExactly $before
    }

    It 'moves every request back to blue, verified through nginx, with the captured file' {
        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'v2.4.0 fails' -Confirm:$false

        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be 'v2.4.0'
        $result.ToVersion | Should -Be 'v2.3.1'
        $result.Steps.Name | Should -Contain 'Shift100.Reload'
        ($result.Verification | Where-Object Name -eq 'TrafficThroughProxy').Status | Should -Be 'Pass'
        (Get-ProxyAnswer $nginx 10).Keys | Should -Be 'v2.3.1'
        Get-Content -Raw -LiteralPath $nginx.Config | Should -BeExactly $captured
    }

    It 'moves half the traffic through the weights, then all of it, journaling each step' {
        Invoke-NginxDeployment $nginx
        $result = Invoke-Rollback -Target web -PointId $point.Id -Reason 'v2.4.0 fails' -Confirm:$false -Option @{ Steps = '50,100'; StepWait = '00:00:00.2' }

        $result.Status | Should -Be 'Succeeded'
        $result.Steps.Name | Should -Contain 'Verify50'
        (Get-ProxyAnswer $nginx 10).Keys | Should -Be 'v2.3.1'
        (Get-RollbackHistory -Target web -Action TrafficStep -Last 2 | ForEach-Object { $_.Details['Traffic.Percent'] }) | Should -Be @('50', '100')
    }

    It 'refuses an upstream the file does not have with NginxUpstreamNotFound' {
        Register-RollbackTarget -Name other -Kind NginxUpstream -Settings @{ ConfigPath = $nginx.Config; Upstream = 'nope'; TestCommand = $nginx.TestCommand }
        { New-RollbackPoint -Target other -ErrorAction Stop } | Should -Throw -ErrorId 'NginxUpstreamNotFound,*'
    }
}
