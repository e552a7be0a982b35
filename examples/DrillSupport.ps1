<#
.SYNOPSIS
    What the drills share: the module import, their printing, and a stand-in deploy tool for a release folder.

.DESCRIPTION
    Dot-sourced by drill.ps1, watch-drill.ps1 and aws-drill.ps1 (`. $PSScriptRoot/DrillSupport.ps1`), so its functions
    land in the drill's own scope. Show and Complete-Drill read the drill's -PassThru switch from that scope.
#>

if (-not (Get-Module -Name Rollback)) {
    Import-Module (Join-Path $PSScriptRoot '..' 'out' 'Rollback' 'Rollback.psd1')
}

# Print a step's objects through the module's table views; silent when the drill returns its results (-PassThru).
function Show([string] $Heading, $Value) {
    if ($PassThru) { return }
    '' | Out-Default
    "=== $Heading ===" | Out-Default
    $Value | Out-Default
}

# A drill's last word: throw with every problem it found; else return its results (-PassThru) or print its summary
# line. The summary is a script block, worked out only for a drill that passed.
function Complete-Drill([string] $Name, [string[]] $Problems, [System.Collections.IDictionary] $Results, [scriptblock] $Summary) {
    if ($Problems.Count -gt 0) { throw "$Name failed: $($Problems -join '; ')" }
    if ($PassThru) { return [pscustomobject]$Results }
    '' | Out-Default
    & $Summary | Out-Default
}

function Write-TextFile([string] $Path, [string] $Content) {
    # -Force creates the missing folders and replaces the file; -Value writes the text as it is (no newline added).
    New-Item -ItemType File -Path $Path -Value $Content -Force | Out-Null
}

# A release in the usual layout: releases/<version>/ with the health document its endpoint serves.
function New-Release([string] $Root, [string] $Version, [string] $Status) {
    $folder = Join-Path $Root 'releases' $Version
    Write-TextFile (Join-Path $folder 'bin' 'api.dll') "api build $Version"
    Write-TextFile (Join-Path $folder 'public' 'index.html') "<h1>api $Version</h1>"
    Write-TextFile (Join-Path $folder 'health.json') ('{"status":"' + $Status + '","version":"' + $Version + '"}')
}

# What a deploy tool does: point 'current' at a release (by link; by copy where links are not allowed).
function Set-CurrentRelease([string] $Root, [string] $Version) {
    $current = Join-Path $Root 'current'
    $release = Join-Path $Root 'releases' $Version
    $item = Get-Item -LiteralPath $current -Force -ErrorAction SilentlyContinue
    if ($item) { Remove-Item -LiteralPath $current -Recurse:(-not $item.LinkTarget) -Force }
    try {
        New-Item -ItemType SymbolicLink -Path $current -Target $release | Out-Null
    }
    catch [System.UnauthorizedAccessException], [System.IO.IOException] {
        Copy-Item -LiteralPath $release -Destination $current -Recurse
        Write-TextFile (Join-Path $current '.rollback-release') $Version
    }
}

function Get-CurrentVersion([string] $Root) {
    (Get-Content -Raw -LiteralPath (Join-Path $Root 'current' 'health.json') | ConvertFrom-Json).version
}
