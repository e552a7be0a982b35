#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Pester 5 checks of the staged module (out/Rollback) for machines with pwsh and Pester: ./build.ps1 -Task Build, Pester

BeforeAll {
    $manifest = Join-Path $PSScriptRoot '../../out/Rollback/Rollback.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not staged at ${manifest}: run dotnet build first."
    }
    Import-Module $manifest -Force
    $script:store = Join-Path ([System.IO.Path]::GetTempPath()) ("rollback-pester-" + [guid]::NewGuid().ToString('N'))
    $PSDefaultParameterValues['*-Rollback*:StorePath'] = $script:store
}

AfterAll {
    $PSDefaultParameterValues.Remove('*-Rollback*:StorePath')
    Remove-Module Rollback -ErrorAction SilentlyContinue
    if (Test-Path -LiteralPath $script:store) { Remove-Item -LiteralPath $script:store -Recurse -Force }
}

Describe 'Rollback module' {
    It 'exports the ten cmdlets' {
        (Get-Command -Module Rollback).Count | Should -Be 10
    }

    It 'has the help topic' {
        Get-Help about_Rollback | Should -Not -BeNullOrEmpty
    }

    It 'lists no targets in an empty store' {
        Get-RollbackTarget | Should -BeNullOrEmpty
    }

    It 'reports an unknown kind with UnknownTargetKind' {
        { Register-RollbackTarget -Name api -Kind NoSuchKind -Settings @{} -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownTargetKind*'
    }

    It 'verifies an empty journal' {
        (Get-RollbackHistory -Verify).IsValid | Should -BeTrue
    }
}
