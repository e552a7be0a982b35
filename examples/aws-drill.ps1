<#
.SYNOPSIS
    An AWS drill: a secret rotation goes bad, and Rollback moves AWSCURRENT back to the known-good version.

.DESCRIPTION
    The manual fix for a bad rotation, "aws secretsmanager update-secret-version-stage", as a rehearsed drill, against moto (a third-party AWS
    emulator) on 127.0.0.1. The drill creates a secret with two versions, registers it as a SecretsManagerSecret
    target, captures a known-good point, "rotates" a bad version in, then checks readiness, rolls back through the
    pipeline, shows Restore-Configuration -Previous under -WhatIf, checks the stages and the journal. It throws if
    AWSCURRENT does not end on the known-good version. No secret value is ever read by the module.

    Without -EndpointUrl (or $env:ROLLBACK_DRILL_AWS_ENDPOINT) the drill starts moto_server itself on a free loopback
    port and stops it afterwards. It runs in pwsh 7 with the built module,
    and in the module's runner (a full pwsh with the module imported):
        dotnet run --project src/Rollback.Runner -- -File examples/aws-drill.ps1

.PARAMETER EndpointUrl
    A Secrets Manager endpoint that moto serves. Default: $env:ROLLBACK_DRILL_AWS_ENDPOINT, else a moto_server the
    drill starts.

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
    [string] $EmulatorUrl,
    [string] $Sandbox = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'rollback-aws-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)),
    [switch] $PassThru,
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The drills' shared functions (module import, Show, the stand-in deploy tool).
. (Join-Path $PSScriptRoot 'DrillSupport.ps1')

# moto on a free loopback port, ready within 30 s (bounded), or a clear failure.
function Start-Moto {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()
    $start = [System.Diagnostics.ProcessStartInfo]::new('moto_server')
    foreach ($argument in @('-H', '127.0.0.1', '-p', "$port")) { $start.ArgumentList.Add($argument) }
    $start.UseShellExecute = $false
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

# Test setup only (what a rotation or a deploy pipeline would do): the emulator's API called directly, unsigned.
function Invoke-Moto([string] $Operation, [hashtable] $Body) {
    $http = [System.Net.Http.HttpClient]::new()
    try {
        $json = [System.Text.Json.JsonSerializer]::Serialize($Body, [hashtable])
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, $script:EmulatorUrl)
        $request.Content = [System.Net.Http.StringContent]::new($json, [System.Text.Encoding]::UTF8, 'application/x-amz-json-1.1')
        $request.Headers.TryAddWithoutValidation('X-Amz-Target', "secretsmanager.$Operation") | Out-Null
        $request.Headers.TryAddWithoutValidation('Authorization', 'AWS4-HMAC-SHA256 Credential=AKIDDRILL/20250101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0') | Out-Null
        $response = $http.SendAsync($request).GetAwaiter().GetResult()
        $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        if (-not $response.IsSuccessStatusCode) { throw "moto $Operation failed: $([int]$response.StatusCode) $text" }
        [System.Text.Json.JsonDocument]::Parse($text).RootElement.Clone()
    }
    finally { $http.Dispose() }
}

function Get-Stages([string] $SecretId) {
    $stages = @{}
    foreach ($version in (Invoke-Moto 'DescribeSecret' @{ SecretId = $SecretId }).GetProperty('VersionIdsToStages').EnumerateObject()) {
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
    # moto accepts any credentials; the module still signs every request with them (SigV4, the SDK's signer).
    if (-not $env:AWS_ACCESS_KEY_ID) { $env:AWS_ACCESS_KEY_ID = 'AKIDROLLBACKDRILL' }
    if (-not $env:AWS_SECRET_ACCESS_KEY) { $env:AWS_SECRET_ACCESS_KEY = 'rollback-drill-secret-key' }

    # --- the secret as it is before the rotation: two versions, the second AWSCURRENT ----------
    $secretId = 'chargeworx/production/database-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Invoke-Moto 'CreateSecret' @{ Name = $secretId; SecretString = 'Host=db1;Password=first'; ClientRequestToken = [guid]::NewGuid().ToString() } | Out-Null
    $good = (Invoke-Moto 'PutSecretValue' @{ SecretId = $secretId; SecretString = 'Host=db1;Password=good'; ClientRequestToken = [guid]::NewGuid().ToString() }).GetProperty('VersionId').GetString()

    # --- once: register the target; before the rotation: capture the known-good version ---------
    $target = Register-RollbackTarget -Name db-credentials -Kind SecretsManagerSecret -Settings @{ SecretId = $secretId; Region = 'us-east-1'; EndpointUrl = $EndpointUrl } -Confirm:$false
    Show 'Target' $target
    $point = New-RollbackPoint -Target db-credentials -Note 'known good before the rotation'
    Show 'Known-good point' $point

    # --- the rotation goes wrong ------------------------------------------------------------------
    $bad = (Invoke-Moto 'PutSecretValue' @{ SecretId = $secretId; SecretString = 'Host=db1;Password=wrong'; ClientRequestToken = [guid]::NewGuid().ToString() }).GetProperty('VersionId').GetString()
    Show 'After the rotation' "AWSCURRENT is on $bad; the API cannot log in to the database"

    # --- the incident: check, roll back, show what -Previous would do ---------------------------
    $readiness = Get-RollbackPoint -Target db-credentials -Latest | Test-RollbackReadiness
    Show 'Readiness' $readiness.Checks
    $rollback = $readiness | Invoke-Rollback -Reason 'Rotation broke database logins' -ApprovedBy 'oncall' -Confirm:$false
    Show 'Rollback' $rollback
    Show 'Rollback steps' $rollback.Steps
    $previous = Get-RollbackPoint -Target db-credentials -Latest | Restore-Configuration -Previous -Reason 'drill: what -Previous would do' -WhatIf
    Show 'Restore-Configuration -Previous -WhatIf' $previous
    $chain = Get-RollbackHistory -Verify
    Show 'History' (Get-RollbackHistory -Target db-credentials)
    Show 'Journal' $chain

    # --- prove it worked: the stages as Secrets Manager reports them ----------------------------
    $stages = Get-Stages $secretId
    $problems = @()
    if ($rollback.Status -ne 'Succeeded') { $problems += "rollback status is $($rollback.Status)" }
    if ($stages[$good] -notcontains 'AWSCURRENT') { $problems += "AWSCURRENT is not on the known-good version $good" }
    if ($stages[$bad] -notcontains 'AWSPREVIOUS') { $problems += "the bad version $bad is not AWSPREVIOUS" }
    if ($previous.To -ne $bad -or -not $previous.WhatIf) { $problems += '-Previous -WhatIf did not report the move to the bad version' }
    if (-not $chain.IsValid) { $problems += "the journal chain is broken: $($chain.Message)" }
    Complete-Drill 'AWS drill' $problems ([ordered]@{
            SecretId  = $secretId
            Good      = $good
            Bad       = $bad
            Readiness = $readiness
            Rollback  = $rollback
            Previous  = $previous
            Journal   = $chain
        }) {
        "AWS drill passed: AWSCURRENT of $secretId is back on $good in $([math]::Round($rollback.Duration.TotalMilliseconds)) ms; $bad is AWSPREVIOUS; journal verified."
    }
}
finally {
    $env:AWS_ACCESS_KEY_ID = $savedKey
    $env:AWS_SECRET_ACCESS_KEY = $savedSecret
    if ($null -ne $moto -and -not $moto.Process.HasExited) {
        $moto.Process.Kill($true)
        $moto.Process.WaitForExit(10000) | Out-Null
    }
    if (-not $Keep -and (Test-Path -LiteralPath $Sandbox)) {
        Remove-Item -LiteralPath $Sandbox -Recurse -Force
    }
}
