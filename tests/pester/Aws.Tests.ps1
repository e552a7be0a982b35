# The AWS kinds from the user's side, against moto_server (started here on a free loopback port, stopped in AfterAll),
# with the AWS CLI v2 (/usr/bin/aws) reading the state the module left. Skipped where moto or the CLI is missing.

BeforeDiscovery {
    $script:HasMoto = [bool](Get-Command moto_server -ErrorAction SilentlyContinue) -and (Test-Path -LiteralPath /usr/bin/aws)
}

Describe 'LambdaAlias' -Skip:(-not $HasMoto) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        . $PSScriptRoot/../../examples/AwsSupport.ps1
        $store = Use-TestStore
        $moto = Enter-MotoSession

        function New-DeployedFunction {
            $name = 'pester-fn-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            $versions = New-MotoLambdaFunction $name @('v1', 'v2', 'v3')
            Set-MotoLambdaAlias $name 'live' $versions[1]
            Register-RollbackTarget -Name $name -Kind LambdaAlias -Settings @{ FunctionName = $name; AliasName = 'live'; Region = 'us-east-1'; EndpointUrl = $moto.Url } | Out-Null
            $name
        }
    }

    AfterAll {
        Exit-MotoSession $moto
        Clear-TestStore
    }

    It 'points the alias back at the captured version, as the AWS CLI reads it' {
        $name = New-DeployedFunction
        $point = New-RollbackPoint -Target $name -Note 'v2 live'
        Set-MotoLambdaAlias $name 'live' '3' -Update

        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'errors on v3' -Confirm:$false

        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be '3'
        $result.ToVersion | Should -Be '2'
        $result.Details['Lambda.PreviousVersion'] | Should -Be '3'
        (Invoke-AwsCli lambda get-alias --function-name $name --name live).FunctionVersion | Should -Be '2'
        (Get-RollbackHistory -Target $name -Last 1).Action | Should -Be 'Rollback'
    }

    It 'changes nothing under -WhatIf' {
        $name = New-DeployedFunction
        New-RollbackPoint -Target $name | Out-Null
        Set-MotoLambdaAlias $name 'live' '3' -Update

        $plan = Get-RollbackPoint -Target $name -Latest | Invoke-Rollback -Reason 'check' -WhatIf

        $plan.Status | Should -Be 'WhatIf'
        $plan.Steps.Name | Should -Contain 'Shift100'
        (Invoke-AwsCli lambda get-alias --function-name $name --name live).FunctionVersion | Should -Be '3'
    }

    It 'refuses a point whose version was deleted, with LambdaVersionMissing, and leaves the alias' {
        $name = New-DeployedFunction
        New-RollbackPoint -Target $name | Out-Null
        Set-MotoLambdaAlias $name 'live' '3' -Update
        Invoke-AwsCli lambda delete-function --function-name $name --qualifier 2 | Out-Null

        $report = Get-RollbackPoint -Target $name -Latest | Test-RollbackReadiness

        $report.IsReady | Should -BeFalse
        ($report.Checks | Where-Object Status -EQ 'Fail').ErrorId | Should -Be 'LambdaVersionMissing'
        { $report | Invoke-Rollback -Reason 'x' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,*'
        (Invoke-AwsCli lambda get-alias --function-name $name --name live).FunctionVersion | Should -Be '3'
    }

    It 'says AwsResourceNotFound for an alias that does not exist' {
        $name = 'pester-none-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        New-MotoLambdaFunction $name @('v1') | Out-Null
        Register-RollbackTarget -Name $name -Kind LambdaAlias -Settings @{ FunctionName = $name; AliasName = 'live'; Region = 'us-east-1'; EndpointUrl = $moto.Url } | Out-Null

        { New-RollbackPoint -Target $name -ErrorAction Stop } | Should -Throw -ErrorId 'AwsResourceNotFound,*'
    }
}

Describe 'EcsService' -Skip:(-not $HasMoto) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        . $PSScriptRoot/../../examples/AwsSupport.ps1
        $store = Use-TestStore
        $moto = Enter-MotoSession

        function Get-CliTaskDefinition([string] $Cluster) {
            (Invoke-AwsCli ecs describe-services --cluster $Cluster --services web).services[0].taskDefinition
        }

        # A service of 2 tasks on revision 1 of 'web', registered as a target named after its cluster; returns the revisions.
        function New-DeployedService([string] $Cluster) {
            $revisions = New-MotoEcsService $Cluster 'web' @('web:1.0', 'web:1.1-broken')
            Register-RollbackTarget -Name $Cluster -Kind EcsService -Settings @{ Cluster = $Cluster; ServiceName = 'web'; Region = 'us-east-1'; EndpointUrl = $moto.Url; PollSeconds = 0.1 } | Out-Null
            $revisions
        }
    }

    AfterAll {
        Exit-MotoSession $moto
        Clear-TestStore
    }

    It 'puts the service back on the captured task definition, as the AWS CLI reads it' {
        $cluster = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $revisions = New-DeployedService $cluster
        New-RollbackPoint -Target $cluster | Out-Null
        Set-MotoEcsTaskDefinition $cluster 'web' $revisions[1]

        $report = Get-RollbackPoint -Target $cluster -Latest | Test-RollbackReadiness
        $result = $report | Invoke-Rollback -Reason 'tasks crash on 1.1' -Confirm:$false

        ($report.Checks | Where-Object Name -EQ 'CircuitBreakerRollback').Status | Should -Be 'Warn'
        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.Steps.Name | Should -Contain 'FollowDeployment'
        $result.Details['Ecs.PreviousTaskDefinition'] | Should -Be $revisions[1]
        Get-CliTaskDefinition $cluster | Should -Be $revisions[0]
    }

    It 'refuses a deregistered task definition with EcsTaskDefinitionInactive, and the service stays' {
        $cluster = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $revisions = New-DeployedService $cluster
        New-RollbackPoint -Target $cluster | Out-Null
        Set-MotoEcsTaskDefinition $cluster 'web' $revisions[1]
        Invoke-MotoEcs DeregisterTaskDefinition @{ taskDefinition = $revisions[0] } | Out-Null

        $report = Get-RollbackPoint -Target $cluster -Latest | Test-RollbackReadiness

        ($report.Checks | Where-Object Status -EQ 'Fail').ErrorId | Should -Be 'EcsTaskDefinitionInactive'
        { $report | Invoke-Rollback -Reason 'x' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,*'
        Get-CliTaskDefinition $cluster | Should -Be $revisions[1]
    }
}

Describe 'AppConfigFeatureFlags' -Skip:(-not $HasMoto) {
    # moto serves applications, profiles and hosted versions but no environments or deployments: the rollback itself
    # is proven by the xUnit suite through a test-written endpoint; here, the kind from the user's side against moto.
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        . $PSScriptRoot/../../examples/AwsSupport.ps1
        $store = Use-TestStore
        $moto = Enter-MotoSession
    }

    AfterAll {
        Exit-MotoSession $moto
        Clear-TestStore
    }

    It 'lists the kind with its settings, the strategy all at once by default, and its ErrorIds' {
        $kind = Get-RollbackKind -Name AppConfigFeatureFlags
        $kind.Settings.Name | Should -Contain 'ConfigurationProfile'
        ($kind.Settings | Where-Object Name -EQ 'DeploymentStrategy').Default | Should -Be 'AppConfig.AllAtOnce'
        $kind.ErrorIds.ErrorId | Should -Contain 'AppConfigVersionMissing'
        $kind.ErrorIds.ErrorId | Should -Contain 'AppConfigDeploymentRolledBack'
    }

    It 'refuses a registration that names no environment with InvalidTargetSettings' {
        { Register-RollbackTarget -Name flags-noenv -Kind AppConfigFeatureFlags -Settings @{ Application = 'shop'; ConfigurationProfile = 'flags' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTargetSettings,*'
        Get-RollbackTarget -Name flags-noenv -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'says AwsResourceNotFound for a profile moto does not have, and the hosted versions stay as the AWS CLI reads them' {
        $flags = New-MotoAppConfigProfile ('pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) @($false, $true)
        Register-RollbackTarget -Name flags-noprofile -Kind AppConfigFeatureFlags -Settings @{
            Application = $flags.Application; ConfigurationProfile = 'no-such-profile'; Environment = 'production'; Region = 'us-east-1'; EndpointUrl = $moto.Url; MaxAttempts = 1
        } | Out-Null

        { New-RollbackPoint -Target flags-noprofile -ErrorAction Stop } | Should -Throw -ErrorId 'AwsResourceNotFound,*'
        Get-RollbackPoint -Target flags-noprofile -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $out = Join-Path $TestDrive 'cli-flags.json'
        Invoke-AwsCli appconfig get-hosted-configuration-version --application-id $flags.Application --configuration-profile-id $flags.Profile --version-number 2 $out | Out-Null
        (Get-Content -Raw -LiteralPath $out | ConvertFrom-Json).values.'checkout-v2'.enabled | Should -BeTrue
    }
}

Describe 'S3StaticSite' -Skip:(-not $HasMoto) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        . $PSScriptRoot/../../examples/AwsSupport.ps1
        $store = Use-TestStore
        $moto = Enter-MotoSession

        # The object's current content as the AWS CLI reads it ($null when it does not exist).
        function Get-CliObject([string] $Bucket, [string] $Key) {
            $file = [System.IO.Path]::GetTempFileName()
            try {
                $env:AWS_DEFAULT_REGION = 'us-east-1'
                & /usr/bin/aws --endpoint-url $moto.Url.TrimEnd('/') --no-cli-pager s3api get-object --bucket $Bucket --key $Key $file 2>&1 | Out-Null
                if ($LASTEXITCODE -eq 0) { Get-Content -LiteralPath $file -Raw }
            }
            finally { Remove-Item -LiteralPath $file -Force }
        }

        # A site v1 (page, script, marker) under site/ of a new versioned bucket with a distribution, registered as a target named after the bucket.
        function New-DeployedSite {
            $bucket = 'pester-site-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            New-MotoBucket $bucket -Versioned
            Publish-MotoSite $bucket 'site/' @{ 'index.html' = '<h1>v1</h1>'; 'app.js' = 'one()'; 'version.txt' = 'v1' }
            $distribution = New-MotoDistribution $bucket 'site/'
            Register-RollbackTarget -Name $bucket -Kind S3StaticSite -Settings @{
                BucketName = $bucket; Prefix = 'site/'; DistributionId = $distribution; VersionMarkerKey = 'version.txt'
                Region = 'us-east-1'; EndpointUrl = $moto.Url; PollSeconds = 0.1
            } | Out-Null
            [pscustomobject]@{ Bucket = $bucket; Distribution = $distribution }
        }

        function Publish-BadVersion([string] $Bucket) {
            Publish-MotoSite $Bucket 'site/' @{ 'index.html' = '<h1>v2</h1>'; 'app.js' = 'two()'; 'new.js' = 'added()'; 'version.txt' = 'v2' }
        }
    }

    AfterAll {
        Exit-MotoSession $moto
        Clear-TestStore
    }

    It 'copies the captured versions back, deletes what was added and invalidates the changed paths, as the AWS CLI reads it' {
        $site = New-DeployedSite
        $point = New-RollbackPoint -Target $site.Bucket -Note 'v1 live'
        Publish-BadVersion $site.Bucket

        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'v2 broke the page' -Confirm:$false

        $point.Version | Should -Be 'v1'
        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be 'v2'
        $result.ToVersion | Should -Be 'v1'
        $result.Steps.Name | Should -Contain 'FollowInvalidation'
        $result.Details['S3.Copied'] | Should -Be '3'
        $result.Details['S3.Deleted'] | Should -Be '1'
        Get-CliObject $site.Bucket 'site/index.html' | Should -Be '<h1>v1</h1>'
        Get-CliObject $site.Bucket 'site/new.js' | Should -BeNullOrEmpty
        $invalidation = (Invoke-AwsCli cloudfront list-invalidations --distribution-id $site.Distribution).InvalidationList.Items[0].Id
        $paths = (Invoke-AwsCli cloudfront get-invalidation --distribution-id $site.Distribution --id $invalidation).Invalidation.InvalidationBatch.Paths.Items
        $paths | Should -Contain '/index.html'
        $paths | Should -Contain '/new.js'
        $paths | Should -Contain '/'
        (Get-RollbackHistory -Target $site.Bucket -Last 1).Action | Should -Be 'Rollback'
    }

    It 'changes nothing under -WhatIf' {
        $site = New-DeployedSite
        New-RollbackPoint -Target $site.Bucket | Out-Null
        Publish-BadVersion $site.Bucket

        $plan = Get-RollbackPoint -Target $site.Bucket -Latest | Invoke-Rollback -Reason 'check' -WhatIf

        $plan.Status | Should -Be 'WhatIf'
        $plan.Steps.Name | Should -Contain 'RestoreObjects'
        Get-CliObject $site.Bucket 'site/version.txt' | Should -Be 'v2'
        (Invoke-AwsCli cloudfront list-invalidations --distribution-id $site.Distribution).InvalidationList.Items | Should -BeNullOrEmpty
    }

    It 'refuses a point whose object version expired, with S3ObjectVersionMissing, and leaves the site' {
        $site = New-DeployedSite
        New-RollbackPoint -Target $site.Bucket | Out-Null
        $old = (Invoke-AwsCli s3api list-object-versions --bucket $site.Bucket --prefix site/app.js).Versions | Where-Object IsLatest -EQ $true
        Publish-BadVersion $site.Bucket
        Invoke-AwsCli s3api delete-object --bucket $site.Bucket --key site/app.js --version-id $old.VersionId | Out-Null

        $report = Get-RollbackPoint -Target $site.Bucket -Latest | Test-RollbackReadiness

        $report.IsReady | Should -BeFalse
        ($report.Checks | Where-Object Status -EQ 'Fail').ErrorId | Should -Be 'S3ObjectVersionMissing'
        { $report | Invoke-Rollback -Reason 'x' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,*'
        Get-CliObject $site.Bucket 'site/index.html' | Should -Be '<h1>v2</h1>'
    }

    It 'refuses to capture a bucket without versioning, with S3VersioningDisabled' {
        $bucket = 'pester-plain-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        New-MotoBucket $bucket
        Publish-MotoSite $bucket 'site/' @{ 'index.html' = 'one' }
        Register-RollbackTarget -Name $bucket -Kind S3StaticSite -Settings @{ BucketName = $bucket; Prefix = 'site/'; Region = 'us-east-1'; EndpointUrl = $moto.Url } | Out-Null

        { New-RollbackPoint -Target $bucket -ErrorAction Stop } | Should -Throw -ErrorId 'S3VersioningDisabled,*'
        Get-RollbackPoint -Target $bucket | Should -BeNullOrEmpty
    }
}

Describe 'LoadBalancerListener' -Skip:(-not $HasMoto) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        . $PSScriptRoot/../../examples/AwsSupport.ps1
        $store = Use-TestStore
        $moto = Enter-MotoSession

        # The listener's weight per colour as the AWS CLI reads it (0 for a group it no longer forwards to).
        function Get-CliWeights($Balancer) {
            $env:AWS_DEFAULT_REGION = 'us-east-1'
            $text = & /usr/bin/aws --endpoint-url $moto.Url.TrimEnd('/') --output json --no-cli-pager elbv2 describe-listeners --listener-arns $Balancer.Listener 2>&1
            if ($LASTEXITCODE -ne 0) { throw "aws elbv2 describe-listeners failed: $text" }
            $groups = ($text | ConvertFrom-Json).Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups
            $weights = [ordered]@{}
            foreach ($colour in $Balancer.Groups.Keys) { $weights[$colour] = [int](($groups | Where-Object TargetGroupArn -EQ $Balancer.Groups[$colour]).Weight | Select-Object -First 1) }
            $weights
        }

        # A load balancer forwarding everything to blue, registered as a target; green takes it all after the "deployment".
        function New-DeployedBalancer {
            $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            $balancer = New-MotoLoadBalancer $name @('blue', 'green')
            Register-RollbackTarget -Name $name -Kind LoadBalancerListener -Settings @{ ListenerArn = $balancer.Listener; Region = 'us-east-1'; EndpointUrl = $moto.Url } | Out-Null
            $balancer.Name = $name
            $balancer
        }

        function Set-Green($Balancer) {
            Set-MotoListenerWeights $Balancer.Listener ([ordered]@{ $Balancer.Groups.blue = 0; $Balancer.Groups.green = 100 })
        }
    }

    AfterAll {
        Exit-MotoSession $moto
        Clear-TestStore
    }

    It 'forwards back to blue all at once, as the AWS CLI reads it' {
        $balancer = New-DeployedBalancer
        $point = New-RollbackPoint -Target $balancer.Name -Note 'blue live'
        Set-Green $balancer

        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'errors on green' -Option @{ Steps = '100' } -Confirm:$false

        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.ToVersion | Should -Be "$($balancer.Name)-blue"
        $result.Steps.Name | Should -Contain 'Shift100.ModifyListener'
        $weights = Get-CliWeights $balancer
        $weights.blue | Should -Be 100
        $weights.green | Should -Be 0
    }

    It 'moves half the traffic, then all of it, journaling each step' {
        $balancer = New-DeployedBalancer
        $point = New-RollbackPoint -Target $balancer.Name
        Set-Green $balancer

        $result = $point | Invoke-Rollback -Reason 'gradual' -Option @{ Steps = '50,100'; StepWait = '00:00:01' } -Confirm:$false

        $result.Status | Should -Be 'Succeeded'
        $result.Steps.Name | Should -Contain 'Verify50'
        @(Get-RollbackHistory -Target $balancer.Name | Where-Object Action -EQ 'TrafficStep').Count | Should -Be 2
        (Get-CliWeights $balancer).blue | Should -Be 100
    }

    It 'changes nothing under -WhatIf' {
        $balancer = New-DeployedBalancer
        $point = New-RollbackPoint -Target $balancer.Name
        Set-Green $balancer

        $result = $point | Invoke-Rollback -Reason 'x' -WhatIf

        $result.Status | Should -Be 'WhatIf'
        $result.Steps.Name | Should -Contain 'Shift50'
        (Get-CliWeights $balancer).green | Should -Be 100
    }

    It 'refuses a point whose target group was deleted, with LoadBalancerTargetGroupMissing, and the listener stays' {
        $balancer = New-DeployedBalancer
        $point = New-RollbackPoint -Target $balancer.Name
        Set-MotoListenerWeights $balancer.Listener ([ordered]@{ $balancer.Groups.green = 1 })
        Invoke-MotoElb DeleteTargetGroup ([ordered]@{ TargetGroupArn = $balancer.Groups.blue }) | Out-Null

        $report = $point | Test-RollbackReadiness

        ($report.Checks | Where-Object Status -EQ 'Fail').ErrorId | Should -Be 'LoadBalancerTargetGroupMissing'
        { $report | Invoke-Rollback -Reason 'x' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,*'
        (Get-CliWeights $balancer).green | Should -Be 1
    }

    It 'refuses a step list that does not end at 100 with TrafficStepsInvalid, and the listener stays' {
        $balancer = New-DeployedBalancer
        $point = New-RollbackPoint -Target $balancer.Name
        Set-Green $balancer

        { $point | Invoke-Rollback -Reason 'x' -Option @{ Steps = '50' } -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'TrafficStepsInvalid,*'
        (Get-CliWeights $balancer).green | Should -Be 100
    }
}

Describe 'RdsInstance' -Skip:(-not $HasMoto) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        . $PSScriptRoot/../../examples/AwsSupport.ps1
        $store = Use-TestStore
        $moto = Enter-MotoSession

        # A DB instance in moto registered as a target (moto makes snapshots and restores available at once).
        function New-DeployedDatabase {
            $name = 'pester-db-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            $address = New-MotoDbInstance $name
            Register-RollbackTarget -Name $name -Kind RdsInstance -Settings @{ DBInstanceIdentifier = $name; Region = 'us-east-1'; EndpointUrl = $moto.Url; PollSeconds = 0.01 } | Out-Null
            [pscustomobject]@{ Name = $name; Address = $address }
        }

        function Get-CliInstance([string] $Identifier) { (Invoke-AwsCli rds describe-db-instances --db-instance-identifier $Identifier).DBInstances[0] }

        function Get-RestoredFrom([string] $Identifier) { ((Get-CliInstance $Identifier).TagList | Where-Object Key -EQ 'rollback:restored-from').Value }
    }

    AfterAll {
        Exit-MotoSession $moto
        Clear-TestStore
    }

    It 'restores the snapshot beside the instance and swaps the identifiers, as the AWS CLI reads them' {
        $db = New-DeployedDatabase
        $point = New-RollbackPoint -Target $db.Name -Note 'before the migration'
        (Invoke-AwsCli rds describe-db-snapshots --db-snapshot-identifier $point.Version).DBSnapshots[0].Status | Should -Be 'available'

        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'migration broke orders' -Confirm:$false

        $result | Should -BeOfType Rollback.RollbackResult
        $result.Status | Should -Be 'Succeeded'
        $result.ToVersion | Should -Be $point.Version
        $result.Steps.Name | Should -Contain 'SwitchIdentifiers'
        $replaced = $result.Details['Rds.ReplacedInstance']
        $replaced | Should -BeLike "$($db.Name)-old-*"
        (Get-CliInstance $db.Name).Endpoint.Address | Should -Be $db.Address
        Get-RestoredFrom $db.Name | Should -Be $point.Version
        (Get-CliInstance $replaced).DBInstanceStatus | Should -Be 'available'
        $entry = Get-RollbackHistory -Target $db.Name -Last 1
        $entry.Action | Should -Be 'Rollback'
        $entry.Details['Rds.ReplacedInstance'] | Should -Be $replaced
    }

    It 'changes nothing under -WhatIf' {
        $db = New-DeployedDatabase
        $point = New-RollbackPoint -Target $db.Name

        $plan = $point | Invoke-Rollback -Reason 'check' -WhatIf

        $plan.Status | Should -Be 'WhatIf'
        $plan.Steps.Name | Should -Be @('CheckReadiness', 'CaptureSafetyPoint', 'RestoreDBInstanceFromDBSnapshot', 'FollowRestore', 'SwitchIdentifiers', 'Verify')
        @((Invoke-AwsCli rds describe-db-snapshots --db-instance-identifier $db.Name --snapshot-type manual).DBSnapshots).Count | Should -Be 1
        Get-RestoredFrom $db.Name | Should -BeNullOrEmpty
        @((Invoke-AwsCli rds describe-db-instances).DBInstances | Where-Object DBInstanceIdentifier -Like "$($db.Name)-*").Count | Should -Be 0
    }

    It 'refuses a point whose snapshot was deleted, with RdsSnapshotMissing, and renames nothing' {
        $db = New-DeployedDatabase
        $point = New-RollbackPoint -Target $db.Name
        Invoke-MotoRds DeleteDBSnapshot ([ordered]@{ DBSnapshotIdentifier = $point.Version }) | Out-Null

        $report = $point | Test-RollbackReadiness

        $report.IsReady | Should -BeFalse
        ($report.Checks | Where-Object Status -EQ 'Fail').ErrorId | Should -Be 'RdsSnapshotMissing'
        { $report | Invoke-Rollback -Reason 'x' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,*'
        Get-RestoredFrom $db.Name | Should -BeNullOrEmpty
    }

    It 'says AwsResourceNotFound for an instance that does not exist, and keeps no point' {
        $name = 'pester-none-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Register-RollbackTarget -Name $name -Kind RdsInstance -Settings @{ DBInstanceIdentifier = $name; Region = 'us-east-1'; EndpointUrl = $moto.Url } | Out-Null

        { New-RollbackPoint -Target $name -ErrorAction Stop } | Should -Throw -ErrorId 'AwsResourceNotFound,*'
        @(Get-RollbackPoint -Target $name).Count | Should -Be 0
    }
}
