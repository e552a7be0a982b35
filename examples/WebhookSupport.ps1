<#
.SYNOPSIS
    A webhook receiver on 127.0.0.1 for the plan drill and the Pester suites: notifications are checked against what
    it received.

.DESCRIPTION
    Dot-sourced (`. $PSScriptRoot/WebhookSupport.ps1`). Start-WebhookReceiver keeps every request it gets; stop it
    with Stop-LoopbackServer (LoopbackSupport.ps1).
#>

# Start-LoopbackServer, Stop-LoopbackServer.
. (Join-Path $PSScriptRoot 'LoopbackSupport.ps1')

<#
A webhook receiver: keeps every request (path and body, in $receiver.State.Requests) and answers with the next of
$receiver.State.Answers (a status, or 'Retry-After:N' for a 429 asking for N seconds), then 200. The webhook's path
stands for the secret part of a real one.
#>
function Start-WebhookReceiver {
    $state = [hashtable]::Synchronized(@{ Requests = [System.Collections.ArrayList]::Synchronized([System.Collections.ArrayList]::new()); Answers = [System.Collections.Queue]::Synchronized([System.Collections.Queue]::new()) })
    $server = Start-LoopbackServer -State $state -Handle {
        param($Context, $State)
        $reader = [System.IO.StreamReader]::new($Context.Request.InputStream, [System.Text.Encoding]::UTF8)
        $body = $reader.ReadToEnd()
        $answer = if ($State.Answers.Count -gt 0) { [string]$State.Answers.Dequeue() } else { '200' }
        $status = 200
        if ($answer -like 'Retry-After:*') { $status = 429; $Context.Response.Headers['Retry-After'] = $answer.Split(':')[1] } else { $status = [int]$answer }
        $null = $State.Requests.Add([pscustomobject]@{ Path = $Context.Request.Url.AbsolutePath; Body = $body; Status = $status })
        $Context.Response.StatusCode = $status
        $Context.Response.Close()
    }.ToString()
    $server | Add-Member -NotePropertyName Webhook -NotePropertyValue ($server.Url.ToString() + 'services/T0001/B0001/s3cr3tT0k3n') -PassThru
}

# The bodies the receiver answered 2xx, parsed.
function Get-WebhookMessage($Receiver) {
    @($Receiver.State.Requests | Where-Object Status -lt 300 | ForEach-Object { $_.Body | ConvertFrom-Json })
}

