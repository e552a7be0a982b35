<#
.SYNOPSIS
    A plan drill: a release on three servers, their configuration, their database secret and their database go bad,
    and one command takes them all back.

.DESCRIPTION
    In a fresh temporary sandbox this drill sets up three "servers" (three release roots, each with releases/v2.3.1
    good and releases/v2.4.0 bad and a 'current' link), the service's configuration file, its database secret in AWS
    Secrets Manager (moto, a third-party AWS emulator) and its database (a real PostgreSQL 15 with 500 orders at
    migration 20261101000000), the emulator and the server started by the drill on 127.0.0.1 and stopped by their PIDs.
    It registers a plan: stage 1 the three servers (in parallel), stage 2 the configuration and the secret, stage 3 the
    database (restored beside the live one and switched in by rename; its password from a PSCredential, kept by
    reference). It captures one plan point, "deploys" v2.4.0 everywhere with a changed configuration, a rotated secret
    and a migration that loses orders, previews the plan (-WhatIf), checks its readiness and rolls it back as one
    command, then reads the run's journal entries by its plan run id. The secret is read back with the AWS CLI v2
    (/usr/bin/aws), by naming its AWSCURRENT stage, and the database with psql (its migration version and row count). A notification channel (a webhook on 127.0.0.1
    that the drill starts, kept as env:ROLLBACK_DRILL_HOOK) is told when each plan starts and how it ends, and the run is
    written as an incident report (HTML with the timeline as SVG, and Markdown).

    A second plan, a canary order (web1, then the configuration, then web2 and web3), is rolled back to a point whose
    configuration was captured half-edited: its second stage fails (the captured file is not valid JSON, so nothing is
    written), nothing further runs, and -OnFailure Undo returns web1 to its safety point.

    It fails (throws) unless the first plan ends with every server at v2.3.1, the configuration restored, AWSCURRENT
    back on the known-good secret version and the database back at its migration with its 500 orders, and the second with its failure in stage 2, web1 undone, web2 and web3
    untouched; unless the webhook received each plan's start and outcome; and unless the report was written with a bar
    per stage and per member. Needs moto_server, the AWS CLI v2 and PostgreSQL 15 (as .ci/run installs them); the drill
    fails, saying so, without them.
        dotnet run --project src/Rollback.Runner -- -File examples/plan-drill.ps1

.PARAMETER Sandbox
    The folder to build the drill in. A new temporary folder by default; removed afterwards unless -Keep.

.PARAMETER PassThru
    Return the drill's results as one object instead of printing them (used by PlanDrill.Tests.ps1).

.PARAMETER Keep
    Keep the sandbox folder for inspection.
#>
[CmdletBinding()]
param(
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-plan-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

. (Join-Path $PSScriptRoot 'DrillSupport.ps1')
. (Join-Path $PSScriptRoot 'WebhookSupport.ps1')
# moto started and stopped by its PID, the secret's setup (what a rotation does) and the AWS CLI as the reader.
. (Join-Path $PSScriptRoot 'AwsSupport.ps1')
# The drill's own PostgreSQL, started and stopped by its PID, and psql against it.
. (Join-Path $PSScriptRoot 'PostgreSqlSupport.ps1')

$store = Join-Path $Sandbox 'store'
$PSDefaultParameterValues = @{ '*-Rollback*:StorePath' = $store; 'Restore-Configuration:StorePath' = $store }
$servers = 'web1', 'web2', 'web3'
$receiver = $null
$aws = $null
$postgres = $null
try {
    # --- the AWS emulator the secret lives in, with test credentials the module signs with ----------
    if (-not (Test-Path -LiteralPath '/usr/bin/aws')) { throw 'The AWS CLI v2 is not installed (/usr/bin/aws): .ci/run installs it; the drill reads the secret back with it.' }
    $aws = Enter-MotoSession
    $postgres = Start-DrillPostgres (Join-Path $Sandbox 'postgres')

    # --- the service as it runs before the deployment: three servers and their configuration ---
    foreach ($server in $servers) {
        $root = Join-Path $Sandbox 'srv' $server 'opt' 'api'
        New-Release $root 'v2.3.1' 'healthy'
        New-Release $root 'v2.4.0' 'unhealthy'
        Set-CurrentRelease $root 'v2.3.1'
    }

    $appsettings = Join-Path $Sandbox 'etc' 'api' 'appsettings.Production.json'
    $goodSettings = "{`n  ""ConnectionStrings"": { ""Default"": ""Host=db;Database=api"" },`n  ""FeatureFlags"": { ""NewCheckout"": false }`n}`n"
    $deployedSettings = "{`n  ""ConnectionStrings"": { ""Default"": ""Host=db2;Database=api"" },`n  ""FeatureFlags"": { ""NewCheckout"": true }`n}`n"
    Write-TextFile $appsettings $goodSettings

    $secretId = 'api/production/database-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $goodSecret = New-MotoSecret $secretId 'Host=db;Password=first' 'Host=db;Password=good'

    Invoke-DrillSql $postgres postgres 'CREATE DATABASE api' | Out-Null
    Invoke-DrillSql $postgres api "CREATE TABLE schema_migrations (version varchar PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20261101000000'); CREATE TABLE orders (id serial PRIMARY KEY, total numeric); INSERT INTO orders (total) SELECT g FROM generate_series(1, 500) g;" | Out-Null

    # --- once: the members, and the plans over them -------------------------------------------
    $targets = @(
        foreach ($server in $servers) {
            Register-RollbackTarget -Name $server -Kind FileSystemRelease -Settings @{ Root = (Join-Path $Sandbox 'srv' $server 'opt' 'api') } -Confirm:$false
        }
        Register-RollbackTarget -Name api-config -Kind ConfigurationFile -Settings @{ Path = $appsettings } -Confirm:$false
        Register-RollbackTarget -Name api-secret -Kind SecretsManagerSecret -Settings @{ SecretId = $secretId; Region = 'us-east-1'; EndpointUrl = $aws.Url } -Confirm:$false
        # The database password from a PSCredential, kept by the store in a user-only file: never in targets.json.
        Register-RollbackTarget -Name api-db -Kind PostgreSqlDatabase -Confirm:$false -Settings @{
            Host = '127.0.0.1'; Port = $postgres.Port; Database = 'api'; User = $postgres.User; Password = (Get-DrillPostgresCredential $postgres)
            SslMode = 'disable'; KeyTables = 'orders'; MinFreeSpaceMB = 1; ToolsDirectory = $postgres.Bin
        }
        Register-RollbackTarget -Name release -Kind Plan -Settings @{ Stages = 'web1, web2, web3', 'api-config, api-secret', 'api-db'; ThrottleLimit = 3 } -Confirm:$false
        Register-RollbackTarget -Name canary -Kind Plan -Settings @{ Stages = 'web1', 'api-config', 'web2, web3' } -Confirm:$false
    )
    Show 'Targets' $targets

    # --- once: the incident channel, told when a plan starts and how it ends -----------------------
    $receiver = Start-WebhookReceiver
    $env:ROLLBACK_DRILL_HOOK = $receiver.Webhook
    $channel = Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_DRILL_HOOK -Format Slack -Target release, canary -Event Started, Succeeded, Failed -Confirm:$false
    Show 'Notification channel' $channel

    # --- before the deployment: one plan point, a point of each member -------------------------
    $point = New-RollbackPoint -Target release -Note 'known good before v2.4.0'
    Show 'Plan point' $point

    # --- the deployment goes wrong on every server ---------------------------------------------
    foreach ($server in $servers) { Set-CurrentRelease (Join-Path $Sandbox 'srv' $server 'opt' 'api') 'v2.4.0' }
    Write-TextFile $appsettings $deployedSettings
    $badSecret = Set-MotoSecretValue $secretId 'Host=db2;Password=rotated-wrong'
    Invoke-DrillSql $postgres api "INSERT INTO schema_migrations VALUES ('20261201000000'); DELETE FROM orders WHERE id > 400;" | Out-Null
    Show 'After the deployment' "web1..web3 report v2.4.0; appsettings.Production.json points at db2; AWSCURRENT of the secret is $badSecret; the api database is at 20261201000000 with 400 orders"

    # --- the incident: preview, check, roll the whole plan back as one command ---------------------
    Show 'Preview (-WhatIf)' (Get-RollbackPoint -Target release -Latest | Invoke-Rollback -Reason 'preview' -WhatIf).Steps
    $readiness = Get-RollbackPoint -Target release -Latest | Test-RollbackReadiness
    Show 'Readiness (plan and members)' $readiness.Checks
    $rollback = $readiness | Invoke-Rollback -Reason 'Error rate 12.3% > 10% on every server after v2.4.0' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Plan rollback' $rollback
    Show 'Members' $rollback.Members
    $run = Get-RollbackHistory -PlanRunId $rollback.PlanRunId
    Show "Journal entries of plan run $($rollback.PlanRunId)" $run
    $report = $rollback | Export-RollbackReport -Path (Join-Path $Sandbox 'reports' 'release-rollback.html') -Readiness $readiness -Confirm:$false
    Show 'Incident report' $report
    $reportHtml = Get-Content -Raw -LiteralPath $report.HtmlPath
    $firstVersions = @($servers | ForEach-Object { Get-CurrentVersion (Join-Path $Sandbox 'srv' $_ 'opt' 'api') })
    $firstSettings = Get-Content -Raw -LiteralPath $appsettings
    # The secret as an application reads it, by naming the stage (moto's default version does not follow AWSCURRENT).
    $firstSecret = Invoke-AwsCli secretsmanager get-secret-value --secret-id $secretId --version-stage AWSCURRENT
    # The database as its applications read it: the newest migration and the orders.
    $firstDatabase = "$(Invoke-DrillSql $postgres api 'SELECT max(version) FROM schema_migrations')/$(Invoke-DrillSql $postgres api 'SELECT count(*) FROM orders')"

    # --- a second plan, whose point holds a half-edited configuration: stage 2 fails and is undone ---
    foreach ($server in $servers) { Set-CurrentRelease (Join-Path $Sandbox 'srv' $server 'opt' 'api') 'v2.3.1' }
    Write-TextFile $appsettings '{ "ConnectionStrings": { "Default": '
    $canaryPoint = New-RollbackPoint -Target canary -Note 'captured while appsettings was being edited'
    foreach ($server in $servers) { Set-CurrentRelease (Join-Path $Sandbox 'srv' $server 'opt' 'api') 'v2.4.0' }
    Write-TextFile $appsettings $deployedSettings
    $canary = $canaryPoint | Invoke-Rollback -Reason 'canary rollback' -OnFailure Undo -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable canaryErrors
    Show 'Canary plan: members' $canary.Members
    Show 'Canary plan: steps' $canary.Steps
    Show 'Canary plan: what it said' $canary.Message

    $chain = Get-RollbackHistory -Verify
    Show 'Journal' $chain
    $messages = Get-WebhookMessage $receiver
    Show 'Messages the incident channel received' ($messages.text)

    # --- prove it worked -------------------------------------------------------------------------
    $problems = @()
    if ($rollback.Status -ne 'Succeeded') { $problems += "the plan rollback ended $($rollback.Status): $($rollback.Message)" }
    foreach ($member in $rollback.Members) {
        if ($member.Status -ne 'Succeeded') { $problems += "$($member.Target) ended $($member.Status)" }
    }
    if ((Get-Content -Raw -LiteralPath $appsettings) -ne $deployedSettings) { $problems += 'the failed canary plan wrote the configuration' }
    if (@($run | Where-Object { $_.Action -eq 'Rollback' }).Count -ne 7) { $problems += 'the plan run has not 7 rollback entries (the plan and its 6 members)' }
    if ($canary.Status -ne 'Failed' -or $canary.ErrorId -ne 'PlanStageFailed') { $problems += "the canary plan ended $($canary.Status) ($($canary.ErrorId)), not Failed (PlanStageFailed)" }
    if (@($canaryErrors | Where-Object { $_.FullyQualifiedErrorId -like 'PlanStageFailed,*' }).Count -ne 1) { $problems += 'no PlanStageFailed error for the canary plan' }
    $web1 = $canary.Members | Where-Object Target -eq 'web1'
    if ($null -eq $web1.Undo -or $web1.Undo.Status -ne 'Succeeded') { $problems += 'web1 was not undone' }
    foreach ($server in $servers) {
        $version = Get-CurrentVersion (Join-Path $Sandbox 'srv' $server 'opt' 'api')
        if ($version -ne 'v2.4.0') { $problems += "$server reports $version after the canary plan's undo, not v2.4.0" }
    }
    if (($canary.Members | Where-Object Target -in 'web2', 'web3').Status -ne 'NotRun') { $problems += 'web2 or web3 ran after the canary plan failed' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }

    if (@($firstVersions | Where-Object { $_ -ne 'v2.3.1' }).Count -gt 0) { $problems += "after the plan the servers reported $($firstVersions -join ', '), not v2.3.1" }
    if ($firstSettings -ne $goodSettings) { $problems += 'the plan did not restore appsettings.Production.json' }
    if ($firstSecret.VersionId -ne $goodSecret -or $firstSecret.SecretString -ne 'Host=db;Password=good') { $problems += "after the plan AWSCURRENT of the secret is $($firstSecret.VersionId), not the known-good $goodSecret" }
    if ($firstDatabase -ne '20261101000000/500') { $problems += "after the plan the api database is at $firstDatabase, not 20261101000000/500" }
    if ((Get-Content -Raw (Join-Path $store 'targets.json')) -match [regex]::Escape($postgres.Password)) { $problems += 'the database password is in targets.json' }
    $expected = 'Rollback of release started*', 'Rollback of release succeeded*', 'Rollback of canary started*', 'Rollback of canary failed (PlanStageFailed)*'
    if ($messages.Count -ne 4 -or @(0..3 | Where-Object { $messages[$_].text -notlike $expected[$_] }).Count -gt 0) { $problems += "the incident channel received: $($messages.text -join ' | ')" }
    $bars = ([regex]::Matches($reportHtml, '<rect class="bar [^"]*" data-step=')).Count
    if ($bars -ne $rollback.Steps.Count + $rollback.Members.Count) { $problems += "the report's timeline has $bars bars, not one per stage and member ($($rollback.Steps.Count + $rollback.Members.Count))" }
    if ($rollback.Members.Result.Verification.Status -contains 'Fail') { $problems += 'a member failed its verification' }

    Complete-Drill 'Plan drill' $problems ([ordered]@{
            Readiness = $readiness
            Rollback  = $rollback
            Run       = $run
            Canary    = $canary
            Journal   = $chain
            Messages  = $messages
            Report    = $reportHtml
            Secret    = [pscustomobject]@{ Id = $secretId; Good = $goodSecret; Bad = $badSecret; Current = $firstSecret.VersionId }
            Database  = $firstDatabase
        }) {
        "Plan drill passed: 3 servers, their configuration, their secret and their database (back at migration 20261101000000 with its 500 orders, switch $([math]::Round(($rollback.Members | Where-Object Target -eq 'api-db').Result.Downtime.TotalMilliseconds)) ms) rolled back as one in $([math]::Round($rollback.Duration.TotalMilliseconds)) ms (plan run $($rollback.PlanRunId)); the canary plan failed in stage 2 and web1 was undone; the incident channel got $($messages.Count) messages; report written; journal verified."
    }
}
finally {
    Stop-LoopbackServer $receiver
    if ($aws) { Exit-MotoSession $aws }
    Stop-DrillPostgres $postgres
    Remove-Item Env:ROLLBACK_DRILL_HOOK -ErrorAction SilentlyContinue
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
