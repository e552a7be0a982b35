<#
.SYNOPSIS
    A real HAProxy with a blue and a green server, for the traffic drill and the traffic Pester tests.

.DESCRIPTION
    Dot-sourced (`. $PSScriptRoot/HAProxySupport.ps1`), with TrafficSupport.ps1 (the version endpoints, answers through
    a proxy). Start-HAProxy writes a configuration in a folder of the caller's (a frontend on a
    free port, an admin stats socket, the backend 'app' with blue taking traffic and green disabled, each checked by
    HAProxy every 200 ms on /health), starts HAProxy in master-worker mode in the foreground and waits until it answers;
    Stop-HAProxy stops it by its PID. Send-HAProxyCommand speaks the runtime API as socat would.
#>

. (Join-Path $PSScriptRoot 'TrafficSupport.ps1')

function Find-HAProxy {
    @((Get-Command haproxy -CommandType Application -ErrorAction SilentlyContinue).Source) + @('/usr/sbin/haproxy') |
        Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1
}

function Start-HAProxy([string] $Folder, $Blue, $Green) {
    $binary = Find-HAProxy
    if (-not $binary) { throw 'HAProxy is not installed (no haproxy on PATH nor /usr/sbin/haproxy): apt-get install haproxy.' }
    $null = New-Item -ItemType Directory -Path $Folder -Force
    $port = Get-FreePort
    $socket = Join-Path $Folder 'admin.sock'
    $config = Join-Path $Folder 'haproxy.cfg'
    Set-Content -LiteralPath $config -NoNewline -Value (@(
            'global'
            "    stats socket $socket mode 600 level admin"
            'defaults'
            '    mode http'
            '    timeout connect 2s'
            '    timeout client 30s'
            '    timeout server 30s'
            # A loaded machine may answer a check slower than its 200 ms interval: that is not a failed check.
            '    timeout check 5s'
            'frontend web'
            "    bind 127.0.0.1:$port"
            '    default_backend app'
            'backend app'
            '    option httpchk GET /health'
            "    server blue 127.0.0.1:$($Blue.Port) check inter 200ms fall 3 rise 1 weight 100"
            "    server green 127.0.0.1:$($Green.Port) check inter 200ms fall 3 rise 1 weight 100 disabled"
            ''
        ) -join "`n")
    $errors = Join-Path $Folder 'haproxy.err'
    $process = Start-Process -FilePath $binary -ArgumentList '-W', '-db', '-f', $config -PassThru `
        -RedirectStandardOutput (Join-Path $Folder 'haproxy.out') -RedirectStandardError $errors
    $haproxy = [pscustomobject]@{ Process = $process; Config = $config; Socket = $socket; Url = [uri]"http://127.0.0.1:$port/health"; Binary = $binary }
    Wait-ProxyStarted $haproxy 'HAProxy' $errors ({ Test-Path -LiteralPath $socket }.GetNewClosure())
}

function Stop-HAProxy($HAProxy) { Stop-Proxy $HAProxy }

# HAProxy's own reload: SIGUSR2 to the master, whose new worker reads the configuration file again.
function Invoke-HAProxyReload($HAProxy) {
    & kill -USR2 $HAProxy.Process.Id
    Start-Sleep -Milliseconds 500
}

# One runtime API command over the admin socket, as socat would send it; returns HAProxy's answer.
function Send-HAProxyCommand($HAProxy, [string] $Command) {
    $client = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
    try {
        $client.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($HAProxy.Socket))
        $null = $client.Send([System.Text.Encoding]::ASCII.GetBytes("$Command`n"))
        $buffer = [byte[]]::new(65536)
        $answer = [System.Text.StringBuilder]::new()
        while (($read = $client.Receive($buffer)) -gt 0) { $null = $answer.Append([System.Text.Encoding]::UTF8.GetString($buffer, 0, $read)) }
        $answer.ToString()
    }
    finally { $client.Dispose() }
}

# The deployment, by hand as a runbook does it: green takes the traffic, blue leaves it, and the file says the same.
function Invoke-GreenDeployment($HAProxy) {
    $null = Send-HAProxyCommand $HAProxy 'set server app/green state ready'
    $null = Send-HAProxyCommand $HAProxy 'set server app/green weight 100'
    $null = Send-HAProxyCommand $HAProxy 'set server app/blue state maint'
    $deadline = [datetime]::UtcNow.AddSeconds(15)
    while ((Get-ProxyAnswer $HAProxy 5).Keys -join ',' -ne 'v2.4.0' -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    $lines = Get-Content -LiteralPath $HAProxy.Config | ForEach-Object {
        if ($_ -match '^\s+server green ') { ($_ -replace ' disabled', '') -replace 'weight \d+', 'weight 100' }
        elseif ($_ -match '^\s+server blue ') { ($_ -replace ' disabled', '') + ' disabled' }
        else { $_ }
    }
    Set-Content -LiteralPath $HAProxy.Config -NoNewline -Value (($lines -join "`n") + "`n")
}
