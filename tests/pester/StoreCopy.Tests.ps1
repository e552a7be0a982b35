# Copy-RollbackStore from the user's side: a folder store (a release target with its point, a Directory target with a
# secret given as a SecureString, their history) copied into a shared store on the test run's PostgreSQL server
# (ROLLBACK_TEST_PG_PORT, _USER, _PASSFILE, _BIN, handed over by the test that runs these suites; skipped without it).

Describe 'Copy-RollbackStore: a folder store moved into a shared store' -Skip:(-not $env:ROLLBACK_TEST_PG_PORT) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $savedPassFile = $env:PGPASSFILE
        $env:PGPASSFILE = $env:ROLLBACK_TEST_PG_PASSFILE
        # A secret copied into a shared store lands in this user's own data folder: kept under TestDrive: here.
        $savedDataHome = $env:XDG_DATA_HOME
        $env:XDG_DATA_HOME = Join-Path $TestDrive 'data-home'
        $database = 'pester_copy_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        Invoke-TestSql "CREATE DATABASE $database" | Out-Null
        $artifacts = Join-Path $TestDrive 'artifacts'
        $shared = "postgresql://127.0.0.1:$($env:ROLLBACK_TEST_PG_PORT)/${database}?user=$($env:ROLLBACK_TEST_PG_USER)&artifacts=$([uri]::EscapeDataString($artifacts))"

        # An engineer's folder store, as it is before the team moves.
        $folder = Join-Path $TestDrive 'folder-store'
        $root = New-ReleaseRoot 'api'
        $web = Join-Path $TestDrive 'web'
        New-Item -ItemType File -Path (Join-Path $web 'index.html') -Value '<h1>web</h1>' -Force | Out-Null
        $token = ConvertTo-SecureString 'Bearer pester-canary-31d9' -AsPlainText -Force
        Register-RollbackTarget -StorePath $folder -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        Register-RollbackTarget -StorePath $folder -Name web -Kind Directory -Settings @{ Path = $web; HealthAuthorization = $token } -Confirm:$false | Out-Null
        $apiPoint = New-RollbackPoint -StorePath $folder -Target api -Note 'known good'
        $webPoint = New-RollbackPoint -StorePath $folder -Target web -Note 'known good'
        $folderHistory = @(Get-RollbackHistory -StorePath $folder)
    }

    AfterAll {
        Invoke-TestSql "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
        $env:PGPASSFILE = $savedPassFile
        $env:XDG_DATA_HOME = $savedDataHome
    }

    It '-WhatIf writes nothing to the shared store' {
        Copy-RollbackStore -Source $folder -StorePath $shared -WhatIf | Should -BeNullOrEmpty

        Get-RollbackTarget -StorePath $shared | Should -BeNullOrEmpty
        Get-RollbackHistory -StorePath $shared | Should -BeNullOrEmpty
    }

    It 'copies the targets, the points with their artifacts and the history; the shared store verifies' {
        $copy = Copy-RollbackStore -Source $folder -StorePath $shared -Confirm:$false

        $copy | Should -BeOfType ([Rollback.StoreCopyResult])
        $copy.TargetsCopied | Should -Be 2
        $copy.PointsCopied | Should -Be 2
        $copy.SecretsCopied | Should -Be 1
        $copy.ArtifactsVerified | Should -BeGreaterOrEqual 1
        $copy.JournalEntriesCopied | Should -Be $folderHistory.Count
        $copy.Destination | Should -BeLike 'postgresql://127.0.0.1:*'
        (Get-RollbackTarget -StorePath $shared).Name | Should -Be @('api', 'web')
        (Get-RollbackPoint -StorePath $shared -Target api).Id | Should -Be $apiPoint.Id
        (Get-RollbackPoint -StorePath $shared -Target web -Latest | Test-RollbackReadiness -StorePath $shared).IsReady | Should -BeTrue
        (Get-RollbackHistory -StorePath $shared -Verify).IsValid | Should -BeTrue
        $history = @(Get-RollbackHistory -StorePath $shared)
        $history[-1].Action | Should -Be 'CopyStore'
        $history[-1].Details['JournalEntriesCopied'] | Should -Be "$($folderHistory.Count)"
        $history[0].Origin.Store | Should -Be $folder
        $history[0].Origin.Hash | Should -Be $folderHistory[0].Hash
    }

    It 'run again, copies nothing and writes nothing: everything is already there' {
        $before = @(Get-RollbackHistory -StorePath $shared).Count

        $again = Copy-RollbackStore -Source $folder -StorePath $shared -Confirm:$false

        $again.TargetsCopied + $again.PointsCopied + $again.JournalEntriesCopied | Should -Be 0
        $again.TargetsPresent | Should -Be 2
        $again.PointsPresent | Should -Be 2
        $again.JournalEntriesPresent | Should -Be $folderHistory.Count
        $again.JournalSequence | Should -BeNullOrEmpty
        @(Get-RollbackHistory -StorePath $shared).Count | Should -Be $before
    }

    It 'keeps the secret a reference: shown as ***, its value never in the database' {
        "$((Get-RollbackTarget -StorePath $shared -Name web).Settings['HealthAuthorization'])" | Should -Be '***'
        Invoke-TestSql "SELECT count(*) FROM rollback_store.targets t WHERE t::text LIKE '%pester-canary%'" -Database $database | Should -Be '0'
        Invoke-TestSql "SELECT count(*) FROM rollback_store.journal j WHERE j::text LIKE '%pester-canary%'" -Database $database | Should -Be '0'
        if (-not $IsWindows) {
            $kept = @(Get-ChildItem -LiteralPath (Join-Path $TestDrive 'data-home' 'Rollback' 'secrets') -Recurse -File)
            $kept.Name | Should -Be @('HealthAuthorization')
            $kept[0].UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        }
    }

    It 'a target of the same name with other settings is StoreCopyConflict and nothing changes; -Force replaces it' {
        $other = Join-Path $TestDrive 'other-store'
        $otherRoot = New-ReleaseRoot 'other-api'
        Register-RollbackTarget -StorePath $other -Name api -Kind FileSystemRelease -Settings @{ Root = $otherRoot } -Confirm:$false | Out-Null
        $before = @(Get-RollbackHistory -StorePath $shared).Count

        { Copy-RollbackStore -Source $other -StorePath $shared -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'StoreCopyConflict,Rollback.PowerShell.Commands.CopyRollbackStoreCommand'
        (Get-RollbackTarget -StorePath $shared -Name api).Settings['Root'] | Should -Be $root
        @(Get-RollbackHistory -StorePath $shared).Count | Should -Be $before

        $forced = Copy-RollbackStore -Source $other -StorePath $shared -Force -Confirm:$false
        $forced.TargetsReplaced | Should -Be 1
        (Get-RollbackTarget -StorePath $shared -Name api).Settings['Root'] | Should -Be $otherRoot
        (Get-RollbackHistory -StorePath $shared -Verify).IsValid | Should -BeTrue
    }

    It 'a folder store whose journal was edited is JournalChainBroken and nothing is copied' {
        $edited = Join-Path $TestDrive 'edited-store'
        Register-RollbackTarget -StorePath $edited -Name billing -Kind Directory -Settings @{ Path = $web } -Confirm:$false | Out-Null
        New-RollbackPoint -StorePath $edited -Target billing | Out-Null
        $journal = Join-Path $edited 'journal.jsonl'
        (Get-Content -Raw -LiteralPath $journal) -replace '"action":"Capture"', '"action":"Rollback"' | Set-Content -LiteralPath $journal -NoNewline

        { Copy-RollbackStore -Source $edited -StorePath $shared -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'JournalChainBroken,Rollback.PowerShell.Commands.CopyRollbackStoreCommand'
        Get-RollbackTarget -StorePath $shared -Name billing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'a source that is not a folder store is StoreCopySourceInvalid' {
        { Copy-RollbackStore -Source (Join-Path $TestDrive 'nothing-here') -StorePath $shared -ErrorAction Stop } |
            Should -Throw -ErrorId 'StoreCopySourceInvalid,Rollback.PowerShell.Commands.CopyRollbackStoreCommand'
    }
}
