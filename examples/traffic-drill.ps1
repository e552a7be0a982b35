<#
.SYNOPSIS
    A traffic drill through a real HAProxy: a blue-green rollback that moves every request back to the good colour,
    and a gradual one (50 %, a wait, 100 %) that stops at 50 % when the good colour's health check fails between steps;
    then the same blue-green rollback through a real nginx.

.DESCRIPTION
    In a fresh temporary sandbox this drill serves blue (v2.3.1) and green (v2.4.0) on 127.0.0.1, starts HAProxy
    (Debian's haproxy; the drill fails, saying so, where it is not installed) with its own configuration and admin
    socket, blue taking the traffic, and registers the backend as an HAProxyBackend target.

    Blue-green: it captures the known-good point, deploys green by hand (green ready, blue to maintenance, in the
    runtime API and the file), rolls back with Steps = '100', and proves it with requests through HAProxy, again after
    HAProxy reloads its configuration file.

    Gradual: it deploys green again and rolls back with -Option @{ Steps = '50,100'; StepWait = ... } while blue's
    own health endpoint (HealthUri) is watched; a helper makes blue fail as soon as it holds half the traffic. The
    rollback must stop at 50 % with TrafficShiftStopped, leave the traffic split (weights 50/50), and journal the one
    step it took.

    nginx: it starts nginx (Debian's nginx-light) in front of the same two colours, registers its upstream as an
    NginxUpstream target, deploys green by hand (the file edited, nginx reloaded) and rolls back: the file tested with
    nginx -t, renamed into place and reloaded gracefully, proved by requests through nginx and the file as captured.

    It runs in pwsh 7 with the built module, and in the module's runner:
        dotnet run --project src/Rollback.Runner -- -File examples/traffic-drill.ps1

.PARAMETER Sandbox
    The folder to build the drill in. A new temporary folder by default; removed afterwards unless -Keep.

.PARAMETER StepWait
    How long the gradual rollback holds traffic at 50 % before its checks.

.PARAMETER PassThru
    Return the drill's results as one object instead of printing them (used by the tests).

.PARAMETER Keep
    Keep the sandbox folder for inspection.
#>
[CmdletBinding()]
param(
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-traffic-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [timespan] $StepWait = '00:00:03',
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

. (Join-Path $PSScriptRoot 'DrillSupport.ps1')
. (Join-Path $PSScriptRoot 'HAProxySupport.ps1')
. (Join-Path $PSScriptRoot 'NginxSupport.ps1')

# Makes blue fail its health endpoint as soon as HAProxy gives it half the traffic (the 50 % step), from a background
# runspace that reads the configuration file the rollback writes: what a colour that buckles under load looks like.
function Start-FailureAtHalf($HAProxy, $Endpoint) {
    $runspace = [runspacefactory]::CreateRunspace([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
    $runspace.Open()
    $shell = [powershell]::Create()
    $shell.Runspace = $runspace
    $null = $shell.AddScript({
            param($Config, $State)
            $deadline = [datetime]::UtcNow.AddMinutes(2)
            while ([datetime]::UtcNow -lt $deadline) {
                if ([System.IO.File]::ReadAllText($Config) -match 'server blue [^\n]*weight 50\b') { $State.Status = 503; return }
                Start-Sleep -Milliseconds 50
            }
        }).AddArgument($HAProxy.Config).AddArgument($Endpoint.State)
    [pscustomobject]@{ Shell = $shell; Runspace = $runspace; Invocation = $shell.BeginInvoke() }
}

$store = Join-Path $Sandbox 'store'
$PSDefaultParameterValues = @{ '*-Rollback*:StorePath' = $store }
$blue = $green = $proxy = $nginx = $watcher = $null
try {
    # --- blue serves v2.3.1 behind HAProxy; green waits with v2.4.0 ----------------------------
    $blue = Start-VersionEndpoint 'v2.3.1'
    $green = Start-VersionEndpoint 'v2.4.0'
    $proxy = Start-HAProxy (Join-Path $Sandbox 'haproxy') $blue $green
    $target = Register-RollbackTarget -Name web -Kind HAProxyBackend -Confirm:$false -Settings @{
        RuntimeApi = $proxy.Socket
        ConfigPath = $proxy.Config
        Backend    = 'app'
        Colours    = 'blue=blue', 'green=green'
        HealthUrl  = "blue=$($blue.Uri)", "green=$($green.Uri)"
        ProxyUrl   = $proxy.Url
        Steps      = '100'
        # Blue's own health endpoint, checked after the rollback and between two steps.
        HealthUri     = $blue.Uri
        HealthTimeout = '00:00:05'
    }
    Show 'Target' $target
    $point = New-RollbackPoint -Target web -Note 'blue serves v2.3.1'
    Show 'Known-good point' $point

    # --- blue-green: deploy green, roll back at once --------------------------------------------
    Invoke-GreenDeployment $proxy
    $deployed = Get-ProxyAnswer $proxy
    Show 'After the deployment' ("requests through HAProxy answer: " + (($deployed.GetEnumerator() | ForEach-Object { "$($_.Key) x$($_.Value)" }) -join ', '))
    $blueGreen = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'v2.4.0 fails: back to blue' -Confirm:$false
    Show 'Blue-green rollback' $blueGreen
    $afterBlueGreen = Get-ProxyAnswer $proxy
    Invoke-HAProxyReload $proxy
    $afterReload = Get-ProxyAnswer $proxy

    # --- gradual: deploy green again, roll back in steps while blue buckles at half -------------
    Invoke-GreenDeployment $proxy
    $watcher = Start-FailureAtHalf $proxy $blue
    # A stopped shift is a VerificationFailed result and an error (TrafficShiftStopped): kept here, judged below.
    $gradual = Invoke-Rollback -Target web -PointId $point.Id -Reason 'v2.4.0 fails: back to blue in steps' -Confirm:$false `
        -Option @{ Steps = '50,100'; StepWait = $StepWait.ToString() } -ErrorAction SilentlyContinue -ErrorVariable stopped
    # As text: a VerificationFailed result that reaches the output makes the runner exit 2, and this one is expected.
    Show 'Gradual rollback (stopped, as it must be)' ($gradual | Out-String)
    Show 'Its steps' $gradual.Steps
    $state = Send-HAProxyCommand $proxy 'show servers state app'
    $steps = @(Get-RollbackHistory -Target web -Action TrafficStep)
    Show 'Traffic steps in the journal' $steps

    # --- nginx: the same colours behind nginx, blue-green --------------------------------------
    $blue.State.Status = 200
    $nginx = Start-Nginx (Join-Path $Sandbox 'nginx') $blue $green
    $null = Register-RollbackTarget -Name edge -Kind NginxUpstream -Confirm:$false -Settings @{
        ConfigPath  = $nginx.Config
        Upstream    = 'app'
        TestCommand = $nginx.TestCommand
        Colours     = "blue=$($nginx.BlueServer)", "green=$($nginx.GreenServer)"
        HealthUrl   = "blue=$($blue.Uri)", "green=$($green.Uri)"
        ProxyUrl    = $nginx.Url
        Steps       = '100'
    }
    $nginxPoint = New-RollbackPoint -Target edge -Note 'blue serves v2.3.1 behind nginx'
    $nginxCaptured = Get-Content -Raw -LiteralPath $nginx.Config
    Invoke-NginxDeployment $nginx
    $nginxDeployed = Get-ProxyAnswer $nginx
    $nginxRollback = $nginxPoint | Test-RollbackReadiness | Invoke-Rollback -Reason 'v2.4.0 fails behind nginx' -Confirm:$false
    Show 'nginx blue-green rollback' $nginxRollback
    $afterNginx = Get-ProxyAnswer $nginx
    $chain = Get-RollbackHistory -Verify

    # --- prove it worked ------------------------------------------------------------------------
    $problems = @()
    if ($blueGreen.Status -ne 'Succeeded') { $problems += "the blue-green rollback ended $($blueGreen.Status): $($blueGreen.Message)" }
    if ($deployed['v2.4.0'] -ne 20) { $problems += 'the deployment did not move every request to green' }
    if ($afterBlueGreen['v2.3.1'] -ne 20) { $problems += "after the blue-green rollback requests answered $($afterBlueGreen.Keys -join ', ')" }
    if ($afterReload['v2.3.1'] -ne 20) { $problems += "after HAProxy reloaded its file requests answered $($afterReload.Keys -join ', ')" }
    if ($gradual.Status -ne 'VerificationFailed' -or $gradual.ErrorId -ne 'TrafficShiftStopped') { $problems += "the gradual rollback ended $($gradual.Status) ($($gradual.ErrorId)), not stopped" }
    if (@($stopped).Count -ne 1 -or $stopped[0].FullyQualifiedErrorId -notlike 'TrafficShiftStopped,*') { $problems += 'the stopped shift did not report TrafficShiftStopped' }
    if (@($gradual.Steps | Where-Object Name -like 'Shift100*').Count -ne 0) { $problems += 'the gradual rollback went on to 100 %' }
    if ($state -notmatch '\bblue \S+ \d+ 0 50 ' -or $state -notmatch '\bgreen \S+ \d+ \d+ 50 ') { $problems += "HAProxy does not hold the traffic at 50/50: $state" }
    $gradualSteps = @($steps | Where-Object AttemptId -eq ($steps[-1].AttemptId))
    if ($gradualSteps.Count -ne 1 -or $gradualSteps[0].Details['Traffic.Percent'] -ne '50') { $problems += 'the journal does not hold the one 50 % step of the gradual rollback' }
    if ($nginxDeployed['v2.4.0'] -ne 20) { $problems += 'the deployment did not move every request through nginx to green' }
    if ($nginxRollback.Status -ne 'Succeeded') { $problems += "the nginx rollback ended $($nginxRollback.Status): $($nginxRollback.Message)" }
    if ($afterNginx['v2.3.1'] -ne 20) { $problems += "after the nginx rollback requests answered $($afterNginx.Keys -join ', ')" }
    if ((Get-Content -Raw -LiteralPath $nginx.Config) -cne $nginxCaptured) { $problems += 'the nginx configuration is not the captured one' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }
    Complete-Drill 'Traffic drill' $problems ([ordered]@{
            BlueGreen      = $blueGreen
            AfterBlueGreen = $afterBlueGreen
            AfterReload    = $afterReload
            Gradual        = $gradual
            RuntimeState   = $state
            Steps          = $steps
            Journal        = $chain
            Nginx          = $nginxRollback
            AfterNginx     = $afterNginx
        }) {
        ("Traffic drill passed: the blue-green rollback moved all 20 requests back to v2.3.1 in {0:N0} ms (and a reload kept it); the gradual rollback held 50 % for {1}, saw blue fail, and stopped there: {2}; through nginx, the rollback moved all 20 requests back in {3:N0} ms" -f
            $blueGreen.Duration.TotalMilliseconds, $StepWait, $gradual.Message, $nginxRollback.Duration.TotalMilliseconds)
    }
}
finally {
    if ($watcher) { $watcher.Shell.Dispose(); $watcher.Runspace.Dispose() }
    Stop-HAProxy $proxy
    Stop-Nginx $nginx
    Stop-VersionEndpoint $blue
    Stop-VersionEndpoint $green
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
