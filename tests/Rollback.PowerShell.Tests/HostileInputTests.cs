using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// Bad settings, arguments and store files as a user (or an attacker) would give them: each ends in an ErrorRecord with
/// its own ErrorId, category and message, never a bare .NET exception, and the target and the store stay byte-identical.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>
    /// Each case: a script that prepares the case (a site folder $TestRoot/site holds index.html and app.yml), the
    /// command under test, and the ErrorId and category it must end in, with a word its message must hold.
    /// </summary>
    public static TheoryData<string, string, string, string, string> Cases => new()
    {
        {
            "ConfigurationFile Path of ''",
            "Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = '' }",
            "InvalidTargetSettings", nameof(ErrorCategory.InvalidArgument), "empty"
        },
        {
            "ConfigurationFile Path list holding ''",
            "Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = \"$TestRoot/site/app.yml\", '' }",
            "InvalidTargetSettings", nameof(ErrorCategory.InvalidArgument), "empty"
        },
        {
            "ConfigurationFile Path holding NUL",
            "Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = \"$TestRoot/site/a`0b.yml\" }",
            "InvalidTargetSettings", nameof(ErrorCategory.InvalidArgument), "NUL"
        },
        {
            "FileSystemRelease Root holding NUL",
            "Register-RollbackTarget -Name rel -Kind FileSystemRelease -Settings @{ Root = \"$TestRoot/si`0te\" }",
            "InvalidTargetSettings", nameof(ErrorCategory.InvalidArgument), "NUL"
        },
        {
            "Directory Path holding NUL",
            "Register-RollbackTarget -Name dir -Kind Directory -Settings @{ Path = \"$TestRoot/si`0te\" }",
            "InvalidTargetSettings", nameof(ErrorCategory.InvalidArgument), "NUL"
        },
        {
            "ConfigurationFile Path that is a folder",
            "Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = \"$TestRoot/site\" }",
            "InvalidTargetSettings", nameof(ErrorCategory.InvalidArgument), "folder"
        },
        {
            "MaxPointAge negative",
            "Register-RollbackTarget -Name dir -Kind Directory -Settings @{ Path = \"$TestRoot/site\"; MaxPointAge = '-1.00:00:00' }",
            "InvalidSetting", nameof(ErrorCategory.InvalidArgument), "MaxPointAge"
        },
        {
            "MaxPointAge not a time span",
            "Register-RollbackTarget -Name dir -Kind Directory -Settings @{ Path = \"$TestRoot/site\"; MaxPointAge = 'soon' }",
            "InvalidSetting", nameof(ErrorCategory.InvalidArgument), "MaxPointAge"
        },
        {
            "MaxPointAge a negative number",
            "Register-RollbackTarget -Name dir -Kind Directory -Settings @{ Path = \"$TestRoot/site\"; MaxPointAge = -5 }",
            "InvalidSetting", nameof(ErrorCategory.InvalidArgument), "MaxPointAge"
        },
        {
            "MaxPointAge negative for one call",
            "Register-RollbackTarget -Name dir -Kind Directory -Settings @{ Path = \"$TestRoot/site\" } | Out-Null; New-RollbackPoint -Target dir | Test-RollbackReadiness -MaxPointAge '-1.00:00:00'",
            "InvalidSetting", nameof(ErrorCategory.InvalidArgument), "MaxPointAge"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachBadInputEndsInItsOwnErrorIdAndChangesNothing(string name, string command, string errorId, string category, string word)
    {
        using var session = new RollbackSession();
        var site = Path.Combine(session.Root, "site");
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "index.html"), "v1");
        File.WriteAllText(Path.Combine(site, "app.yml"), "a: 1\n");
        session.Run("Get-RollbackTarget").AssertNoErrors();
        var before = Snapshot(site);

        var result = session.Run(command);

        Assert.True(result.AllErrors.Count == 1, name + ": " + string.Join(" | ", result.AllErrors.Select(e => e.FullyQualifiedErrorId + " " + e)));
        var error = result.AllErrors[0];
        Assert.True(error.FullyQualifiedErrorId.StartsWith(errorId + ",", StringComparison.Ordinal), name + ": " + error.FullyQualifiedErrorId + " " + error);
        Assert.Equal(category, error.CategoryInfo.Category.ToString());
        Assert.Contains(word, error.Exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Rollback.Errors.RollbackException", error.Exception.GetType().FullName);
        Assert.Equal(before, Snapshot(site));
    }

    [Theory]
    [InlineData("FileSystemRelease", "Root", "app")]
    [InlineData("ConfigurationFile", "Path", "app/app.yml")]
    [InlineData("Directory", "Path", "app")]
    public void ARelativePathSettingResolvesAgainstThePowerShellLocationNotTheProcessFolder(string kind, string setting, string relative)
    {
        using var session = new RollbackSession();
        var here = Path.Combine(session.Root, "here");
        Directory.CreateDirectory(Path.Combine(here, "app", "releases"));
        File.WriteAllText(Path.Combine(here, "app", "app.yml"), "a: 1\n");

        var run = session.Run($"Set-Location \"$TestRoot/here\"; (Register-RollbackTarget -Name t -Kind {kind} -Settings @{{ {setting} = './{relative}' }}).Settings['{setting}']");

        run.AssertNoErrors();
        Assert.Equal(Path.Combine(here, relative.Replace('/', Path.DirectorySeparatorChar)), Assert.Single(run.Output).ToString());
    }

    [Fact]
    public void AnUnknownItemIsRefusedBeforeASafetyPointIsCaptured()
    {
        using var session = new RollbackSession();
        var file = ConfigurationTarget(session, "app.yml", "a: 1\n");
        File.WriteAllText(file, "a: 2\n");
        var before = Snapshot(session.Root);

        var run = session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Item nope.yml -Reason r -Confirm:$false");

        var error = run.SingleError("ConfigurationItemNotFound");
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("nope.yml", error.Exception.Message, StringComparison.Ordinal);
        Assert.Single(session.Run("Get-RollbackPoint -Target cfg").All("RollbackPoint"));
        Assert.Equal(before, Snapshot(session.Root));
    }

    [Theory]
    [InlineData("./app.yml")]
    [InlineData("../etc/app.yml")]
    public void ARelativeItemPathResolvesAgainstThePowerShellLocation(string item)
    {
        using var session = new RollbackSession();
        var file = ConfigurationTarget(session, "app.yml", "a: 1\n");
        File.WriteAllText(file, "a: 2\n");

        var run = session.Run($"Set-Location \"$TestRoot/etc\"; Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Item '{item}' -Reason r -Confirm:$false");

        run.AssertNoErrors();
        Assert.Equal(file, run.One("ConfigurationRestoreResult").Properties["Item"].Value);
        Assert.Equal("a: 1\n", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("awk '{ print }' {0} > /dev/null")]
    [InlineData("echo '{1}' > /dev/null && test -s {0}")]
    [InlineData("printf '%s{}\\n' x > /dev/null && test -s {0}")]
    public void AValidatorWithLiteralBracesRunsAsWritten(string validator)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var session = new RollbackSession();
        session.SetVariable("Validator", validator);
        var file = ConfigurationTarget(session, "app.conf", "listen 80;\n", "; Validator = $Validator");
        File.WriteAllText(file, "listen 81;\n");

        var restored = session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Reason r -Confirm:$false").One("ConfigurationRestoreResult");

        Assert.Equal("Command", restored.GetString("Validator"));
        Assert.Equal("listen 80;\n", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("a: 1\na: 2\n", 2)]
    [InlineData("a: [1, 2\n", 2)]
    [InlineData("a: *nowhere\n", 1)]
    [InlineData("a: b: c\n", 1)]
    public void ACapturedYamlCopyThatNoLongerParsesIsConfigurationInvalidJournaledAndWritesNothing(string captured, int line)
    {
        using var session = new RollbackSession();
        var file = ConfigurationTarget(session, "app.yml", captured);
        File.WriteAllText(file, "a: 1\n");
        var before = Snapshot(Path.GetDirectoryName(file)!);

        var run = session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Reason r -Confirm:$false");
        var entry = session.Run("Get-RollbackHistory -Target cfg -Last 1").One("HistoryEntry");

        var error = run.SingleError("ConfigurationInvalid");
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Contains($"not valid Yaml at line {line}", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("ConfigurationInvalid", entry.GetString("ErrorId"));
        Assert.Equal("Failed", entry.GetString("Status"));
        Assert.Equal(before, Snapshot(Path.GetDirectoryName(file)!));
    }

    [Fact]
    public void ARollbackFromACurrentReleaseThatWasDeletedCapturesWhatExistsWarnsAndRollsBack()
    {
        using var session = new RollbackSession();
        var root = ReleaseRoot(session.Root, "v1", "v2");
        Link(root, "releases/v1");
        session.SetVariable("Root", root);
        session.Run("Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $Root }").One("RollbackTarget");
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Link(root, "releases/v2");
        Directory.Delete(Path.Combine(root, "releases", "v2"), recursive: true);
        session.Run("New-RollbackPoint -Target api").SingleError("ReleaseFolderMissing");

        var run = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'v2 is gone' -Confirm:$false");

        var result = run.One("RollbackResult");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Contains(run.Warnings, w => w.Contains("releases/v2", StringComparison.Ordinal) && w.Contains("names no release", StringComparison.Ordinal));
        Assert.Equal("release v1", File.ReadAllText(Path.Combine(root, "current", "app.txt")));
        var safety = session.Run($"Get-RollbackPoint -Target api -Id {result.GetString("SafetyPointId")}").One("RollbackPoint");
        Assert.Equal("(none)", safety.GetString("Version"));
    }

    [Fact]
    public void AReleaseRootGivenThroughALinkWithAnAbsoluteCurrentLinkRollsBack()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var session = new RollbackSession();
        var real = ReleaseRoot(session.Root, "v1", "v2");
        var linked = Path.Combine(session.Root, "srv-app");
        Directory.CreateSymbolicLink(linked, real);
        Link(real, Path.Combine(real, "releases", "v1"));
        session.SetVariable("Root", linked);
        session.Run("Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $Root }").One("RollbackTarget");
        Assert.Equal("v1", session.Run("New-RollbackPoint -Target api").One("RollbackPoint").GetString("Version"));
        Link(real, Path.Combine(real, "releases", "v2"));

        var result = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason r -Confirm:$false").One("RollbackResult");

        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal("v2", result.GetString("FromVersion"));
        Assert.Equal("release v1", File.ReadAllText(Path.Combine(real, "current", "app.txt")));
    }

    [Fact]
    public void AConfigurationFileWhoseModeAloneChangedIsRolledBackNotAlreadyCurrent()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var session = new RollbackSession();
        var file = ConfigurationTarget(session, "secrets.conf", "password = x\n", mode: UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var readiness = session.Run("Get-RollbackPoint -Target cfg -Latest | Test-RollbackReadiness").One("ReadinessReport");
        var result = session.Run("Get-RollbackPoint -Target cfg -Latest | Invoke-Rollback -Reason 'mode' -Confirm:$false").One("RollbackResult");

        Assert.Contains(((System.Collections.IEnumerable)readiness.Get("Checks")!).Cast<object>().Select(c => PSObject.AsPSObject(c)),
            c => c.GetString("Name") == "VersionDiffers" && c.GetString("Status") == "Pass");
        Assert.Equal("Succeeded", result.GetString("Status"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal("AlreadyCurrent", session.Run("Get-RollbackPoint -Target cfg | Select-Object -Last 1 | Invoke-Rollback -Reason again -Confirm:$false").One("RollbackResult").GetString("Status"));
    }

    /// <summary>Registers target 'cfg' of kind ConfigurationFile on one file with this content and captures a point; returns the file.</summary>
    private static string ConfigurationTarget(RollbackSession session, string name, string content, string extraSettings = "", UnixFileMode? mode = null)
    {
        var folder = Path.Combine(session.Root, "etc");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, name);
        File.WriteAllText(file, content);
        if (mode is not null && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, mode.Value);
        }

        session.SetVariable("ConfigPath", file);
        session.Run("Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $ConfigPath" + extraSettings + " }").One("RollbackTarget");
        session.Run("New-RollbackPoint -Target cfg").One("RollbackPoint");
        return file;
    }

    private static string ReleaseRoot(string parent, params string[] releases)
    {
        var root = Path.Combine(parent, "app");
        foreach (var release in releases)
        {
            Directory.CreateDirectory(Path.Combine(root, "releases", release));
            File.WriteAllText(Path.Combine(root, "releases", release, "app.txt"), "release " + release);
        }

        return root;
    }

    /// <summary>Points root/current at <paramref name="linkText"/> as a deploy tool does; the link may dangle.</summary>
    private static void Link(string root, string linkText)
    {
        var current = Path.Combine(root, "current");
        if (new FileInfo(current).LinkTarget is not null)
        {
            File.Delete(current);
        }

        Directory.CreateSymbolicLink(current, linkText);
    }

    /// <summary>The folder of RollbackStore.HashCacheDirectory.</summary>
    private const string HashCacheFolder = "hash-cache";

    /// <summary>
    /// Every file and folder under <paramref name="root"/> with a hash of its bytes and its mode, relative and sorted;
    /// without the lock files and the store's hash cache, which any command that reads a live folder may write (readiness
    /// included), and only for files old enough to trust, so whether it appears depends on a test's timing.
    /// </summary>
    internal static string[] Snapshot(string root) =>
        Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !Path.GetFileName(p).EndsWith(".lock", StringComparison.Ordinal) && !Path.GetFileName(p).EndsWith(".holder", StringComparison.Ordinal))
            .Where(p => !Path.GetRelativePath(root, p).Replace('\\', '/').Split('/').Contains(HashCacheFolder))
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/') + (File.Exists(p) ? "=" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))) : "/") +
                (OperatingSystem.IsWindows() ? string.Empty : " " + File.GetUnixFileMode(p)))
            .Order(StringComparer.Ordinal)
            .ToArray();
}
