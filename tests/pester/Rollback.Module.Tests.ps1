# Pester 5 checks of the staged module (out/Rollback), from the user's side.
# Run with:  dotnet run --project src/Rollback.Runner -- -Command "Invoke-Pester ./tests/pester"   (or Invoke-Pester in any pwsh 7)

BeforeAll {
    $script:manifest = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'Rollback', 'Rollback.psd1')
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not staged at ${manifest}: run dotnet build first."
    }
    # The runner has imported it already; elsewhere, import the staged folder (and leave the session as found).
    $script:importedHere = -not (Get-Module -Name Rollback)
    if ($importedHere) { Import-Module $manifest }
    $script:store = Join-Path ([System.IO.Path]::GetTempPath()) ("rollback-pester-" + [guid]::NewGuid().ToString('N'))
    $PSDefaultParameterValues['*-Rollback*:StorePath'] = $script:store
}

AfterAll {
    $PSDefaultParameterValues.Remove('*-Rollback*:StorePath')
    if ($importedHere) { Remove-Module Rollback -ErrorAction SilentlyContinue }
    if (Test-Path -LiteralPath $script:store) { Remove-Item -LiteralPath $script:store -Recurse -Force }
}

Describe 'Rollback module' {
    It 'exports exactly the cmdlets its manifest declares' {
        $declared = (Import-PowerShellDataFile -LiteralPath $manifest).CmdletsToExport
        $declared | Should -Not -BeNullOrEmpty
        (Get-Command -Module Rollback).Name | Sort-Object | Should -Be ($declared | Sort-Object)
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
