using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The Pester suites (tests/pester and the drills' examples/*.Tests.ps1) run by Invoke-Pester through the runner, so the
/// README's test command (dotnet test) includes them. Any failed Pester test fails this test, which names each one.
/// </summary>
/// <remarks>
/// The NUnit XML report goes where ROLLBACK_PESTER_RESULT says (CI sets it and counts every Pester test from it, in place
/// of this one test), else to a temp file that is removed.
/// </remarks>
[Collection(Rollback.Testing.PostgreSqlGroup.Name)]
public sealed class PesterTests
{
    public const string ResultPathVariable = "ROLLBACK_PESTER_RESULT";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);
    private readonly Rollback.Testing.PostgreSqlServer _postgres;

    /// <summary>
    /// The PostgreSQL suites (tests/pester/Database.Tests.ps1, SchemaMigration.Tests.ps1, SharedStore.Tests.ps1, StoreCopy.Tests.ps1) get this
    /// run's server through ROLLBACK_TEST_PG_* variables, and the FeatureFlag suite an Unleash server (its database on
    /// that server) through ROLLBACK_TEST_UNLEASH_*; without them they skip.
    /// </summary>
    public PesterTests(Rollback.Testing.PostgreSqlServer postgres)
    {
        _postgres = postgres;
    }

    [Fact]
    public void EveryPesterTestPassesThroughTheRunner()
    {
        var requested = Environment.GetEnvironmentVariable(ResultPathVariable);
        var report = string.IsNullOrEmpty(requested) ? Path.Combine(Path.GetTempPath(), $"rollback-pester-{Guid.NewGuid():N}.xml") : Path.GetFullPath(requested);
        var paths = new[] { Path.Combine(RollbackSession.RepoRoot, "tests", "pester") }
            .Concat(Directory.GetFiles(Path.Combine(RollbackSession.RepoRoot, "examples"), "*.Tests.ps1"))
            .Select(path => "'" + path.Replace("'", "''", StringComparison.Ordinal) + "'");
        var script =
            $$"""
            $configuration = New-PesterConfiguration
            $configuration.Run.Path = @({{string.Join(", ", paths)}})
            $configuration.Run.PassThru = $true
            $configuration.Output.Verbosity = 'Detailed'
            $configuration.TestResult.Enabled = $true
            $configuration.TestResult.OutputFormat = 'NUnitXml'
            $configuration.TestResult.OutputPath = '{{report.Replace("'", "''", StringComparison.Ordinal)}}'
            $result = Invoke-Pester -Configuration $configuration
            "PESTER $($result.Configuration.Run.Path.Value.Count) paths; version $((Get-Module Pester).Version)"
            "PESTER passed=$($result.PassedCount) failed=$($result.FailedCount) skipped=$($result.SkippedCount) notrun=$($result.NotRunCount) containers-failed=$($result.FailedContainersCount) blocks-failed=$($result.FailedBlocksCount)"
            foreach ($test in $result.Failed) { "PESTER FAILED $($test.ExpandedPath): $($test.ErrorRecord[0].Exception.Message)" }
            foreach ($container in $result.FailedContainers) { "PESTER FAILED container $($container.Item): $($container.ErrorRecord[0].Exception.Message)" }
            """;

        var passFile = Path.Combine(Path.GetTempPath(), $"rollback-pgpass-{Guid.NewGuid():N}");
        var environment = new System.Collections.Generic.Dictionary<string, string?>();
        if (_postgres.SkipReason is null)
        {
            _postgres.WritePassFile(passFile);
            environment["ROLLBACK_TEST_PG_PORT"] = _postgres.Port.ToString(CultureInfo.InvariantCulture);
            environment["ROLLBACK_TEST_PG_USER"] = Rollback.Testing.PostgreSqlServer.AdminUser;
            environment["ROLLBACK_TEST_PG_PASSFILE"] = passFile;
            environment["ROLLBACK_TEST_PG_BIN"] = _postgres.BinDirectory;
        }

        // Started only for this run of the suites, and stopped by its PID when they end.
        using var unleash = _postgres.SkipReason is null ? Rollback.Testing.UnleashServer.On(_postgres) : null;
        var adminToken = Path.Combine(Path.GetTempPath(), $"rollback-unleash-admin-{Guid.NewGuid():N}");
        var clientToken = Path.Combine(Path.GetTempPath(), $"rollback-unleash-client-{Guid.NewGuid():N}");
        if (unleash is { SkipReason: null })
        {
            WriteUserOnly(adminToken, unleash.AdminToken);
            WriteUserOnly(clientToken, unleash.ClientToken);
            environment["ROLLBACK_TEST_UNLEASH_URL"] = unleash.Url.ToString();
            environment["ROLLBACK_TEST_UNLEASH_TOKEN_FILE"] = adminToken;
            environment["ROLLBACK_TEST_UNLEASH_CLIENT_TOKEN_FILE"] = clientToken;
        }

        try
        {
            var run = RunnerProcess.Run(["--module", RollbackSession.ManifestPath, "-NoProfile", "-NonInteractive", "-Command", script], environment: environment, patience: Patience);

            var summary = Regex.Match(run.Output, @"PESTER passed=(?<passed>\d+) failed=(?<failed>\d+) skipped=\d+ notrun=\d+ containers-failed=(?<containers>\d+) blocks-failed=(?<blocks>\d+)");
            Assert.True(summary.Success, "Invoke-Pester did not finish:\n" + run);
            var failures = run.Output.Split('\n').Where(line => line.StartsWith("PESTER FAILED", StringComparison.Ordinal)).ToList();
            Assert.True(
                int.Parse(summary.Groups["failed"].Value, CultureInfo.InvariantCulture) == 0 && summary.Groups["containers"].Value == "0" && summary.Groups["blocks"].Value == "0",
                string.Join("\n", failures) + "\n\n" + run);
            Assert.True(int.Parse(summary.Groups["passed"].Value, CultureInfo.InvariantCulture) > 0, "No Pester test ran:\n" + run);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.True(File.Exists(report), $"Invoke-Pester wrote no report at {report}.");
        }
        finally
        {
            File.Delete(passFile);
            File.Delete(adminToken);
            File.Delete(clientToken);
            if (string.IsNullOrEmpty(requested))
            {
                File.Delete(report);
            }
        }
    }

    private static void WriteUserOnly(string path, string text)
    {
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, text);
    }
}
