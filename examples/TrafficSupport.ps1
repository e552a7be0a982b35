<#
.SYNOPSIS
    What the traffic drills and the traffic Pester tests share, whatever the proxy: blue and green as version
    endpoints, a free port, and the versions requests through a proxy answer.

.DESCRIPTION
    Dot-sourced by HAProxySupport.ps1 and NginxSupport.ps1. Start-VersionEndpoint serves one colour's version on
    127.0.0.1 (a loopback server, LoopbackSupport.ps1): every path answers {"status":...,"version":...}, 200 or, once
    its State.Status is set to 503, 503. Get-ProxyAnswer counts the versions that requests through a proxy answer.
#>

# Get-FreePort, Start-LoopbackServer, Stop-LoopbackServer.
. (Join-Path $PSScriptRoot 'LoopbackSupport.ps1')

# One colour's version endpoint: every path answers {"status":...,"version":...} with $endpoint.State.Status (200, or
# 503 once a test sets it) and $endpoint.State.Version; $endpoint.Uri is its health URL.
function Start-VersionEndpoint([string] $Version) {
    $state = [hashtable]::Synchronized(@{ Status = 200; Version = $Version })
    $server = Start-LoopbackServer -State $state -Handle {
        param($Context, $State)
        $status = $State.Status
        $word = if ($status -eq 200) { 'healthy' } else { 'unhealthy' }
        Send-JsonAnswer $Context $status ('{"status":"' + $word + '","version":"' + $State.Version + '"}')
    }.ToString()
    $server | Add-Member -NotePropertyName Uri -NotePropertyValue ([uri]($server.Url.ToString() + 'health')) -PassThru
}

function Stop-VersionEndpoint($Endpoint) { Stop-LoopbackServer $Endpoint }

# Waits until a proxy just started ($Proxy.Process, answering at $Proxy.Url) answers a version, and $Ready (when given)
# holds; returns it. When its process ends or 30 s pass, stops it (Stop-Process by its PID) and throws with $ErrorLog.
function Wait-ProxyStarted($Proxy, [string] $Name, [string] $ErrorLog, [scriptblock] $Ready = { $true }) {
    $deadline = [datetime]::UtcNow.AddSeconds(30)
    while ($true) {
        try { if ((& $Ready) -and (Invoke-RestMethod -Uri $Proxy.Url -TimeoutSec 2).version) { return $Proxy } } catch { }
        if ($Proxy.Process.HasExited -or [datetime]::UtcNow -gt $deadline) {
            Stop-Proxy $Proxy
            throw "$Name did not start: $(Get-Content -Raw -LiteralPath $ErrorLog -ErrorAction SilentlyContinue)"
        }

        Start-Sleep -Milliseconds 100
    }
}

# Stops a proxy this file started, by its PID, with every process under it: nginx's workers (and HAProxy's in
# master-worker mode) are the master's children and outlive a master that is killed alone.
function Stop-Proxy($Proxy) {
    if ($null -eq $Proxy -or $Proxy.Process.HasExited) { return }
    try { $Proxy.Process.Kill($true) } catch [System.InvalidOperationException] { return } # it ended meanwhile
    $null = $Proxy.Process.WaitForExit(10000)
}

# The versions that requests through a proxy (its .Url) answer, counted: @{ 'v2.3.1' = 10 }.
function Get-ProxyAnswer($Proxy, [int] $Count = 20) {
    $answers = @{}
    foreach ($i in 1..$Count) {
        $version = try { (Invoke-RestMethod -Uri $Proxy.Url -TimeoutSec 5).version } catch { '(failed)' }
        $answers[$version] = 1 + [int]$answers[$version]
    }
    $answers
}
