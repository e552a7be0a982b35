<#
.SYNOPSIS
    A rollback drill: a release goes bad, and Rollback takes the service back to v2.3.1 and proves it.

.DESCRIPTION
    In a fresh temporary sandbox this drill sets up the usual release layout: an application
    root with releases/v2.3.1 (good) and releases/v2.4.0 (bad), a 'current' link, and the
    application's configuration files. It captures a known-good point, "deploys" v2.4.0 with a broken
    configuration, then checks readiness, rolls back, restores the configuration, and shows the results
    and the journal. It fails (throws) if the service does not end at v2.3.1 with its configuration back.

    It runs in pwsh 7 with the built module, and in the module's runner (a full pwsh with the module imported):
        dotnet run --project src/Rollback.Runner -- -File examples/drill.ps1

    The same drill runs against a shared store: -SharedStore starts a PostgreSQL 15 of its own in the sandbox (as the
    plan and flag drills do) and rehearses on a store there; -Store rehearses on a store you name, such as the team's:
        dotnet run --project src/Rollback.Runner -- -File examples/drill.ps1 -SharedStore
        ./examples/drill.ps1 -Store 'postgresql://db.example.internal/rollback?user=rollback&artifacts=/mnt/rollback'

.PARAMETER Sandbox
    The folder to build the drill in. A new temporary folder by default; removed afterwards unless -Keep.

.PARAMETER Store
    The store to rehearse on: a folder, or a shared store's connection string (postgresql://host/db?user=NAME&artifacts=FOLDER,
    its password from PGPASSFILE or ~/.pgpass, or -StoreCredential). The drill's targets get names of their own there
    (drill-api-<id>, drill-api-config-<id>) and are unregistered at the end, so the store's own targets are never
    touched; their history stays, as a rehearsal should. A folder store in the sandbox by default.

.PARAMETER StoreCredential
    The shared store's database user and password, when -Store's password is not in PGPASSFILE or ~/.pgpass.

.PARAMETER SharedStore
    Rehearse on a shared store in a PostgreSQL 15 the drill starts in its sandbox (needs Debian's postgresql 15, as
    .ci/run installs it), stopped by its PID when the drill ends.

.PARAMETER PassThru
    Return the drill's results as one object instead of printing them (used by Drill.Tests.ps1).

.PARAMETER Keep
    Keep the sandbox folder for inspection.
#>
[CmdletBinding()]
param(
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [string] $Store,
    [pscredential] $StoreCredential,
    [switch] $SharedStore,
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The drills' shared functions (module import, Show, the stand-in deploy tool).
. (Join-Path $PSScriptRoot 'DrillSupport.ps1')

$postgres = $null
$api = 'api'
$apiConfig = 'api-config'
$ownTargets = $false
try {
    # The store, for this script's commands only (no process-wide environment change): the drill's own folder, a shared
    # store in a PostgreSQL the drill starts, or the one -Store names (where the drill's targets get names of their own).
    if ($SharedStore) {
        . (Join-Path $PSScriptRoot 'PostgreSqlSupport.ps1')
        $postgres = Start-DrillPostgres (Join-Path $Sandbox 'postgres')
        Invoke-DrillSql $postgres 'postgres' 'CREATE DATABASE rollback' | Out-Null
        $Store = "postgresql://127.0.0.1:$($postgres.Port)/rollback?user=$($postgres.User)&artifacts=$([uri]::EscapeDataString((Join-Path $Sandbox 'shared-artifacts')))"
        $StoreCredential = Get-DrillPostgresCredential $postgres
    }
    elseif ($Store) {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
        $api = "drill-api-$suffix"
        $apiConfig = "drill-api-config-$suffix"
        $ownTargets = $true
    }
    else {
        $Store = Join-Path $Sandbox 'store'
    }
    $PSDefaultParameterValues = @{ '*-Rollback*:StorePath' = $Store; 'Restore-Configuration:StorePath' = $Store }
    if ($StoreCredential) {
        $PSDefaultParameterValues['*-Rollback*:StoreCredential'] = $StoreCredential
        $PSDefaultParameterValues['Restore-Configuration:StoreCredential'] = $StoreCredential
    }
    Show 'Store' (Get-RollbackStore)

    # --- the service as it runs before the deployment ----------------------------------------
    $root = Join-Path $Sandbox 'opt' 'api'
    New-Release $root 'v2.3.1' 'healthy'
    New-Release $root 'v2.4.0' 'unhealthy'
    Set-CurrentRelease $root 'v2.3.1'

    $appsettings = Join-Path $Sandbox 'etc' 'api' 'appsettings.Production.json'
    $database = Join-Path $Sandbox 'etc' 'api' 'database.yml'
    $goodSettings = "{`n  // known good`n  ""ConnectionStrings"": { ""Default"": ""Host=db;Database=api"" },`n  ""FeatureFlags"": { ""NewCheckout"": false }`n}`n"
    $goodDatabase = "production:`n  adapter: postgresql`n  pool: 20`n"
    Write-TextFile $appsettings $goodSettings
    Write-TextFile $database $goodDatabase

    # --- once: register the targets; before the deployment: capture the known-good state ------
    $targets = @(
        Register-RollbackTarget -Name $api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false
        Register-RollbackTarget -Name $apiConfig -Kind ConfigurationFile -Settings @{ Path = @($appsettings, $database) } -Confirm:$false
    )
    Show 'Targets' $targets
    $points = @(
        New-RollbackPoint -Target $api -Note 'known good before v2.4.0'
        New-RollbackPoint -Target $apiConfig -Note 'known good before v2.4.0'
    )
    Show 'Known-good points' $points

    # --- the deployment goes wrong ----------------------------------------------------------
    Set-CurrentRelease $root 'v2.4.0'
    Write-TextFile $appsettings "{ ""FeatureFlags"": { ""NewCheckout"": true }, ""ConnectionStrings"": "
    Show 'After the deployment' "api reports $(Get-CurrentVersion $root); appsettings.Production.json is truncated"

    # --- the incident: check, roll back, restore configuration --------------------------------
    $readiness = Get-RollbackPoint -Target $api -Latest | Test-RollbackReadiness
    Show 'Readiness' $readiness.Checks
    $rollback = $readiness | Invoke-Rollback -Reason 'Error rate 12.3% > 10% for 3 minutes after v2.4.0' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Rollback' $rollback
    Show 'Rollback steps' $rollback.Steps
    $configuration = Get-RollbackPoint -Target $apiConfig -Latest |
        Restore-Configuration -Reason 'Configuration from v2.4.0 is invalid' -Confirm:$false
    Show 'Configuration restore' $configuration

    # The drill's own entries (a shared store holds others' too).
    $history = @(Get-RollbackHistory | Where-Object Target -in $api, $apiConfig | Select-Object -Last 10)
    $chain = Get-RollbackHistory -Verify
    Show 'History' $history
    Show 'Journal' $chain

    # --- prove it worked ---------------------------------------------------------------------
    $version = Get-CurrentVersion $root
    $problems = @()
    if ($rollback.Status -ne 'Succeeded') { $problems += "rollback status is $($rollback.Status)" }
    if ($version -ne 'v2.3.1') { $problems += "api reports $version, not v2.3.1" }
    if ((Get-Content -Raw -LiteralPath $appsettings) -ne $goodSettings) { $problems += 'appsettings.Production.json was not restored' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }
    Complete-Drill 'Drill' $problems ([ordered]@{
            Readiness     = $readiness
            Rollback      = $rollback
            Configuration = $configuration
            History       = $history
            Journal       = $chain
            Version       = $version
        }) {
        "Drill passed: api is back at $version in $([math]::Round($rollback.Duration.TotalMilliseconds)) ms (downtime $([math]::Round($rollback.Downtime.TotalMilliseconds, 3)) ms); configuration restored; journal verified."
    }
}
finally {
    if ($ownTargets) {
        foreach ($name in $api, $apiConfig) {
            Unregister-RollbackTarget -Name $name -RemovePoints -Force -ErrorAction SilentlyContinue
        }
    }
    if ($postgres) { Stop-DrillPostgres $postgres }
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
