using System.IO;
using Rollback.Platform;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// Puts a fully staged folder in the place of a live one. On Linux one renameat2(RENAME_EXCHANGE) swaps them
/// with no moment at which the path is missing; elsewhere two renames leave a window of microseconds.
/// Either way the staged copy was finished and verified before this is called.
/// </summary>
internal static class FolderSwap
{
    /// <summary>Swaps <paramref name="staged"/> into <paramref name="live"/>; afterwards the old content lies at <paramref name="staged"/>.</summary>
    public static void Swap(string staged, string live)
    {
        if (NativeFileSystem.TryExchange(staged, live))
        {
            return;
        }

        var aside = staged + ".previous";
        Directory.Move(live, aside);
        try
        {
            Directory.Move(staged, live);
        }
        catch
        {
            // Put the live folder back before reporting the failure: the target must not be left without it.
            Directory.Move(aside, live);
            throw;
        }

        Directory.Move(aside, staged);
    }
}
