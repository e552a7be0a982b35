namespace Rollback.Runner;

/// <summary>The runner's documented exit codes (README, <c>--help</c>).</summary>
public static class RunnerExitCode
{
    public const int Success = 0;

    /// <summary>A terminating error ended the run, or an error reached the output unhandled.</summary>
    public const int ScriptFailed = 1;

    /// <summary>The run completed but a rollback result it let through to the output was Failed or VerificationFailed.</summary>
    public const int RollbackFailed = 2;

    /// <summary>Bad command line (sysexits EX_USAGE, what pwsh itself returns for a bad parameter or a missing -File).</summary>
    public const int UsageError = 64;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT, what shells report for an interrupted command).</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// The runner's code from pwsh's own and what the run let through to the output. pwsh's non-zero codes stand
    /// (<c>exit N</c>, 1 for a terminating error or a failed last statement, 64 for bad usage); a run pwsh calls
    /// successful still fails when a failed rollback result or an error record reached the output. A run stopped by
    /// Ctrl+C is 130 whatever pwsh says (it reports a stopped pipeline as 1).
    /// </summary>
    public static int Compose(int pwshExitCode, int failedRollbacks, int errorRecords, bool interrupted)
    {
        if (interrupted)
        {
            return Interrupted;
        }

        if (pwshExitCode != Success)
        {
            return pwshExitCode;
        }

        if (failedRollbacks > 0)
        {
            return RollbackFailed;
        }

        return errorRecords > 0 ? ScriptFailed : Success;
    }
}
