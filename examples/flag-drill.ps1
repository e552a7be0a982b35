<#
.SYNOPSIS
    A feature-flag drill against a real Unleash: a flag turned on and ramped up to everyone is switched off by rolling
    back to the point taken before it went on (the kill switch), its rollout back at 10 %.

.DESCRIPTION
    In a fresh temporary sandbox this drill starts PostgreSQL (Debian's postgresql 15 binaries, as the 'postgres'
    account when run as root) and Unleash (npm's unleash-server 6.10.1, where .ci/run installs it: ROLLBACK_UNLEASH_HOME,
    else ~/.cache/rollback/unleash-server-6.10.1) on 127.0.0.1, with a random admin token and a production client token.
    The drill fails, saying so, where either is not installed. Both are stopped by their PIDs at the end.

    It creates a flag off in production with a 10 % rollout, registers it as a FeatureFlag target (the token by
    reference: env:ROLLBACK_DRILL_UNLEASH_TOKEN), captures the known-good point, "releases" the flag (on, 100 %), rolls
    back through the pipeline, and proves with the client API (what an application's SDK reads) that the flag is off
    with its 10 % rollout. The same release migrated the shop's database and lost orders: a PostgreSqlDatabase target
    (its password from a PSCredential, kept by reference) is rolled back beside and switched by rename, and must be back
    at its migration with its 500 orders. Last, the journal's chain must hold.

    It runs in pwsh 7 with the built module, and in the module's runner:
        dotnet run --project src/Rollback.Runner -- -File examples/flag-drill.ps1

.PARAMETER Sandbox
    The folder to build the drill in. A new temporary folder by default; removed afterwards unless -Keep.

.PARAMETER PassThru
    Return the drill's results as one object instead of printing them.

.PARAMETER Keep
    Keep the sandbox folder (and the servers' logs) for inspection.
#>
[CmdletBinding()]
param(
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-flag-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

. (Join-Path $PSScriptRoot 'DrillSupport.ps1')
# The drill's own PostgreSQL (and the servers it starts, stopped by their PIDs).
. (Join-Path $PSScriptRoot 'PostgreSqlSupport.ps1')

$unleashVersion = '6.10.1'
$unleashHome = if ($env:ROLLBACK_UNLEASH_HOME) { $env:ROLLBACK_UNLEASH_HOME } else {
    Join-Path ($env:XDG_CACHE_HOME ? $env:XDG_CACHE_HOME : (Join-Path $HOME '.cache')) "rollback/unleash-server-$unleashVersion"
}
$unleashScript = Join-Path $unleashHome 'node_modules/unleash-server/dist/server.js'

function Invoke-Unleash([string] $Method, [string] $Path, $Body, [string] $Token = $adminToken) {
    $json = if ($null -ne $Body) { $Body | ConvertTo-Json -Depth 5 -Compress }
    Invoke-RestMethod -Method $Method -Uri "$unleashUrl$Path" -Headers @{ Authorization = $Token } -Body $json -ContentType 'application/json' -SkipHeaderValidation
}

# The flag as an application's SDK reads it: "on/off rollout%".
function Get-ClientView([string] $Flag) {
    $feature = Invoke-Unleash Get "/api/client/features/$Flag" -Token $clientToken
    "$(if ($feature.enabled) { 'on' } else { 'off' }) $(@($feature.strategies | ForEach-Object { $_.parameters.rollout + '%' }) -join ',')"
}

$postgres = $null
$unleash = $null
$store = Join-Path $Sandbox 'store'
$PSDefaultParameterValues = @{ '*-Rollback*:StorePath' = $store }
try {
    if (-not (Test-Path -LiteralPath $unleashScript)) { throw "unleash-server $unleashVersion is not installed in ${unleashHome}: .ci/run installs it with npm (or set ROLLBACK_UNLEASH_HOME)." }
    if (-not (Get-Command node -ErrorAction SilentlyContinue)) { throw 'Node.js is not installed: unleash-server needs it.' }

    # --- Unleash's database: a PostgreSQL of the drill's own, on 127.0.0.1 ----------------------
    $postgres = Start-DrillPostgres (Join-Path $Sandbox 'postgres')
    Invoke-DrillSql $postgres postgres 'CREATE DATABASE unleash' | Out-Null

    # --- Unleash, with a random admin token and a production client token ------------------------
    $adminToken = '*:*.' + [guid]::NewGuid().ToString('N')
    $clientToken = '*:production.' + [guid]::NewGuid().ToString('N')
    $unleashPort = Get-FreePort
    $unleashUrl = "http://127.0.0.1:$unleashPort"
    $variables = @{
        DATABASE_HOST = '127.0.0.1'; DATABASE_PORT = "$($postgres.Port)"; DATABASE_NAME = 'unleash'; DATABASE_USERNAME = $postgres.User
        DATABASE_PASSWORD = $postgres.Password; DATABASE_SSL = 'false'; HTTP_HOST = '127.0.0.1'; HTTP_PORT = "$unleashPort"
        INIT_ADMIN_API_TOKENS = $adminToken; INIT_CLIENT_API_TOKENS = $clientToken; CLIENT_FEATURE_CACHING_ENABLED = 'false'
        SEND_TELEMETRY = 'false'; CHECK_VERSION = 'false'; LOG_LEVEL = 'warn'; TZ = 'UTC'
    }
    foreach ($name in $variables.Keys) { Set-Item "Env:$name" $variables[$name] }
    try { $unleash = Start-Server "node '$unleashScript'" "$Sandbox/unleash.log" }
    finally { foreach ($name in $variables.Keys) { Remove-Item "Env:$name" } }
    $ready = $false
    foreach ($attempt in 1..360) {
        try { if ((Invoke-RestMethod "$unleashUrl/health").health -eq 'GOOD') { $ready = $true; break } } catch { Start-Sleep -Milliseconds 500 }
        if ($unleash.HasExited) { break }
    }
    if (-not $ready) { throw "Unleash did not start: $(Get-Content -Raw "$Sandbox/unleash.log")" }

    # --- the flag before the release: off in production, a 10 % rollout prepared ----------------
    $flag = 'checkout.new-flow'
    Invoke-Unleash Post '/api/admin/projects/default/features' @{ name = $flag; type = 'release' } | Out-Null
    $strategy = Invoke-Unleash Post "/api/admin/projects/default/features/$flag/environments/production/strategies" @{
        name = 'flexibleRollout'; parameters = @{ rollout = '10'; stickiness = 'default'; groupId = $flag }
    }

    # --- once: register the target (the token by reference); before the release: capture --------
    $env:ROLLBACK_DRILL_UNLEASH_TOKEN = $adminToken
    $target = Register-RollbackTarget -Name checkout-flag -Kind FeatureFlag -Confirm:$false -Settings @{
        Url = $unleashUrl; Token = 'env:ROLLBACK_DRILL_UNLEASH_TOKEN'; Flag = $flag; Environments = 'production'
    }
    Show 'Target' $target
    $point = New-RollbackPoint -Target checkout-flag -Note 'before the new checkout flow'
    Show 'Known-good point' $point

    # --- the release goes wrong: on in production, ramped up to everyone --------------------------
    Invoke-Unleash Put "/api/admin/projects/default/features/$flag/environments/production/strategies/$($strategy.id)" @{
        name = 'flexibleRollout'; parameters = @{ rollout = '100'; stickiness = 'default'; groupId = $flag }
    } | Out-Null
    Invoke-Unleash Post "/api/admin/projects/default/features/$flag/environments/production/on" | Out-Null
    $released = Get-ClientView $flag
    Show 'After the release' "the SDKs read $flag as $released; checkout errors rise"

    # --- the incident: the kill switch -----------------------------------------------------------
    $readiness = Get-RollbackPoint -Target checkout-flag -Latest | Test-RollbackReadiness
    Show 'Readiness' $readiness.Checks
    $rollback = $readiness | Invoke-Rollback -Reason 'Checkout errors after the new flow went on' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Rollback' $rollback
    $after = Get-ClientView $flag

    # --- the same release migrated the shop's database: rolled back too, restored beside and switched ----------
    Invoke-DrillSql $postgres postgres 'CREATE DATABASE shop' | Out-Null
    Invoke-DrillSql $postgres shop "CREATE TABLE schema_migrations (version varchar PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20261101000000'); CREATE TABLE orders (id serial PRIMARY KEY, total numeric); INSERT INTO orders (total) SELECT g FROM generate_series(1, 500) g;" | Out-Null
    # The database password from a PSCredential, kept by the store in a user-only file: never in targets.json.
    Register-RollbackTarget -Name shop-db -Kind PostgreSqlDatabase -Confirm:$false -Settings @{
        Host = '127.0.0.1'; Port = $postgres.Port; Database = 'shop'; User = $postgres.User; Password = (Get-DrillPostgresCredential $postgres); SslMode = 'disable'
        KeyTables = 'orders'; MinFreeSpaceMB = 1; ToolsDirectory = $postgres.Bin
    } | Out-Null
    $dbPoint = New-RollbackPoint -Target shop-db -Note 'before the new checkout flow'
    Invoke-DrillSql $postgres shop "INSERT INTO schema_migrations VALUES ('20261201000000'); DELETE FROM orders WHERE id > 400;" | Out-Null
    $dbRollback = $dbPoint | Test-RollbackReadiness | Invoke-Rollback -Reason 'The new flow''s migration lost orders' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Database rollback' $dbRollback
    $dbState = "$(Invoke-DrillSql $postgres shop 'SELECT max(version) FROM schema_migrations')/$(Invoke-DrillSql $postgres shop 'SELECT count(*) FROM orders')"
    $chain = Get-RollbackHistory -Verify
    Show 'Journal' (Get-RollbackHistory -Target checkout-flag)

    $problems = @()
    if ($released -ne 'on 100%') { $problems += "after the release the SDKs read $released, not 'on 100%'" }
    if (-not $readiness.IsReady) { $problems += 'the point was not ready' }
    if ($rollback.Status -ne 'Succeeded') { $problems += "the rollback's status is $($rollback.Status)" }
    if ($after -ne 'off 10%') { $problems += "after the rollback the SDKs read $after, not 'off 10%'" }
    if ($dbRollback.Status -ne 'Succeeded') { $problems += "the database rollback's status is $($dbRollback.Status)" }
    if ($dbState -ne '20261101000000/500') { $problems += "after the rollback the shop database is at $dbState, not 20261101000000/500" }
    if ((Get-Content -Raw (Join-Path $store 'targets.json')) -match [regex]::Escape($postgres.Password)) { $problems += 'the database password is in targets.json' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }
    Complete-Drill 'Flag drill' $problems ([ordered]@{ Flag = $flag; Released = $released; Rollback = $rollback; After = $after; Database = $dbRollback; DatabaseState = $dbState; Journal = $chain }) {
        "Flag drill passed: $flag was $released, the kill switch put it back to $after in $([math]::Round($rollback.Duration.TotalMilliseconds)) ms (Unleash $unleashVersion); the shop database is back at migration 20261101000000 with its 500 orders (switch $([math]::Round($dbRollback.Downtime.TotalMilliseconds)) ms, replaced database kept as $($dbRollback.Details['KeptDatabase'])); journal verified."
    }
}
finally {
    Remove-Item Env:ROLLBACK_DRILL_UNLEASH_TOKEN -ErrorAction SilentlyContinue
    Stop-Server $unleash
    Stop-DrillPostgres $postgres
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
