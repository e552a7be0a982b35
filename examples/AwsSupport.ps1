<#
.SYNOPSIS
    What the AWS drill and the AWS Pester suite share: moto_server on a free loopback port, and the emulator's API
    called directly for test setup (what a deploy pipeline would do), never through the module.

.DESCRIPTION
    Dot-sourced (`. (Join-Path $PSScriptRoot 'AwsSupport.ps1')`). Setup calls go to $script:EmulatorUrl, unsigned
    (moto takes the account and region from the credential scope). Only control-plane calls: no Lambda function is
    ever invoked, so moto never needs docker.
#>

# Get-FreePort.
. (Join-Path $PSScriptRoot 'LoopbackSupport.ps1')

# moto on a free loopback port, ready within 30 s (bounded), or a clear failure. Stop it with Stop-Moto.
function Start-Moto {
    $port = Get-FreePort
    $start = [System.Diagnostics.ProcessStartInfo]::new('moto_server')
    foreach ($argument in @('-H', '127.0.0.1', '-p', "$port")) { $start.ArgumentList.Add($argument) }
    $start.UseShellExecute = $false
    # moto never advances an ECS deployment: with this, a 2-task service's one deployment reads COMPLETED.
    $start.Environment['MOTO_ECS_SERVICE_RUNNING'] = '2'
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    try { $process = [System.Diagnostics.Process]::Start($start) }
    catch { throw "moto_server could not be started ($($_.Exception.Message)): pip install 'moto[server]', or pass -EndpointUrl." }
    $process.BeginOutputReadLine()
    $process.BeginErrorReadLine()
    $url = "http://127.0.0.1:$port/"
    $http = [System.Net.Http.HttpClient]::new()
    $http.Timeout = [TimeSpan]::FromSeconds(2)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        while ($watch.Elapsed.TotalSeconds -lt 30) {
            if ($process.HasExited) { throw "moto_server exited with code $($process.ExitCode)" }
            try {
                $http.GetAsync($url + 'moto-api/').GetAwaiter().GetResult().Dispose()
                return [pscustomobject]@{ Url = $url; Process = $process }
            }
            catch [System.Net.Http.HttpRequestException], [System.Threading.Tasks.TaskCanceledException] {
                [System.Threading.Thread]::Sleep(200)
            }
        }
    }
    finally { $http.Dispose() }
    $process.Kill($true)
    throw "moto_server did not answer within 30 s on $url"
}

# Stops the moto_server Start-Moto started (by its own process), if it still runs.
function Stop-Moto($Moto) {
    if ($null -ne $Moto -and -not $Moto.Process.HasExited) {
        $Moto.Process.Kill($true)
        $Moto.Process.WaitForExit(10000) | Out-Null
    }
}

# One call to the emulator: $Path and $Body (JSON) with the Authorization scope of $Service, and X-Amz-Target for the
# awsJson services. Returns the answer's JSON root (a JsonElement), or throws with the emulator's answer.
function Invoke-Moto {
    param(
        [string] $Service,
        [string] $Operation,
        [object] $Body,
        [string] $Method = 'POST',
        [string] $Path = '',
        [string] $ContentType = 'application/x-amz-json-1.1',
        [string] $Target
    )
    $http = [System.Net.Http.HttpClient]::new()
    try {
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), [uri]::new([uri]$script:EmulatorUrl, $Path))
        if ($null -ne $Body) {
            $text = if ($Body -is [string]) { $Body } else { $Body | ConvertTo-Json -Depth 10 -Compress }
            $request.Content = [System.Net.Http.StringContent]::new($text, [System.Text.Encoding]::UTF8, $ContentType)
        }
        if ($Target) { $request.Headers.TryAddWithoutValidation('X-Amz-Target', "$Target.$Operation") | Out-Null }
        $request.Headers.TryAddWithoutValidation('Authorization', "AWS4-HMAC-SHA256 Credential=AKIDDRILL/20250101/us-east-1/$Service/aws4_request, SignedHeaders=host, Signature=0") | Out-Null
        $response = $http.SendAsync($request).GetAwaiter().GetResult()
        $answer = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        if (-not $response.IsSuccessStatusCode) { throw "moto $Service $Operation failed: $([int]$response.StatusCode) $answer" }
        if ($answer.TrimStart().StartsWith('<')) { return [xml]$answer }
        if ([string]::IsNullOrWhiteSpace($answer) -or -not $answer.TrimStart().StartsWith('{')) { return $null }
        [System.Text.Json.JsonDocument]::Parse($answer).RootElement.Clone()
    }
    finally { $http.Dispose() }
}

# ---- Lambda (restJson): a function from a zip, published versions, an alias ------------------------------------------

# A zip holding index.py whose handler returns $Code (base64, as CreateFunction and UpdateFunctionCode take it).
function New-LambdaZip([string] $Code) {
    $buffer = [System.IO.MemoryStream]::new()
    $zip = [System.IO.Compression.ZipArchive]::new($buffer, [System.IO.Compression.ZipArchiveMode]::Create, $true)
    $writer = [System.IO.StreamWriter]::new($zip.CreateEntry('index.py').Open())
    $writer.Write("def handler(event, context):`n    return '$Code'`n")
    $writer.Dispose()
    $zip.Dispose()
    [Convert]::ToBase64String($buffer.ToArray())
}

# Creates the function (and the IAM role moto wants) with one published version per entry of $Code; returns their numbers.
function New-MotoLambdaFunction([string] $Name, [string[]] $Code) {
    $policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    try {
        Invoke-Moto -Service iam -Operation CreateRole -ContentType 'application/x-www-form-urlencoded' `
            -Body "Action=CreateRole&Version=2010-05-08&RoleName=rollback-drill-lambda&AssumeRolePolicyDocument=$([uri]::EscapeDataString($policy))" | Out-Null
    }
    catch { if ("$_" -notmatch 'EntityAlreadyExists') { throw } }
    $versions = @((Invoke-Moto -Service lambda -Operation CreateFunction -ContentType 'application/json' -Path '/2015-03-31/functions' -Body @{
                FunctionName = $Name; Runtime = 'python3.12'; Role = 'arn:aws:iam::123456789012:role/rollback-drill-lambda'; Handler = 'index.handler'
                Code = @{ ZipFile = (New-LambdaZip $Code[0]) }; Publish = $true
            }).GetProperty('Version').GetString())
    foreach ($each in $Code | Select-Object -Skip 1) {
        $versions += (Invoke-Moto -Service lambda -Operation UpdateFunctionCode -Method PUT -ContentType 'application/json' -Path "/2015-03-31/functions/$Name/code" -Body @{
                ZipFile = (New-LambdaZip $each); Publish = $true
            }).GetProperty('Version').GetString()
    }
    $versions
}

# Creates the alias on $Version, or (-Update) points it there: what a deployment does.
function Set-MotoLambdaAlias([string] $Function, [string] $Alias, [string] $Version, [switch] $Update) {
    if ($Update) {
        Invoke-Moto -Service lambda -Operation UpdateAlias -Method PUT -ContentType 'application/json' -Path "/2015-03-31/functions/$Function/aliases/$Alias" -Body @{ FunctionVersion = $Version } | Out-Null
    }
    else {
        Invoke-Moto -Service lambda -Operation CreateAlias -ContentType 'application/json' -Path "/2015-03-31/functions/$Function/aliases" -Body @{ Name = $Alias; FunctionVersion = $Version } | Out-Null
    }
}

# The version the alias names, as the emulator holds it.
function Get-MotoLambdaAliasVersion([string] $Function, [string] $Alias) {
    (Invoke-Moto -Service lambda -Operation GetAlias -Method GET -Path "/2015-03-31/functions/$Function/aliases/$Alias").GetProperty('FunctionVersion').GetString()
}

# ---- ECS (awsJson): a cluster, task definition revisions and a service -----------------------------------------------

function Invoke-MotoEcs([string] $Operation, [hashtable] $Body) {
    Invoke-Moto -Service ecs -Target AmazonEC2ContainerServiceV20141113 -Operation $Operation -Body $Body
}

# A cluster, one task definition revision per image, and a service of 2 tasks on the first; returns the revisions' ARNs.
function New-MotoEcsService([string] $Cluster, [string] $Service, [string[]] $Image) {
    Invoke-MotoEcs CreateCluster @{ clusterName = $Cluster } | Out-Null
    $arns = @(foreach ($each in $Image) {
            (Invoke-MotoEcs RegisterTaskDefinition @{ family = $Service; containerDefinitions = @(@{ name = 'app'; image = $each; memory = 128 }) }).
            GetProperty('taskDefinition').GetProperty('taskDefinitionArn').GetString()
        })
    Invoke-MotoEcs CreateService @{ cluster = $Cluster; serviceName = $Service; taskDefinition = $arns[0]; desiredCount = 2 } | Out-Null
    $arns
}

# What a deployment does: the service moved to another task definition.
function Set-MotoEcsTaskDefinition([string] $Cluster, [string] $Service, [string] $TaskDefinition) {
    Invoke-MotoEcs UpdateService @{ cluster = $Cluster; service = $Service; taskDefinition = $TaskDefinition } | Out-Null
}

# The task definition the service names, as the emulator holds it.
function Get-MotoEcsTaskDefinition([string] $Cluster, [string] $Service) {
    (Invoke-MotoEcs DescribeServices @{ cluster = $Cluster; services = @($Service) }).GetProperty('services')[0].GetProperty('taskDefinition').GetString()
}

# ---- S3 and CloudFront (REST): a versioned bucket holding a static site, and a distribution in front of it -----------

# A bucket; -Versioned turns versioning on (what S3StaticSite needs).
function New-MotoBucket([string] $Bucket, [switch] $Versioned) {
    Invoke-Moto -Service s3 -Operation CreateBucket -Method PUT -Path $Bucket | Out-Null
    if ($Versioned) {
        Invoke-Moto -Service s3 -Operation PutBucketVersioning -Method PUT -Path "$Bucket`?versioning" -ContentType 'application/xml' `
            -Body '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>' | Out-Null
    }
}

# What a site deployment does: each file put under the prefix (a new version of each); returns nothing.
function Publish-MotoSite([string] $Bucket, [string] $Prefix, [hashtable] $Files) {
    foreach ($file in $Files.GetEnumerator()) {
        Invoke-Moto -Service s3 -Operation PutObject -Method PUT -Path "$Bucket/$Prefix$($file.Key)" -ContentType 'text/plain' -Body $file.Value | Out-Null
    }
}

# A CloudFront distribution whose origin is the bucket's prefix; returns its id.
function New-MotoDistribution([string] $Bucket, [string] $Prefix) {
    $config = @"
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>$([guid]::NewGuid().ToString('N'))</CallerReference><DefaultRootObject>index.html</DefaultRootObject>
<Origins><Quantity>1</Quantity><Items><Origin><Id>site</Id><DomainName>$Bucket.s3.amazonaws.com</DomainName><OriginPath>/$($Prefix.TrimEnd('/'))</OriginPath><S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin></Items></Origins>
<DefaultCacheBehavior><TargetOriginId>site</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><MinTTL>0</MinTTL><ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies></ForwardedValues><TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners></DefaultCacheBehavior>
<Comment>rollback drill</Comment><Enabled>true</Enabled></DistributionConfig>
"@
    (Invoke-Moto -Service cloudfront -Operation CreateDistribution -Path '2020-05-31/distribution' -ContentType 'application/xml' -Body $config).Distribution.Id
}

# The current content of an object as the emulator holds it ($null when it does not exist).
function Read-MotoObject([string] $Bucket, [string] $Key) {
    $http = [System.Net.Http.HttpClient]::new()
    try {
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Get, [uri]::new([uri]$script:EmulatorUrl, "$Bucket/$Key"))
        $request.Headers.TryAddWithoutValidation('Authorization', 'AWS4-HMAC-SHA256 Credential=AKIDDRILL/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0') | Out-Null
        $response = $http.SendAsync($request).GetAwaiter().GetResult()
        if ($response.IsSuccessStatusCode) { $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
    }
    finally { $http.Dispose() }
}

# ---- Secrets Manager (awsJson): what a rotation does, called directly ---------------------------------------------------

function Invoke-SecretsManager([string] $Operation, [hashtable] $Body) {
    Invoke-Moto -Service secretsmanager -Target secretsmanager -Operation $Operation -Body $Body
}

# A secret with a first version and a second one made AWSCURRENT (as a rotation leaves it); returns the second's VersionId.
function New-MotoSecret([string] $Name, [string] $First, [string] $Current) {
    Invoke-SecretsManager 'CreateSecret' @{ Name = $Name; SecretString = $First; ClientRequestToken = [guid]::NewGuid().ToString() } | Out-Null
    Set-MotoSecretValue $Name $Current
}

# What a rotation does: a new version, made AWSCURRENT (the one before becomes AWSPREVIOUS); returns its VersionId.
function Set-MotoSecretValue([string] $SecretId, [string] $Value) {
    (Invoke-SecretsManager 'PutSecretValue' @{ SecretId = $SecretId; SecretString = $Value; ClientRequestToken = [guid]::NewGuid().ToString() }).GetProperty('VersionId').GetString()
}

# The paths of every invalidation the emulator holds for the distribution.
function Get-MotoInvalidationPaths([string] $Distribution) {
    $list = Invoke-Moto -Service cloudfront -Operation ListInvalidations -Method GET -Path "2020-05-31/distribution/$Distribution/invalidation"
    foreach ($id in @($list.InvalidationList.Items.InvalidationSummary) | Where-Object { $_ } | ForEach-Object Id) {
        (Invoke-Moto -Service cloudfront -Operation GetInvalidation -Method GET -Path "2020-05-31/distribution/$Distribution/invalidation/$id").Invalidation.InvalidationBatch.Paths.Items.Path
    }
}

# ---- AppConfig (restJson): an application, a feature-flag profile and its hosted versions (moto has no environments) ---

# Creates an application and a feature-flag profile in moto with one hosted version per entry of $Flags (each the
# enabled state of one flag 'checkout-v2'); returns the application id, the profile id and the version numbers.
function New-MotoAppConfigProfile([string] $Application, [bool[]] $Flags) {
    $app = (Invoke-Moto -Service appconfig -Operation CreateApplication -ContentType 'application/json' -Path '/applications' -Body @{ Name = $Application }).GetProperty('Id').GetString()
    $profileId = (Invoke-Moto -Service appconfig -Operation CreateConfigurationProfile -ContentType 'application/json' -Path "/applications/$app/configurationprofiles" `
            -Body @{ Name = 'flags'; LocationUri = 'hosted'; Type = 'AWS.AppConfig.FeatureFlags' }).GetProperty('Id').GetString()
    foreach ($enabled in $Flags) {
        Invoke-Moto -Service appconfig -Operation CreateHostedConfigurationVersion -ContentType 'application/json' -Path "/applications/$app/configurationprofiles/$profileId/hostedconfigurationversions" `
            -Body @{ version = '1'; flags = @{ 'checkout-v2' = @{ name = 'checkout-v2' } }; values = @{ 'checkout-v2' = @{ enabled = $enabled } } } | Out-Null
    }
    [pscustomobject]@{ Application = $app; Profile = $profileId; Versions = @(1..$Flags.Count | ForEach-Object { "$_" }) }
}

# ---- the AWS Pester suites' session: moto started, setup pointed at it, test credentials in place ---------------------

# Starts moto, points the setup functions at it and sets test credentials; returns what Exit-MotoSession puts back.
function Enter-MotoSession {
    $moto = Start-Moto
    $script:EmulatorUrl = $moto.Url
    $session = [pscustomobject]@{ Moto = $moto; Url = $moto.Url; Key = $env:AWS_ACCESS_KEY_ID; Secret = $env:AWS_SECRET_ACCESS_KEY }
    $env:AWS_ACCESS_KEY_ID = 'AKIDROLLBACKPESTER'
    $env:AWS_SECRET_ACCESS_KEY = 'rollback-pester-secret-key'
    $session
}

function Exit-MotoSession($Session) {
    Stop-Moto $Session.Moto
    $env:AWS_ACCESS_KEY_ID = $Session.Key
    $env:AWS_SECRET_ACCESS_KEY = $Session.Secret
}

# The AWS CLI v2 (/usr/bin/aws) against the emulator, as an independent reader of its state: the JSON it prints, as objects.
function Invoke-AwsCli {
    $env:AWS_DEFAULT_REGION = 'us-east-1'
    $text = & /usr/bin/aws --endpoint-url $script:EmulatorUrl.TrimEnd('/') --output json --no-cli-pager @args 2>&1
    if ($LASTEXITCODE -ne 0) { throw "aws $args failed: $text" }
    if ($text) { $text | ConvertFrom-Json }
}

# ---- ELBv2 (Query protocol): an application load balancer, target groups, a weighted listener ------------------------

# One Query call (a form POST with Action and Version); the answer as XML.
function Invoke-MotoQuery([string] $Service, [string] $Version, [string] $Action, [System.Collections.Specialized.OrderedDictionary] $Parameters = [ordered]@{}) {
    $form = (@("Action=$Action", "Version=$Version") + @($Parameters.GetEnumerator() | ForEach-Object { [uri]::EscapeDataString($_.Key) + '=' + [uri]::EscapeDataString([string]$_.Value) })) -join '&'
    [xml](Invoke-Moto -Service $Service -Operation $Action -Body $form -ContentType 'application/x-www-form-urlencoded')
}

function Invoke-MotoElb([string] $Action, [System.Collections.Specialized.OrderedDictionary] $Parameters = [ordered]@{}) {
    Invoke-MotoQuery elasticloadbalancing '2015-12-01' $Action $Parameters
}

# The forward action's parameters: every colour's target group with its weight.
function Get-ForwardParameters([string] $List, [System.Collections.Specialized.OrderedDictionary] $Weights) {
    $parameters = [ordered]@{ "$List.member.1.Type" = 'forward' }
    $i = 0
    foreach ($each in $Weights.GetEnumerator()) {
        $i++
        $parameters["$List.member.1.ForwardConfig.TargetGroups.member.$i.TargetGroupArn"] = $each.Key
        $parameters["$List.member.1.ForwardConfig.TargetGroups.member.$i.Weight"] = $each.Value
    }
    $parameters
}

# A VPC, an application load balancer, one target group per colour (one registered ip target each: moto reports a
# registered ip target healthy, whatever answers there), and an HTTP listener forwarding everything to the first
# colour. Returns @{ Listener = ARN; Groups = [ordered]@{ colour = target group ARN } }.
function New-MotoLoadBalancer([string] $Name, [string[]] $Colour) {
    $ec2 = { param($Action, $Parameters) Invoke-MotoQuery ec2 '2016-11-15' $Action $Parameters }
    $vpc = (& $ec2 CreateVpc ([ordered]@{ CidrBlock = '10.0.0.0/16' })).CreateVpcResponse.vpc.vpcId
    $subnets = foreach ($zone in 'a', 'b') {
        $cidr = if ($zone -eq 'a') { '10.0.1.0/24' } else { '10.0.2.0/24' }
        (& $ec2 CreateSubnet ([ordered]@{ VpcId = $vpc; CidrBlock = $cidr; AvailabilityZone = "us-east-1$zone" })).CreateSubnetResponse.subnet.subnetId
    }
    $lb = (Invoke-MotoElb CreateLoadBalancer ([ordered]@{ Name = $Name; 'Subnets.member.1' = $subnets[0]; 'Subnets.member.2' = $subnets[1] })).
        CreateLoadBalancerResponse.CreateLoadBalancerResult.LoadBalancers.member.LoadBalancerArn
    $groups = [ordered]@{}
    $address = 10
    foreach ($each in $Colour) {
        $arn = (Invoke-MotoElb CreateTargetGroup ([ordered]@{ Name = "$Name-$each"; Protocol = 'HTTP'; Port = 80; VpcId = $vpc; TargetType = 'ip' })).
            CreateTargetGroupResponse.CreateTargetGroupResult.TargetGroups.member.TargetGroupArn
        Invoke-MotoElb RegisterTargets ([ordered]@{ TargetGroupArn = $arn; 'Targets.member.1.Id' = "10.0.1.$address"; 'Targets.member.1.Port' = 80 }) | Out-Null
        $address++
        $groups[$each] = $arn
    }
    $weights = [ordered]@{}
    foreach ($each in $Colour) { $weights[$groups[$each]] = if ($each -eq $Colour[0]) { 100 } else { 0 } }
    $listener = (Invoke-MotoElb CreateListener ([ordered]@{ LoadBalancerArn = $lb; Protocol = 'HTTP'; Port = 80 } + (Get-ForwardParameters DefaultActions $weights))).
        CreateListenerResponse.CreateListenerResult.Listeners.member.ListenerArn
    @{ Listener = $listener; Groups = $groups }
}

# What a deployment does: the listener forwards with other weights (target group ARN = weight).
function Set-MotoListenerWeights([string] $Listener, [System.Collections.Specialized.OrderedDictionary] $Weights) {
    Invoke-MotoElb ModifyListener ([ordered]@{ ListenerArn = $Listener } + (Get-ForwardParameters DefaultActions $Weights)) | Out-Null
}

# ---- RDS (Query protocol): a DB instance and its snapshots -----------------------------------------------------------

function Invoke-MotoRds([string] $Action, [System.Collections.Specialized.OrderedDictionary] $Parameters = [ordered]@{}) {
    Invoke-MotoQuery rds '2014-10-31' $Action $Parameters
}

# A PostgreSQL DB instance (moto makes it available at once, and holds no data); returns its endpoint address.
function New-MotoDbInstance([string] $Identifier) {
    (Invoke-MotoRds CreateDBInstance ([ordered]@{
        DBInstanceIdentifier = $Identifier; Engine = 'postgres'; DBInstanceClass = 'db.t3.micro'
        MasterUsername = 'shop'; MasterUserPassword = 'not-a-real-password-1'; AllocatedStorage = 20
    })).CreateDBInstanceResponse.CreateDBInstanceResult.DBInstance.Endpoint.Address
}
