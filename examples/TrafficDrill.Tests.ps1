# The traffic drill as a Pester test: blue-green and gradual rollback through a real HAProxy, blue-green through nginx.
# Run with:  dotnet run --project src/Rollback.Runner -- -Command "Invoke-Pester ./examples/TrafficDrill.Tests.ps1"
# (or Invoke-Pester in any pwsh 7 with Pester 5; HAProxy and nginx must be installed: apt-get install haproxy nginx-light)

BeforeAll {
    $script:drill = & (Join-Path $PSScriptRoot 'traffic-drill.ps1') -PassThru
}

Describe 'Traffic drill: blue-green and gradual rollback through HAProxy, blue-green through nginx' {
    It 'moves every request back to blue at once, and a reload keeps it' {
        $drill.BlueGreen.Status | Should -Be 'Succeeded'
        $drill.BlueGreen.ToVersion | Should -Be 'v2.3.1'
        $drill.AfterBlueGreen['v2.3.1'] | Should -Be 20
        $drill.AfterReload['v2.3.1'] | Should -Be 20
    }

    It 'stops the gradual rollback at 50 % when blue fails between steps' {
        $drill.Gradual.Status | Should -Be 'VerificationFailed'
        $drill.Gradual.ErrorId | Should -Be 'TrafficShiftStopped'
        $drill.Gradual.Steps.Name | Should -Contain 'Verify50'
        $drill.Gradual.Steps.Name | Should -Not -Contain 'Shift100'
        $drill.RuntimeState | Should -Match '\bblue \S+ \d+ 0 50 '
    }

    It 'journals each step it took' {
        $drill.Journal.IsValid | Should -BeTrue
        ($drill.Steps | ForEach-Object { $_.Details['Traffic.Percent'] }) | Should -Be @('100', '50')
    }

    It 'moves every request through nginx back to blue' {
        $drill.Nginx.Status | Should -Be 'Succeeded'
        $drill.Nginx.ToVersion | Should -Be 'v2.3.1'
        $drill.AfterNginx['v2.3.1'] | Should -Be 20
    }
}
