<#
.SYNOPSIS
    An automatic-rollback drill: v2.4.0 goes out unhealthy, Watch-Deployment sees it, waits for the
    automatic trigger to hold, rolls back to v2.3.1 and proves it.

.DESCRIPTION
    In a fresh temporary sandbox this drill sets up an application root with releases/v2.3.1 (healthy)
    and releases/v2.4.0 (unhealthy) and a 'current' link, and serves the application's health endpoint
    itself on 127.0.0.1: a background runspace answers each request with the health.json of the release
    'current' names (HTTP 503 when it is not healthy), so a rollback heals the endpoint as it would
    heal a real service. It captures a known-good point, deploys v2.4.0, and runs Watch-Deployment with
    a drill policy whose availability trigger holds after 2 seconds (production policy: 5 minutes). The
    watch must roll back once, to v2.3.1, verified; the drill throws otherwise.

    It runs in pwsh 7 with the built module, and in the module's runner (a full pwsh with the module imported):
        dotnet run --project src/Rollback.Runner -- -File examples/watch-drill.ps1

.PARAMETER Sandbox
    The folder to build the drill in. A new temporary folder by default; removed afterwards unless -Keep.

.PARAMETER HoldFor
    How long the availability trigger must hold before the watch acts (the drill policy's availabilityFor).

.PARAMETER PassThru
    Return the drill's results as one object instead of printing them (used by the tests).

.PARAMETER Keep
    Keep the sandbox folder for inspection.
#>
[CmdletBinding()]
param(
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-watch-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [timespan] $HoldFor = '00:00:02',
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The drills' shared functions (module import, Show, the stand-in deploy tool).
. (Join-Path $PSScriptRoot 'DrillSupport.ps1')

# Start-LoopbackServer, Stop-LoopbackServer.
. (Join-Path $PSScriptRoot 'LoopbackSupport.ps1')

# The service's health endpoint on 127.0.0.1: it answers with current/health.json, 200 when healthy and 503 otherwise,
# so a deployment that breaks the release's health file breaks what the probe sees.
function Start-HealthEndpoint([string] $Root) {
    $state = [hashtable]::Synchronized(@{ Health = (Join-Path $Root 'current' 'health.json') })
    $server = Start-LoopbackServer -State $state -Handle {
        param($Context, $State)
        $body = Get-Content -Raw -LiteralPath $State.Health
        Send-JsonAnswer $Context ($body -match '"status":"healthy"' ? 200 : 503) $body
    }.ToString()
    $server | Add-Member -NotePropertyName Uri -NotePropertyValue ($server.Url.ToString() + 'health') -PassThru
}

# The drill's own store, for this script's commands only (no process-wide environment change).
$store = Join-Path $Sandbox 'store'
$PSDefaultParameterValues = @{ '*-Rollback*:StorePath' = $store; 'Watch-Deployment:StorePath' = $store; 'Test-DeploymentHealth:StorePath' = $store }
$endpoint = $null
try {
    # --- the service before the deployment: v2.3.1, healthy, its health endpoint up ------------
    $root = Join-Path $Sandbox 'opt' 'api'
    New-Release $root 'v2.3.1' 'healthy'
    New-Release $root 'v2.4.0' 'unhealthy'
    Set-CurrentRelease $root 'v2.3.1'
    $endpoint = Start-HealthEndpoint $root

    # The drill's policy: the production thresholds, with seconds where production says minutes.
    $policy = Join-Path $Sandbox 'drill-policy.json'
    Write-TextFile $policy ('{ "availabilityFor": "' + $HoldFor.ToString() + '", "errorRateFor": "' + $HoldFor.ToString() + '" }')

    # --- once: register the target with its health endpoint; before the deployment: capture ---
    $target = Register-RollbackTarget -Name api -Kind FileSystemRelease -Confirm:$false -Settings @{
        Root          = $root
        HealthUri     = $endpoint.Uri
        HealthTimeout = '00:00:10'
        PolicyPath    = $policy
    }
    Show 'Target' $target
    $point = New-RollbackPoint -Target api -Note 'known good before v2.4.0'
    Show 'Known-good point' $point
    $before = Test-DeploymentHealth -Uri $endpoint.Uri -ExpectedVersion v2.3.1 -Timeout 00:00:05
    Show 'Health before the deployment' $before

    # --- the deployment goes wrong, and the watch takes over ----------------------------------
    Set-CurrentRelease $root 'v2.4.0'
    $deployedAt = [datetimeoffset]::UtcNow
    Show 'After the deployment' "api reports $(Get-CurrentVersion $root), and its health endpoint answers 503"
    $records = @($point | Watch-Deployment -Reason 'Watch after the deployment of v2.4.0' -Interval 00:00:00.25 -Duration 00:01:00 -Confirm:$false)
    Show 'Watch' $records
    $final = $records[-1]
    Show 'Automatic rollback' $final.Rollback
    Show 'Verification' $final.Rollback.Verification

    $after = Test-DeploymentHealth -Uri $endpoint.Uri -ExpectedVersion v2.3.1 -Timeout 00:00:05
    Show 'Health after the watch' $after
    $history = @(Get-RollbackHistory -Target api -Action Rollback)
    $chain = Get-RollbackHistory -Verify
    Show 'History' $history

    # --- prove it worked ---------------------------------------------------------------------
    $version = Get-CurrentVersion $root
    $problems = @()
    if ($final.Action -ne 'RolledBack') { $problems += "the watch ended $($final.Action): $($final.Message)" }
    elseif ($final.Rollback.Status -ne 'Succeeded') { $problems += "the rollback ended $($final.Rollback.Status)" }
    if (@($records | Where-Object { $null -ne $_.Rollback }).Count -ne 1) { $problems += 'the watch did not roll back exactly once' }
    if (@($records | Where-Object { $_.Action -eq 'Pending' }).Count -eq 0) { $problems += 'the watch acted without waiting for the trigger to hold' }
    if ($version -ne 'v2.3.1') { $problems += "api reports $version, not v2.3.1" }
    if (-not $after.Healthy) { $problems += "the endpoint is not healthy at v2.3.1: $($after.Detail)" }
    if ($history.Count -ne 1 -or $history[0].Trigger -ne 'AvailabilityBelow') { $problems += 'the journal does not hold one rollback under the AvailabilityBelow trigger' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }
    # Worked out only once the problems are known: with no rollback there is no recovery time.
    $detectToHealthy = if ($problems.Count -eq 0) { $final.Time - $final.BreachSeenAt + $final.Rollback.RecoveryTime }
    Complete-Drill 'Watch drill' $problems ([ordered]@{
            Records         = $records
            Final           = $final
            Rollback        = $final.Rollback
            History         = $history
            Journal         = $chain
            Version         = $version
            DetectToHealthy = $detectToHealthy
        }) {
        ("Watch drill passed: api is back at {0}. The watch saw the endpoint fail {1:N1} s after the deployment, waited {2:N1} s for the trigger to hold ({3}), rolled back and verified in {4:N0} ms: {5:N1} s from detection to verified health." -f
            $version, ($final.BreachSeenAt - $deployedAt).TotalSeconds, ($final.Time - $final.BreachSeenAt).TotalSeconds, $HoldFor,
            $final.Rollback.RecoveryTime.TotalMilliseconds, $detectToHealthy.TotalSeconds)
    }
}
finally {
    Stop-LoopbackServer $endpoint
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
