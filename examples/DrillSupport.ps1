<#
.SYNOPSIS
    What the drills share: the module import, their printing, and a stand-in deploy tool for a release folder.

.DESCRIPTION
    Dot-sourced by drill.ps1, watch-drill.ps1 and aws-drill.ps1 (`. $PSScriptRoot/DrillSupport.ps1`), so its functions
    land in the drill's own scope. Show and Complete-Drill read the drill's -PassThru switch from that scope. Only core cmdlets and .NET
    types are used: hosted runspaces (the runner, the tests) have nothing else.
#>

if (-not (Get-Module -Name Rollback)) {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', 'out', 'Rollback', 'Rollback.psd1'))
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
    [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path)) | Out-Null
    [System.IO.File]::WriteAllText($Path, $Content)
}

# A release in the usual layout: releases/<version>/ with the health document its endpoint serves.
function New-Release([string] $Root, [string] $Version, [string] $Status) {
    $folder = [System.IO.Path]::Combine($Root, 'releases', $Version)
    Write-TextFile ([System.IO.Path]::Combine($folder, 'bin', 'api.dll')) "api build $Version"
    Write-TextFile ([System.IO.Path]::Combine($folder, 'public', 'index.html')) "<h1>api $Version</h1>"
    Write-TextFile ([System.IO.Path]::Combine($folder, 'health.json')) ('{"status":"' + $Status + '","version":"' + $Version + '"}')
}

# What a deploy tool does: point 'current' at a release (by link; by copy where links are not allowed).
function Set-CurrentRelease([string] $Root, [string] $Version) {
    $current = [System.IO.Path]::Combine($Root, 'current')
    $release = [System.IO.Path]::Combine($Root, 'releases', $Version)
    $item = [System.IO.DirectoryInfo]::new($current)
    if ($item.Exists -or $item.LinkTarget) { $item.Delete($null -eq $item.LinkTarget) }
    try {
        [System.IO.Directory]::CreateSymbolicLink($current, $release) | Out-Null
    }
    catch [System.UnauthorizedAccessException], [System.IO.IOException] {
        foreach ($file in [System.IO.Directory]::GetFiles($release, '*', 'AllDirectories')) {
            Write-TextFile ([System.IO.Path]::Combine($current, [System.IO.Path]::GetRelativePath($release, $file))) ([System.IO.File]::ReadAllText($file))
        }
        Write-TextFile ([System.IO.Path]::Combine($current, '.rollback-release')) $Version
    }
}

function Get-CurrentVersion([string] $Root) {
    $health = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($Root, 'current', 'health.json'))
    if ($health -match '"version":"([^"]+)"') { $Matches[1] }
}
