using System;
using System.IO;
using Rollback.Errors;

namespace Rollback.Providers.FileSystem;

/// <summary>Readiness checks every file-system kind makes: can we write where the switch happens, and is there room to stage.</summary>
internal static class FileSystemChecks
{
    /// <summary>Proves a folder is writable by creating and removing a probe file, and reports read-only markers the OS would let root ignore.</summary>
    public static CheckResult Writable(string folder, string what)
    {
        if (!Directory.Exists(folder))
        {
            return CheckResult.Fail("TargetWritable", RollbackErrorId.TargetUnreachable, $"{what} '{folder}' does not exist.");
        }

        // Root bypasses permission bits, so a folder someone marked read-only on purpose is refused explicitly.
        if ((File.GetAttributes(folder) & FileAttributes.ReadOnly) != 0)
        {
            return CheckResult.Fail("TargetWritable", RollbackErrorId.TargetReadOnly, $"{what} '{folder}' is read-only. Make it writable for this account, then retry.");
        }

        var probe = Path.Combine(folder, ".rollback-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (File.Create(probe))
            {
            }

            File.Delete(probe);
            return CheckResult.Pass("TargetWritable", $"{what} '{folder}' is writable.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail("TargetWritable", RollbackErrorId.TargetReadOnly, $"{what} '{folder}' cannot be written: {ex.Message}");
        }
    }

    public static CheckResult FileNotReadOnly(string file)
    {
        return File.Exists(file) && (File.GetAttributes(file) & FileAttributes.ReadOnly) != 0
            ? CheckResult.Fail("TargetWritable", RollbackErrorId.TargetReadOnly, $"'{file}' is read-only. Make it writable for this account, then retry.")
            : CheckResult.Pass("TargetWritable", $"'{file}' can be replaced.");
    }

    public static CheckResult SpaceFor(string folder, long bytes)
    {
        try
        {
            var free = new DriveInfo(Path.GetPathRoot(Path.GetFullPath(folder))!).AvailableFreeSpace;
            return free >= bytes
                ? CheckResult.Pass("FreeSpace", $"{free / 1048576.0:N0} MiB free for {bytes / 1048576.0:N1} MiB to stage.")
                : CheckResult.Fail("FreeSpace", RollbackErrorId.InsufficientSpace, $"Staging needs {bytes / 1048576.0:N1} MiB beside '{folder}' but only {free / 1048576.0:N1} MiB are free.");
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return CheckResult.Warn("FreeSpace", $"Cannot tell the free space beside '{folder}': {ex.Message}");
        }
    }

    /// <summary>Deletes a staging folder or link left by a failed attempt; never throws over cleanup.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (Platform.NativeFileSystem.IsLink(path) || File.Exists(path))
            {
                File.Delete(path);
            }
            else if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Leftover staging is hidden and named for the attempt; it must not mask the real outcome.
        }
    }
}
