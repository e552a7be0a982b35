# Notifications: a webhook registered once and told about a target's and a plan's rollbacks, checked against a receiver
# on 127.0.0.1 started here; a failing and a throttling receiver; bad webhooks refused; the webhook never shown.

Describe 'Notifications: webhooks told about rollbacks' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $receiver = Start-WebhookReceiver
        $env:ROLLBACK_PESTER_HOOK = $receiver.Webhook
        $root = New-ReleaseRoot api
        Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        $root2 = New-ReleaseRoot api2
        Register-RollbackTarget -Name api2 -Kind FileSystemRelease -Settings @{ Root = $root2 } -Confirm:$false | Out-Null
        Register-RollbackTarget -Name release -Kind Plan -Settings @{ Stages = 'api', 'api2' } -Confirm:$false | Out-Null

        function Invoke-BadDeployAndRollback([string] $Target = 'api') {
            Set-CurrentRelease $root v1.0.0
            Set-CurrentRelease $root2 v1.0.0
            $point = New-RollbackPoint -Target $Target
            Set-CurrentRelease $root v2.0.0
            Set-CurrentRelease $root2 v2.0.0
            $receiver.State.Requests.Clear()
            $point | Invoke-Rollback -Reason 'error rate 12%' -ApprovedBy oncall -Confirm:$false -WarningVariable +script:warnings -WarningAction SilentlyContinue
        }
    }

    AfterAll {
        Stop-LoopbackServer $receiver
        Remove-Item Env:ROLLBACK_PESTER_HOOK -ErrorAction SilentlyContinue
        Clear-TestStore
    }

    AfterEach {
        Get-RollbackNotification | Unregister-RollbackNotification -Force
        $script:warnings = @()
    }

    It 'registers a channel that shows where its webhook is kept, never the webhook' {
        $channel = Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_PESTER_HOOK -Format Slack -Target api -Confirm:$false
        $channel | Should -BeOfType ([Rollback.NotificationChannel])
        $channel.Webhook | Should -Be 'env:ROLLBACK_PESTER_HOOK'
        @($channel.Events).Count | Should -Be 6
        Get-TableHeader $channel | Should -Be @('Name', 'Format', 'Webhook', 'Targets', 'Events', 'Attempts')
        (Get-RollbackNotification | Out-String -Width 200) | Should -Not -Match 's3cr3tT0k3n'
        Get-Content -Raw (Join-Path $store 'notifications.json') | Should -Not -Match 's3cr3tT0k3n'
    }

    It 'tells a Slack channel the start and the outcome with the versions, the people and the journal sequence' {
        Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_PESTER_HOOK -Format Slack -Target api -Confirm:$false | Out-Null

        $result = Invoke-BadDeployAndRollback

        $result.Status | Should -Be 'Succeeded'
        $messages = Get-WebhookMessage $receiver
        $messages.text | Should -Be @('Rollback of api started: v2.0.0 → v1.0.0', 'Rollback of api succeeded: v2.0.0 → v1.0.0')
        $receiver.State.Requests.Path | Should -Be @('/services/T0001/B0001/s3cr3tT0k3n', '/services/T0001/B0001/s3cr3tT0k3n')
        $fields = $messages[1].blocks.fields.text
        $fields | Should -Contain "*Reason*`nerror rate 12%"
        $fields | Should -Contain "*Approved by*`noncall"
        $fields | Should -Contain "*Journal sequence*`n$($result.JournalSequence)"
        $fields | Where-Object { $_ -like '*Verification*' } | Should -BeLike '*Passed*'
        $fields | Where-Object { $_ -like '*Downtime*' } | Should -Not -BeNullOrEmpty
    }

    It 'posts every field to a JSON channel, and a plan run with its run id and each member''s stage' {
        Register-RollbackNotification -Name audit -Webhook env:ROLLBACK_PESTER_HOOK -Target release, api2 -Event Started, Succeeded -Confirm:$false | Out-Null

        $result = Invoke-BadDeployAndRollback -Target release

        $result.Status | Should -Be 'Succeeded'
        $messages = Get-WebhookMessage $receiver
        $messages.Count | Should -Be 4
        $messages.planRunId | Sort-Object -Unique | Should -Be $result.PlanRunId
        $plan = $messages | Where-Object target -eq 'release'
        $plan.event | Should -Be @('Started', 'Succeeded')
        $plan[1].journalSequence | Should -Be $result.JournalSequence
        ($messages | Where-Object target -eq 'api2').planStage | Should -Be @(2, 2)
        ($messages | Where-Object target -eq 'api') | Should -BeNullOrEmpty
    }

    It 'warns and journals a message the receiver keeps refusing, and the rollback still succeeds' {
        Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_PESTER_HOOK -Target '*' -Event Succeeded -MaxAttempts 2 -Confirm:$false | Out-Null
        $receiver.State.Answers.Enqueue('500'); $receiver.State.Answers.Enqueue('500')

        $result = Invoke-BadDeployAndRollback

        $result.Status | Should -Be 'Succeeded'
        $receiver.State.Requests.Status | Should -Be @(500, 500)
        $script:warnings | Should -HaveCount 1
        "$($script:warnings)" | Should -Match "Notification channel 'incident' \(Json\) could not be told the Succeeded event of 'api'.*HTTP 500.*after 2 attempt"
        "$($script:warnings)" | Should -Not -Match 's3cr3tT0k3n'
        $entry = Get-RollbackHistory -Action Notify -Last 1
        $entry.Status | Should -Be 'Failed'
        $entry.ErrorId | Should -Be 'NotificationFailed'
        $entry.Details['Channel'] | Should -Be 'incident'
        (Get-RollbackHistory -Verify).IsValid | Should -BeTrue
    }

    It 'waits what a 429 asks and delivers on the next attempt' {
        Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_PESTER_HOOK -Target api -Event Succeeded -Confirm:$false | Out-Null
        $receiver.State.Answers.Enqueue('Retry-After:1')

        $result = Invoke-BadDeployAndRollback

        $result.Status | Should -Be 'Succeeded'
        $receiver.State.Requests.Status | Should -Be @(429, 200)
        $script:warnings | Should -BeNullOrEmpty
    }

    It 'refuses a webhook given in clear and one that is not an address, storing nothing' {
        { Register-RollbackNotification -Name bad -Webhook $receiver.Webhook -Target api -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotificationWebhookInClear,Rollback.PowerShell.Commands.RegisterRollbackNotificationCommand'
        $env:ROLLBACK_PESTER_NOT_URL = 'hooks.example.invalid/services/x'
        { Register-RollbackNotification -Name bad -Webhook env:ROLLBACK_PESTER_NOT_URL -Target api -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotificationWebhookInvalid,Rollback.PowerShell.Commands.RegisterRollbackNotificationCommand'
        Remove-Item Env:ROLLBACK_PESTER_NOT_URL
        { Register-RollbackNotification -Name bad -Webhook env:ROLLBACK_PESTER_HOOK -Target nope -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'TargetNotFound,Rollback.PowerShell.Commands.RegisterRollbackNotificationCommand'
        Get-RollbackNotification | Should -BeNullOrEmpty
    }
}
