<#
.SYNOPSIS
    What the Pester suites share: the module, a store in TestDrive:, a release folder to roll back, and a small
    health endpoint on 127.0.0.1.

.DESCRIPTION
    Dot-sourced in each suite's BeforeAll (`. $PSScriptRoot/RollbackTestSupport.ps1`). The runner has imported the
    module already; in another pwsh the staged folder (out/Rollback) is imported, after `dotnet build`.
#>

if (-not (Get-Module -Name Rollback)) {
    $manifest = Join-Path $PSScriptRoot '..' '..' 'out' 'Rollback' 'Rollback.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) { throw "The module is not staged at ${manifest}: run dotnet build first." }
    Import-Module $manifest
}

# Every Rollback cmdlet of the calling suite uses this store (one per test file, under TestDrive:) until Clear-TestStore.
function Use-TestStore {
    $store = Join-Path $TestDrive 'store'
    $global:PSDefaultParameterValues['*:StorePath'] = $store
    $store
}

function Clear-TestStore {
    $global:PSDefaultParameterValues.Remove('*:StorePath')
}

# A release root as deploy tools lay it out: releases/<version>/ (a version.txt and an app.dll) and 'current'.
function New-ReleaseRoot([string] $Name, [string[]] $Version = @('v1.0.0', 'v2.0.0'), [string] $Current = 'v1.0.0') {
    $root = Join-Path $TestDrive $Name
    foreach ($each in $Version) {
        New-Item -ItemType File -Path (Join-Path $root 'releases' $each 'version.txt') -Value $each -Force | Out-Null
        New-Item -ItemType File -Path (Join-Path $root 'releases' $each 'app.dll') -Value "build $each" -Force | Out-Null
    }
    Set-CurrentRelease $root $Current
    $root
}

# What a deployment does: point 'current' at another release.
function Set-CurrentRelease([string] $Root, [string] $Version) {
    $current = Join-Path $Root 'current'
    if (Get-Item -LiteralPath $current -Force -ErrorAction SilentlyContinue) { Remove-Item -LiteralPath $current -Force }
    New-Item -ItemType SymbolicLink -Path $current -Target (Join-Path $Root 'releases' $Version) | Out-Null
}

function Get-CurrentRelease([string] $Root) {
    Get-Content -Raw -LiteralPath (Join-Path $Root 'current' 'version.txt')
}

# Start-LoopbackServer, Stop-LoopbackServer and the webhook receiver, shared with the plan drill.
. (Join-Path $PSScriptRoot '..' '..' 'examples' 'WebhookSupport.ps1')

<#
A health endpoint: every request is answered with $endpoint.State.Status and $endpoint.State.Body, which a test may
change. Stop it with Stop-HealthEndpoint in AfterAll.
#>
function Start-HealthEndpoint([string] $Version) {
    $state = [hashtable]::Synchronized(@{ Status = 200; Body = "{`"status`":`"Healthy`",`"version`":`"$Version`"}"; Requests = 0 })
    $server = Start-LoopbackServer -State $state -Handle {
        param($Context, $State)
        $State.Requests++
        Send-JsonAnswer $Context $State.Status $State.Body
    }.ToString()
    $server | Add-Member -NotePropertyName Uri -NotePropertyValue ([uri]($server.Url.ToString() + 'health')) -PassThru
}

function Stop-HealthEndpoint($Endpoint) { Stop-LoopbackServer $Endpoint }

# The header row of the table a value renders as (its format view), as words.
function Get-TableHeader($Value) {
    $lines = @($Value | Out-String -Width 200 -Stream | Where-Object { $_.Trim() })
    -split $lines[0]
}

# psql against the test run's PostgreSQL server (ROLLBACK_TEST_PG_*, handed over by PesterTests) as its admin, with the
# same password file the targets use, in -Database (postgres when absent); its output, or a throw naming psql's error.
function Invoke-TestSql([string] $Sql, [string] $Database = 'postgres') {
    $psql = Join-Path $env:ROLLBACK_TEST_PG_BIN 'psql'
    $conninfo = "host=127.0.0.1 port=$env:ROLLBACK_TEST_PG_PORT user=$env:ROLLBACK_TEST_PG_USER passfile=$env:ROLLBACK_TEST_PG_PASSFILE dbname=$Database"
    $out = & $psql $conninfo -X -q -t -A -v ON_ERROR_STOP=1 -c $Sql 2>&1
    if ($LASTEXITCODE -ne 0) { throw "psql failed: $out" }
    $out
}
