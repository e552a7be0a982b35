using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Deletes points by id, or all but the newest -KeepLast points (and the safety points older than the oldest kept).</summary>
[Cmdlet(VerbsCommon.Remove, "RollbackPoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByIdSet)]
[OutputType(typeof(RollbackPoint))]
public sealed class RemoveRollbackPointCommand : RollbackCmdlet
{
    private const string ByIdSet = "ById";
    private const string KeepLastSet = "KeepLast";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ByIdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PointIdCompleter))]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary>How many of the newest (non-safety) points to keep.</summary>
    [Parameter(Mandatory = true, ParameterSetName = KeepLastSet)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepLast { get; set; }

    /// <summary>Skips the confirmation prompt (-WhatIf still applies).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes each removed point to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == KeepLastSet)
        {
            IReadOnlyList<RollbackPoint> points;
            try
            {
                points = Engine.Points.GetPrunable(Target, KeepLast);
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
                return;
            }

            foreach (var point in points)
            {
                Remove(point);
            }

            return;
        }

        foreach (var id in Id)
        {
            RollbackPoint point;
            try
            {
                point = Engine.Points.Get(Target, id);
            }
            catch (RollbackException ex) when (ex.ErrorId == RollbackErrorId.ManifestCorrupt)
            {
                // The error that reports a damaged manifest says to remove the point: that must work.
                RemoveDamaged(id, ex);
                continue;
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
                continue;
            }

            Remove(point);
        }
    }

    private void RemoveDamaged(string id, RollbackException damage)
    {
        WriteVerbose(damage.Message);
        var action = string.Format(CultureInfo.CurrentCulture, CmdletStrings.ActionRemoveDamagedPoint, id);
        if (!ShouldProcessUnlessForced(Target, action, Force))
        {
            return;
        }

        try
        {
            Engine.Points.Remove(Target, id);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }

    private void Remove(RollbackPoint point)
    {
        var action = string.Format(CultureInfo.CurrentCulture, CmdletStrings.ActionRemovePoint, point.Id, point.Version, point.CreatedAt);
        if (!ShouldProcessUnlessForced(point.Target, action, Force))
        {
            return;
        }

        try
        {
            Engine.Points.Remove(point);
            if (PassThru)
            {
                WriteObject(point);
            }
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
