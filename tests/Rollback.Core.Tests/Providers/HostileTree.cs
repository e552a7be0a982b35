using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>
/// The three file-system target shapes the hostile-tree tests run against, special files made as an attacker (or a
/// careless service) leaves them, and a snapshot of a folder taken without the code under test and without opening
/// anything but regular files.
/// </summary>
internal static class HostileTree
{
    public const string Directory = "Directory";
    public const string ReleaseLink = "ReleaseLink";
    public const string ReleaseCopy = "ReleaseCopy";
    public const string TargetName = "t";

    public static readonly string[] Shapes = [Directory, ReleaseLink, ReleaseCopy];

    // Named as the manifest's Type names them.
    public static readonly string[] SpecialKinds = ["NamedPipe", "Socket", "CharacterDevice"];

    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    /// <summary>
    /// Registers target <see cref="TargetName"/> of the given shape with a few files and returns the folder its point
    /// captures: the Directory's Path, or the current release's folder (v1; v2 is the other release).
    /// </summary>
    public static string Register(Sandbox sandbox, string shape, params (string Key, object Value)[] extra)
    {
        if (shape == Directory)
        {
            var site = sandbox.PathOf("srv", "app");
            Sandbox.WriteFile(Path.Combine(site, "version.txt"), "v1\n");
            Sandbox.WriteFile(Path.Combine(site, "bin", "start.sh"), "#!/bin/sh\necho v1\n");
            Sandbox.WriteFile(Path.Combine(site, "config", "secret.key"), "key of v1");
            sandbox.Register(TargetName, "Directory", [("Path", site), ("VersionFile", "version.txt"), .. extra]);
            return site;
        }

        var root = sandbox.CreateReleaseRoot("rel", "v1", "v1", "v2");
        sandbox.Register(TargetName, "FileSystemRelease", [("Root", root), .. shape == ReleaseCopy ? new[] { ("Strategy", (object)"Copy") } : [], .. extra]);
        return Path.Combine(root, "releases", "v1");
    }

    /// <summary>What a deployment does to the shape: new content in the Directory, or 'current' pointed at v2.</summary>
    public static void Deploy(string shape, string captured)
    {
        if (shape == Directory)
        {
            File.WriteAllText(Path.Combine(captured, "version.txt"), "v2\n");
            File.WriteAllText(Path.Combine(captured, "bin", "start.sh"), "#!/bin/sh\necho v2\n");
            return;
        }

        Sandbox.Deploy(Path.GetDirectoryName(Path.GetDirectoryName(captured))!, "v2");
    }

    /// <summary>The folder a restore of the shape writes to (Directory: Path; releases: 'current').</summary>
    public static string Live(string shape, string captured) =>
        shape == Directory ? captured : Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(captured))!, "current");

    /// <summary>The version the shape serves now: the Directory's version file, or the release 'current' holds (link or copy).</summary>
    public static string LiveVersion(string shape, string captured) => shape == Directory
        ? File.ReadAllText(Path.Combine(captured, "version.txt")).Trim()
        : File.ReadAllText(Path.Combine(Live(shape, captured), "app.dll")).Replace("binary of ", string.Empty, StringComparison.Ordinal);

    /// <summary>Creates a named pipe, a Unix socket or a character device (the null device) at <paramref name="path"/>.</summary>
    public static void CreateSpecial(string path, string kind)
    {
        switch (kind)
        {
            case "NamedPipe":
                Run("mkfifo", path);
                break;
            case "Socket":
                // .NET removes a socket's file when the socket closes, and sun_path holds 108 bytes: Python binds by a
                // name relative to the folder and leaves the file behind, as a crashed service does.
                Run("python3", "-c", "import os, socket, sys; os.chdir(sys.argv[1]); socket.socket(socket.AF_UNIX).bind(sys.argv[2])", Path.GetDirectoryName(path)!, Path.GetFileName(path));
                break;
            case "CharacterDevice":
                Run("mknod", path, "c", "1", "3");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a special file kind.");
        }
    }

    public static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed: {error}");
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own; if it has not ended after a generous bound (it blocked on a
    /// named pipe), opens every pipe under <paramref name="folder"/> for writing so the blocked reader is released and the
    /// test run goes on, and fails the test. Not a timing assertion: correct code never comes near the bound.
    /// </summary>
    public static async Task<Exception?> RunUnblocked(Action work, string folder)
    {
        var task = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30))) != task)
        {
            foreach (var pipe in System.IO.Directory.GetFiles(folder, "*NamedPipe*", SearchOption.AllDirectories))
            {
                using var writer = new FileStream(pipe, FileMode.Open, FileAccess.Write);
            }

            await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Fail("The operation blocked on a special file.");
        }

        return task.Exception?.InnerException;
    }

    /// <summary>
    /// Every entry under <paramref name="folder"/> (links not followed): its kind as `stat` names it, mode, owner and group,
    /// a link's target, and a regular file's SHA-256. Taken by stat(1), independent of the code under test.
    /// </summary>
    public static SortedDictionary<string, string> Snapshot(string folder)
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["."] = Output("stat", "-L", "-c", "%F %a %u:%g", folder) };
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            foreach (var path in System.IO.Directory.GetFileSystemEntries(pending.Pop()))
            {
                var stat = Output("stat", "-c", "%F %a %u:%g", path);
                var detail = stat;
                if (stat.StartsWith("directory", StringComparison.Ordinal))
                {
                    pending.Push(path);
                }
                else if (stat.StartsWith("symbolic link", StringComparison.Ordinal))
                {
                    detail += " -> " + new FileInfo(path).LinkTarget;
                }
                else if (stat.StartsWith("regular", StringComparison.Ordinal))
                {
                    detail += " " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
                }

                snapshot[Path.GetRelativePath(folder, path)] = detail;
            }
        }

        return snapshot;
    }

    /// <summary>The octal mode and owner of one path by stat(1), e.g. "755 0:0".</summary>
    public static string ModeAndOwner(string path) => Output("stat", "-c", "%a %u:%g", path);

    public static string Output(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
        return output.Trim();
    }

    public static TheoryData<string, string> ShapesAndSpecialKinds()
    {
        var data = new TheoryData<string, string>();
        foreach (var shape in Shapes)
        {
            foreach (var kind in SpecialKinds)
            {
                data.Add(shape, kind);
            }
        }

        return data;
    }
}
