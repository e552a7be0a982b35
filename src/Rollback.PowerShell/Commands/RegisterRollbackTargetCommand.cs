using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Registers a system (a release folder, a directory, configuration files) as a target that can be captured and rolled back.</summary>
[Cmdlet(VerbsLifecycle.Register, "RollbackTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RollbackTarget))]
public sealed class RegisterRollbackTargetCommand : RollbackCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KindCompleter))]
    public string Kind { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 2)]
    [AllowEmptyCollection]
    public Hashtable Settings { get; set; } = new();

    /// <summary>AWS kinds: the region (else the profile's, AWS_REGION, then AWS_DEFAULT_REGION); stored as the Region setting.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Region { get; set; }

    /// <summary>AWS kinds: the shared config/credentials profile to take credentials (and region) from; stored as the Profile setting.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProfileName { get; set; }

    /// <summary>AWS kinds: any endpoint speaking the service's API (a VPC endpoint, moto); stored as the EndpointUrl setting.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EndpointUrl { get; set; }

    /// <summary>Replaces the settings of a target that is already registered.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var action = string.Format(CultureInfo.CurrentCulture, Force ? CmdletStrings.ActionReplaceTarget : CmdletStrings.ActionRegisterTarget, Kind);
        if (!ShouldProcess(Name, action))
        {
            return;
        }

        try
        {
            var settings = SettingsConverter.Convert(Settings);
            settings = Region is null ? settings : settings.With("Region", Region);
            settings = ProfileName is null ? settings : settings.With("Profile", ProfileName);
            settings = EndpointUrl is null ? settings : settings.With("EndpointUrl", EndpointUrl);
            WriteObject(Engine.RegisterTarget(Name, Kind, settings, Force));
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
