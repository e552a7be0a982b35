namespace Rollback.Runner;

/// <summary>What the runner saw pass through the output pipeline of one run.</summary>
internal sealed class RunObservation
{
    public int ErrorRecords { get; set; }

    public int FailedRollbacks { get; set; }
}
