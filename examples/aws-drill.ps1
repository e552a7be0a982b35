<#
.SYNOPSIS
    An AWS drill: a secret rotation goes bad, and Rollback moves AWSCURRENT back to the known-good version; a Lambda
    release goes bad, and Rollback points its alias back at the known-good function version; then a container service,
    a static site, a load balancer listener and a database go back the same way.

.DESCRIPTION
    The manual fix for a bad rotation, "aws secretsmanager update-secret-version-stage", as a rehearsed drill, against moto (a third-party AWS
    emulator) on 127.0.0.1. The drill creates a secret with two versions, registers it as a SecretsManagerSecret
    target, captures a known-good point, "rotates" a bad version in, then checks readiness, rolls back through the
    pipeline, shows Restore-Configuration -Previous under -WhatIf, checks the stages and the journal. It throws if
    AWSCURRENT does not end on the known-good version. No secret value is ever read by the module. Then a Lambda
    function with three published versions and an alias 'live' on the second: captured as a LambdaAlias target, the
    alias moved to the third (the bad release), rolled back through the pipeline, and read back from the emulator. Then
    an ECS service of 2 tasks on task definition revision 1: captured as an EcsService target, moved to revision 2,
    rolled back with UpdateService and its deployment followed, and read back. (moto never advances an ECS deployment;
    the drill's moto reports 2 running tasks, so its one deployment reads COMPLETED.) Then a static site in a versioned
    bucket behind a CloudFront distribution: captured as an S3StaticSite target, a bad release published (page, script
    and version marker replaced, a script added), rolled back (the captured versions copied back, the added script
    deleted, the changed paths invalidated and the invalidation followed), and read back with its invalidation. Then an
    application load balancer whose listener a blue-green deployment moved to green: captured as a LoadBalancerListener
    target, moved back to blue in two traffic steps (half, then all, each journaled), and read back. Last, a database
    whose migration went wrong: an RDS instance captured as an RdsInstance target (a DB snapshot), restored from that
    snapshot beside the live instance and switched in by renaming the two, so its endpoint is unchanged and the replaced
    instance is kept; read back from the emulator. (moto makes snapshots and restores available at once and holds no
    data: the drill proves the calls, the follow and the switch, not a restored table.)

    Without -EndpointUrl (or $env:ROLLBACK_DRILL_AWS_ENDPOINT) the drill starts moto_server itself on a free loopback
    port and stops it afterwards. It runs in pwsh 7 with the built module,
    and in the module's runner (a full pwsh with the module imported):
        dotnet run --project src/Rollback.Runner -- -File examples/aws-drill.ps1

.PARAMETER EndpointUrl
    A Secrets Manager endpoint that moto serves. Default: $env:ROLLBACK_DRILL_AWS_ENDPOINT, else a moto_server the
    drill starts.

.PARAMETER LambdaEndpointUrl
    The Lambda endpoint the LambdaAlias target uses; -EndpointUrl by default (moto serves every service on one port).

.PARAMETER EcsEndpointUrl
    The ECS endpoint the EcsService target uses; -EndpointUrl by default.

.PARAMETER S3EndpointUrl
    The S3 endpoint the S3StaticSite target uses; -EndpointUrl by default.

.PARAMETER CloudFrontEndpointUrl
    The CloudFront endpoint the S3StaticSite target uses; -EndpointUrl by default.

.PARAMETER ElbEndpointUrl
    The Elastic Load Balancing endpoint the LoadBalancerListener target uses; -EndpointUrl by default.

.PARAMETER RdsEndpointUrl
    The RDS endpoint the RdsInstance target uses; -EndpointUrl by default.

.PARAMETER EmulatorUrl
    Where the drill's own setup (creating the secret, the bad rotation) talks to moto directly; -EndpointUrl by
    default. The tests point -EndpointUrl at a proxy that checks every request's signature and this at moto itself.

.PARAMETER PassThru
    Return the drill's results as one object instead of printing them.

.PARAMETER Keep
    Keep the sandbox folder (the drill's store) for inspection.
#>
[CmdletBinding()]
param(
    [string] $EndpointUrl = $env:ROLLBACK_DRILL_AWS_ENDPOINT,
    [string] $LambdaEndpointUrl,
    [string] $EcsEndpointUrl,
    [string] $S3EndpointUrl,
    [string] $CloudFrontEndpointUrl,
    [string] $ElbEndpointUrl,
    [string] $RdsEndpointUrl,
    [string] $EmulatorUrl,
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-aws-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The drills' shared functions (module import, Show, the stand-in deploy tool).
. (Join-Path $PSScriptRoot 'DrillSupport.ps1')

# Starting moto and the emulator's own API for setup (what a rotation or a deploy pipeline would do).
. (Join-Path $PSScriptRoot 'AwsSupport.ps1')

function Get-Stages([string] $SecretId) {
    $stages = @{}
    foreach ($version in (Invoke-SecretsManager 'DescribeSecret' @{ SecretId = $SecretId }).GetProperty('VersionIdsToStages').EnumerateObject()) {
        $stages[$version.Name] = @($version.Value.EnumerateArray() | ForEach-Object { $_.GetString() })
    }
    $stages
}

$moto = $null
$savedKey = $env:AWS_ACCESS_KEY_ID
$savedSecret = $env:AWS_SECRET_ACCESS_KEY
$store = Join-Path $Sandbox 'store'
$PSDefaultParameterValues = @{ '*-Rollback*:StorePath' = $store; 'Restore-Configuration:StorePath' = $store }
try {
    if (-not $EndpointUrl) {
        $moto = Start-Moto
        $EndpointUrl = $moto.Url
    }
    $script:EmulatorUrl = if ($EmulatorUrl) { $EmulatorUrl } else { $EndpointUrl }
    if (-not $LambdaEndpointUrl) { $LambdaEndpointUrl = $EndpointUrl }
    if (-not $EcsEndpointUrl) { $EcsEndpointUrl = $EndpointUrl }
    if (-not $S3EndpointUrl) { $S3EndpointUrl = $EndpointUrl }
    if (-not $CloudFrontEndpointUrl) { $CloudFrontEndpointUrl = $EndpointUrl }
    if (-not $ElbEndpointUrl) { $ElbEndpointUrl = $EndpointUrl }
    if (-not $RdsEndpointUrl) { $RdsEndpointUrl = $EndpointUrl }
    # moto accepts any credentials; the module still signs every request with them (SigV4, the SDK's signer).
    if (-not $env:AWS_ACCESS_KEY_ID) { $env:AWS_ACCESS_KEY_ID = 'AKIDROLLBACKDRILL' }
    if (-not $env:AWS_SECRET_ACCESS_KEY) { $env:AWS_SECRET_ACCESS_KEY = 'rollback-drill-secret-key' }

    # --- the secret as it is before the rotation: two versions, the second AWSCURRENT ----------
    $secretId = 'chargeworx/production/database-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $good = New-MotoSecret $secretId 'Host=db1;Password=first' 'Host=db1;Password=good'

    # --- once: register the target; before the rotation: capture the known-good version ---------
    $target = Register-RollbackTarget -Name db-credentials -Kind SecretsManagerSecret -Settings @{ SecretId = $secretId; Region = 'us-east-1'; EndpointUrl = $EndpointUrl } -Confirm:$false
    Show 'Target' $target
    $point = New-RollbackPoint -Target db-credentials -Note 'known good before the rotation'
    Show 'Known-good point' $point

    # --- the rotation goes wrong ------------------------------------------------------------------
    $bad = Set-MotoSecretValue $secretId 'Host=db1;Password=wrong'
    Show 'After the rotation' "AWSCURRENT is on $bad; the API cannot log in to the database"

    # --- the incident: check, roll back, show what -Previous would do ---------------------------
    $readiness = Get-RollbackPoint -Target db-credentials -Latest | Test-RollbackReadiness
    Show 'Readiness' $readiness.Checks
    $rollback = $readiness | Invoke-Rollback -Reason 'Rotation broke database logins' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Rollback' $rollback
    Show 'Rollback steps' $rollback.Steps
    $previous = Get-RollbackPoint -Target db-credentials -Latest | Restore-Configuration -Previous -Reason 'drill: what -Previous would do' -WhatIf
    Show 'Restore-Configuration -Previous -WhatIf' $previous

    # --- a Lambda release goes wrong: the alias 'live' moved from version 2 to 3 ------------------
    $function = 'checkout-api-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $lambdaVersions = New-MotoLambdaFunction $function @('v1.0', 'v1.1', 'v1.2-broken')
    Set-MotoLambdaAlias $function 'live' $lambdaVersions[1]
    Register-RollbackTarget -Name checkout-live -Kind LambdaAlias -Settings @{ FunctionName = $function; AliasName = 'live'; Region = 'us-east-1'; EndpointUrl = $LambdaEndpointUrl } -Confirm:$false | Out-Null
    New-RollbackPoint -Target checkout-live -Note "live on version $($lambdaVersions[1])" | Out-Null
    Set-MotoLambdaAlias $function 'live' $lambdaVersions[2] -Update
    $lambdaRollback = Get-RollbackPoint -Target checkout-live -Latest | Test-RollbackReadiness |
        Invoke-Rollback -Reason 'checkout 5xx after version 3' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Lambda alias rollback' $lambdaRollback
    $lambdaLive = Get-MotoLambdaAliasVersion $function 'live'

    # --- a container release goes wrong: the ECS service moved to a task definition that crashes ---------
    $cluster = 'production-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $revisions = New-MotoEcsService $cluster 'checkout' @('checkout:1.4.2', 'checkout:1.5.0-broken')
    Register-RollbackTarget -Name checkout-ecs -Kind EcsService -Settings @{ Cluster = $cluster; ServiceName = 'checkout'; Region = 'us-east-1'; EndpointUrl = $EcsEndpointUrl; PollSeconds = 0.2; FollowMinutes = 2 } -Confirm:$false | Out-Null
    New-RollbackPoint -Target checkout-ecs -Note 'revision 1 steady' | Out-Null
    Set-MotoEcsTaskDefinition $cluster 'checkout' $revisions[1]
    $ecsRollback = Get-RollbackPoint -Target checkout-ecs -Latest | Test-RollbackReadiness |
        Invoke-Rollback -Reason 'checkout tasks crash on 1.5.0' -ApprovedBy 'oncall' -Confirm:$false
    Show 'ECS service rollback' $ecsRollback
    $ecsLive = Get-MotoEcsTaskDefinition $cluster 'checkout'

    # --- a static site release goes wrong: page, script and marker replaced, a script added ---------------------------
    $bucket = 'www-checkout-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    New-MotoBucket $bucket -Versioned
    Publish-MotoSite $bucket 'site/' @{ 'index.html' = '<h1>Checkout 1.4.2</h1>'; 'app.js' = 'checkout_142()'; 'version.txt' = '1.4.2' }
    $distribution = New-MotoDistribution $bucket 'site/'
    Register-RollbackTarget -Name checkout-site -Kind S3StaticSite -Settings @{
        BucketName = $bucket; Prefix = 'site/'; DistributionId = $distribution; VersionMarkerKey = 'version.txt'
        Region = 'us-east-1'; EndpointUrl = $S3EndpointUrl; CloudFrontEndpointUrl = $CloudFrontEndpointUrl; PollSeconds = 0.2; FollowMinutes = 2
    } -Confirm:$false | Out-Null
    New-RollbackPoint -Target checkout-site -Note 'site 1.4.2' | Out-Null
    Publish-MotoSite $bucket 'site/' @{ 'index.html' = '<h1>Checkout 1.5.0</h1>'; 'app.js' = 'checkout_150()'; 'promo.js' = 'promo()'; 'version.txt' = '1.5.0' }
    $siteRollback = Get-RollbackPoint -Target checkout-site -Latest | Test-RollbackReadiness |
        Invoke-Rollback -Reason 'checkout page broken in 1.5.0' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Static site rollback' $siteRollback
    $siteVersion = Read-MotoObject $bucket 'site/version.txt'
    $sitePromo = Read-MotoObject $bucket 'site/promo.js'
    $sitePaths = @(Get-MotoInvalidationPaths $distribution)

    # --- a blue-green switch goes wrong: the listener moved all traffic to green, which fails ----------------------
    $balancer = New-MotoLoadBalancer ('checkout-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) @('blue', 'green')
    Register-RollbackTarget -Name checkout-alb -Kind LoadBalancerListener -Settings @{
        ListenerArn = $balancer.Listener; Region = 'us-east-1'; EndpointUrl = $ElbEndpointUrl; Steps = '50,100'; StepWait = '00:00:01'
    } -Confirm:$false | Out-Null
    New-RollbackPoint -Target checkout-alb -Note 'all traffic on blue' | Out-Null
    Set-MotoListenerWeights $balancer.Listener ([ordered]@{ $balancer.Groups.blue = 0; $balancer.Groups.green = 100 })
    $albRollback = Get-RollbackPoint -Target checkout-alb -Latest | Test-RollbackReadiness |
        Invoke-Rollback -Reason 'green answers 502' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Load balancer rollback' $albRollback
    $albWeights = @{}
    foreach ($group in (Invoke-MotoElb DescribeListeners ([ordered]@{ 'ListenerArns.member.1' = $balancer.Listener })).DescribeListenersResponse.DescribeListenersResult.Listeners.member.DefaultActions.member.ForwardConfig.TargetGroups.member) {
        $albWeights[$group.TargetGroupArn] = [int]$group.Weight
    }
    $albSteps = @(Get-RollbackHistory -Target checkout-alb | Where-Object Action -EQ 'TrafficStep').Count

    # --- a migration goes wrong: the database restored from its pre-deployment snapshot -------------------------------
    $dbInstance = 'checkout-db-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $dbAddress = New-MotoDbInstance $dbInstance
    Register-RollbackTarget -Name checkout-db -Kind RdsInstance -Settings @{
        DBInstanceIdentifier = $dbInstance; Region = 'us-east-1'; EndpointUrl = $RdsEndpointUrl; PollSeconds = 0.2; FollowMinutes = 5
    } -Confirm:$false | Out-Null
    $dbPoint = New-RollbackPoint -Target checkout-db -Note 'before migration 42'
    Show 'Database point (a DB snapshot)' $dbPoint
    $dbRollback = $dbPoint | Test-RollbackReadiness |
        Invoke-Rollback -Reason 'migration 42 dropped orders.status' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Database rollback' $dbRollback
    Show 'Database rollback steps' $dbRollback.Steps
    $dbReplaced = $dbRollback.Details['Rds.ReplacedInstance']
    $dbInstances = @{}
    foreach ($each in (Invoke-MotoRds DescribeDBInstances).DescribeDBInstancesResponse.DescribeDBInstancesResult.DBInstances.DBInstance) {
        $dbInstances[$each.DBInstanceIdentifier] = $each
    }
    $dbLive = $dbInstances[$dbInstance]
    $dbRestoredFrom = @($dbLive.TagList.Tag | Where-Object Key -EQ 'rollback:restored-from' | ForEach-Object Value)
    $dbJournal = Get-RollbackHistory -Target checkout-db -Last 1

    $chain = Get-RollbackHistory -Verify
    Show 'History' (Get-RollbackHistory -Last 10)
    Show 'Journal' $chain


    # --- prove it worked: the stages as Secrets Manager reports them ----------------------------
    $stages = Get-Stages $secretId
    $problems = @()
    if ($rollback.Status -ne 'Succeeded') { $problems += "rollback status is $($rollback.Status)" }
    if ($stages[$good] -notcontains 'AWSCURRENT') { $problems += "AWSCURRENT is not on the known-good version $good" }
    if ($stages[$bad] -notcontains 'AWSPREVIOUS') { $problems += "the bad version $bad is not AWSPREVIOUS" }
    if ($previous.To -ne $bad -or -not $previous.WhatIf) { $problems += '-Previous -WhatIf did not report the move to the bad version' }
    if ($lambdaRollback.Status -ne 'Succeeded') { $problems += "Lambda alias rollback status is $($lambdaRollback.Status)" }
    if ($lambdaLive -ne $lambdaVersions[1]) { $problems += "alias live of $function names version $lambdaLive, not $($lambdaVersions[1])" }
    if ($ecsRollback.Status -ne 'Succeeded') { $problems += "ECS service rollback status is $($ecsRollback.Status)" }
    if ($ecsLive -ne $revisions[0]) { $problems += "service checkout of $cluster runs $ecsLive, not $($revisions[0])" }
    if ($siteRollback.Status -ne 'Succeeded') { $problems += "static site rollback status is $($siteRollback.Status)" }
    if ($siteVersion -ne '1.4.2') { $problems += "site/version.txt of $bucket says $siteVersion, not 1.4.2" }
    if ($null -ne $sitePromo) { $problems += "site/promo.js, added by the bad release, is still in $bucket" }
    if ($sitePaths -notcontains '/index.html' -or $sitePaths -notcontains '/promo.js') { $problems += "the invalidation of $distribution names $($sitePaths -join ' '), not the changed paths" }
    if ($albRollback.Status -ne 'Succeeded') { $problems += "load balancer rollback status is $($albRollback.Status)" }
    if ($albWeights[$balancer.Groups.blue] -ne 100 -or $albWeights[$balancer.Groups.green] -ne 0) { $problems += "the listener forwards blue=$($albWeights[$balancer.Groups.blue]), green=$($albWeights[$balancer.Groups.green]), not all to blue" }
    if ($albSteps -ne 2) { $problems += "the journal has $albSteps traffic steps for checkout-alb, not 2" }
    if ($dbRollback.Status -ne 'Succeeded') { $problems += "database rollback status is $($dbRollback.Status): $($dbRollback.Message)" }
    if ($null -eq $dbLive -or $dbLive.Endpoint.Address -ne $dbAddress) { $problems += "$dbInstance no longer answers at $dbAddress" }
    if ($dbRestoredFrom -notcontains $dbPoint.Version) { $problems += "$dbInstance is not the instance restored from $($dbPoint.Version)" }
    if (-not $dbReplaced -or -not $dbInstances.ContainsKey($dbReplaced)) { $problems += "the replaced instance '$dbReplaced' was not kept" }
    if ($dbJournal.Details['Rds.ReplacedInstance'] -ne $dbReplaced) { $problems += 'the journal does not name the replaced instance' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }
    Complete-Drill 'AWS drill' $problems ([ordered]@{
            SecretId  = $secretId
            Good      = $good
            Bad       = $bad
            Readiness = $readiness
            Rollback  = $rollback
            Previous  = $previous
            Journal   = $chain
            Function  = $function
            LambdaGood = $lambdaVersions[1]
            Lambda    = $lambdaRollback
            Cluster   = $cluster
            EcsGood   = $revisions[0]
            Ecs       = $ecsRollback
            Bucket    = $bucket
            Site      = $siteRollback
            SitePaths = $sitePaths
            Listener  = $balancer.Listener
            Alb       = $albRollback
            DbInstance = $dbInstance
            DbPoint   = $dbPoint
            Database  = $dbRollback
            DbReplaced = $dbReplaced
        }) {
        "AWS drill passed: AWSCURRENT of $secretId is back on $good in $([math]::Round($rollback.Duration.TotalMilliseconds)) ms; $bad is AWSPREVIOUS; alias live of $function is back on version $($lambdaVersions[1]); service checkout runs $($revisions[0]) again; static site $bucket is back on 1.4.2 with $($sitePaths.Count) paths invalidated; the listener forwards all to blue again after $albSteps traffic steps; database $dbInstance at $dbAddress is restored from $($dbPoint.Version) with $([math]::Round($dbRollback.Downtime.TotalMilliseconds)) ms switch, the replaced instance kept as $dbReplaced; journal verified."
    }
}
finally {
    $env:AWS_ACCESS_KEY_ID = $savedKey
    $env:AWS_SECRET_ACCESS_KEY = $savedSecret
    Stop-Moto $moto
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
