using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// A canary secret planted through each way a secret reaches the module (a SecureString or PSCredential setting, an
/// env: or file: reference, the health endpoint's Authorization header, a configuration file holding a password that a
/// failing validator or reload quotes) must never appear in clear in any PowerShell stream (output, error, warning,
/// verbose, debug, information, progress), in the result objects as serialised, in any journal line or in any store
/// file other than the ones meant to hold it (the user-only secret file, the point's copy of the configuration); and
/// every store folder and file is user-only.
/// </summary>
public sealed class SecretCanaryTests : IDisposable
{
    private const string ConfigurationWithCanary = "listen 80;\npassword = {0}\n";
    private const string ConfigurationWithout = "listen 80;\n";

    private readonly HealthServer _server;
    private readonly string _canary = "canary-" + Guid.NewGuid().ToString("N")[..12];

    public SecretCanaryTests()
    {
        // Healthy only for the right Authorization header: a rollback that verifies proves the secret was used.
        _server = new HealthServer(request => Authorized(request) ? HealthAnswer.Healthy("v1") : new HealthAnswer(401, "{}"));
    }

    /// <summary>Each way in: the settings that carry the canary ($Canary, $HealthUri in scope), and whether the configuration file holds it too.</summary>
    public static TheoryData<string, string, bool> WaysIn => new()
    {
        { "SecureString HealthAuthorization", "HealthUri = $HealthUri; ExpectedVersion = 'None'; HealthAuthorization = [System.Net.NetworkCredential]::new('', \"Bearer $Canary\").SecurePassword", false },
        { "PSCredential HealthAuthorization", "HealthUri = $HealthUri; ExpectedVersion = 'None'; HealthAuthorization = [pscredential]::new('svc', [System.Net.NetworkCredential]::new('', \"Bearer $Canary\").SecurePassword)", false },
        { "env: HealthAuthorization", "HealthUri = $HealthUri; ExpectedVersion = 'None'; HealthAuthorization = \"env:$CanaryVariable\"", false },
        { "file: HealthAuthorization", "HealthUri = $HealthUri; ExpectedVersion = 'None'; HealthAuthorization = \"file:$CanaryFile\"", false },
        { "env: HealthHeader X-Api-Key", "HealthUri = $HealthUri; ExpectedVersion = 'None'; HealthHeader = \"X-Api-Key: env:$CanaryVariable\"", false },
        { "file: HealthHeader X-Api-Key", "HealthUri = $HealthUri; ExpectedVersion = 'None'; HealthHeader = \"X-Api-Key: file:$CanaryFile\"", false },
        { "a validator that quotes the password line", "Validator = 'grep -n password {0}; exit 1'", true },
        { "a reload that prints the file", "ReloadCommand = 'cat {0}; echo \"url=https://svc:" + "$(grep -o \"canary-[0-9a-f]*\" {0})" + "@db.example\"; exit 3'", true },
        { "a parser that quotes the line", "HealthUri = $HealthUri", true },
    };

    [Theory]
    [MemberData(nameof(WaysIn))]
    public void TheCanaryAppearsInNoStreamResultJournalLineOrStoreFileAndTheStoreIsUserOnly(string wayIn, string settings, bool configurationHoldsIt)
    {
        using var session = new RollbackSession();
        var etc = Directory.CreateDirectory(Path.Combine(session.Root, "etc")).FullName;
        var parserCase = wayIn.StartsWith("a parser", StringComparison.Ordinal);
        var config = Path.Combine(etc, parserCase ? "app.json" : "app.conf");
        var captured = parserCase ? $"{{ \"password\": \"{_canary}\" x }}" : string.Format(System.Globalization.CultureInfo.InvariantCulture, configurationHoldsIt ? ConfigurationWithCanary : ConfigurationWithout, _canary);
        File.WriteAllText(config, captured);
        var canaryFile = Path.Combine(session.Root, "token");
        File.WriteAllText(canaryFile, "Bearer " + _canary);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(canaryFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var variable = "ROLLBACK_CANARY_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(variable, "Bearer " + _canary);
        try
        {
            session.SetVariable("Canary", _canary);
            session.SetVariable("CanaryVariable", variable);
            session.SetVariable("CanaryFile", canaryFile);
            session.SetVariable("HealthUri", _server.Uri().ToString());
            session.SetVariable("ConfigPath", config);
            var seen = new List<string>();
            var runs = new[]
            {
                Everything(session, "Register-RollbackTarget -Name cfg -Kind ConfigurationFile -Settings @{ Path = $ConfigPath; " + settings + " }; New-RollbackPoint -Target cfg", seen),
            }.ToList();
            File.WriteAllText(config, "listen 81;\n");
            runs.Add(Everything(session, """
                Get-RollbackTarget -Name cfg
                Get-RollbackPoint -Target cfg -Latest | Test-RollbackReadiness
                Get-RollbackPoint -Target cfg -Latest | Invoke-Rollback -Reason 'canary drill' -Confirm:$false
                Get-RollbackPoint -Target cfg | Where-Object { -not $_.IsSafetyPoint } | Select-Object -First 1 | Restore-Configuration -Reason 'canary drill' -Confirm:$false
                Get-RollbackHistory -Target cfg
                Get-RollbackHistory -Verify
                """, seen));

            // The case ran what it is about: the header reached the endpoint, or the file was refused or reloaded.
            if (settings.Contains("HealthAuthorization", StringComparison.Ordinal) || settings.Contains("HealthHeader", StringComparison.Ordinal))
            {
                Assert.Contains(_server.Requests, Authorized);
                Assert.Contains(runs[1].Output, o => o.BaseObject.GetType().Name == "RollbackResult" && o.GetString("Status") == "Succeeded");
            }
            else
            {
                Assert.NotEmpty(runs[1].AllErrors);
            }

            if (settings.Contains("Validator", StringComparison.Ordinal) || settings.Contains("ReloadCommand", StringComparison.Ordinal))
            {
                // The command's output did reach verbose, masked: the search below is not passing for want of output.
                Assert.Contains(runs[1].Verbose, v => v.Contains("password = ***", StringComparison.Ordinal));
            }

            Assert.All(seen, text => Assert.DoesNotContain(_canary, text, StringComparison.Ordinal));
            AssertStore(session.StorePath, configurationHoldsIt);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    public void Dispose() => _server.Dispose();

    private bool Authorized(HealthRequest request) =>
        (request.Headers.TryGetValue("Authorization", out var authorization) && authorization == "Bearer " + _canary) ||
        (request.Headers.TryGetValue("X-Api-Key", out var key) && key == "Bearer " + _canary);

    /// <summary>Runs with every stream on and adds everything the user could see of it, objects serialised as remoting would, to <paramref name="seen"/>.</summary>
    private static RunResult Everything(RollbackSession session, string script, List<string> seen)
    {
        var run = session.Run("$VerbosePreference = $DebugPreference = $InformationPreference = 'Continue'; $ProgressPreference = 'Continue'\n" + script);
        seen.AddRange(run.Output.Select(o => PSSerializer.Serialize(o, depth: 6)));
        seen.AddRange(run.Output.Select(o => o.ToString()));
        foreach (var error in run.AllErrors)
        {
            seen.Add(error.ToString());
            seen.Add(error.Exception.ToString());
            seen.Add(error.ErrorDetails?.Message + " " + error.ErrorDetails?.RecommendedAction);
            seen.Add(PSSerializer.Serialize(error, depth: 4));
        }

        seen.AddRange(run.Warnings);
        seen.AddRange(run.Verbose);
        seen.AddRange(run.Debug);
        seen.AddRange(run.Information);
        seen.AddRange(run.Progress.Select(p => $"{p.Activity} {p.StatusDescription} {p.CurrentOperation}"));
        return run;
    }

    /// <summary>
    /// No store file holds the canary except the user-only files meant to (the kept SecureString, the point's copies of
    /// the configuration file when it holds a password), and every folder and file of the store is user-only.
    /// </summary>
    private void AssertStore(string store, bool configurationHoldsIt)
    {
        foreach (var file in Directory.GetFiles(store, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(store, file).Replace('\\', '/');
            var mayHold = relative.StartsWith("secrets/", StringComparison.Ordinal) ||
                (configurationHoldsIt && relative.StartsWith("points/", StringComparison.Ordinal) && relative.Contains("/artifacts/", StringComparison.Ordinal));
            if (!mayHold)
            {
                Assert.False(File.ReadAllText(file).Contains(_canary, StringComparison.Ordinal), $"The store file {relative} holds the canary.");
            }

            if (!OperatingSystem.IsWindows())
            {
                Assert.True((File.GetUnixFileMode(file) & (UnixFileMode)0x3F) == 0, $"The store file {relative} is {File.GetUnixFileMode(file)}: others may read it.");
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            foreach (var folder in Directory.GetDirectories(store, "*", SearchOption.AllDirectories).Append(store))
            {
                Assert.True((File.GetUnixFileMode(folder) & (UnixFileMode)0x3F) == 0, $"The store folder {folder} is {File.GetUnixFileMode(folder)}: others may list it.");
            }
        }
    }
}
