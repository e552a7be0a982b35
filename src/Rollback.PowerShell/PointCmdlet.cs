using System.Management.Automation;

namespace Rollback.PowerShell;

/// <summary>
/// A cmdlet that works on one point of one target, named by -Target and -PointId or bound by property name from a
/// RollbackPoint (Target, Id) or a ReadinessReport (Target, PointId) in the pipeline.
/// </summary>
public abstract class PointCmdlet : RollbackCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PointIdCompleter))]
    public string PointId { get; set; } = string.Empty;
}
