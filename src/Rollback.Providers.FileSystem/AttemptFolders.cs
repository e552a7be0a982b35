using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using Rollback.Platform;
using Rollback.Store;

namespace Rollback.Providers.FileSystem;

/// <summary>
/// The folders a Directory rollback keeps beside the live folder, with the temporary names every switch uses
/// (<see cref="TemporaryNames"/>: the process that made them, the attempt's id, and a role saying what each holds), so
/// that the next command on the target can finish the work of one that died (kill -9, power loss) in one run:
/// <list type="bullet">
/// <item><c>.app.rollback-PID-ATTEMPT.staging</c>: the point's copy being written; only ever a partial copy of a point
/// that is still in the store, so it is removed.</item>
/// <item><c>.app.rollback-PID-ATTEMPT.staged-DEV-INODE</c>: the complete, flushed copy about to be swapped. Its inode is in
/// its name because the swap moves no name: when the live folder has that inode the swap happened and this folder holds
/// the state set aside (adopted as a safety point); otherwise it is a staged copy never swapped in (removed).</item>
/// <item><c>.app.rollback-PID-ATTEMPT.previous</c>: the state the swap set aside, until it becomes the safety point (adopted).</item>
/// </list>
/// A leftover is touched only when its process no longer runs (or is this one: the caller holds the target's lock, so no
/// attempt of its own is still going). A name whose role is none of these is left alone.
/// </summary>
internal sealed class AttemptFolders
{
    public const string StagingRole = "staging";
    public const string StagedRole = "staged";
    public const string PreviousRole = "previous";

    private readonly string _live;
    private readonly string _attemptId;

    private AttemptFolders(string live, string attemptId)
    {
        _live = live;
        _attemptId = attemptId;
    }

    /// <summary>The folders of attempt <paramref name="attemptId"/> on <paramref name="live"/>, named for this process.</summary>
    public static AttemptFolders For(string live, string attemptId) => new(live, attemptId);

    public string Staging => TemporaryNames.Beside(_live, _attemptId, StagingRole);

    public string Previous => TemporaryNames.Beside(_live, _attemptId, PreviousRole);

    /// <summary>The name of the staged copy once complete: its device and inode tell, after a crash, whether it was swapped in.</summary>
    public string Staged(FileIdentity? identity) => TemporaryNames.Beside(_live, _attemptId,
        StagedRole + "-" + (identity?.Device ?? 0).ToString(CultureInfo.InvariantCulture) + "-" + (identity?.Inode ?? 0).ToString(CultureInfo.InvariantCulture));

    /// <summary>Folders beside <paramref name="live"/> that attempts whose process no longer runs left, with what each holds.</summary>
    public static IEnumerable<Leftover> FindAbandoned(string live)
    {
        FileIdentity? liveIdentity = null;
        foreach (var path in TemporaryNames.FindAbandonedBeside(live))
        {
            if (TemporaryNames.ProcessOf(path) is not int pid || TemporaryNames.RoleOf(path) is not { } role || !Directory.Exists(path) || NativeFileSystem.IsLink(path))
            {
                continue;
            }

            var staged = StagedRole + "-";
            if (role.StartsWith(staged, StringComparison.Ordinal))
            {
                var parts = role.Substring(staged.Length).Split('-');
                if (parts.Length != 2 || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var device) ||
                    !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
                {
                    continue;
                }

                // Swapped in when the live folder is now the staged one (same device and inode): then this name holds the state
                // set aside. Where identities cannot be read it may be either, so it is kept (adopted), never deleted.
                liveIdentity ??= FileIdentity.Of(live);
                yield return new Leftover(path, pid, liveIdentity is null || liveIdentity.Equals(new FileIdentity(device, inode)));
            }
            else if (role is StagingRole or PreviousRole)
            {
                yield return new Leftover(path, pid, role == PreviousRole);
            }
        }
    }

    /// <summary>A folder a dead attempt left: <see cref="HoldsSetAsideState"/> when it is the state its swap set aside (never deleted), else a copy of a point.</summary>
    public sealed record Leftover(string Path, int ProcessId, bool HoldsSetAsideState);
}

/// <summary>A folder's device and inode: what stays the same when rename(2) moves or exchanges names.</summary>
internal sealed record FileIdentity(ulong Device, ulong Inode)
{
    // struct statx: stx_ino at 32, stx_dev_major at 136 and stx_dev_minor at 140, the same on every Linux architecture.
    private const int StatxSize = 256;
    private const int InodeOffset = 32;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxIno = 0x100;

    /// <summary>The identity of <paramref name="path"/> itself, or null where statx is not available (not Linux).</summary>
    public static FileIdentity? Of(string path)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return null;
        }

        var buffer = new byte[StatxSize];
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        if (UnixMethods.statx(AtFdCwd, bytes, AtSymlinkNoFollow, StatxIno, buffer) != 0)
        {
            throw new IOException($"Cannot read the identity of '{path}' (errno {Marshal.GetLastWin32Error()}).");
        }

        var device = ((ulong)BitConverter.ToUInt32(buffer, DeviceMajorOffset) << 32) | BitConverter.ToUInt32(buffer, DeviceMinorOffset);
        return new FileIdentity(device, BitConverter.ToUInt64(buffer, InodeOffset));
    }

    private static class UnixMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int statx(int dirFd, byte[] path, int flags, uint mask, byte[] buffer);
    }
}
