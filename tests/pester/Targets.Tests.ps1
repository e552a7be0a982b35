# Registering, listing and removing targets, as a user does it.

# One Describe: TestDrive: (the store and the sandbox) lives as long as it, across every test here.
Describe 'Targets: register, list, unregister' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $root = New-ReleaseRoot 'app'
    }

    AfterAll {
        Clear-TestStore
    }

    It 'Get-RollbackKind lists the kinds a target can be, each describing its settings' {
        $kinds = Get-RollbackKind

        $kinds | Should -BeOfType ([Rollback.RollbackKindInfo])
        $kinds.Name | Should -Contain 'FileSystemRelease'
        $kinds.Name | Should -Contain 'ConfigurationFile'
        ($kinds | Where-Object Name -eq 'FileSystemRelease').Settings | Should -Not -BeNullOrEmpty
    }

    It 'Register-RollbackTarget registers a target and returns it, typed' {
        $target = Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false

        $target | Should -BeOfType ([Rollback.RollbackTarget])
        $target.Name | Should -Be 'api'
        $target.Kind | Should -Be 'FileSystemRelease'
        $target.Settings['Root'] | Should -Be $root
        Test-Path -LiteralPath (Join-Path $store 'targets.json') | Should -BeTrue
    }

    It 'Register-RollbackTarget changes nothing under -WhatIf' {
        Register-RollbackTarget -Name web -Kind FileSystemRelease -Settings @{ Root = $root } -WhatIf | Should -BeNullOrEmpty

        Get-RollbackTarget -Name web -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'Register-RollbackTarget refuses a name already taken with TargetAlreadyExists' {
        { Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetAlreadyExists,Rollback.PowerShell.Commands.RegisterRollbackTargetCommand'
    }

    It 'Register-RollbackTarget refuses an unknown kind with UnknownTargetKind' {
        { Register-RollbackTarget -Name other -Kind NoSuchKind -Settings @{} -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownTargetKind,*'
    }

    It 'Register-RollbackTarget refuses settings the kind does not declare with UnknownSetting' {
        { Register-RollbackTarget -Name other -Kind FileSystemRelease -Settings @{ Rooot = $root } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownSetting,Rollback.PowerShell.Commands.RegisterRollbackTargetCommand'
    }

    It 'Register-RollbackTarget refuses a name that cannot be a folder with InvalidTargetName' {
        { Register-RollbackTarget -Name 'bad/name' -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTargetName,*'
    }

    It 'Get-RollbackTarget lists every target' {
        $config = New-Item -ItemType File -Path (Join-Path $TestDrive 'app.json') -Value '{}' -Force
        Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $config.FullName } -Confirm:$false | Out-Null

        (Get-RollbackTarget).Name | Sort-Object | Should -Be @('api', 'cfg')
    }

    It 'Get-RollbackTarget filters by name, with wildcards, and by kind' {
        (Get-RollbackTarget -Name a*).Name | Should -Be 'api'
        (Get-RollbackTarget -Kind ConfigurationFile).Name | Should -Be 'cfg'
    }

    It 'Get-RollbackTarget takes names from the pipeline' {
        ('api', 'cfg' | Get-RollbackTarget).Name | Should -Be @('api', 'cfg')
    }

    It 'Get-RollbackTarget reports a missing name with TargetNotFound and goes on with the next' {
        $found = Get-RollbackTarget -Name nope, api -ErrorVariable problems -ErrorAction SilentlyContinue

        $found.Name | Should -Be 'api'
        $problems.FullyQualifiedErrorId | Should -Be 'TargetNotFound,Rollback.PowerShell.Commands.GetRollbackTargetCommand'
    }

    It 'Get-RollbackTarget renders its table view' {
        Get-TableHeader (Get-RollbackTarget) | Should -Be @('Name', 'Kind', 'Settings', 'RegisteredAt', 'RegisteredBy')
    }

    It 'Get-RollbackTarget converts to JSON for runbooks' {
        $json = Get-RollbackTarget -Name api | Select-Object Name, Kind | ConvertTo-Json -Compress
        $json | Should -Be '{"Name":"api","Kind":"FileSystemRelease"}'
    }

    It 'Unregister-RollbackTarget changes nothing under -WhatIf' {
        Unregister-RollbackTarget -Name cfg -WhatIf

        Get-RollbackTarget -Name cfg | Should -Not -BeNullOrEmpty
    }

    It 'Unregister-RollbackTarget removes a target taken from the pipeline with -Confirm:$false and returns it with -PassThru' {
        $removed = Get-RollbackTarget -Name cfg | Unregister-RollbackTarget -Confirm:$false -PassThru

        $removed | Should -BeOfType ([Rollback.RollbackTarget])
        $removed.Name | Should -Be 'cfg'
        Get-RollbackTarget -Name cfg -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'Unregister-RollbackTarget reports a missing target with TargetNotFound' {
        { Unregister-RollbackTarget -Name cfg -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotFound,*'
    }
}
