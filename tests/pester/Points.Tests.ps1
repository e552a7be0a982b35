# Capturing known-good points, finding them again, and keeping only the last few.

# One Describe: TestDrive: (the store and the sandbox) lives as long as it, across every test here.
Describe 'Points: capture, find, retention' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $root = New-ReleaseRoot 'app' -Version v1.0.0, v1.1.0, v1.2.0
        Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        $first = New-RollbackPoint -Target api -Note 'before v1.1.0'
        Set-CurrentRelease $root v1.1.0
        $second = New-RollbackPoint -Target api -Note 'before v1.2.0'
        Set-CurrentRelease $root v1.2.0
        $third = New-RollbackPoint -Target api
    }

    AfterAll {
        Clear-TestStore
    }

    It 'New-RollbackPoint captures the current release with checksums, typed' {
        $first | Should -BeOfType ([Rollback.RollbackPoint])
        $first.Target | Should -Be 'api'
        $first.Version | Should -Be 'v1.0.0'
        $first.Note | Should -Be 'before v1.1.0'
        $first.IsSafetyPoint | Should -BeFalse
        $first.Artifacts.Count | Should -BeGreaterThan 0
        Test-Path -LiteralPath (Join-Path $store 'points' 'api' $first.Id 'manifest.json') | Should -BeTrue
    }

    It 'New-RollbackPoint takes the target from the pipeline by property name' {
        $point = Get-RollbackTarget -Name api | New-RollbackPoint -WhatIf
        $point | Should -BeNullOrEmpty
        @(Get-RollbackPoint -Target api).Count | Should -Be 3
    }

    It 'New-RollbackPoint reports an unknown target with TargetNotFound' {
        { New-RollbackPoint -Target nope -ErrorAction Stop } | Should -Throw -ErrorId 'TargetNotFound,*'
    }

    It 'Get-RollbackPoint lists the points in capture order' {
        (Get-RollbackPoint -Target api).Id | Should -Be @($first.Id, $second.Id, $third.Id)
    }

    It 'Get-RollbackPoint finds the latest one' {
        (Get-RollbackPoint -Target api -Latest).Id | Should -Be $third.Id
    }

    It 'Get-RollbackPoint finds one by id' {
        (Get-RollbackPoint -Target api -Id $second.Id).Version | Should -Be 'v1.1.0'
    }

    It 'Get-RollbackPoint reports an id that is no point id with InvalidPointId' {
        { Get-RollbackPoint -Target api -Id nope -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPointId,*'
    }

    It 'Get-RollbackPoint renders its table view' {
        Get-TableHeader (Get-RollbackPoint -Target api) | Should -Be @('Target', 'Id', 'Version', 'CreatedAt', 'CreatedBy', 'Safety', 'SizeMiB', 'Note')
    }

    It 'Remove-RollbackPoint changes nothing under -WhatIf' {
        Remove-RollbackPoint -Target api -KeepLast 1 -WhatIf

        @(Get-RollbackPoint -Target api).Count | Should -Be 3
    }

    It 'Remove-RollbackPoint keeps the newest N with -KeepLast and returns what it removed with -PassThru' {
        $removed = Remove-RollbackPoint -Target api -KeepLast 2 -Confirm:$false -PassThru

        $removed.Id | Should -Be $first.Id
        (Get-RollbackPoint -Target api).Id | Should -Be @($second.Id, $third.Id)
        Test-Path -LiteralPath (Join-Path $store 'points' 'api' $first.Id) | Should -BeFalse
    }

    It 'Remove-RollbackPoint removes one taken from the pipeline' {
        Get-RollbackPoint -Target api -Id $second.Id | Remove-RollbackPoint -Confirm:$false

        (Get-RollbackPoint -Target api).Id | Should -Be $third.Id
    }
}
