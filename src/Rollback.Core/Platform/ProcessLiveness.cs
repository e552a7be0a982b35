using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace Rollback.Platform;

/// <summary>
/// Whether the process that left something behind (a temporary name, an attempt folder) still runs. The one answer for
/// every leftover the next command on a target may remove.
/// </summary>
internal static class ProcessLiveness
{
    /// <summary>This process's id.</summary>
    public static int CurrentId
    {
        get
        {
            using var self = Process.GetCurrentProcess();
            return self.Id;
        }
    }

    /// <summary>
    /// Whether <paramref name="processId"/> is another process that still runs. This process does not count (its caller
    /// holds the target's lock, so what it left is from an earlier attempt), nor does a killed process its parent has
    /// not reaped yet (a zombie).
    /// </summary>
    public static bool OtherRuns(int processId)
    {
        if (processId == CurrentId)
        {
            return false;
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            var stat = "/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/stat";
            try
            {
                var text = File.ReadAllText(stat);
                var state = text.Substring(text.LastIndexOf(')') + 2, 1);
                return state is not ("Z" or "X");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                // Not readable means it exists under another user: it runs. Gone means it ended.
                return ex is UnauthorizedAccessException;
            }
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false; // no such process: it has ended
        }
    }
}
