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
/// <see cref="SignalVariable"/> and blocks until it is killed; otherwise (always, outside such tests) it returns after
/// one environment read. Internal on purpose: no cmdlet, parameter or public type exposes it, and the variable must be
/// set in the process's own environment by whoever starts it. The one mechanism for every kind: the file-system kinds
/// reach their own steps through it (Directory's TestPause too).
/// </summary>
internal static class CrashPoints
{
    public const string PointVariable = "ROLLBACK_TEST_PAUSE_AT";
    public const string SignalVariable = "ROLLBACK_TEST_PAUSE_FILE";

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
            // Written whole by a rename, so the test never reads a half-written id.
            var pending = signal + ".writing";
            using (var self = Process.GetCurrentProcess())
            {
                File.WriteAllText(pending, self.Id.ToString(CultureInfo.InvariantCulture));
            }

            File.Move(pending, signal);
        }

        Thread.Sleep(Timeout.Infinite);
    }
}
