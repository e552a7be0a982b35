# The HAProxyBackend kind from the user's side: a real HAProxy (Debian's) started by this file on 127.0.0.1 with its own
# configuration and admin socket in TestDrive:, blue (v2.3.1) and green (v2.4.0) served by two health endpoints, and the
# traffic asserted by requests through HAProxy. Skipped, with the reason, where HAProxy is not installed.

BeforeDiscovery {
    $script:haproxy = @((Get-Command haproxy -CommandType Application -ErrorAction SilentlyContinue).Source) + @('/usr/sbin/haproxy') |
        Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'RollbackTestSupport.ps1')
    $null = Use-TestStore

    function Get-FreePort {
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop(); $port
    }

    # One runtime API command over the Unix socket, as socat would send it.
    function Send-HAProxyCommand([string] $Command) {
        $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($script:socketPath))
            $null = $socket.Send([System.Text.Encoding]::ASCII.GetBytes("$Command`n"))
            $buffer = [byte[]]::new(65536); $text = ''
            while (($read = $socket.Receive($buffer)) -gt 0) { $text += [System.Text.Encoding]::UTF8.GetString($buffer, 0, $read) }
            $text
        } finally { $socket.Dispose() }
    }

    # The versions that requests through HAProxy answer.
    function Get-Answer([int] $Count = 10) {
        1..$Count | ForEach-Object { (Invoke-RestMethod -Uri $script:frontend -TimeoutSec 5).version }
    }
}

Describe 'HAProxyBackend: blue-green rollback through a real HAProxy' -Skip:(-not $haproxy) {
    BeforeAll {
        $script:blue = Start-HealthEndpoint 'v2.3.1'
        $script:green = Start-HealthEndpoint 'v2.4.0'
        $port = Get-FreePort
        $script:frontend = "http://127.0.0.1:$port/health"
        $script:socketPath = Join-Path $TestDrive 'admin.sock'
        $script:config = Join-Path $TestDrive 'haproxy.cfg'
        Set-Content -LiteralPath $config -NoNewline -Value (@(
                'global'
                "    stats socket $socketPath mode 600 level admin"
                'defaults'
                '    mode http'
                '    timeout connect 2s'
                '    timeout client 30s'
                '    timeout server 30s'
                'frontend web'
                "    bind 127.0.0.1:$port"
                '    default_backend app'
                'backend app'
                '    option httpchk GET /health'
                "    server blue 127.0.0.1:$($blue.Uri.Port) check inter 200ms weight 100"
                "    server green 127.0.0.1:$($green.Uri.Port) check inter 200ms weight 100 disabled"
                ''
            ) -join "`n")
        $script:process = Start-Process -FilePath $haproxy -ArgumentList '-W', '-db', '-f', $config -PassThru `
            -RedirectStandardOutput (Join-Path $TestDrive 'haproxy.out') -RedirectStandardError (Join-Path $TestDrive 'haproxy.err')
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while ($true) {
            try { if ((Invoke-RestMethod -Uri $frontend -TimeoutSec 2).version -and (Test-Path $socketPath)) { break } } catch { }
            if ([datetime]::UtcNow -gt $deadline) { throw "HAProxy did not start: $(Get-Content (Join-Path $TestDrive 'haproxy.err') -Raw)" }
            Start-Sleep -Milliseconds 100
        }

        Register-RollbackTarget -Name web -Kind HAProxyBackend -Settings @{
            RuntimeApi = $socketPath; ConfigPath = $config; Backend = 'app'
            Colours = 'blue=blue', 'green=green'
            HealthUrl = "blue=$($blue.Uri)", "green=$($green.Uri)"
            ProxyUrl = $frontend; VerifyRequests = 10; Steps = '100'
        }
        $script:point = New-RollbackPoint -Target web -Note 'blue serves v2.3.1'
        # The deployment, by hand: green takes the traffic, blue goes to maintenance.
        $null = Send-HAProxyCommand 'set server app/green state ready'
        $null = Send-HAProxyCommand 'set server app/blue state maint'
    }

    AfterAll {
        if ($process) { Stop-Process -Id $process.Id -ErrorAction SilentlyContinue }
        Stop-HealthEndpoint $blue
        Stop-HealthEndpoint $green
        Clear-TestStore
    }

    It 'captures the version blue serves as the point''s version' {
        $point.Version | Should -Be 'v2.3.1'
        Get-Answer | Sort-Object -Unique | Should -Be 'v2.4.0'
    }

    It 'refuses a step list that does not end at 100 with TrafficStepsInvalid, traffic unchanged' {
        { Invoke-Rollback -Target web -PointId $point.Id -Reason 'drill' -Option @{ Steps = '50' } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'TrafficStepsInvalid,*'
        Get-Answer | Sort-Object -Unique | Should -Be 'v2.4.0'
    }

    It 'moves every request back to blue, verified through HAProxy, and keeps it in the configuration file' {
        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'v2.4.0 fails' -Confirm:$false

        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be 'v2.4.0'
        $result.ToVersion | Should -Be 'v2.3.1'
        ($result.Verification | Where-Object Name -eq 'TrafficThroughProxy').Status | Should -Be 'Pass'
        Get-Answer | Sort-Object -Unique | Should -Be 'v2.3.1'
        (Get-Content -LiteralPath $config | Where-Object { $_ -match 'server green' }) | Should -Match 'disabled'
        (Get-RollbackHistory -Target web -Action TrafficStep).Details['Traffic.Percent'] | Should -Be '100'
    }
}
