using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Rollback.Runner;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The module's table views as a user sees them: real objects of every result type, made by the module's own cmdlets
/// in a temp sandbox, rendered by the runner (a real pwsh) for a 120-column terminal. Each view must render its
/// headers whole (none wrapped or cut) and no line may be wider than the terminal.
/// </summary>
public sealed class FormatViewTests : IClassFixture<FormatViewTests.RenderedScenario>
{
    /// <summary>A common terminal width. The runner's own is the terminal's, and 80 when its output is redirected, as with pwsh.</summary>
    private const int TerminalWidth = 120;

    private readonly RenderedScenario _scenario;

    public FormatViewTests(RenderedScenario scenario) => _scenario = scenario;

    /// <summary>Section name in the scenario script, and the column headers of the view that renders it (module/Rollback.format.ps1xml).</summary>
    public static TheoryData<string, string[]> Views() => new()
    {
        { "RollbackTarget", new[] { "Name", "Kind", "Settings", "RegisteredAt", "RegisteredBy" } },
        { "RollbackPoint", new[] { "Target", "Id", "Version", "CreatedAt", "CreatedBy", "Safety", "SizeMiB", "Note" } },
        { "SafetyPoint", new[] { "Target", "Id", "Version", "CreatedAt", "CreatedBy", "Safety", "SizeMiB", "Note" } },
        { "ReadinessReport", new[] { "Target", "PointId", "Current", "Point", "IsReady", "Failed", "Warned" } },
        { "ReadinessChecks", new[] { "Status", "Name", "ErrorId", "Message" } },
        { "RollbackResult", new[] { "Target", "Status", "FromVersion", "ToVersion", "Duration", "Downtime", "SafetyPointId" } },
        { "RollbackSteps", new[] { "Name", "Status", "Duration", "Message" } },
        { "RollbackVerification", new[] { "Status", "Name", "ErrorId", "Message" } },
        { "WhatIfResult", new[] { "Target", "Status", "FromVersion", "ToVersion", "Duration", "Downtime", "SafetyPointId" } },
        { "ConfigurationRestoreResult", new[] { "Target", "Item", "Changed", "Validated", "Validator", "WhatIf", "From", "To" } },
        { "HistoryEntry", new[] { "Seq", "Time", "Target", "Action", "Status", "Change", "User", "Reason" } },
        { "JournalVerification", new[] { "IsValid", "EntryCount", "FirstBroken", "Message" } },
        { "RollbackDecision", new[] { "Action", "Severity", "ResponseTime", "Approvals", "Reason" } },
        { "FiredThreshold", new[] { "Name", "Kind", "Observed", "Threshold", "Held", "Required", "Message" } },
        { "WatchRecord", new[] { "Poll", "Time", "Health", "Available", "ErrorRate", "Action", "Triggers", "Message" } },
        { "AutoRollbackConfiguration", new[] { "Target", "Resource", "Enabled", "Events", "MissingRecommended", "Changed" } },
        { "RollbackKindInfo", new[] { "Name", "Capabilities", "Settings", "Options" } },
        { "SettingDefinition", new[] { "Name", "Type", "Default", "Required", "PerCall", "Description" } },
        { "NotificationChannel", new[] { "Name", "Format", "Webhook", "Targets", "Events", "Attempts" } },
    };

    [Fact]
    public void ScenarioRunsCleanly()
    {
        Assert.True(_scenario.ExitCode == RunnerExitCode.Success, $"Exit code {_scenario.ExitCode}.\n{_scenario.Error}\n{_scenario.Output}");
        Assert.True(_scenario.Error.Length == 0, "Error text: " + _scenario.Error);
        Assert.DoesNotContain("FullyQualifiedErrorId", _scenario.Output, StringComparison.Ordinal);
        Assert.Equal(Views().Select(v => (string)v[0]).Order(StringComparer.Ordinal), _scenario.Sections.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void ViewRendersItsHeadersWholeWithinTheHostWidth(string section, string[] headers)
    {
        var lines = _scenario.Section(section);

        // The first line is the header row, the second its underline: one run of dashes per column, as wide as the column.
        Assert.True(lines.Count >= 3, $"{section} rendered no table:\n{string.Join("\n", lines)}");
        Assert.Equal(headers, Regex.Split(lines[0].Trim(), @"\s+"));
        var underlines = Regex.Split(lines[1].Trim(), @"\s+");
        Assert.Equal(headers.Length, underlines.Length);
        Assert.All(underlines, u => Assert.Matches("^-+$", u));
        Assert.All(headers.Zip(underlines), pair => Assert.True(pair.Second.Length >= pair.First.Length, $"{section}: column '{pair.First}' is narrower than its header."));

        Assert.All(lines, line => Assert.True(line.Length <= TerminalWidth, $"{section}: a line is {line.Length} wide: {line}"));
    }

    [Theory]
    [InlineData("RollbackTarget", "api")]
    [InlineData("RollbackTarget", "api-config")]
    [InlineData("RollbackPoint", "v1")]
    [InlineData("SafetyPoint", "yes")]
    [InlineData("ReadinessReport", "True")]
    [InlineData("ReadinessChecks", "PointExists")]
    [InlineData("RollbackResult", "Succeeded")]
    [InlineData("RollbackSteps", "Succeeded")]
    [InlineData("WhatIfResult", "WhatIf")]
    [InlineData("ConfigurationRestoreResult", "app.json")]
    [InlineData("HistoryEntry", "Rollback")]
    [InlineData("HistoryEntry", "RestoreConfiguration")]
    [InlineData("JournalVerification", "True")]
    [InlineData("RollbackDecision", "ImmediateRollback")]
    [InlineData("RollbackDecision", "SEV-2")]
    [InlineData("FiredThreshold", "ErrorRateAbove")]
    [InlineData("WatchRecord", "Unhealthy")]
    [InlineData("WatchRecord", "WindowEnded")]
    [InlineData("WatchRecord", "AvailabilityBelow")]
    [InlineData("AutoRollbackConfiguration", "Chargeworx/Production")]
    [InlineData("AutoRollbackConfiguration", "FAILURE, STOP_ON_ALARM")]
    [InlineData("RollbackKindInfo", "CodeDeployDeploymentGroup")]
    [InlineData("RollbackKindInfo", "Root*")]
    [InlineData("RollbackKindInfo", "AutoRollbackConfig")]
    [InlineData("SettingDefinition", "StopInProgress")]
    [InlineData("NotificationChannel", "env:ROLLBACK_FORMAT_HOOK")]
    public void ViewRendersTheRowsOfTheRealObjects(string section, string expected)
    {
        var rows = _scenario.Section(section).Skip(2);

        Assert.Contains(rows, row => row.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void SettingRowsShowTypeDefaultAndWhetherPerCall()
    {
        Assert.Contains(_scenario.Section("SettingDefinition").Skip(2), row => Regex.IsMatch(row, @"^StopInProgress\s+Boolean\s+False\s+False\s+True\s"));
    }

    [Fact]
    public void RollbackResultRowShowsBothVersions()
    {
        var row = Assert.Single(_scenario.Section("RollbackResult").Skip(2));

        Assert.Matches(@"^api\s+Succeeded\s+v2\s+v1\s", row);
    }

    /// <summary>
    /// The scenario, run once for the class: a FileSystemRelease target (releases/v1 and v2, a 'current' link) and a
    /// ConfigurationFile target in a temp folder, captured at v1, then "deployed" to v2 with a broken configuration,
    /// then checked, rolled back and restored. Each object is rendered under a '=== name ===' marker.
    /// </summary>
    public sealed class RenderedScenario : IDisposable
    {
        private const string Marker = "=== ";

        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

        private readonly string _root;
        private readonly Rollback.Testing.CodeDeployEndpoint _codeDeploy = new();

        public RenderedScenario()
        {
            // A CodeDeploy group for the automatic-rollback view (the endpoint verifies the module's SigV4 signatures).
            _ = Rollback.Testing.MotoFixture.OriginalAwsEnvironment.Count;
            Rollback.Testing.MotoFixture.UseTestCredentials();
            _codeDeploy.AddApplication("Chargeworx");
            _codeDeploy.AddDeploymentGroup("Chargeworx", "Production");

            _root = Path.Combine(Path.GetTempPath(), "rollback-format-" + Guid.NewGuid().ToString("N"));
            var app = Path.Combine(_root, "app");
            var config = Path.Combine(_root, "config", "app.json");
            var store = Path.Combine(_root, "store");
            foreach (var version in new[] { "v1", "v2" })
            {
                var release = Directory.CreateDirectory(Path.Combine(app, "releases", version)).FullName;
                File.WriteAllText(Path.Combine(release, "version.txt"), version);
                File.WriteAllText(Path.Combine(release, "app.dll"), "build " + version);
            }

            var current = Path.Combine(app, "current");
            Directory.CreateSymbolicLink(current, Path.Combine(app, "releases", "v1"));
            Directory.CreateDirectory(Path.GetDirectoryName(config)!);
            File.WriteAllText(config, """{ "FeatureFlags": { "NewCheckout": false } }""");

            var setup = Run(Script(store, $$"""
                Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = '{{app}}' } -Confirm:$false | Out-Null
                Register-RollbackTarget -Name api-config -Kind ConfigurationFile -Settings @{ Path = '{{config}}' } -Confirm:$false | Out-Null
                New-RollbackPoint -Target api -Note 'known good before v2' | Out-Null
                New-RollbackPoint -Target api-config -Note 'known good before v2' | Out-Null
                Register-RollbackTarget -Name deploy -Kind CodeDeployDeploymentGroup -Settings @{ ApplicationName = 'Chargeworx'; DeploymentGroupName = 'Production'; Region = 'us-east-1'; EndpointUrl = '{{_codeDeploy.Url}}' } -Confirm:$false | Out-Null
                """));
            if (setup.ExitCode != RunnerExitCode.Success)
            {
                throw new InvalidOperationException($"The scenario setup failed ({setup.ExitCode}): {setup.Error}{setup.Output}");
            }

            // The deployment: 'current' now names v2, and the configuration is broken.
            File.Delete(current);
            Directory.CreateSymbolicLink(current, Path.Combine(app, "releases", "v2"));
            File.WriteAllText(config, """{ "FeatureFlags": { "NewCheckout": true """);

            (ExitCode, Output, Error) = Run(Script(store, $$"""
                Show RollbackTarget (Get-RollbackTarget)
                Show RollbackPoint (Get-RollbackPoint -Target api)
                $report = Get-RollbackPoint -Target api -Latest | Test-RollbackReadiness
                Show ReadinessReport $report
                Show ReadinessChecks $report.Checks
                Show WhatIfResult ($report | Invoke-Rollback -Reason 'format view drill' -WhatIf)
                $result = $report | Invoke-Rollback -Reason 'Error rate 12.3% > 10% after v2' -ApprovedBy oncall -Confirm:$false
                Show RollbackResult $result
                Show RollbackSteps $result.Steps
                Show RollbackVerification $result.Verification
                Show SafetyPoint (Get-RollbackPoint -Target api -Id $result.SafetyPointId)
                Show ConfigurationRestoreResult (Get-RollbackPoint -Target api-config -Latest | Restore-Configuration -Reason 'truncated JSON' -Confirm:$false)
                Show HistoryEntry (Get-RollbackHistory)
                Show JournalVerification (Get-RollbackHistory -Verify)
                $decision = Get-RollbackDecision -ErrorRate 0.123 -ErrorRateMinutes 4
                Show RollbackDecision $decision
                Show FiredThreshold $decision.FiredThresholds
                Show WatchRecord (Get-RollbackPoint -Target api -Latest | Watch-Deployment -Uri http://127.0.0.1:1/health -Interval 00:00:00.2 -Duration 00:00:00.5 -Reason 'format view drill' -Confirm:$false)
                Show RollbackKindInfo (Get-RollbackKind)
                Show SettingDefinition (Get-RollbackKind -Name CodeDeployDeploymentGroup).Settings
                $env:ROLLBACK_FORMAT_HOOK = 'https://hooks.example.invalid/services/T0/B0/x'
                Show NotificationChannel (Register-RollbackNotification -Name incident -Webhook env:ROLLBACK_FORMAT_HOOK -Format Slack -Target api, api-config -Confirm:$false)
                Show AutoRollbackConfiguration @((Get-AutoRollbackConfiguration -Target deploy -StorePath '{{store}}'), (Set-AutoRollbackConfiguration -Target deploy -Enable -StorePath '{{store}}' -Confirm:$false))
                """));
            Sections = Split(Output);
        }

        public int ExitCode { get; }

        public string Output { get; }

        public string Error { get; }

        public IReadOnlyDictionary<string, List<string>> Sections { get; }

        /// <summary>The non-empty lines rendered for one section.</summary>
        public List<string> Section(string name) =>
            Sections.TryGetValue(name, out var lines) ? lines : throw new InvalidOperationException($"Section {name} was not rendered:\n{Error}\n{Output}");

        public void Dispose()
        {
            _codeDeploy.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }

        /// <summary>The scenario's statements after a prologue: stop on any error, this store for every cmdlet, and Show.</summary>
        private static string Script(string store, string body) =>
            $$"""
            $ErrorActionPreference = 'Stop'
            $PSDefaultParameterValues['*-Rollback*:StorePath'] = '{{store}}'
            $PSDefaultParameterValues['Restore-Configuration:StorePath'] = '{{store}}'
            $PSDefaultParameterValues['Watch-Deployment:StorePath'] = '{{store}}'
            function Show([string] $Name, $Value) {
                if ($null -eq $Value -or @($Value).Count -eq 0) { throw "Nothing to show for $Name." }
                '{{Marker}}' + $Name | Out-Default
                $Value | Out-String -Stream -Width {{TerminalWidth}} | Out-Default
            }
            {{body}}
            """;

        private static (int ExitCode, string Output, string Error) Run(string command)
        {
            var run = RunnerProcess.Run(["--module", RollbackSession.ManifestPath, "-NoProfile", "-NonInteractive", "-Command", command], patience: Patience);
            return (run.ExitCode, run.Output, run.Error);
        }

        private static Dictionary<string, List<string>> Split(string output)
        {
            var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            List<string>? current = null;
            foreach (var line in output.Split('\n').Select(l => l.TrimEnd('\r')))
            {
                if (line.StartsWith(Marker, StringComparison.Ordinal))
                {
                    current = new List<string>();
                    sections[line.Substring(Marker.Length).Trim()] = current;
                }
                else if (current is not null && line.Trim().Length > 0 && !line.StartsWith("What if: ", StringComparison.Ordinal))
                {
                    current.Add(line);
                }
            }

            return sections;
        }
    }
}
