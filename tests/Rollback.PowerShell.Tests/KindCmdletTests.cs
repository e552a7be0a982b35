using System;
using System.Collections;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The kind boundary from the user's side: Get-RollbackKind lists what is installed as the providers declare it,
/// settings and -Option are checked against those declarations, and a broken provider assembly beside working ones
/// costs only its own kinds.
/// </summary>
public sealed class KindCmdletTests : IDisposable
{
    // The kinds this repository ships; another installed kind is listed too, and these tests still hold.
    private static readonly string[] ShippedKinds = ["AppConfigFeatureFlags", "CodeDeployDeploymentGroup", "ConfigurationFile", "Directory", "EcsService", "FeatureFlag", "FileSystemRelease", "HAProxyBackend", "LambdaAlias", "LoadBalancerListener", "NginxUpstream", "PostgreSqlDatabase", "RdsInstance", "S3StaticSite", "SchemaMigration", "SecretsManagerSecret"];

    private readonly RollbackSession _session = new();

    public void Dispose() => _session.Dispose();

    [Fact]
    public void GetRollbackKindListsEveryInstalledKindWithWhatItDeclares()
    {
        var kinds = _session.Run("Get-RollbackKind").All("RollbackKindInfo");

        var names = kinds.Select(k => k.GetString("Name")!).ToList();
        Assert.Subset(names.ToHashSet(), ShippedKinds.ToHashSet());
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.All(kinds, k => Assert.False(string.IsNullOrWhiteSpace(k.GetString("Description"))));
        Assert.Equal("None", Kind(kinds, "FileSystemRelease").GetString("Capabilities"));
        Assert.Equal("ConfigurationRestore", Kind(kinds, "ConfigurationFile").GetString("Capabilities"));
        Assert.Equal("ConfigurationRestore, PreviousVersion", Kind(kinds, "SecretsManagerSecret").GetString("Capabilities"));
        Assert.Equal("AutoRollbackConfiguration", Kind(kinds, "CodeDeployDeploymentGroup").GetString("Capabilities"));
        Assert.Equal("Rollback.Providers.Aws", Kind(kinds, "CodeDeployDeploymentGroup").GetString("Assembly"));
        Assert.Equal("GradualTraffic", Kind(kinds, "HAProxyBackend").GetString("Capabilities"));
        Assert.Equal("Rollback.Providers.Traffic", Kind(kinds, "HAProxyBackend").GetString("Assembly"));
        Assert.Equal("GradualTraffic", Kind(kinds, "NginxUpstream").GetString("Capabilities"));
        Assert.Equal("Rollback.Providers.FeatureFlags", Kind(kinds, "FeatureFlag").GetString("Assembly"));
        Assert.Equal("Secret", Setting(Kind(kinds, "FeatureFlag"), "Settings", "Token").GetString("TypeName"));
        // A .NET-only provider (Npgsql has no netstandard2.0 build) ships in the module folder and loads on PowerShell 7.
        Assert.Equal("Rollback.Providers.PostgreSql", Kind(kinds, "PostgreSqlDatabase").GetString("Assembly"));
        Assert.Equal("Rollback.Providers.PostgreSql", Kind(kinds, "SchemaMigration").GetString("Assembly"));

        var stop = Setting(Kind(kinds, "CodeDeployDeploymentGroup"), "Settings", "StopInProgress");
        Assert.Equal("Boolean", stop.GetString("TypeName"));
        Assert.Equal("False", stop.GetString("Default"));
        Assert.Equal(true, stop.Get("PerCall"));
        Assert.Equal("Int32", Setting(Kind(kinds, "SecretsManagerSecret"), "Settings", "MaxAttempts").GetString("TypeName"));
        Assert.Equal(true, Setting(Kind(kinds, "FileSystemRelease"), "Settings", "Root").Get("Required"));
        Assert.Equal("7.00:00:00", Setting(Kind(kinds, "Directory"), "CommonSettings", "MaxPointAge").GetString("Default"));
        var options = Names(Kind(kinds, "CodeDeployDeploymentGroup"), "Options");
        Assert.Contains("StopInProgress", options);
        Assert.Contains("HealthTimeout", options);
        Assert.DoesNotContain("ApplicationName", options);

        // The kind's own ErrorIds with their recommended actions; the engine's generic ids are not repeated per kind.
        var errorIds = ((IEnumerable)Kind(kinds, "CodeDeployDeploymentGroup").Get("ErrorIds")!).Cast<object>().Select(PSObject.AsPSObject).ToList();
        Assert.Contains(errorIds, e => e.GetString("ErrorId") == "RevisionBundleMissing" && e.GetString("RecommendedAction")!.Contains("list-object-versions", StringComparison.Ordinal));
        Assert.DoesNotContain(errorIds, e => e.GetString("ErrorId") == "TargetNotFound");
    }

    [Fact]
    public void GetRollbackKindTakesNamesAndWildcardsAndReportsAnUnknownName()
    {
        Assert.Equal(["SecretsManagerSecret"], _session.Run("Get-RollbackKind -Name secretsmanagersecret").All("RollbackKindInfo").Select(k => k.GetString("Name")));
        Assert.Equal(["ConfigurationFile", "CodeDeployDeploymentGroup"], _session.Run("'Conf*', 'CodeDeploy*' | Get-RollbackKind").All("RollbackKindInfo").Select(k => k.GetString("Name")));

        var result = _session.Run("Get-RollbackKind -Name Directory, PostgreSql");

        Assert.Equal(["Directory"], result.Output.Select(k => k.GetString("Name")));
        var error = result.SingleError("UnknownTargetKind");
        Assert.Equal("UnknownTargetKind,Rollback.PowerShell.Commands.GetRollbackKindCommand", error.FullyQualifiedErrorId);
        Assert.Equal("PostgreSql", error.TargetObject);
    }

    [Fact]
    public void RegisterRefusesAMisspeltSettingNamingTheOneMeantAndStoresNothing()
    {
        _session.SetVariable("site", Directory.CreateDirectory(Path.Combine(_session.Root, "site")).FullName);

        var typo = _session.Run("Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = $site; VersionFil = 'VERSION' }");
        var wrongType = _session.Run("Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = $site; MaxPointAge = 'a week' }");

        var unknown = typo.SingleError("UnknownSetting");
        Assert.Equal("UnknownSetting,Rollback.PowerShell.Commands.RegisterRollbackTargetCommand", unknown.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, unknown.CategoryInfo.Category);
        Assert.Contains("did you mean 'VersionFile'?", unknown.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("Get-RollbackKind", unknown.ErrorDetails?.RecommendedAction ?? string.Empty, StringComparison.Ordinal);
        Assert.Contains("must be a positive time span", wrongType.SingleError("InvalidSetting").Exception.Message, StringComparison.Ordinal);
        Assert.Empty(_session.Run("Get-RollbackTarget").Output);
        Assert.Empty(_session.Run("Get-RollbackHistory").Output);
    }

    [Fact]
    public void ASecretSettingTakesASecureStringOrAPSCredentialKeepsItUserOnlyAndShowsStars()
    {
        _session.SetVariable("site", Directory.CreateDirectory(Path.Combine(_session.Root, "site")).FullName);

        var target = _session.Run("""
            $token = [System.Net.NetworkCredential]::new('', 'Bearer canary-91d2').SecurePassword
            Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = $site; HealthAuthorization = $token }
            """).One("RollbackTarget");
        var replaced = _session.Run("""
            $credential = [pscredential]::new('svc', [System.Net.NetworkCredential]::new('', 'Bearer canary-91d2').SecurePassword)
            Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = $site; HealthAuthorization = $credential } -Force
            """).One("RollbackTarget");
        var clear = _session.Run("Register-RollbackTarget -Name other -Kind Directory -Settings @{ Path = $site; HealthAuthorization = 'Bearer canary-91d2' }");

        foreach (var registered in new[] { target, replaced })
        {
            var settings = (IEnumerable)registered.Get("Settings")!;
            var shown = settings.Cast<object>().Select(PSObject.AsPSObject).Single(p => p.GetString("Key") == "HealthAuthorization");
            Assert.Equal("***", shown.GetString("Value"));
        }

        Assert.DoesNotContain("canary", clear.SingleError("InvalidSetting").Exception.Message, StringComparison.Ordinal);
        var kept = Path.Combine(_session.StorePath, "secrets", "site", "HealthAuthorization");
        Assert.Equal("Bearer canary-91d2", File.ReadAllText(kept));
        Assert.All(Directory.GetFiles(_session.StorePath, "*", SearchOption.AllDirectories).Where(f => f != kept),
            f => Assert.DoesNotContain("canary-91d2", File.ReadAllText(f), StringComparison.Ordinal));
        Assert.Equal("Secret", Setting(_session.Run("Get-RollbackKind -Name Directory").One("RollbackKindInfo"), "CommonSettings", "HealthAuthorization").GetString("TypeName"));

        _session.Run("Unregister-RollbackTarget -Name site -Confirm:$false").AssertNoErrors();
        Assert.False(File.Exists(kept));
    }

    [Fact]
    public void OptionIsCheckedAgainstTheKindsPerCallOptionsOnEveryCmdletThatTakesIt()
    {
        var conf = Path.Combine(Directory.CreateDirectory(Path.Combine(_session.Root, "site")).FullName, "app.conf");
        File.WriteAllText(conf, "v1");
        _session.SetVariable("conf", conf);
        _session.Run("Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $conf } | Out-Null; New-RollbackPoint -Target cfg | Out-Null").AssertNoErrors();

        var readiness = _session.Run("Get-RollbackPoint -Target cfg -Latest | Test-RollbackReadiness -Option @{ HelthTimeout = '00:00:05' }");
        var invoke = _session.Run("Get-RollbackPoint -Target cfg -Latest | Invoke-Rollback -Reason r -Option @{ Path = '/etc/other.conf' } -Confirm:$false");
        var restore = _session.Run("Get-RollbackPoint -Target cfg -Latest | Restore-Configuration -Reason r -Option @{ HealthTimeout = 'soon' } -Confirm:$false");
        var fine = _session.Run("Get-RollbackPoint -Target cfg -Latest | Test-RollbackReadiness -Option @{ HealthTimeout = [timespan]'00:00:05' }");

        Assert.Contains("did you mean 'HealthTimeout'?", readiness.SingleError("UnknownSetting").Exception.Message, StringComparison.Ordinal);
        Assert.Equal("UnknownSetting,Rollback.PowerShell.Commands.TestRollbackReadinessCommand", readiness.Errors[0].FullyQualifiedErrorId);
        Assert.Contains("not a per-call option", invoke.SingleError("InvalidSetting").Exception.Message, StringComparison.Ordinal);
        Assert.Equal("InvalidSetting,Rollback.PowerShell.Commands.InvokeRollbackCommand", invoke.Errors[0].FullyQualifiedErrorId);
        Assert.Equal("InvalidSetting,Rollback.PowerShell.Commands.RestoreConfigurationCommand", restore.SingleError("InvalidSetting").FullyQualifiedErrorId);
        Assert.True((bool)fine.One("ReadinessReport").Get("IsReady")!);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(_session.Root, "site", "app.conf")).Trim());
    }

    [Fact]
    public void ABrokenProviderAssemblyBesideTheWorkingOnesCostsOnlyWhatItWouldHaveProvided()
    {
        // A fresh process: the provider catalogue is found once per process, from the folder the engine loaded from.
        var module = Path.Combine(_session.Root, "module", "Rollback");
        foreach (var file in Directory.GetFiles(RollbackSession.ModuleFolder, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(module, Path.GetRelativePath(RollbackSession.ModuleFolder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        File.WriteAllText(Path.Combine(module, "Rollback.Providers.Broken.dll"), "not an assembly");
        var site = Path.Combine(_session.Root, "site");
        Directory.CreateDirectory(site);
        var script = $$"""
            $store = '{{Path.Combine(_session.Root, "store2")}}'
            $kinds = Get-RollbackKind -WarningVariable warned -WarningAction SilentlyContinue
            "KINDS=$(($kinds.Name) -join ',')"
            "WARNING=$warned"
            Register-RollbackTarget -Name site -Kind Directory -Settings @{ Path = '{{site}}' } -StorePath $store | Out-Null
            "REGISTERED=$((Get-RollbackTarget -StorePath $store).Name)"
            try { Register-RollbackTarget -Name db -Kind SqlServerDatabase -Settings @{} -StorePath $store -ErrorAction Stop }
            catch { "ERROR=$($_.FullyQualifiedErrorId)|$($_.CategoryInfo.Category)|$($_.Exception.Message)" }
            """;

        var (exitCode, output, error) = RunRunner(Path.Combine(module, "Rollback.psd1"), script);

        Assert.True(exitCode == 0, $"exit {exitCode}: {error}\n{output}");
        var listed = output.Split('\n').Single(l => l.StartsWith("KINDS=", StringComparison.Ordinal)).Trim().Substring("KINDS=".Length).Split(',');
        Assert.Subset(listed.ToHashSet(), ShippedKinds.ToHashSet());
        Assert.Contains("WARNING=the provider assembly Rollback.Providers.Broken.dll could not be loaded (BadImageFormatException", output, StringComparison.Ordinal);
        Assert.Contains("REGISTERED=site", output, StringComparison.Ordinal);
        Assert.Contains("ERROR=ProviderLoadFailed,Rollback.PowerShell.Commands.RegisterRollbackTargetCommand|ResourceUnavailable|", output, StringComparison.Ordinal);
        Assert.Matches("ERROR=.*Rollback.Providers.Broken.dll could not be loaded", output);
    }

    private static PSObject Kind(System.Collections.Generic.IEnumerable<PSObject> kinds, string name) => kinds.Single(k => k.GetString("Name") == name);

    private static PSObject Setting(PSObject kind, string property, string name) =>
        ((IEnumerable)kind.Get(property)!).Cast<object>().Select(PSObject.AsPSObject).Single(s => s.GetString("Name") == name);

    private static string[] Names(PSObject kind, string property) =>
        ((IEnumerable)kind.Get(property)!).Cast<object>().Select(PSObject.AsPSObject).Select(s => s.GetString("Name")!).ToArray();

    /// <summary>The runner (built beside these tests) in a process of its own, killed by its id should it not finish.</summary>
    private static (int ExitCode, string Output, string Error) RunRunner(string manifest, string command)
    {
        var runner = Path.Combine(AppContext.BaseDirectory, "rollback-runner.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { runner, "--module", manifest, "--non-interactive", "--command", command })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "The runner did not finish.");
            return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
