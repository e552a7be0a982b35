# Incident reports: Export-RollbackReport of a rollback, a plan run and a period, as the files a reviewer opens.

Describe 'Export-RollbackReport: the incident report' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $root = New-ReleaseRoot api
        Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $root } -Confirm:$false | Out-Null
        $point = New-RollbackPoint -Target api
        Set-CurrentRelease $root v2.0.0
        $readiness = $point | Test-RollbackReadiness
        $result = $readiness | Invoke-Rollback -Reason 'error rate 12%' -ApprovedBy oncall -Confirm:$false
    }

    AfterAll {
        Clear-TestStore
    }

    It 'writes a self-contained HTML file and the Markdown beside it' {
        $files = $result | Export-RollbackReport -Path (Join-Path $TestDrive 'incident.html') -Readiness $readiness -Confirm:$false
        $files | Should -BeOfType ([Rollback.ReportFiles])
        Split-Path -Leaf $files.HtmlPath | Should -Be 'incident.html'
        Split-Path -Leaf $files.MarkdownPath | Should -Be 'incident.md'
        $html = Get-Content -Raw -LiteralPath $files.HtmlPath
        $html | Should -Match '^<!DOCTYPE html>'
        $html | Should -Not -Match '<script|src="http|href="http'
        ([regex]::Matches($html, '<rect class="bar [^"]*" data-step=')).Count | Should -Be $result.Steps.Count
        $html | Should -Match 'class="downtime"'
        $html | Should -Match ([regex]::Escape($result.JournalHash))
        $markdown = Get-Content -Raw -LiteralPath $files.MarkdownPath
        $markdown | Should -Match '## Readiness checks'
        $markdown | Should -Match '\| Pass \| PointExists \|'
        foreach ($step in $result.Steps) { $markdown | Should -Match ([regex]::Escape("| $($step.Name) |")) }
    }

    It 'writes the same report the day after, from the journal entry Get-RollbackHistory lists' {
        $now = $result | Export-RollbackReport -Path (Join-Path $TestDrive 'now.html') -Confirm:$false
        $later = Get-RollbackHistory -Target api -Action Rollback -Last 1 | Export-RollbackReport -Path (Join-Path $TestDrive 'later.html') -Confirm:$false
        $stable = { param($path) (Get-Content -Raw -LiteralPath $path) -replace 'report written [^;]*? by \S+\.', '' -replace '\*\*Chain\*\*: [^\n]*', '' }
        & $stable $later.MarkdownPath | Should -Be (& $stable $now.MarkdownPath)
        $markdown = Get-Content -Raw -LiteralPath $later.MarkdownPath
        $markdown | Should -Match '\| Pass \| PointExists \|'
        foreach ($step in $result.Steps) { $markdown | Should -Match ([regex]::Escape("| $($step.Name) | Succeeded | +")) }
        (Get-RollbackHistory -Target api -Action Rollback -Last 1).Steps.Count | Should -Be $result.Steps.Count
    }

    It 'refuses a sequence that is not a rollback with ReportRunNotFound' {
        $capture = Get-RollbackHistory -Target api -Action Capture -Last 1
        { Export-RollbackReport -Sequence $capture.Sequence -Path (Join-Path $TestDrive 'capture.html') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReportRunNotFound,Rollback.PowerShell.Commands.ExportRollbackReportCommand'
        { Export-RollbackReport -PlanRunId 'no-such-run' -Path (Join-Path $TestDrive 'plan.html') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReportRunNotFound,Rollback.PowerShell.Commands.ExportRollbackReportCommand'
        Join-Path $TestDrive 'capture.html' | Should -Not -Exist
    }

    It 'writes nothing under -WhatIf' {
        $result | Export-RollbackReport -Path (Join-Path $TestDrive 'whatif.html') -WhatIf | Should -BeNullOrEmpty
        Join-Path $TestDrive 'whatif.html' | Should -Not -Exist
    }

    It 'reports a period: recoveries per target against the objective' {
        $files = Export-RollbackReport -Since (Get-Date).AddHours(-1) -Path (Join-Path $TestDrive 'month.html') -RecoveryTimeObjective 00:00:30 -Confirm:$false
        $html = Get-Content -Raw -LiteralPath $files.HtmlPath
        $html | Should -Match 'class="recovery-mean" data-target="api"'
        $html | Should -Match 'class="rto"'
        (Get-Content -Raw -LiteralPath $files.MarkdownPath) | Should -Match '\| api \| 1 \| 1 \| 0 \|'
    }

    It 'refuses a folder as -Path and an objective of zero, writing nothing' {
        { $result | Export-RollbackReport -Path $TestDrive -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidReportArguments,Rollback.PowerShell.Commands.ExportRollbackReportCommand'
        { Export-RollbackReport -Since (Get-Date).AddHours(-1) -Path (Join-Path $TestDrive 'zero.html') -RecoveryTimeObjective 0 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidReportArguments,Rollback.PowerShell.Commands.ExportRollbackReportCommand'
        Join-Path $TestDrive 'zero.html' | Should -Not -Exist
    }
}
