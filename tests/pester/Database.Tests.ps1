# A PostgreSQL database rolled back from the user's side: restored beside, switched by rename, the replaced one kept;
# bad input refused with its ErrorId and the live database unchanged. Needs the test run's PostgreSQL server, handed over
# by the test that runs these suites (ROLLBACK_TEST_PG_PORT, _USER, _PASSFILE, _BIN); without it the suite is skipped.

Describe 'PostgreSqlDatabase: a database rolled back beside and switched by rename' -Skip:(-not $env:ROLLBACK_TEST_PG_PORT) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $store = Use-TestStore
        $psql = Join-Path $env:ROLLBACK_TEST_PG_BIN 'psql'
        $database = 'pester_' + [guid]::NewGuid().ToString('N').Substring(0, 8)

        # psql as the admin, with the same password file the target uses.
        function Invoke-Sql([string] $Sql, [string] $Database = 'postgres') {
            $env:PGPASSFILE = $env:ROLLBACK_TEST_PG_PASSFILE
            try {
                $out = & $psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $env:ROLLBACK_TEST_PG_PORT -U $env:ROLLBACK_TEST_PG_USER -d $Database -c $Sql 2>&1
                if ($LASTEXITCODE -ne 0) { throw "psql failed: $out" }
                $out
            }
            finally { Remove-Item Env:PGPASSFILE }
        }

        function Get-LiveState { "$(Invoke-Sql 'SELECT max(version) FROM schema_migrations' $database)/$(Invoke-Sql 'SELECT count(*) FROM orders' $database)" }

        Invoke-Sql "CREATE DATABASE $database" | Out-Null
        Invoke-Sql @'
CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240102000000');
CREATE TABLE orders (id serial PRIMARY KEY, total numeric);
INSERT INTO orders (total) SELECT g FROM generate_series(1, 100) g;
'@ $database | Out-Null

        Register-RollbackTarget -Name orders -Kind PostgreSqlDatabase -Confirm:$false -Settings @{
            Host = '127.0.0.1'; Port = [int] $env:ROLLBACK_TEST_PG_PORT; Database = $database; User = $env:ROLLBACK_TEST_PG_USER
            SslMode = 'disable'; PassFile = $env:ROLLBACK_TEST_PG_PASSFILE; KeyTables = 'orders'; MinFreeSpaceMB = 1
            ToolsDirectory = $env:ROLLBACK_TEST_PG_BIN
        } | Out-Null
        $known = New-RollbackPoint -Target orders -Note 'before 2.0'
        # The bad deployment: a migration and rows written after the point.
        Invoke-Sql "INSERT INTO schema_migrations VALUES ('20240301000000'); DELETE FROM orders WHERE id > 60;" $database | Out-Null
    }

    AfterAll {
        Clear-TestStore
        foreach ($name in (Invoke-Sql "SELECT datname FROM pg_database WHERE starts_with(datname, '$database')")) {
            Invoke-Sql "DROP DATABASE IF EXISTS `"$name`" WITH (FORCE)" | Out-Null
        }
    }

    It 'records the migration version and the key table row count in the point' {
        $known.Version | Should -Be '20240102000000'
        $known.Metadata['RowCount.public.orders'] | Should -Be '100'
        $known.Artifacts[0].RelativePath | Should -Be 'database.dump'
    }

    It 'refuses a check query that fails on the restored copy, and switches nothing' {
        $result = Invoke-Rollback -Target orders -PointId $known.Id -Reason 'check' -Option @{ CheckQuery = 'SELECT count(*) > 1000 FROM orders' } -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failed

        $result.Status | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'PostgreSqlCheckQueryFailed'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'PostgreSqlCheckQueryFailed,*'
        Get-LiveState | Should -Be '20240301000000/60'
    }

    It 'refuses the minimum free space it cannot have, and changes nothing' {
        $report = Test-RollbackReadiness -Target orders -PointId $known.Id -Option @{ MinFreeSpaceMB = 2000000000 }

        $report.IsReady | Should -BeFalse
        ($report.Checks | Where-Object Name -eq 'ServerFreeSpace').ErrorId | Should -Be 'InsufficientSpace'
        Get-LiveState | Should -Be '20240301000000/60'
    }

    It 'rolls back through the pipeline, and keeps the replaced database' {
        $result = Get-RollbackPoint -Target orders -Latest | Test-RollbackReadiness | Invoke-Rollback -Reason 'bad 2.0' -Confirm:$false

        $result.Status | Should -Be 'Succeeded'
        $result.Steps.Name | Should -Contain 'SwitchDatabases'
        Get-LiveState | Should -Be '20240102000000/100'
        $kept = $result.Details['KeptDatabase']
        $kept | Should -BeLike "${database}_replaced_*"
        Invoke-Sql 'SELECT count(*) FROM orders' $kept | Should -Be '60'
        (Get-RollbackHistory -Target orders -Last 1).Details['KeptDatabase'] | Should -Be $kept
    }

    It 'drops the kept database with the safety point that holds its state' {
        $rollback = Get-RollbackHistory -Target orders | Where-Object { $_.Action -eq 'Rollback' -and $_.Status -eq 'Succeeded' } | Select-Object -Last 1
        $kept = $rollback.Details['KeptDatabase']

        Remove-RollbackPoint -Target orders -Id $rollback.SafetyPointId -Confirm:$false

        Invoke-Sql "SELECT count(*) FROM pg_database WHERE datname = '$kept'" | Should -Be '0'
        Get-LiveState | Should -Be '20240102000000/100'
    }

    It 'refuses a wrong password with its ErrorId, and never shows it' {
        $wrong = Join-Path $TestDrive 'wrong.pgpass'
        Set-Content -LiteralPath $wrong -Value "127.0.0.1:$($env:ROLLBACK_TEST_PG_PORT):*:$($env:ROLLBACK_TEST_PG_USER):not-the-password"
        if (-not $IsWindows) { chmod 600 $wrong }

        Register-RollbackTarget -Name orders-wrong -Kind PostgreSqlDatabase -Confirm:$false -Settings @{
            Host = '127.0.0.1'; Port = [int] $env:ROLLBACK_TEST_PG_PORT; Database = $database; User = $env:ROLLBACK_TEST_PG_USER
            SslMode = 'disable'; PassFile = $wrong; ToolsDirectory = $env:ROLLBACK_TEST_PG_BIN
        } | Out-Null
        $thrown = { New-RollbackPoint -Target orders-wrong -ErrorAction Stop } | Should -Throw -PassThru

        $thrown.FullyQualifiedErrorId | Should -BeLike 'PostgreSqlAuthenticationFailed*'
        "$thrown" | Should -Not -Match 'not-the-password'
        Get-LiveState | Should -Be '20240102000000/100'
    }

    It 'takes the password from a PSCredential at registration and keeps it only in a user-only store file' {
        $password = ((Get-Content -LiteralPath $env:ROLLBACK_TEST_PG_PASSFILE -TotalCount 1) -split ':')[-1]
        $credential = [pscredential]::new($env:ROLLBACK_TEST_PG_USER, (ConvertTo-SecureString $password -AsPlainText -Force))

        $target = Register-RollbackTarget -Name orders-credential -Kind PostgreSqlDatabase -Confirm:$false -Settings @{
            Host = '127.0.0.1'; Port = [int] $env:ROLLBACK_TEST_PG_PORT; Database = $database; User = $env:ROLLBACK_TEST_PG_USER
            SslMode = 'disable'; Password = $credential; KeyTables = 'orders'; ToolsDirectory = $env:ROLLBACK_TEST_PG_BIN
        }
        $point = New-RollbackPoint -Target orders-credential -Note 'with a credential'

        "$($target.Settings['Password'])" | Should -Be '***'
        $point.Metadata['RowCount.public.orders'] | Should -Be '100'
        Get-Content -Raw (Join-Path $store 'targets.json') | Should -Not -Match ([regex]::Escape($password))
        $kept = Join-Path $store 'secrets/orders-credential/Password'
        Get-Content -Raw $kept | Should -Be $password
        if (-not $IsWindows) { (Get-Item $kept).UnixMode | Should -Be '-rw-------' }
        Get-ChildItem -Force (Join-Path $store 'secrets') -Filter '.pgpass-*' | Should -BeNullOrEmpty
    }
}
