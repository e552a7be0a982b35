# Configuration files back to their captured content: validated first, written atomically, the bad one kept.

Describe 'Configuration: Restore-Configuration' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $settings = Join-Path $TestDrive 'etc' 'appsettings.json'
        $good = '{ "FeatureFlags": { "NewCheckout": false } }'
        New-Item -ItemType File -Path $settings -Value $good -Force | Out-Null
        Register-RollbackTarget -Name config -Kind ConfigurationFile -Settings @{ Path = $settings } -Confirm:$false | Out-Null
        $known = New-RollbackPoint -Target config -Note 'known good'
        $broken = '{ "FeatureFlags": { "NewCheckout": true '
        Set-Content -LiteralPath $settings -Value $broken -NoNewline
    }

    AfterAll {
        Clear-TestStore
    }

    It 'describes the restore and changes nothing under -WhatIf' {
        Get-RollbackPoint -Target config -Latest | Restore-Configuration -Reason 'truncated JSON' -WhatIf

        Get-Content -Raw -LiteralPath $settings | Should -Be $broken
    }

    It 'restores the captured file through the pipeline, validated, and keeps the bad one' {
        $result = Get-RollbackPoint -Target config -Latest | Restore-Configuration -Reason 'truncated JSON' -Confirm:$false

        $result | Should -BeOfType ([Rollback.ConfigurationRestoreResult])
        $result.Item | Should -Be $settings
        $result.Changed | Should -BeTrue
        $result.Validated | Should -BeTrue
        $result.Validator | Should -Be 'Json'
        Get-Content -Raw -LiteralPath $settings | Should -Be $good
        Get-Content -Raw -LiteralPath $result.SafetyCopy | Should -Be $broken
    }

    It 'changes nothing when the file is already as captured' {
        $again = Restore-Configuration -Target config -PointId $known.Id -Reason 'again' -Confirm:$false

        $again.Changed | Should -BeFalse
    }

    It 'refuses to write a file its validator rejects: ConfigurationInvalid, nothing changed' {
        Set-Content -LiteralPath $settings -Value '{ "edited": true }' -NoNewline

        { Restore-Configuration -Target config -PointId $known.Id -Reason 'policy' -Validator { param($Path) $false } -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId '*,Rollback.PowerShell.Commands.RestoreConfigurationCommand'
        Get-Content -Raw -LiteralPath $settings | Should -Be '{ "edited": true }'
    }

    It 'is journaled' {
        (Get-RollbackHistory -Target config -Action RestoreConfiguration).Reason | Should -Contain 'truncated JSON'
    }

    It 'renders its table view' {
        $result = Restore-Configuration -Target config -PointId $known.Id -Reason 'view' -WhatIf
        Get-TableHeader $result | Should -Be @('Target', 'Item', 'Changed', 'Validated', 'Validator', 'WhatIf', 'From', 'To')
    }
}
