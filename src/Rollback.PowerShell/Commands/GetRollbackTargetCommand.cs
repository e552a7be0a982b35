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
        if (Name is null)
        {
            WriteTargets(ofKind);
            return;
        }

        foreach (var name in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                WriteTargets(ofKind.Where(t => pattern.IsMatch(t.Name)));
                continue;
            }

            var match = ofKind.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
            if (match is not null)
            {
                WriteTargets(new[] { match });
                continue;
            }

            if (all.Any(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                continue; // registered, but of another kind than -Kind asks for
            }

            try
            {
                // Not registered: the registry raises the catalogue's TargetNotFound, with its message and target object.
                Engine.Targets.Get(name);
            }
            catch (RollbackException ex)
            {
                WriteRollbackError(ex);
            }
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
