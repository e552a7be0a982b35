# The SchemaMigration kind as a user drives it: a schema rolled back with the application's own migration command
# through the pipeline, and a rollback across a migration without a down step refused with nothing run, against the
# real PostgreSQL server the xUnit host (PesterTests) started and named in ROLLBACK_TEST_PG_* (skipped without one).

Describe 'SchemaMigration: a schema rolled back with the migration tool' -Skip:(-not $env:ROLLBACK_TEST_PG_PORT) {
    BeforeAll {
        . $PSScriptRoot/RollbackTestSupport.ps1
        $null = Use-TestStore
        $psql = Join-Path $env:ROLLBACK_TEST_PG_BIN 'psql'
        $database = 'pester_schema_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        function Invoke-Sql([string] $Sql) { Invoke-TestSql $Sql $database }
        Invoke-TestSql "CREATE DATABASE $database" | Out-Null
        Invoke-Sql @'
CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
INSERT INTO schema_migrations VALUES ('1'), ('2');
CREATE TABLE widgets (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO widgets (name) VALUES ('cog'), ('sprocket');
'@ | Out-Null
        # The application's rollback command: undoes migration 3 (and only it) with psql, as a migration tool would.
        Set-Content -LiteralPath (Join-Path $TestDrive 'rollback.sh') -Value @"
set -e
[ "`$1" = 2 ] || { echo "unexpected target `$1" >&2; exit 2; }
'$psql' -v ON_ERROR_STOP=1 -q -c "ALTER TABLE widgets DROP COLUMN colour; DELETE FROM schema_migrations WHERE version > '`$1'"
"@
        Register-RollbackTarget -Name shop-schema -Kind SchemaMigration -Confirm:$false -Settings @{
            Host = '127.0.0.1'; Port = [int] $env:ROLLBACK_TEST_PG_PORT; Database = $database; User = $env:ROLLBACK_TEST_PG_USER
            SslMode = 'disable'; PassFile = $env:ROLLBACK_TEST_PG_PASSFILE; MigrationHistoryTable = 'schema_migrations'
            RollbackCommand = 'sh rollback.sh {Target}'; WorkingDirectory = "$TestDrive"; IrreversibleMigrations = @('4')
        } | Out-Null
        $point = New-RollbackPoint -Target shop-schema -Note 'before v3'
    }

    AfterAll {
        Clear-TestStore
        Invoke-TestSql "DROP DATABASE IF EXISTS $database WITH (FORCE)" | Out-Null
    }

    It 'captures the applied migration as the point''s version' {
        $point | Should -BeOfType ([Rollback.RollbackPoint])
        $point.Version | Should -Be '2'
    }

    It 'rolls a bad migration back through the pipeline, the column gone and the version back' {
        Invoke-Sql "INSERT INTO schema_migrations VALUES ('3'); ALTER TABLE widgets ADD COLUMN colour text" | Out-Null

        $result = $point | Test-RollbackReadiness | Invoke-Rollback -Reason 'bad v3' -Confirm:$false

        $result | Should -BeOfType ([Rollback.RollbackResult])
        $result.Status | Should -Be 'Succeeded'
        $result.FromVersion | Should -Be '3'
        $result.Details['SchemaMigration.VersionAfter'] | Should -Be '2'
        Invoke-Sql 'SELECT max(version) FROM schema_migrations' | Should -Be '2'
        Invoke-Sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'colour'" | Should -Be '0'
        Invoke-Sql 'SELECT count(*) FROM widgets' | Should -Be '2'
    }

    It 'takes the password from a PSCredential, as PostgreSqlDatabase does, and never shows or stores it in clear' {
        $password = ((Get-Content -LiteralPath $env:ROLLBACK_TEST_PG_PASSFILE -TotalCount 1) -split ':')[-1]
        $credential = [pscredential]::new($env:ROLLBACK_TEST_PG_USER, (ConvertTo-SecureString $password -AsPlainText -Force))
        $target = Register-RollbackTarget -Name shop-schema-credential -Kind SchemaMigration -Confirm:$false -Settings @{
            Host = '127.0.0.1'; Port = [int] $env:ROLLBACK_TEST_PG_PORT; Database = $database; User = $env:ROLLBACK_TEST_PG_USER
            SslMode = 'disable'; Password = $credential; MigrationHistoryTable = 'schema_migrations'
            RollbackCommand = 'sh rollback.sh {Target}'; WorkingDirectory = "$TestDrive"
        }
        $credentialPoint = New-RollbackPoint -Target shop-schema-credential -Note 'before v3, with a credential'
        Invoke-Sql "INSERT INTO schema_migrations VALUES ('3'); ALTER TABLE widgets ADD COLUMN colour text" | Out-Null

        $result = $credentialPoint | Invoke-Rollback -Reason 'bad v3' -Confirm:$false -Verbose 3>&1 4>&1 | Tee-Object -Variable everything | Where-Object { $_ -is [Rollback.RollbackResult] }

        "$($target.Settings['Password'])" | Should -Be '***'
        $result.Status | Should -Be 'Succeeded'
        Invoke-Sql 'SELECT max(version) FROM schema_migrations' | Should -Be '2'
        ($everything | Out-String -Width 500) | Should -Not -Match ([regex]::Escape($password))
        foreach ($file in Get-ChildItem -LiteralPath (Join-Path $TestDrive 'store') -Recurse -File -Force | Where-Object FullName -NotLike '*secrets*shop-schema-credential*Password') {
            Get-Content -Raw -LiteralPath $file.FullName | Should -Not -Match ([regex]::Escape($password)) -Because $file.FullName
        }
        Get-ChildItem -Force (Join-Path (Join-Path $TestDrive 'store') 'secrets') -Filter '.pgpass-*' | Should -BeNullOrEmpty
        Invoke-Sql "DELETE FROM schema_migrations WHERE version > '2'" | Out-Null
    }

    It 'refuses a rollback across a migration without a down step, and runs nothing' {
        Invoke-Sql "INSERT INTO schema_migrations VALUES ('3'), ('4'); ALTER TABLE widgets ADD COLUMN colour text" | Out-Null

        $report = $point | Test-RollbackReadiness
        ($report.Checks | Where-Object Name -eq 'MigrationsReversible').ErrorId | Should -Be 'MigrationIrreversible'
        { $point | Invoke-Rollback -Reason 'bad v4' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'RollbackNotReady,Rollback.PowerShell.Commands.InvokeRollbackCommand'
        Invoke-Sql 'SELECT max(version) FROM schema_migrations' | Should -Be '4'
        Invoke-Sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'colour'" | Should -Be '1'
    }
}
