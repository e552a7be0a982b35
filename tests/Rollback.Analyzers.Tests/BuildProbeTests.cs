using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using Xunit;

namespace Rollback.Analyzers.Tests;

/// <summary>
/// Proves the analyzers run in a real build: `dotnet build` of tests/AnalyzerProbe/BadCmdlet (a cmdlet with a
/// state-changing verb and no SupportsShouldProcess, kept out of the solution) must fail with RB1002. The build
/// writes only into a fresh temp artifacts folder (the analyzer is rebuilt there too), so it races with nothing, and
/// skips NuGet's vulnerability audit, the one part of its restore that would need the network.
/// </summary>
public sealed class BuildProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task ABuildOfACmdletWithoutSupportsShouldProcessFailsWithRB1002()
    {
        var project = Path.Combine(TestPathsAttribute.Root, "tests", "AnalyzerProbe", "BadCmdlet", "BadCmdlet.csproj");
        Assert.True(File.Exists(project), "Missing probe project " + project);
        var artifacts = Path.Combine(Path.GetTempPath(), "rollback-analyzer-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, output) = await RunAsync("dotnet", ["build", project, "--artifacts-path", artifacts, "-nologo", "-clp:NoSummary", "-p:UseSharedCompilation=false", "-p:NuGetAudit=false"]);
            Assert.True(exitCode != 0, "The probe build should fail but exited 0:\n" + output);
            Assert.Contains("RemoveWidgetCommand.cs(6,2): error RB1002: Cmdlet 'Remove-Widget' changes state (verb 'Remove') but does not declare SupportsShouldProcess", output, StringComparison.Ordinal);
            Assert.DoesNotContain("error CS", output, StringComparison.Ordinal);
            Assert.DoesNotContain("error NU", output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(artifacts))
            {
                Directory.Delete(artifacts, recursive: true);
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestPathsAttribute.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's MSBuild variables would redirect the child build; it must be a plain command-line build.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(Timeout)) != exited)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet build of the probe did not finish within " + Timeout);
        }

        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
