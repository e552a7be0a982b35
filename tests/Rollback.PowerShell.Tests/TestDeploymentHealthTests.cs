using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Text.RegularExpressions;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>Test-DeploymentHealth and Invoke-Rollback's health verification in a hosted runspace, against a real HTTP server on loopback.</summary>
public sealed class TestDeploymentHealthTests : IDisposable
{
    private const string Token = "tkn-7f3a9c1e5b-NEVER-PRINT";
    private const string Fast = "-Timeout 00:00:02 -RetryInterval 00:00:00.2";

    private readonly HealthServer _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public void HealthyEndpointEmitsATypedResult()
    {
        using var session = new RollbackSession();
        _server.Respond(HealthAnswer.Healthy("v2.3.1"));

        var run = session.Run("param($u) Test-DeploymentHealth -Uri $u -ExpectedVersion v2.3.1", Parameters(_server.Uri()));

        var result = run.One("HealthCheckResult");
        Assert.Equal(true, result.Get("Healthy"));
        Assert.Equal(200, result.Get("StatusCode"));
        Assert.Equal("v2.3.1", result.GetString("ReportedVersion"));
        Assert.Equal(1, result.Get("Attempts"));
    }

    [Fact]
    public void SeveralUrisGiveOneResultEach()
    {
        using var session = new RollbackSession();
        _server.Respond(r => r.Path == "/version" ? new HealthAnswer(200, "v2.3.1", "text/plain") : HealthAnswer.AspNetCore("Healthy", ("database", "Healthy")));

        var run = session.Run($"param($u) Test-DeploymentHealth $u -ExpectedVersion v2.3.1 -ExpectedStatusCode 200 {Fast}", new Hashtable { ["u"] = new[] { _server.Uri("version"), _server.Uri("health") } });

        // The version endpoint proves v2.3.1; the ASP.NET Core endpoint reports no version at all.
        Assert.Equal(new object[] { true, false }, run.Output.Select(o => o.Get("Healthy")));
        var error = run.SingleError("VersionMismatch");
        Assert.Contains("/health", error.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unavailable", "HealthCheckFailed", "ResourceUnavailable")]
    [InlineData("wrong-version", "VersionMismatch", "InvalidData")]
    [InlineData("not-json", "HealthResponseInvalid", "InvalidData")]
    [InlineData("closed", "HealthEndpointUnreachable", "ResourceUnavailable")]
    public void UnhealthyEndpointEmitsTheResultAndAnError(string state, string errorId, string category)
    {
        using var session = new RollbackSession();
        var uri = Switch(state);

        var run = session.Run($"param($u) Test-DeploymentHealth -Uri $u -ExpectedVersion v2.3.1 {Fast}", Parameters(uri));

        var result = Assert.Single(run.Output);
        RunResult.AssertIsRollbackType(result, "HealthCheckResult");
        Assert.Equal(false, result.Get("Healthy"));
        Assert.Equal(errorId, result.GetString("ErrorId"));
        var error = run.SingleError(errorId);
        Assert.Equal(category, error.CategoryInfo.Category.ToString());
        Assert.Same(result.BaseObject, error.TargetObject);
        Assert.False(string.IsNullOrEmpty(error.ErrorDetails?.RecommendedAction));
    }

    [Fact]
    public void ErrorActionStopStopsARunbook()
    {
        using var session = new RollbackSession();
        _server.Respond(HealthAnswer.Healthy("v2.4.0"));

        var run = session.Run($"param($u) try {{ Test-DeploymentHealth -Uri $u -ExpectedVersion v2.3.1 {Fast} -ErrorAction Stop; 'continued' }} catch {{ 'caught ' + $_.FullyQualifiedErrorId }}", Parameters(_server.Uri()));

        var lines = run.Output.Select(o => o.ToString()).ToList();
        Assert.DoesNotContain("continued", lines);
        Assert.Contains("caught VersionMismatch,Rollback.PowerShell.Commands.TestDeploymentHealthCommand", lines);
    }

    [Fact]
    public void RetriesShowProgressAndCloseIt()
    {
        using var session = new RollbackSession();
        var served = 0;
        _server.Respond(_ => System.Threading.Interlocked.Increment(ref served) <= 2 ? HealthAnswer.Unavailable() : HealthAnswer.Healthy("v2.3.1"));

        var run = session.Run("param($u) Test-DeploymentHealth -Uri $u -ExpectedVersion v2.3.1 -Timeout 00:00:05 -RetryInterval 00:00:00.02", Parameters(_server.Uri()));

        Assert.Equal(3, run.One("HealthCheckResult").Get("Attempts"));
        Assert.Contains(run.Progress, p => p.RecordType == ProgressRecordType.Processing && p.StatusDescription.Contains("retrying", StringComparison.Ordinal));
        Assert.Equal(ProgressRecordType.Completed, run.Progress[^1].RecordType);
    }

    [Fact]
    public void SyntheticTransactionSendsMethodBodyAndHeaders()
    {
        using var session = new RollbackSession();
        _server.Respond(new HealthAnswer(201, """{"status":"ok"}"""));

        var run = session.Run("param($u) Test-DeploymentHealth -Uri $u -Method POST -Body '{\"test\": true, \"amount\": 1.00}' -Header @{ 'X-Drill' = 'rollback' } -ExpectedStatusCode 201",
            Parameters(_server.Uri("api/v1/test-transaction")));

        Assert.Equal(201, run.One("HealthCheckResult").Get("StatusCode"));
        var request = Assert.Single(_server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("""{"test": true, "amount": 1.00}""", request.Body);
        Assert.Equal("rollback", request.Headers["X-Drill"]);
    }

    [Theory]
    [InlineData("-Token $secret")]
    [InlineData("-Credential ([pscredential]::new('ignored', $secret))")]
    public void TheTokenIsSentButNeverAppearsInAnyStream(string how)
    {
        using var session = new RollbackSession();
        // A debugging endpoint that echoes the Authorization header back in a body that is not JSON.
        _server.Respond(r => new HealthAnswer(200, "{ broken: " + r.Headers.GetValueOrDefault("Authorization") + " }", "application/json"));

        var run = session.Run(
            $"param($u, $secret) $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'; " +
            $"Test-DeploymentHealth -Uri $u {how} {Fast} -Verbose *>&1",
            new Hashtable { ["u"] = _server.Uri(), ["secret"] = Secure(Token) });

        Assert.All(_server.Requests, r => Assert.Equal("Bearer " + Token, r.Headers["Authorization"]));
        Assert.NotEmpty(_server.Requests);
        var text = new List<string>();
        foreach (var item in run.Output)
        {
            text.Add(item.ToString());
            if (item.BaseObject is ErrorRecord error)
            {
                text.Add(error.Exception.Message);
                text.Add(error.ErrorDetails?.Message ?? string.Empty);
                text.Add(error.ErrorDetails?.RecommendedAction ?? string.Empty);
                text.AddRange(((PSObject)PSObject.AsPSObject(error.TargetObject)).Properties.Select(p => p.Value?.ToString() ?? string.Empty));
            }
            else
            {
                text.AddRange(item.Properties.Select(p => p.Value?.ToString() ?? string.Empty));
            }
        }

        text.AddRange(run.Errors.Select(e => e.ToString()));
        text.AddRange(run.Warnings.Concat(run.Verbose));
        text.AddRange(run.Progress.Select(p => $"{p.Activity} {p.StatusDescription} {p.CurrentOperation}"));
        var everything = string.Join("\n", text);
        Assert.Contains("HealthResponseInvalid", everything, StringComparison.Ordinal);
        Assert.Contains(run.Output, o => o.BaseObject is VerboseRecord);
        Assert.DoesNotContain(Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("NEVER-PRINT", everything, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenAndCredentialTogetherAreRefused()
    {
        using var session = new RollbackSession();

        var error = session.RunExpectingTerminatingError("param($u, $s) Test-DeploymentHealth -Uri $u -Token $s -Credential ([pscredential]::new('x', $s))",
            new System.Collections.Specialized.OrderedDictionary { ["u"] = _server.Uri(), ["s"] = Secure(Token) });

        Assert.StartsWith("InvalidHealthCheckArguments,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void AddressThatIsNotHttpIsAnArgumentError()
    {
        using var session = new RollbackSession();

        var run = session.Run("Test-DeploymentHealth -Uri ftp://127.0.0.1/health");

        Assert.Empty(run.Output);
        run.SingleError("InvalidHealthCheckArguments");
    }

    [Fact]
    public void UnreadableTrustedCertificateStopsTheCommand()
    {
        using var session = new RollbackSession();

        var error = session.RunExpectingTerminatingError("param($u) Test-DeploymentHealth -Uri $u -TrustedCertificate ./no-such.pem", Parameters(_server.Uri()));

        Assert.StartsWith("TrustedCertificateInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void RollbackVerifiedThroughTheTargetsHealthEndpointThenCheckedFromThePipeline()
    {
        using var session = new RollbackSession();
        var root = ServedRelease(session);
        session.Run("param($r, $u) Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $r; HealthUri = $u; HealthTimeout = '00:00:03'; HealthRetryInterval = '00:00:00.05' }",
            new Hashtable { ["r"] = root, ["u"] = _server.Uri().ToString() }).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2.4.0");

        var run = session.Run("$result = Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'error rate 12.3%' -Confirm:$false; $result; $result | Test-DeploymentHealth");

        run.AssertNoErrors();
        Assert.Equal(2, run.Output.Count);
        var rollback = run.Output[0];
        RunResult.AssertIsRollbackType(rollback, "RollbackResult");
        Assert.Equal("Succeeded", rollback.GetString("Status"));
        Assert.NotNull(rollback.Get("RecoveryTime"));
        var verified = Assert.Single((IEnumerable<object>)rollback.Get("Health")!);
        Assert.Equal(true, PSObject.AsPSObject(verified).Get("Healthy"));
        var health = run.Output[1];
        RunResult.AssertIsRollbackType(health, "HealthCheckResult");
        Assert.Equal("v2.3.1", health.GetString("ExpectedVersion"));
        Assert.Equal("v2.3.1", health.GetString("ReportedVersion"));
        Assert.Equal("api", health.GetString("Target"));
    }

    [Fact]
    public void RollbackWhoseServiceStaysOnTheBadVersionIsVerificationFailed()
    {
        using var session = new RollbackSession();
        var root = ServedRelease(session);
        session.Run("param($r, $u) Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $r; HealthUri = $u; HealthTimeout = '00:00:01'; HealthRetryInterval = '00:00:00.2' }",
            new Hashtable { ["r"] = root, ["u"] = _server.Uri().ToString() }).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2.4.0");
        _server.Respond(HealthAnswer.Healthy("v2.4.0"));

        var run = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason 'error rate 12.3%' -Confirm:$false");

        var result = Assert.Single(run.Output);
        Assert.Equal("VerificationFailed", result.GetString("Status"));
        run.SingleError("VersionMismatch");
        var entry = session.Run("Get-RollbackHistory -Target api -Action Rollback -Last 1").One("HistoryEntry");
        Assert.Equal("VerificationFailed", entry.GetString("Status"));
        Assert.NotNull(entry.Get("VerificationDuration"));
    }

    [Fact]
    public void ResultFromATargetWithoutHealthSettingsAndNoUriIsAnError()
    {
        using var session = new RollbackSession();
        var root = ServedRelease(session);
        session.Run("param($r) Register-RollbackTarget -Name api -Kind FileSystemRelease -Settings @{ Root = $r }", new Hashtable { ["r"] = root }).One("RollbackTarget");
        session.Run("New-RollbackPoint -Target api").One("RollbackPoint");
        Deploy(root, "v2.4.0");

        var run = session.Run("Get-RollbackPoint -Target api -Latest | Invoke-Rollback -Reason drill -Confirm:$false | Test-DeploymentHealth");

        run.SingleError("InvalidHealthCheckArguments");
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void TableViewRendersThroughTheRunner()
    {
        _server.Respond(HealthAnswer.Healthy("v2.3.1"));

        // Rendered for a 120-column terminal (a redirected pwsh is 80 wide).
        var run = RunnerProcess.Run(["--module", RollbackSession.ManifestPath, "-NoProfile", "-Command", $"Test-DeploymentHealth -Uri '{_server.Uri()}' -ExpectedVersion v2.3.1 | Out-String -Stream -Width 120"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(new[] { "Healthy", "Code", "Reported", "Expected", "LatencyMs", "Attempts", "Uri", "Detail" }, Regex.Split(lines[0].Trim(), @"\s+"));
        Assert.Matches(@"^True\s+200\s+v2\.3\.1\s+v2\.3\.1\s+\d+\s+1\s+http://127\.0\.0\.1:", lines[2].Trim());
        Assert.All(lines, l => Assert.True(l.Length <= 120, l));
    }

    private Uri Switch(string state)
    {
        switch (state)
        {
            case "unavailable":
                _server.Respond(HealthAnswer.Unavailable());
                return _server.Uri();
            case "wrong-version":
                _server.Respond(HealthAnswer.Healthy("v2.4.0"));
                return _server.Uri();
            case "not-json":
                _server.Respond(new HealthAnswer(200, "<html>Bad gateway</html>", "application/json"));
                return _server.Uri();
            default:
                return HealthServer.ClosedPort();
        }
    }

    /// <summary>A release root (v2.3.1 live, v2.4.0 beside it) whose "service" is this test's server answering current/health.json.</summary>
    private string ServedRelease(RollbackSession session)
    {
        var root = Path.Combine(session.Root, "api");
        foreach (var release in new[] { "v2.3.1", "v2.4.0" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, "releases", release)).FullName;
            File.WriteAllText(Path.Combine(folder, "health.json"), "{\"status\":\"Healthy\",\"version\":\"" + release + "\"}");
        }

        Deploy(root, "v2.3.1");
        _server.Respond(_ => new HealthAnswer(200, File.ReadAllText(Path.Combine(root, "current", "health.json"))));
        return root;
    }

    private static void Deploy(string root, string release)
    {
        var current = Path.Combine(root, "current");
        if (File.Exists(current) || Directory.Exists(current))
        {
            File.Delete(current);
        }

        Directory.CreateSymbolicLink(current, Path.Combine("releases", release));
    }

    private static Hashtable Parameters(Uri uri) => new() { ["u"] = uri };

    private static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }
}
