using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Rollback.Engine;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Restores configuration items (files, a Secrets Manager secret's AWSCURRENT version) of a target from a point, each
/// validated before it is written, after a safety capture of the current state. Under -WhatIf it validates and reports
/// what would change, writing nothing. -Previous restores the version the system itself labels previous (AWSPREVIOUS).
/// </summary>
[Cmdlet(VerbsData.Restore, "Configuration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(ConfigurationRestoreResult))]
public sealed class RestoreConfigurationCommand : PointCmdlet
{
    /// <summary>Only these items (paths as the target lists them, or file names); all when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Item { get; set; } = Array.Empty<string>();

    /// <summary>Checks each file before it is written: $args[0] the candidate file, $args[1] the item; throw or return $false to refuse.</summary>
    [Parameter]
    public ScriptBlock? Validator { get; set; }

    /// <summary>Runs just before changed files are written (stop what reads them): $args[0] the target, $args[1] the point id.</summary>
    [Parameter]
    public ScriptBlock? BeforeSwitch { get; set; }

    /// <summary>Runs just after the write, even when it failed (start what reads them again).</summary>
    [Parameter]
    public ScriptBlock? AfterSwitch { get; set; }

    /// <summary>Restore the system's own previous version (Secrets Manager: the version labelled AWSPREVIOUS) instead of the point's.</summary>
    [Parameter]
    public SwitchParameter Previous { get; set; }

    /// <summary>Per-call options: settings of the target's kind that may be overridden for this restore (Get-RollbackKind lists them).</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable Option { get; set; } = new();

    /// <summary>Why: recorded in the journal, like every change to a target.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ApprovedBy { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        var description = Previous
            ? string.Format(CultureInfo.CurrentCulture, CmdletStrings.RestorePreviousDescription, Target)
            : string.Format(CultureInfo.CurrentCulture, CmdletStrings.RestoreDescription, Target, PointId);
        var warning = Previous
            ? string.Format(CultureInfo.CurrentCulture, CmdletStrings.RestorePreviousWarning, Target)
            : string.Format(CultureInfo.CurrentCulture, CmdletStrings.RestoreWarning, Target, PointId);
        var proceed = ShouldProcess(description, warning, CmdletStrings.RestoreCaption, out var declined);
        if (!proceed && declined != ShouldProcessReason.WhatIf)
        {
            return;
        }

        try
        {
            var results = Engine.Configuration.Restore(new ConfigurationRestoreRequest
            {
                Target = Target,
                PointId = PointId,
                Reason = Reason,
                ApprovedBy = ApprovedBy,
                Items = Item.Select(ResolveIfRelativePath).ToArray(),
                Validator = ScriptBlockAdapter.ToValidator(Validator),
                BeforeSwitch = ScriptBlockAdapter.ToAction(BeforeSwitch, Target, PointId),
                AfterSwitch = ScriptBlockAdapter.ToAction(AfterSwitch, Target, PointId),
                WhatIf = !proceed,
                Previous = Previous,
                Options = SettingsConverter.Convert(Option),
                Cancellation = Cancellation,
            });
            WriteObject(results, enumerateCollection: true);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }

    /// <summary>
    /// An item written as a relative file-system path (./app.yml, ../etc/app.yml, ~/app.yml) names the file under the
    /// PowerShell location, as it would for any cmdlet; a bare name (a file name, or a secret's name holding slashes)
    /// is passed on as typed for the kind to match.
    /// </summary>
    private string ResolveIfRelativePath(string item) =>
        item.StartsWith("./", StringComparison.Ordinal) || item.StartsWith("../", StringComparison.Ordinal) ||
        item.StartsWith(".\\", StringComparison.Ordinal) || item.StartsWith("..\\", StringComparison.Ordinal) ||
        item.StartsWith("~", StringComparison.Ordinal)
            ? ResolveFileSystemPath(item)
            : item;
}
