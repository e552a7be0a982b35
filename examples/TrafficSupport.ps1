<#
.SYNOPSIS
    What the traffic drills and the traffic Pester tests share, whatever the proxy: blue and green as version
    endpoints, a free port, and the versions requests through a proxy answer.

.DESCRIPTION
    Dot-sourced by HAProxySupport.ps1 and NginxSupport.ps1. Start-VersionEndpoint serves one colour's version on
    127.0.0.1 from a background runspace (HttpListener): every path answers {"status":...,"version":...}, 200 or, once
    its State.Status is set to 503, 503. Get-ProxyAnswer counts the versions that requests through a proxy answer.
#>

function Get-FreePort {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    $port = $probe.LocalEndpoint.Port
    $probe.Stop()
    $port
}

function Start-VersionEndpoint([string] $Version) {
    $port = Get-FreePort
    $state = [hashtable]::Synchronized(@{ Status = 200; Version = $Version })
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$port/")
    $listener.Start()
    $runspace = [runspacefactory]::CreateRunspace([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
    $runspace.Open()
    $shell = [powershell]::Create()
    $shell.Runspace = $runspace
    $null = $shell.AddScript({
            param($Listener, $State)
            while ($Listener.IsListening) {
                try { $context = $Listener.GetContext() } catch { break }
                try {
                    $status = $State.Status
                    $word = if ($status -eq 200) { 'healthy' } else { 'unhealthy' }
                    $bytes = [System.Text.Encoding]::UTF8.GetBytes('{"status":"' + $word + '","version":"' + $State.Version + '"}')
                    $context.Response.StatusCode = $status
                    $context.Response.ContentType = 'application/json'
                    $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                    $context.Response.Close()
                }
                catch { $context.Response.Abort() }
            }
        }).AddArgument($listener).AddArgument($state)
    [pscustomobject]@{ Port = $port; Uri = [uri]"http://127.0.0.1:$port/health"; State = $state; Listener = $listener; Shell = $shell; Runspace = $runspace; Invocation = $shell.BeginInvoke() }
}

function Stop-VersionEndpoint($Endpoint) {
    if ($null -eq $Endpoint) { return }
    $Endpoint.Listener.Close()
    $null = $Endpoint.Invocation.AsyncWaitHandle.WaitOne(5000)
    $Endpoint.Shell.Dispose()
    $Endpoint.Runspace.Dispose()
}

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
