# Module manifest for Rollback. ModuleVersion is stamped from $(RollbackVersion) in Directory.Build.props
# when the build stages the module into out/Rollback: edit the version there, not here.
@{
    RootModule             = 'Rollback.PowerShell.dll'
    ModuleVersion          = '0.0.0-dev'
    GUID                   = '04ff9e24-9338-4ae8-ab68-404b47acc43c'
    Author                 = 'Rollback contributors'
    CompanyName            = 'Rollback contributors'
    Copyright              = '(c) Rollback contributors. All rights reserved.'
    Description            = 'Takes a service back to its last known-good state after a failed deployment, and proves it: readiness checked before, every attempt journaled, the result verified after.'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Desktop', 'Core')

    # The engine's types (RollbackStatus, RollbackResult, ...) are usable in scripts as soon as the module is imported.
    RequiredAssemblies     = @('Rollback.Core.dll')
    FormatsToProcess       = @('Rollback.format.ps1xml')

    CmdletsToExport        = @(
        'Register-RollbackTarget'
        'Get-RollbackTarget'
        'Unregister-RollbackTarget'
        'New-RollbackPoint'
        'Get-RollbackPoint'
        'Remove-RollbackPoint'
        'Test-RollbackReadiness'
        'Invoke-Rollback'
        'Restore-Configuration'
        'Get-RollbackHistory'
        'Get-RollbackDecision'
        'Test-DeploymentHealth'
        'Watch-Deployment'
        'Get-AutoRollbackConfiguration'
        'Set-AutoRollbackConfiguration'
        'Get-RollbackKind'
        'Register-RollbackNotification'
        'Get-RollbackNotification'
        'Unregister-RollbackNotification'
        'Export-RollbackReport'
        'Get-RollbackStore'
        'Copy-RollbackStore'
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()

    PrivateData            = @{
        PSData = @{
            Tags         = @('Rollback', 'Deployment', 'Release', 'Incident', 'DevOps', 'SRE', 'Configuration', 'AWS', 'SecretsManager', 'CodeDeploy', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/rollback-module/Rollback/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/rollback-module/Rollback'
            ReleaseNotes = @'
Takes a target back to a captured known-good point and proves it: readiness checked before (the point's SHA-256, the target's preconditions), a safety point of the failed state and a lock during, health and version verified after; every attempt in a hash-chained journal (Get-RollbackHistory -Verify).
Kinds: FileSystemRelease (releases folder and a 'current' link swapped by rename), Directory (a staged copy exchanged atomically), ConfigurationFile (validated, then written atomically), SecretsManagerSecret (AWSCURRENT moved back, no value read) and CodeDeployDeploymentGroup (the last good revision redeployed and followed). See about_Rollback_Kinds.
Decisions and automation: Get-RollbackDecision (rollback triggers and a severity matrix, from parameters or Prometheus, approvals enforced by Invoke-Rollback), Watch-Deployment (rolls back once when an automatic trigger holds), Test-DeploymentHealth, Get-/Set-AutoRollbackConfiguration.
Help: Get-Help for every cmdlet with examples; about_Rollback, about_Rollback_Kinds, about_Rollback_Safety (every ErrorId). Windows PowerShell 5.1 and PowerShell 7.4+.
'@
        }
    }
}
