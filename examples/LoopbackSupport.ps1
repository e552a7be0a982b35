<#
.SYNOPSIS
    HTTP servers on 127.0.0.1 for the drills and the Pester suites: a free port, and a server whose requests a
    script answers from a background runspace.

.DESCRIPTION
    Dot-sourced (`. $PSScriptRoot/LoopbackSupport.ps1`) by the webhook, traffic and health-endpoint support and by the
    drills. Start-LoopbackServer serves every request with a handler script; Stop-LoopbackServer stops it and waits for
    its runspace to end, so nothing a drill or a test started outlives it.
#>

# A port of 127.0.0.1 free at the moment of asking.
function Get-FreePort {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    try { $probe.LocalEndpoint.Port } finally { $probe.Stop() }
}

<#
An HTTP server on 127.0.0.1 (a free port), served from a background runspace by System.Net.HttpListener: each request
is answered by $Handle (its text, run in that runspace, with param($Context, $State)); a handler that throws aborts
that response and the server goes on. $State is a synchronized hashtable the caller and the handler share. The
handler is passed as text because a script block stays bound to the runspace that created it; Send-JsonAnswer is
defined in that runspace for it.
#>
function Start-LoopbackServer([string] $Handle, [hashtable] $State) {
    $port = Get-FreePort
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$port/")
    $listener.Start()
    $shell = [powershell]::Create()
    $null = $shell.AddScript({
            param($Listener, $State, $Handle, $Helpers)
            . ([scriptblock]::Create($Helpers))
            $answer = [scriptblock]::Create($Handle)
            while ($Listener.IsListening) {
                try { $context = $Listener.GetContext() } catch { break }
                try { & $answer $context $State } catch { try { $context.Response.Abort() } catch { } }
            }
        }).AddArgument($listener).AddArgument($State).AddArgument($Handle).AddArgument("function Send-JsonAnswer {${function:Send-JsonAnswer}}")
    [pscustomobject]@{ Port = $port; Url = [uri]"http://127.0.0.1:$port/"; State = $State; Listener = $listener; Shell = $shell; Invocation = $shell.BeginInvoke() }
}

function Stop-LoopbackServer($Server) {
    if (-not $Server) { return }
    $Server.Listener.Stop()
    $Server.Listener.Close()
    $null = $Server.Invocation.AsyncWaitHandle.WaitOne(10000)
    $Server.Shell.Dispose()
}

# Answers a request with $Body as JSON and the HTTP status $Status (a helper for handlers).
function Send-JsonAnswer($Context, [int] $Status, [string] $Body) {
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($Body)
    $Context.Response.StatusCode = $Status
    $Context.Response.ContentType = 'application/json'
    $Context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
    $Context.Response.Close()
}
