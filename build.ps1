#Requires -Version 5.1
<#
.SYNOPSIS
    Builds, tests and packages the Rollback module.
.DESCRIPTION
    Build   : dotnet build; the Rollback.PowerShell build stages an importable module folder at out/Rollback.
    Test    : dotnet test (engine, provider and hosted-runspace cmdlet tests).
    Pester  : Invoke-Pester on tests/pester and examples/*.Tests.ps1, with the Pester the build restored beside the
              runner (src/Rollback.Runner/bin/<configuration>/net10.0/Modules/Pester); fails on any failed test.
    Package : a Release build, then out/packages/Rollback.<version>.zip of out/Rollback, ready for Publish-Module.
.EXAMPLE
    ./build.ps1 -Task Build, Test
.EXAMPLE
    ./build.ps1 -Task Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repoRoot = $PSScriptRoot
$solution = Join-Path $repoRoot 'Rollback.Module.sln'
$moduleFolder = Join-Path $repoRoot 'out/Rollback'
$packageFolder = Join-Path $repoRoot 'out/packages'

function Invoke-DotNet {
    param([Parameter(Mandatory)] [string[]] $Arguments)
    Write-Verbose "dotnet $($Arguments -join ' ')"
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE."
    }
}

function Invoke-BuildTask {
    param([string] $BuildConfiguration)
    Invoke-DotNet -Arguments @('build', $solution, '--configuration', $BuildConfiguration, '--nologo')
    $manifest = Join-Path $moduleFolder 'Rollback.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The build did not stage $manifest."
    }
    Write-Host "Module staged at $moduleFolder"
}

function Invoke-TestTask {
    Invoke-DotNet -Arguments @('test', $solution, '--configuration', $Configuration, '--nologo')
}

function Invoke-PesterTask {
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' } | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Pester 5 is not installed: Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser, then run ./build.ps1 -Task Pester. The xUnit suite (-Task Test) still parses every script.'
        return
    }

    Import-Module $pester
    $paths = @(Join-Path $repoRoot 'tests/pester')
    $paths += @(Get-ChildItem -Path (Join-Path $repoRoot 'examples') -Filter '*.Tests.ps1' -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName })
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $paths
    $configuration.Run.Exit = $false
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    $result = Invoke-Pester -Configuration $configuration
    if ($result.FailedCount -gt 0) {
        throw "$($result.FailedCount) Pester test(s) failed."
    }
}

function Invoke-PackageTask {
    Invoke-BuildTask -BuildConfiguration 'Release'
    $manifest = Join-Path $moduleFolder 'Rollback.psd1'
    $version = (Import-PowerShellDataFile -Path $manifest).ModuleVersion
    $null = New-Item -ItemType Directory -Path $packageFolder -Force

    # The folder layout Publish-Module and Install-Module expect: Rollback/<version>/...
    $staging = Join-Path $packageFolder "Rollback/$version"
    if (Test-Path -LiteralPath $staging) {
        Remove-Item -LiteralPath $staging -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $staging -Force
    Copy-Item -Path (Join-Path $moduleFolder '*') -Destination $staging -Recurse -Force

    $zip = Join-Path $packageFolder "Rollback.$version.zip"
    Compress-Archive -Path (Join-Path $moduleFolder '*') -DestinationPath $zip -Force
    Write-Host "Packaged $zip and $staging (publish with: Publish-Module -Path '$staging' -Repository <name> -WhatIf)"
}

foreach ($name in $Task) {
    Write-Host "== $name ($Configuration)"
    switch ($name) {
        'Build' { Invoke-BuildTask -BuildConfiguration $Configuration }
        'Test' { Invoke-TestTask }
        'Pester' { Invoke-PesterTask }
        'Package' { Invoke-PackageTask }
    }
}
