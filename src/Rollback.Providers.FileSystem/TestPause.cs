using Rollback.Platform;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// A pause for crash tests only. A kill -9 at a random moment cannot show that every step of a Directory rollback is
/// finished by the next run, so the tests start a real process with ROLLBACK_TEST_PAUSE_AT naming a step
/// (<see cref="Staging"/>, <see cref="Swapped"/>, <see cref="SetAside"/>) and ROLLBACK_TEST_PAUSE_FILE naming a file: at
/// that step the process writes its id into the file and waits for good, until the test kills it by that id. It is
/// neither a setting nor a parameter, and is not documented for users; unset, it costs one environment read per step.
/// </summary>
internal static class TestPause
{
    /// <summary>The staged copy is written but not yet checked, flushed or named complete.</summary>
    public const string Staging = "staging";

    /// <summary>The folders are swapped; the state set aside still lies under the staged copy's name.</summary>
    public const string Swapped = "swapped";

    /// <summary>The state set aside has its own name and is not yet a safety point.</summary>
    public const string SetAside = "set-aside";

    /// <summary>The Directory steps through the engine's one crash-point mechanism (<see cref="CrashPoints"/>).</summary>
    public static void At(string step) => CrashPoints.Reach(step);
}
