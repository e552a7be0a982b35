using System.Linq;
using System.Management.Automation;
using Rollback.Errors;
using Rollback.Providers;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Lists the installed target kinds: what each is, the settings it takes (type, default, description), the options
/// -Option may override per call, and its capabilities. A provider assembly that failed to load is a warning here
/// (every other kind is listed); naming one of its kinds is a ProviderLoadFailed error.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RollbackKind")]
[OutputType(typeof(RollbackKindInfo))]
public sealed class GetRollbackKindCommand : PSCmdlet
{
    private bool _warned;

    /// <summary>Only these kinds (wildcards allowed); all when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KindCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var catalog = ProviderCatalog.Default;
        if (!_warned)
        {
            _warned = true;
            foreach (var failure in catalog.Failures)
            {
                WriteWarning(failure.Describe());
            }
        }

        var kinds = catalog.Providers.OrderBy(p => p.Kind, System.StringComparer.Ordinal).ToList();
        if (Name is null)
        {
            WriteObject(kinds.Select(RollbackKindInfo.Of), enumerateCollection: true);
            return;
        }

        foreach (var name in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                WriteObject(kinds.Where(p => pattern.IsMatch(p.Kind)).Select(RollbackKindInfo.Of), enumerateCollection: true);
                continue;
            }

            try
            {
                WriteObject(RollbackKindInfo.Of(catalog.Get(name)));
            }
            catch (RollbackException ex)
            {
                WriteError(RollbackCmdlet.ToErrorRecord(ex));
            }
        }
    }
}
