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
    )
    FunctionsToExport      = @()
    AliasesToExport        = @()
    VariablesToExport      = @()

    PrivateData            = @{
        PSData = @{
            Tags         = @('Rollback', 'Deployment', 'Release', 'Incident', 'DevOps', 'SRE', 'Configuration', 'AWS', 'SecretsManager', 'CodeDeploy', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/rollback-module/Rollback/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/rollback-module/Rollback'
            ReleaseNotes = 'First release: targets, points, readiness, rollback with safety points, configuration restore, hash-chained history. File-system release, directory and configuration-file kinds.'
        }
    }
}
