using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>Lists registered targets, by name (wildcards allowed) and kind.</summary>
[Cmdlet(VerbsCommon.Get, "RollbackTarget")]
[OutputType(typeof(RollbackTarget))]
public sealed class GetRollbackTargetCommand : RollbackCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KindCompleter))]
    public string? Kind { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<RollbackTarget> all;
        try
        {
            all = Engine.Targets.GetAll();
        }
        catch (RollbackException ex)
        {
            ThrowRollbackError(ex);
            return;
        }

        var ofKind = all.Where(t => Kind is null || string.Equals(t.Kind, Kind, StringComparison.OrdinalIgnoreCase)).ToList();

        // A name registered with another kind than -Kind asks for is skipped; one not registered gets the registry's TargetNotFound.
        WriteTargets(SelectByName(all, ofKind, Name, t => t.Name, NotFound));
    }

    private void NotFound(string name)
    {
        try
        {
            Engine.Targets.Get(name);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }

    /// <summary>
    /// Writes each target, first finishing an attempt on it whose process died before journaling its outcome (with a
    /// warning naming the attempt), so what the caller goes on to read is a whole state.
    /// </summary>
    private void WriteTargets(IEnumerable<RollbackTarget> targets)
    {
        foreach (var target in targets)
        {
            try
            {
                Engine.Targets.SettleUnfinishedAttempt(target.Name, Cancellation);
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
            }

            WriteObject(target);
        }
    }
}
