using System.Management.Automation;

namespace AnalyzerProbe;

/// <summary>Changes state (Remove) but declares no SupportsShouldProcess: the build must fail with RB1002.</summary>
[Cmdlet(VerbsCommon.Remove, "Widget")]
[OutputType(typeof(string))]
public sealed class RemoveWidgetCommand : PSCmdlet
{
    [Parameter(Mandatory = true)]
    public string Name { get; set; } = string.Empty;

    protected override void ProcessRecord() => WriteObject(Name);
}
