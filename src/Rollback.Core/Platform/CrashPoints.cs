using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;

namespace Rollback.Platform;

/// <summary>
/// Test-only: named places around every rename and exchange of a switch where a test can kill the process with
/// SIGKILL at exactly that step, to prove that the next command converges from what the dead process left. When the
/// variable <see cref="PointVariable"/> names the point reached, the process writes its id to the file named by
/// <see cref="SignalVariable"/> and blocks until it is killed; otherwise (always, outside such tests) it returns at
/// once. Internal on purpose: no cmdlet, parameter or public type exposes it, and the variable must be set in the
/// process's own environment by whoever starts it.
/// </summary>
internal static class CrashPoints
{
    public const string PointVariable = "ROLLBACK_TEST_CRASH_POINT";
    public const string SignalVariable = "ROLLBACK_TEST_CRASH_SIGNAL";

    /// <summary>The attempt's intent is journaled; nothing on the target has changed yet.</summary>
    public const string IntentJournaled = "Attempt.IntentJournaled";

    /// <summary>Announces <paramref name="name"/> and blocks forever when the test variable names it; returns at once otherwise.</summary>
    public static void Reach(string name)
    {
        var wanted = Environment.GetEnvironmentVariable(PointVariable);
        if (wanted is null || !string.Equals(wanted, name, StringComparison.Ordinal))
        {
            return;
        }

        var signal = Environment.GetEnvironmentVariable(SignalVariable);
        if (!string.IsNullOrEmpty(signal))
        {
            // Written whole by a rename, so the test never reads half a line.
            var pending = signal + ".writing";
            File.WriteAllText(pending, Process.GetCurrentProcess().Id.ToString(CultureInfo.InvariantCulture) + " " + name + "\n");
            File.Move(pending, signal);
        }

        Thread.Sleep(Timeout.Infinite);
    }
}
