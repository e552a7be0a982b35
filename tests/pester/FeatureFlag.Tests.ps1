# A feature flag of a real Unleash server switched off from the user's side: a point taken before the flag went on is
# its kill switch. Needs the test run's Unleash server, handed over by the test that runs these suites
# (ROLLBACK_TEST_UNLEASH_URL, _TOKEN_FILE with an admin token, _CLIENT_TOKEN_FILE with a production client token);
# without it (unleash-server not installed) the suite is skipped.

Describe 'FeatureFlag: a flag switched off by rolling back to a point taken before it went on' -Skip:(-not $env:ROLLBACK_TEST_UNLEASH_URL) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $url = $env:ROLLBACK_TEST_UNLEASH_URL.TrimEnd('/')
        $flag = 'pester.checkout-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $features = "$url/api/admin/projects/default/features"

        # The admin API as an operator's script calls it, and the client API as an application's SDK reads the flag.
        function Invoke-Admin([string] $Method, [string] $Path, $Body) {
            $headers = @{ Authorization = (Get-Content -Raw $env:ROLLBACK_TEST_UNLEASH_TOKEN_FILE).Trim() }
            $json = if ($null -ne $Body) { $Body | ConvertTo-Json -Depth 5 -Compress }
            Invoke-RestMethod -Method $Method -Uri "$features$Path" -Headers $headers -Body $json -ContentType 'application/json' -SkipHeaderValidation
        }
        function Get-ClientView {
            $headers = @{ Authorization = (Get-Content -Raw $env:ROLLBACK_TEST_UNLEASH_CLIENT_TOKEN_FILE).Trim() }
            $feature = Invoke-RestMethod -Uri "$url/api/client/features/$flag" -Headers $headers -SkipHeaderValidation
            "$($feature.enabled)/$(@($feature.strategies | ForEach-Object { $_.parameters.rollout }) -join ',')"
        }

        Invoke-Admin Post '' @{ name = $flag; type = 'release' } | Out-Null
        $strategy = Invoke-Admin Post "/$flag/environments/production/strategies" @{
            name = 'flexibleRollout'; parameters = @{ rollout = '10'; stickiness = 'default'; groupId = $flag }
        }
        Register-RollbackTarget -Name checkout-flag -Kind FeatureFlag -Confirm:$false -Settings @{
            Url = $url; Token = "file:$env:ROLLBACK_TEST_UNLEASH_TOKEN_FILE"; Flag = $flag; Environments = 'production'
        } | Out-Null
        $known = New-RollbackPoint -Target checkout-flag -Note 'before the new checkout'
        # The release: on in production, ramped up to everyone.
        Invoke-Admin Put "/$flag/environments/production/strategies/$($strategy.id)" @{
            name = 'flexibleRollout'; parameters = @{ rollout = '100'; stickiness = 'default'; groupId = $flag }
        } | Out-Null
        Invoke-Admin Post "/$flag/environments/production/on" | Out-Null
    }

    AfterAll {
        Clear-TestStore
    }

    It 'records the state before the release, and shows the token only as a reference' {
        $known.Version | Should -Be 'production=off (flexibleRollout 10%)'
        $known.Metadata['Enabled.production'] | Should -Be 'false'
        "$((Get-RollbackTarget -Name checkout-flag).Settings['Token'])" | Should -Be '***'
        Get-ClientView | Should -Be 'True/100'
    }

    It 'changes nothing under -WhatIf' {
        $plan = Get-RollbackPoint -Target checkout-flag -Latest | Invoke-Rollback -Reason 'check' -WhatIf

        $plan.Status | Should -Be 'WhatIf'
        $plan.Steps.Name | Should -Contain 'RestoreFlag'
        Get-ClientView | Should -Be 'True/100'
    }

    It 'switches the flag off with its rollout back, through the pipeline' {
        $result = Get-RollbackPoint -Target checkout-flag -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'checkout errors' -Confirm:$false

        $result | Should -BeOfType ([Rollback.RollbackResult])
        $result.Status | Should -Be 'Succeeded'
        $result.ToVersion | Should -Be 'production=off (flexibleRollout 10%)'
        $result.Details['FeatureFlag.Changes'] | Should -Be 'production: off; production: flexibleRollout 100% -> flexibleRollout 10%'
        Get-ClientView | Should -Be 'False/10'
        (Get-RollbackHistory -Target checkout-flag -Last 1).Status | Should -Be 'Succeeded'
    }

    It 'refuses a flag the project does not have with FeatureFlagNotFound, and keeps no point' {
        Register-RollbackTarget -Name missing-flag -Kind FeatureFlag -Confirm:$false -Settings @{
            Url = $url; Token = "file:$env:ROLLBACK_TEST_UNLEASH_TOKEN_FILE"; Flag = "$flag-missing"
        } | Out-Null

        { New-RollbackPoint -Target missing-flag -ErrorAction Stop } | Should -Throw -ErrorId 'FeatureFlagNotFound,*'
        Get-RollbackPoint -Target missing-flag | Should -BeNullOrEmpty
    }

    It 'refuses a client token on the admin API with FeatureFlagAccessDenied, and the flag stays as it is' {
        Register-RollbackTarget -Name client-token -Kind FeatureFlag -Confirm:$false -Settings @{
            Url = $url; Token = "file:$env:ROLLBACK_TEST_UNLEASH_CLIENT_TOKEN_FILE"; Flag = $flag
        } | Out-Null

        { New-RollbackPoint -Target client-token -ErrorAction Stop } | Should -Throw -ErrorId 'FeatureFlagAccessDenied,*'
        Get-ClientView | Should -Be 'False/10'
    }

    It 'refuses a token in clear text at registration' {
        { Register-RollbackTarget -Name clear-token -Kind FeatureFlag -Confirm:$false -ErrorAction Stop -Settings @{
                Url = $url; Token = 'not-a-reference'; Flag = $flag
            } } | Should -Throw -ErrorId 'InvalidSetting,*'
    }
}
