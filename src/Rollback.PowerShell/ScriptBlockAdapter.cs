using System;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using Rollback.Providers;

namespace Rollback.PowerShell;

/// <summary>
/// Script blocks as the engine's delegates. The engine is synchronous and calls them on the pipeline thread,
/// which is the only thread a script block may run on.
/// </summary>
internal static class ScriptBlockAdapter
{
    /// <summary>A switch hook; the script block gets the target name and point id as $args[0] and $args[1]. A thrown error fails the switch.</summary>
    public static Action? ToAction(ScriptBlock? script, string target, string pointId) =>
        script is null ? null : () => script.Invoke(target, pointId);

    /// <summary>
    /// A configuration validator; the script block gets the candidate path and the item path as $args[0] and $args[1].
    /// The content is invalid when the block throws or returns $false; the message is the error or the block's output.
    /// </summary>
    public static ConfigurationValidator? ToValidator(ScriptBlock? script) =>
        script is null ? null : (candidatePath, itemPath) => Validate(script, candidatePath, itemPath);

    private static ValidationOutcome Validate(ScriptBlock script, string candidatePath, string itemPath)
    {
        Collection<PSObject> output;
        try
        {
            output = script.Invoke(candidatePath, itemPath);
        }
        catch (RuntimeException ex)
        {
            return new ValidationOutcome(false, ex.Message);
        }

        var values = output.Where(o => o is not null).Select(o => o.BaseObject).ToList();
        var text = string.Join(Environment.NewLine, values.Where(v => v is not bool).Select(v => LanguagePrimitives.ConvertTo<string>(v)));
        if (values.Any(v => v is false))
        {
            return new ValidationOutcome(false, text.Length > 0 ? text : CmdletStrings.ValidatorReturnedFalse);
        }

        return new ValidationOutcome(true, text.Length > 0 ? text : CmdletStrings.ValidatorAccepted);
    }
}
