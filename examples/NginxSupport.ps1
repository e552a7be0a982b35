<#
.SYNOPSIS
    A real nginx in front of a blue and a green server, for the traffic drill and the nginx Pester tests.

.DESCRIPTION
    Dot-sourced (`. $PSScriptRoot/NginxSupport.ps1`), with TrafficSupport.ps1 (the version endpoints, answers through
    a proxy). Start-Nginx writes a configuration in a folder of the caller's: the upstream 'app' with blue (weight 1)
    and green (down), so blue takes every request, and 'app_blue' / 'app_green' with one server each; a server on a
    free port whose proxy_pass names 'app' (or the upstream given). It starts nginx in the foreground with its own
    prefix, pid file and logs, and waits until it answers; Stop-Nginx stops it by its PID. Invoke-NginxDeployment is
    the deployment by hand: the file edited (green up and blue down, or proxy_pass to app_green) and nginx reloaded.
#>

. (Join-Path $PSScriptRoot 'TrafficSupport.ps1')

function Find-Nginx {
    @((Get-Command nginx -CommandType Application -ErrorAction SilentlyContinue).Source) + @('/usr/sbin/nginx') |
        Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1
}

function Start-Nginx([string] $Folder, $Blue, $Green, [string] $ProxyPass = 'app') {
    $binary = Find-Nginx
    if (-not $binary) { throw 'nginx is not installed (no nginx on PATH nor /usr/sbin/nginx): apt-get install nginx-light.' }
    $null = New-Item -ItemType Directory -Path $Folder -Force
    $port = Get-FreePort
    $config = Join-Path $Folder 'nginx.conf'
    $pidFile = Join-Path $Folder 'nginx.pid'
    $errors = Join-Path $Folder 'error.log'
    Set-Content -LiteralPath $config -NoNewline -Value (@(
            'daemon off;'
            'worker_processes 1;'
            "pid $pidFile;"
            "error_log $errors;"
            'events { worker_connections 256; }'
            'http {'
            '    access_log off;'
            "    proxy_temp_path $(Join-Path $Folder 'proxy');"
            "    client_body_temp_path $(Join-Path $Folder 'body');"
            '    upstream app {'
            "        server 127.0.0.1:$($Blue.Port) weight=1;"
            "        server 127.0.0.1:$($Green.Port) weight=1 down;"
            '    }'
            "    upstream app_blue { server 127.0.0.1:$($Blue.Port); }"
            "    upstream app_green { server 127.0.0.1:$($Green.Port); }"
            '    server {'
            "        listen 127.0.0.1:$port;"
            "        location / { proxy_pass http://$ProxyPass; proxy_set_header Host `$http_host; proxy_next_upstream off; }"
            '    }'
            '}'
            ''
        ) -join "`n")
    $process = Start-Process -FilePath $binary -ArgumentList '-p', $Folder, '-e', $errors, '-c', $config -PassThru `
        -RedirectStandardOutput (Join-Path $Folder 'nginx.out') -RedirectStandardError (Join-Path $Folder 'nginx.err')
    $nginx = [pscustomobject]@{
        Process     = $process
        Config      = $config
        PidFile     = $pidFile
        Url         = [uri]"http://127.0.0.1:$port/health"
        Binary      = $binary
        TestCommand = "'$binary' -t -q -p '$Folder' -e '$errors' -c {0}"
        BlueServer  = "127.0.0.1:$($Blue.Port)"
        GreenServer = "127.0.0.1:$($Green.Port)"
    }
    Wait-ProxyStarted $nginx 'nginx' $errors
}

function Stop-Nginx($Nginx) { Stop-Proxy $Nginx }

# The deployment, by hand as a runbook does it: the file edited and nginx reloaded (SIGHUP to its master); waits until
# every request answers green's version and the old configuration's workers have exited.
function Invoke-NginxDeployment($Nginx) {
    $text = Get-Content -Raw -LiteralPath $Nginx.Config
    if ($text.Contains('proxy_pass http://app_blue;')) {
        $text = $text.Replace('proxy_pass http://app_blue;', 'proxy_pass http://app_green;')
    }
    else {
        $text = $text.Replace("server $($Nginx.BlueServer) weight=1;", "server $($Nginx.BlueServer) weight=1 down;").
            Replace("server $($Nginx.GreenServer) weight=1 down;", "server $($Nginx.GreenServer) weight=1;")
    }

    # The workers of the old configuration go on accepting until they have read the master's signal to stop, so green's
    # answers alone do not say the reload is over: it is once they have exited too.
    $old = @(Get-NginxWorker $Nginx)
    Set-Content -LiteralPath $Nginx.Config -NoNewline -Value $text
    & kill -HUP $Nginx.Process.Id
    $deadline = [datetime]::UtcNow.AddSeconds(15)
    while (((Get-ProxyAnswer $Nginx 5).Keys -join ',' -ne 'v2.4.0' -or @(Get-NginxWorker $Nginx | Where-Object { $_ -in $old }).Count -gt 0) -and
        [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
}

# The process ids of the nginx master's workers.
function Get-NginxWorker($Nginx) {
    Get-Process -ErrorAction SilentlyContinue | Where-Object { $null -ne $_.Parent -and $_.Parent.Id -eq $Nginx.Process.Id } |
        ForEach-Object { $_.Id }
}
