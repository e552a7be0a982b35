# Stores from the user's side, through runner processes. On one postgresql:// store two runners see one registry and
# one history, and only one of them rolls a target back at a time (the other is refused with the holder named). On
# either store a holder killed with SIGKILL leaves no lock behind: the next rollback proceeds at once and reports the
# interrupted attempt. The PostgreSQL context needs the test run's server, handed over by the test that runs these suites
# (ROLLBACK_TEST_PG_PORT, _USER, _PASSFILE, _BIN); without it that context is skipped. With moto and the AWS CLI v2, the
# same store with its artifacts in S3: captured on one machine, read by the CLI, rolled back on another, removed.

BeforeDiscovery {
    $script:HasMoto = [bool](Get-Command moto_server -ErrorAction SilentlyContinue) -and (Test-Path -LiteralPath /usr/bin/aws)
}

Describe 'Stores shared by runner processes' {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        # The children take the store (and the password file) from the environment, as a team's machines set them.
        $saved = @{ ROLLBACK_STORE = $env:ROLLBACK_STORE; PGPASSFILE = $env:PGPASSFILE }

        $runner = [Environment]::ProcessPath
        if ([IO.Path]::GetFileNameWithoutExtension($runner) -ne 'rollback-runner') {
            $runner = Get-ChildItem (Join-Path $PSScriptRoot '..' '..' 'src' 'Rollback.Runner' 'bin' '*' 'net10.0' 'rollback-runner*') |
                Where-Object { $_.BaseName -eq 'rollback-runner' } | Select-Object -First 1 -ExpandProperty FullName
        }
        $manifest = Join-Path (Get-Module Rollback).ModuleBase 'Rollback.psd1'
        $started = [Collections.Generic.List[Diagnostics.Process]]::new()

        # Starts the runner on $Script (written to a file: Start-Process joins its arguments into one command line, which
        # would lose the script's quotes) in its own process, output to files under TestDrive:; the process, with OutPath
        # and ErrPath noted on it. Every one started is stopped by its PID in AfterAll.
        function Start-Runner([string] $Name, [string] $Script) {
            $file = Join-Path $TestDrive "$Name.ps1"
            $out = Join-Path $TestDrive "$Name.out"
            $err = Join-Path $TestDrive "$Name.err"
            Set-Content -LiteralPath $file -Value $Script
            $process = Start-Process -FilePath $runner -PassThru -RedirectStandardOutput $out -RedirectStandardError $err -ArgumentList @(
                '--module', $manifest, '-NoProfile', '-NonInteractive', '-File', $file)
            $started.Add($process)
            $process | Add-Member -NotePropertyName OutPath -NotePropertyValue $out -PassThru | Add-Member -NotePropertyName ErrPath -NotePropertyValue $err -PassThru
        }

        # Runs the runner on $Script to its end; what it printed (one JSON document per line expected), or a throw with
        # its error output.
        function Invoke-Runner([string] $Name, [string] $Script) {
            $process = Start-Runner $Name $Script
            if (-not $process.WaitForExit(120000)) { throw "The runner '$Name' did not end." }
            $process.WaitForExit()
            if ($process.ExitCode -ne 0) { throw "The runner '$Name' exited $($process.ExitCode): $(Get-Content -Raw $process.ErrPath)" }
            Get-Content -LiteralPath $process.OutPath
        }

        # Waits until $Path exists (a runner's hook writes it once it holds the target's lock), or the runner ends.
        function Wait-Marker([string] $Path, $Process) {
            $deadline = [DateTime]::UtcNow.AddMinutes(2)
            while (-not (Test-Path -LiteralPath $Path)) {
                if ($Process.HasExited) { throw "The runner ended before its switch: $(Get-Content -Raw $Process.ErrPath)" }
                if ([DateTime]::UtcNow -gt $deadline) { throw "The runner never reached its switch." }
                Start-Sleep -Milliseconds 100
            }
        }

        # A rollback of api to its latest point whose BeforeSwitch writes $Marker and then waits for $Release (at most
        # two minutes), so it holds the target's lock until the test lets it go or kills it.
        function Get-HeldRollbackScript([string] $Reason, [string] $Marker, [string] $Release) {
            @"
`$result = Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason '$Reason' -Confirm:`$false -BeforeSwitch {
    Set-Content -LiteralPath '$Marker' -Value `$PID
    `$deadline = [DateTime]::UtcNow.AddMinutes(2)
    while (-not (Test-Path -LiteralPath '$Release') -and [DateTime]::UtcNow -lt `$deadline) { Start-Sleep -Milliseconds 50 }
}
[pscustomobject]@{ Status = "`$(`$result.Status)"; ToVersion = `$result.ToVersion } | ConvertTo-Json -Compress
"@
        }

        # What a second rollback of api answers: its status and warnings, or the ErrorId and message it was refused with.
        $attemptScript = @'
try {
    $result = Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'second' -Confirm:$false -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue
    [pscustomobject]@{ Status = "$($result.Status)"; ToVersion = $result.ToVersion; Warnings = @($warned | ForEach-Object Message) } | ConvertTo-Json -Compress
}
catch { [pscustomobject]@{ ErrorId = $_.FullyQualifiedErrorId; Message = $_.Exception.Message } | ConvertTo-Json -Compress }
'@

        # Registers api (a release root named $Name, at v1.0.0) in the store of ROLLBACK_STORE from a runner, takes its
        # known-good point and deploys v2.0.0; the root, and the point as that runner printed it.
        function Initialize-Api([string] $Name) {
            $root = New-ReleaseRoot $Name
            $point = Invoke-Runner "$Name-register" @"
Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = '$root' } -Confirm:`$false | Out-Null
New-RollbackPoint -Target api -Note 'known good' | Select-Object Id, Version | ConvertTo-Json -Compress
"@ | ConvertFrom-Json
            Set-CurrentRelease $root v2.0.0
            [pscustomobject]@{ Root = $root; Point = $point }
        }

        # A runner that holds api in its rollback's BeforeSwitch is killed with SIGKILL; the next runner's rollback
        # proceeds at once, reporting the killed attempt (which had switched nothing) and succeeding.
        function Assert-KilledHolderLeavesNoLock([string] $Name, [string] $Root) {
            $marker = Join-Path $TestDrive "$Name.inswitch"
            $killed = Start-Runner $Name (Get-HeldRollbackScript 'killed' $marker (Join-Path $TestDrive 'never'))
            Wait-Marker $marker $killed

            Stop-Process -Id $killed.Id -Force
            $killed.WaitForExit()
            $next = Invoke-Runner "$Name-next" $attemptScript | ConvertFrom-Json

            $next.ErrorId | Should -BeNullOrEmpty
            $next.Status | Should -Be 'Succeeded'
            $next.Warnings | Should -Match "process $($killed.Id), .*its process no longer runs\): nothing had been switched"
            Get-CurrentRelease $Root | Should -Be 'v1.0.0'
        }
    }

    AfterAll {
        foreach ($process in $started) {
            if (-not $process.HasExited) { Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue; $process.WaitForExit() }
        }
        $env:ROLLBACK_STORE = $saved.ROLLBACK_STORE
        $env:PGPASSFILE = $saved.PGPASSFILE
    }

    Context 'on one PostgreSQL store' -Skip:(-not $env:ROLLBACK_TEST_PG_PORT) {
        BeforeAll {
            $database = 'pester_store_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Invoke-TestSql "CREATE DATABASE $database" | Out-Null
            $artifacts = Join-Path $TestDrive 'artifacts'
            $env:ROLLBACK_STORE = "postgresql://127.0.0.1:$($env:ROLLBACK_TEST_PG_PORT)/${database}?user=$($env:ROLLBACK_TEST_PG_USER)&artifacts=$([uri]::EscapeDataString($artifacts))"
            $env:PGPASSFILE = $env:ROLLBACK_TEST_PG_PASSFILE
            $api = Initialize-Api 'pg'
            $root = $api.Root
            $registered = $api.Point
        }

        AfterAll {
            Invoke-TestSql "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
        }

        It 'a second runner sees the target and the point the first one registered, and one verified history' {
            $seen = Invoke-Runner 'pg-list' @'
[pscustomobject]@{
    Targets = @(Get-RollbackTarget | ForEach-Object Name)
    Points  = @(Get-RollbackPoint -Target api | ForEach-Object Id)
    Actions = @(Get-RollbackHistory | ForEach-Object { "$($_.Action)" })
    Valid   = (Get-RollbackHistory -Verify).IsValid
    Kind    = "$((Get-RollbackStore).Kind)"
} | ConvertTo-Json -Compress
'@ | ConvertFrom-Json

            $seen.Kind | Should -Be 'PostgreSql'
            $seen.Targets | Should -Be @('api')
            $seen.Points | Should -Be @($registered.Id)
            $seen.Actions | Should -Contain 'RegisterTarget'
            $seen.Valid | Should -BeTrue
        }

        It 'only one runner rolls api back at a time: the other is RollbackInProgress naming the holder' {
            $marker = Join-Path $TestDrive 'first.inswitch'
            $release = Join-Path $TestDrive 'first.release'
            $first = Start-Runner 'pg-first' (Get-HeldRollbackScript 'first' $marker $release)
            Wait-Marker $marker $first

            $refused = Invoke-Runner 'pg-second' $attemptScript | ConvertFrom-Json
            Set-Content -LiteralPath $release -Value 'go'
            $first.WaitForExit(120000) | Should -BeTrue
            $first.WaitForExit()

            $refused.ErrorId | Should -BeLike 'RollbackInProgress,*'
            $refused.Message | Should -Match "process $($first.Id) on $([regex]::Escape([Environment]::MachineName))"
            (Get-Content -LiteralPath $first.OutPath | ConvertFrom-Json).Status | Should -Be 'Succeeded'
            Get-CurrentRelease $root | Should -Be 'v1.0.0'
        }

        It 'the history both runners wrote is one chain: the rollback and the refusal, verified' {
            $history = Invoke-Runner 'pg-history' @'
[pscustomobject]@{
    Entries = @(Get-RollbackHistory -Target api | ForEach-Object { "$($_.Action)/$($_.Status)/$($_.Reason)" })
    Valid   = (Get-RollbackHistory -Verify).IsValid
} | ConvertTo-Json -Compress
'@ | ConvertFrom-Json

            $history.Entries | Should -Contain 'Rollback/Succeeded/first'
            $history.Entries | Should -Contain 'Rollback/Refused/second'
            $history.Valid | Should -BeTrue
        }

        It 'a runner killed with SIGKILL while it holds api leaves no lock: the next rollback proceeds at once' {
            Set-CurrentRelease $root v2.0.0
            Assert-KilledHolderLeavesNoLock 'pg-killed' $root
        }
    }

    Context 'on one PostgreSQL store with its artifacts in S3 (moto)' -Skip:(-not $env:ROLLBACK_TEST_PG_PORT -or -not $HasMoto) {
        BeforeAll {
            . (Join-Path $PSScriptRoot '..' '..' 'examples' 'AwsSupport.ps1')
            $moto = Enter-MotoSession
            $bucket = 'rollback-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
            New-MotoBucket $bucket -Versioned
            $database = 'pester_s3_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            Invoke-TestSql "CREATE DATABASE $database" | Out-Null
            $env:PGPASSFILE = $env:ROLLBACK_TEST_PG_PASSFILE
            # One connection string per machine: the same database and bucket, each machine its own local folder.
            $shared = "postgresql://127.0.0.1:$($env:ROLLBACK_TEST_PG_PORT)/${database}?user=$($env:ROLLBACK_TEST_PG_USER)&artifacts=$([uri]::EscapeDataString("s3://$bucket/team"))&s3endpoint=$([uri]::EscapeDataString($moto.Url))&region=us-east-1"
            $machineA = "$shared&cache=$([uri]::EscapeDataString((Join-Path $TestDrive 'machine-a')))"
            $machineB = "$shared&cache=$([uri]::EscapeDataString((Join-Path $TestDrive 'machine-b')))"
        }

        AfterAll {
            Exit-MotoSession $moto
            Invoke-TestSql "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
        }

        It 'a point captured on one machine is in S3 as the AWS CLI reads it, rolled back on another from there, and removed with its objects' {
            $site = Join-Path $TestDrive 'site'
            New-Item -ItemType File -Path (Join-Path $site 'version.txt') -Value 'v1.0.0' -Force | Out-Null
            New-Item -ItemType File -Path (Join-Path $site 'bin' 'app.dll') -Value 'good build' -Force | Out-Null
            Register-RollbackTarget -StorePath $machineA -Name site -Kind Directory -Settings @{ Path = $site; VersionFile = 'version.txt' } -Confirm:$false | Out-Null
            $point = New-RollbackPoint -StorePath $machineA -Target site -Note 'known good'

            (Get-RollbackStore -StorePath $machineA).ArtifactLocation | Should -Be "s3://$bucket/team"
            $point.StoredObjects.Location | Should -Be "s3://$bucket/team/site/$($point.Id)/"
            $files = @($point.StoredObjects.Objects | Where-Object Key)
            $files.Count | Should -Be 2
            $listed = Invoke-AwsCli s3api list-object-versions --bucket $bucket --prefix "team/site/$($point.Id)/"
            @($listed.Versions).Count | Should -Be 2
            foreach ($object in $files) {
                $head = Invoke-AwsCli s3api head-object --bucket $bucket --key $object.Key --version-id $object.VersionId --checksum-mode ENABLED
                $head.Metadata.sha256 | Should -Be $object.Sha256
                $head.ChecksumSHA256 | Should -Not -BeNullOrEmpty
            }

            Set-Content -LiteralPath (Join-Path $site 'version.txt') -Value 'v2.0.0' -NoNewline
            Set-Content -LiteralPath (Join-Path $site 'bin' 'app.dll') -Value 'bad build' -NoNewline
            $result = Get-RollbackPoint -StorePath $machineB -Target site -Id $point.Id | Invoke-Rollback -StorePath $machineB -Reason 'from S3' -Confirm:$false
            $result.Status | Should -Be 'Succeeded'
            Get-Content -Raw -LiteralPath (Join-Path $site 'version.txt') | Should -Be 'v1.0.0'
            Get-Content -Raw -LiteralPath (Join-Path $site 'bin' 'app.dll') | Should -Be 'good build'
            Test-Path -LiteralPath (Join-Path $TestDrive 'machine-b' 'points' 'site' $point.Id 'artifacts') | Should -BeTrue

            Remove-RollbackPoint -StorePath $machineB -Target site -Id $point.Id -Confirm:$false
            (Invoke-AwsCli s3api list-object-versions --bucket $bucket --prefix "team/site/$($point.Id)/").Versions | Should -BeNullOrEmpty
            @(Get-RollbackPoint -StorePath $machineA -Target site | Where-Object Id -EQ $point.Id) | Should -HaveCount 0
        }
    }

    Context 'on the folder store' {
        BeforeAll {
            $env:ROLLBACK_STORE = Join-Path $TestDrive 'folder-store'
            $root = (Initialize-Api 'folder').Root
        }

        It 'a runner killed with SIGKILL while it holds api leaves no lock (the lock file dies with its handle): the next rollback proceeds at once' {
            Assert-KilledHolderLeavesNoLock 'folder-killed' $root
        }
    }
}
