using System.Globalization;
using System.Management.Automation;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Copies a folder store into the store the other commands use (-StorePath or $env:ROLLBACK_STORE): a team's move to the
/// shared store. Targets (secrets stay references), points with their artifacts (each file's SHA-256 proven), the journal
/// (its chain verified first; each entry keeps its origin). Run again, it copies only what is new.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "RollbackStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(StoreCopyResult))]
public sealed class CopyRollbackStoreCommand : RollbackCmdlet
{
    /// <summary>The folder store to copy from (its folder: the one with targets.json).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = string.Empty;

    /// <summary>A target of the same name registered with other settings in the destination is replaced by the source's.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        var source = StoreLocation.IsConnectionString(Source) ? Source : ResolveFileSystemPath(Source);
        try
        {
            var preview = Engine.StoreCopy.Preview(source, Force, Cancellation);
            var action = string.Format(CultureInfo.CurrentCulture, CmdletStrings.ActionCopyStore,
                preview.TargetsCopied + preview.TargetsReplaced, preview.PointsCopied, preview.JournalEntriesCopied, preview.Source);
            if (!ShouldProcess(preview.Destination, action))
            {
                return;
            }

            WriteObject(Engine.StoreCopy.Copy(source, Force, WriteRollbackError, Cancellation));
        }
        catch (RollbackException ex)
        {
            ThrowRollbackError(ex);
        }
    }
}
