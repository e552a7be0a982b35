using System.Collections;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Registers a system (a release folder, a directory, configuration files, a cloud resource) as a target of a kind, with that kind's settings.</summary>
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

    /// <summary>The kind's settings (Get-RollbackKind lists them); an unknown name or a value of the wrong type is refused.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [AllowEmptyCollection]
    public Hashtable Settings { get; set; } = new();

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
            WriteObject(Engine.Targets.Register(Name, Kind, WithPathsResolved(SettingsConverter.Convert(Settings)), Force));
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }

    /// <summary>The kind's path settings (Root, Path) resolved against the PowerShell location, so 'Root = "./app"' means the folder the user is in.</summary>
    private SettingsDictionary WithPathsResolved(SettingsDictionary settings)
    {
        var provider = Engine.Catalog.Get(Kind);
        foreach (var definition in provider.Schema.Settings.Where(d => d.IsPath))
        {
            if (settings.TryGetValue(definition.Name, out var value))
            {
                settings = settings.With(definition.Name, value switch
                {
                    string path => ResolveFileSystemPath(path),
                    string[] paths => paths.Select(ResolveFileSystemPath).ToArray(),
                    _ => value,
                });
            }
        }

        return settings;
    }
}
