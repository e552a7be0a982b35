using System.Linq;
using System.Management.Automation;
using Rollback.Errors;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Lists a target's points, oldest first. Safety points (the failed state captured before a rollback) are left out
/// unless asked for, and -Latest never returns one: rolling back to "the latest point" must never pick the failed state.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RollbackPoint", DefaultParameterSetName = ListSet)]
[OutputType(typeof(RollbackPoint))]
public sealed class GetRollbackPointCommand : RollbackCmdlet
{
    private const string ListSet = "List";
    private const string LatestSet = "Latest";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    [Parameter(Position = 1, ParameterSetName = ListSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PointIdCompleter))]
    public string[]? Id { get; set; }

    /// <summary>Only the newest point that is not a safety point.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LatestSet)]
    public SwitchParameter Latest { get; set; }

    /// <summary>Also lists the safety points the engine captured before each rollback.</summary>
    [Parameter(ParameterSetName = ListSet)]
    public SwitchParameter IncludeSafetyPoints { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            if (Latest)
            {
                WriteObject(Engine.Points.GetLatestKnownGood(Target));
                return;
            }

            var points = Engine.Points.GetAll(Target);
            if (Id is null)
            {
                WriteObject(points.Where(p => IncludeSafetyPoints || !p.IsSafetyPoint), enumerateCollection: true);
                return;
            }

            foreach (var id in Id)
            {
                if (WildcardPattern.ContainsWildcardCharacters(id))
                {
                    var pattern = WildcardPattern.Get(id, WildcardOptions.IgnoreCase);
                    WriteObject(points.Where(p => pattern.IsMatch(p.Id) && (IncludeSafetyPoints || !p.IsSafetyPoint)), enumerateCollection: true);
                    continue;
                }

                try
                {
                    // An id asked for by name is returned even when it is a safety point: the caller chose it.
                    WriteObject(Engine.Points.Get(Target, id));
                }
                catch (RollbackException ex) when (ex.ErrorId is RollbackErrorId.PointNotFound or RollbackErrorId.InvalidPointId or RollbackErrorId.ManifestCorrupt)
                {
                    WriteRollbackError(ex);
                }
            }
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
    }
}
