<#
.SYNOPSIS
    What the drills that need a database share: a PostgreSQL 15 of their own on 127.0.0.1, psql against it, and
    servers started so that the PID held is the server's own, stopped by it.

.DESCRIPTION
    Dot-sourced by flag-drill.ps1 and plan-drill.ps1 (`. (Join-Path $PSScriptRoot 'PostgreSqlSupport.ps1')`).
    Start-DrillPostgres runs Debian's postgresql 15 binaries (as the 'postgres' account when run as root) in a folder of
    the drill's sandbox, on a free loopback port, with a random password for the role 'drill' (scram-sha-256); the drill
    fails, saying so, where PostgreSQL 15 is not installed. Stop it with Stop-DrillPostgres in the drill's finally block.
#>

# Get-FreePort.
. (Join-Path $PSScriptRoot 'LoopbackSupport.ps1')

$script:PgBin = '/usr/lib/postgresql/15/bin'

# A server started through 'exec', so the PID PowerShell holds is the server itself (postgres, node), stopped by it.
function Start-Server([string] $Command, [string] $Log) {
    $start = [System.Diagnostics.ProcessStartInfo]::new('bash')
    $start.ArgumentList.Add('-c')
    $start.ArgumentList.Add("exec $Command >'$Log' 2>&1")
    $start.UseShellExecute = $false
    [System.Diagnostics.Process]::Start($start)
}

function Stop-Server($Process, [string] $Signal = 'TERM') {
    if ($null -eq $Process -or $Process.HasExited) { return }
    & kill "-$Signal" $Process.Id
    if (-not $Process.WaitForExit(20000)) { $Process.Kill() }
}

<#
PostgreSQL 15 in $Folder (created; its data in $Folder/pgdata, its log in $Folder/postgres.log), listening on
127.0.0.1 only, ready to answer. Returns @{ Process; Port; User = 'drill'; Password; Bin; Folder }. The password is
random and never printed.
#>
function Start-DrillPostgres([string] $Folder) {
    if (-not (Test-Path -LiteralPath (Join-Path $script:PgBin 'initdb'))) { throw "PostgreSQL 15 is not installed (no $script:PgBin/initdb): apt-get install postgresql, as .ci/run does." }
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    $password = [guid]::NewGuid().ToString('N')
    Write-TextFile (Join-Path $Folder 'pgpassword') $password
    $asPostgres = ''
    if ((& id -u) -eq '0') {
        & chown -R postgres: $Folder
        $asPostgres = 'setpriv --reuid=postgres --regid=postgres --init-groups --'
    }
    & bash -c "$asPostgres $script:PgBin/initdb -D '$Folder/pgdata' -U drill --pwfile '$Folder/pgpassword' --auth=scram-sha-256 --no-sync >'$Folder/initdb.log' 2>&1"
    if ($LASTEXITCODE -ne 0) { throw "initdb failed: $(Get-Content -Raw "$Folder/initdb.log")" }
    Remove-Item -LiteralPath (Join-Path $Folder 'pgpassword') -Force
    $port = Get-FreePort
    $process = Start-Server "$asPostgres $script:PgBin/postgres -D '$Folder/pgdata' -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$Folder' -c fsync=off" "$Folder/postgres.log"
    $postgres = [pscustomobject]@{ Process = $process; Port = $port; User = 'drill'; Password = $password; Bin = $script:PgBin; Folder = $Folder }
    foreach ($attempt in 1..150) {
        & "$script:PgBin/pg_isready" -q -h 127.0.0.1 -p $port
        if ($LASTEXITCODE -eq 0) { return $postgres }
        if ($process.HasExited) { throw "postgres exited: $(Get-Content -Raw "$Folder/postgres.log")" }
        Start-Sleep -Milliseconds 200
    }
    Stop-DrillPostgres $postgres
    throw "postgres did not answer within 30 s on 127.0.0.1:${port}: $(Get-Content -Raw "$Folder/postgres.log")"
}

# Stops the server Start-DrillPostgres started (by its PID; a fast shutdown), if it still runs.
function Stop-DrillPostgres($Postgres) {
    if ($null -ne $Postgres) { Stop-Server $Postgres.Process -Signal INT }
}

# psql as the drill's role in $Database: its output unaligned (one value per line), or a throw with psql's message.
# The password reaches psql through PGPASSWORD for this call only.
function Invoke-DrillSql($Postgres, [string] $Database, [string] $Sql) {
    $env:PGPASSWORD = $Postgres.Password
    try {
        $out = & (Join-Path $Postgres.Bin 'psql') -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $Postgres.Port -U $Postgres.User -d $Database -c $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed in ${Database}: $out" }
        $out
    }
    finally { Remove-Item Env:PGPASSWORD }
}

# The drill's role as a PSCredential: what a user hands Register-RollbackTarget as a PostgreSqlDatabase's Password.
function Get-DrillPostgresCredential($Postgres) {
    [pscredential]::new($Postgres.User, (ConvertTo-SecureString $Postgres.Password -AsPlainText -Force))
}
