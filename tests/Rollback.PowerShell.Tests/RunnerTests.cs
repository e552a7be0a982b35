using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Rollback.Runner;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The runner as a process, as users start it: a real pwsh console host with a tiny script module standing in for
/// Rollback (--module), so these tests cover the host, the exit codes and the command line without the cmdlets.
/// </summary>
public sealed class RunnerTests : IDisposable
{
    private const string ModuleScript =
        """
        function Get-Mini {
            [CmdletBinding()]
            param([string] $Name = 'mini')
            "hello $Name"
        }

        function Remove-Mini {
            [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
            param([switch] $Force)
            if ($Force -or $PSCmdlet.ShouldProcess('thing', 'Remove')) { 'removed' } else { 'kept' }
        }
        """;

    private readonly string _folder;
    private readonly string _modulePath;

    public RunnerTests()
    {
        _folder = Path.Combine(Path.GetTempPath(), "rollback-runner-tests-" + Guid.NewGuid().ToString("N"));
        var moduleFolder = Directory.CreateDirectory(Path.Combine(_folder, "Mini")).FullName;
        File.WriteAllText(Path.Combine(moduleFolder, "Mini.psm1"), ModuleScript);
        _modulePath = Path.Combine(moduleFolder, "Mini.psd1");
        File.WriteAllText(
            _modulePath,
            "@{ ModuleVersion = '1.0.0'; RootModule = 'Mini.psm1'; FunctionsToExport = @('Get-Mini', 'Remove-Mini') }");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CommandOutputRendersThroughOutDefault()
    {
        var run = RunCommand("1..3");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["1", "2", "3"], Lines(run.Output));
    }

    [Fact]
    public void ModuleIsImportedBeforeTheCommandRuns()
    {
        var run = RunCommand("Get-Mini -Name runner");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["hello runner"], Lines(run.Output));
        Assert.Empty(run.Error);
    }

    [Fact]
    public void TheStagedRollbackModuleIsImportedByDefaultAndFoundByName()
    {
        // No --module: the copy beside the runner (Modules/Rollback), which is also on PSModulePath, as Pester is.
        var run = RunnerProcess.Run(["-NoProfile", "-Command",
            "(Get-Module Rollback).Name; Remove-Module Rollback; Import-Module Rollback; (Get-Command -Module Rollback).Count -gt 0; " +
            "(Import-Module Pester -PassThru).Version.ToString()"]);

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["Rollback", "True", "5.9.1"], Lines(run.Output));
    }

    [Fact]
    public void StandardCmdletsAndFormatViewsAreThere()
    {
        var run = RunCommand(
            "@{ alpha = 1 } | ConvertTo-Json -Compress; " +
            "[pscustomobject]@{ Name = 'a'; Size = 2 } | Format-Table -AutoSize | Out-String -Stream | Where-Object { $_ }; " +
            "Get-Date -Year 2026 -Month 12 -Day 6 -Format yyyy-MM-dd; " +
            "(1..5 | Measure-Object -Sum).Sum; " +
            "Get-Process -Id $PID | Select-Object -ExpandProperty Id | ForEach-Object { $_ -eq $PID }");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["{\"alpha\":1}", "Name Size", "---- ----", "a       2", "2026-12-06", "15", "True"], Lines(run.Output));
    }

    [Fact]
    public void StartJobRunsInAChildPwshThatIsTheRunner()
    {
        var run = RunCommand("$job = Start-Job { 'from the job'; $PID }; $result = $job | Wait-Job -Timeout 90 | Receive-Job; $result[0]; $result[1] -ne $PID; $job.State");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["from the job", "True", "Completed"], Lines(run.Output));
    }

    [Fact]
    public void TabCompletionCompletesTheModulesCommands()
    {
        var run = RunCommand("(TabExpansion2 -inputScript 'Get-Min' -cursorColumn 7).CompletionMatches.CompletionText");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["Get-Mini"], Lines(run.Output));
    }

    [Fact]
    public void WithoutArgumentsItIsAConsoleThatReadsCommandsAndExitsAsTold()
    {
        // A console with its input redirected reads its commands from it, as pwsh does.
        var run = RunnerProcess.Run(["--module", _modulePath], input: "Get-Mini -Name console\nexit 7\n");

        Assert.True(run.ExitCode == 7, run.ToString());
        Assert.Contains("hello console", run.Output, StringComparison.Ordinal);
        Assert.Contains("The Rollback module is imported", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingExplicitModuleFailsBeforeRunning()
    {
        var run = RunnerProcess.Run(["--module", Path.Combine(_folder, "Nope.psd1"), "-Command", "'ran'"]);

        Assert.True(run.ExitCode == RunnerExitCode.ScriptFailed, run.ToString());
        Assert.DoesNotContain("ran", run.Output, StringComparison.Ordinal);
        Assert.Contains("Nope.psd1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowExitsWithOneAndSaysWhy()
    {
        var run = RunCommand("'before'; throw 'the reason'; 'after'");

        Assert.True(run.ExitCode == RunnerExitCode.ScriptFailed, run.ToString());
        Assert.Equal(["before"], Lines(run.Output));
        Assert.Contains("the reason", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowInAScriptFileExitsWithOne()
    {
        var script = WriteScript("throws.ps1", "'before'\nthrow 'the reason'\n'after'\n");

        var run = RunFile(script);

        Assert.True(run.ExitCode == RunnerExitCode.ScriptFailed, run.ToString());
        Assert.Equal(["before"], Lines(run.Output));
    }

    [Fact]
    public void ExitInCommandSetsTheExitCode()
    {
        var run = RunCommand("'a'; exit 3; 'b'");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(["a"], Lines(run.Output));
    }

    [Fact]
    public void ExitInScriptFileSetsTheExitCode()
    {
        var run = RunFile(WriteScript("exit3.ps1", "'a'\nexit 3\n"));

        Assert.True(run.ExitCode == 3, run.ToString());
    }

    [Fact]
    public void ExitInsideAFunctionOfAScriptFileEndsTheRun()
    {
        var run = RunFile(WriteScript("exit4.ps1", "function Stop-Here { exit 4 }\nStop-Here\n'not reached'\n"));

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Empty(Lines(run.Output));
    }

    [Fact]
    public void ExitZeroDoesNotHideAnUnhandledError()
    {
        // pwsh cannot tell the runner whether a 0 came from `exit 0` or from the end of the script, so an error that
        // reached the output still fails the run; a script that means to go on handles it (try/catch, -ErrorAction).
        var run = RunFile(WriteScript("exit0.ps1", "Get-NoSuchCommand\nexit 0\n"));

        Assert.True(run.ExitCode == RunnerExitCode.ScriptFailed, run.ToString());
        Assert.Contains("Get-NoSuchCommand", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void NativeExitCodeLeftBehindDoesNotFailTheRun()
    {
        // What a failed native command leaves behind; as with pwsh -File, only `exit` sets the code.
        var run = RunFile(WriteScript("native.ps1", "$global:LASTEXITCODE = 5\n'done'\n"));

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
    }

    [Fact]
    public void UnhandledErrorRendersAndExitsWithOne()
    {
        var run = RunCommand("Get-NoSuchCommand; 'after'");

        Assert.True(run.ExitCode == RunnerExitCode.ScriptFailed, run.ToString());
        Assert.Equal(["after"], Lines(run.Output));
        Assert.Contains("Get-NoSuchCommand", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void HandledErrorLeavesSuccess()
    {
        var run = RunCommand("try { Get-NoSuchCommand -ErrorAction Stop } catch { 'caught' }; Get-Item /no/such/path -ErrorAction SilentlyContinue; 'after'");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["caught", "after"], Lines(run.Output));
    }

    [Fact]
    public void ScriptFileGetsScriptRootAndNamedArguments()
    {
        var script = WriteScript("args.ps1", "param([string] $Name, [switch] $Loud)\n\"$PSScriptRoot|$Name|$Loud|$($args -join ',')\"\n");
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, script);

        var run = RunnerProcess.Run(["--module", _modulePath, "-NoProfile", "-File", relative, "-Name", "o'brien", "-Loud", "extra"]);

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal([$"{_folder}|o'brien|True|extra"], Lines(run.Output));
    }

    [Fact]
    public void TheEarlierRunnersSpellingsStillWork()
    {
        var script = WriteScript("legacy.ps1", "param([string] $Target)\n\"target $Target\"\nRemove-Mini\n");

        var file = RunnerProcess.Run(["--non-interactive", "--module", _modulePath, "--file", script, "-Target", "api"]);
        var command = RunnerProcess.Run(["--module", _modulePath, "--command", "Get-Mini -Name legacy"]);

        // --non-interactive is -NonInteractive: the confirmation cannot be asked, so it fails the run instead of waiting.
        Assert.True(file.ExitCode == RunnerExitCode.ScriptFailed, file.ToString());
        Assert.Equal(["target api"], Lines(file.Output));
        Assert.Contains("NonInteractive", file.Error, StringComparison.Ordinal);
        Assert.True(command.ExitCode == RunnerExitCode.Success, command.ToString());
        Assert.Equal(["hello legacy"], Lines(command.Output));
    }

    [Fact]
    public void MissingScriptFileIsAUsageError()
    {
        var run = RunFile(Path.Combine(_folder, "nope.ps1"));

        Assert.True(run.ExitCode == RunnerExitCode.UsageError, run.ToString());
        Assert.Contains("nope.ps1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void WarningsAndVerboseCarryPrefixes()
    {
        var run = RunCommand("Write-Warning careful; Write-Verbose details -Verbose; 'sent'");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["WARNING: careful", "VERBOSE: details", "sent"], Lines(run.Output));
    }

    [Fact]
    public void ConfirmationFailsClearlyInCi()
    {
        var run = RunnerProcess.Run(["--module", _modulePath, "-NoProfile", "-Command", "Remove-Mini"], environment: new Dictionary<string, string?> { ["CI"] = "true" });

        Assert.True(run.ExitCode == RunnerExitCode.ScriptFailed, run.ToString());
        Assert.DoesNotContain("removed", run.Output, StringComparison.Ordinal);
        Assert.Contains("PowerShell is in NonInteractive mode", run.Error.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public void ConfirmFalseSkipsThePromptInCi()
    {
        var run = RunnerProcess.Run(["--module", _modulePath, "-NoProfile", "-Command", "Remove-Mini -Confirm:$false"], environment: new Dictionary<string, string?> { ["CI"] = "true" });

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["removed"], Lines(run.Output));
    }

    [Theory]
    [InlineData("y", "removed")]
    [InlineData("n", "kept")]
    [InlineData("", "removed")] // Enter takes the default, Yes, as at a pwsh prompt.
    public void ConfirmationReadsItsAnswerFromInput(string answer, string expected)
    {
        var run = RunnerProcess.Run(["--module", _modulePath, "-NoProfile", "-Command", "Remove-Mini"], input: answer + "\n");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Contains("[Y] Yes", run.Output, StringComparison.Ordinal);
        Assert.EndsWith(expected, run.Output.TrimEnd(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Failed", RunnerExitCode.RollbackFailed)]
    [InlineData("VerificationFailed", RunnerExitCode.RollbackFailed)]
    [InlineData("Succeeded", RunnerExitCode.Success)]
    [InlineData("AlreadyCurrent", RunnerExitCode.Success)]
    public void RollbackResultStatusThatReachesTheOutputSetsTheExitCode(string status, int expected)
    {
        var run = RunCommand(FakeResult(status) + "; $result");

        Assert.True(run.ExitCode == expected, run.ToString());
        Assert.Contains(status, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedRollbackResultInAScriptFileSetsTheExitCode()
    {
        var run = RunFile(WriteScript("failed.ps1", FakeResult("Failed") + "\n$result | Select-Object Target, Status\n$result\n'after'\n"));

        Assert.True(run.ExitCode == RunnerExitCode.RollbackFailed, run.ToString());
        Assert.Equal("after", Lines(run.Output)[^1]);
    }

    [Fact]
    public void AFailedResultTheScriptKeepsToItselfIsItsOwnBusiness()
    {
        // Only what reaches the output counts: a script that takes the result and decides says so with `exit`.
        var run = RunCommand(FakeResult("Failed") + "; if ($result.Status -eq 'Failed') { 'handled' }");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["handled"], Lines(run.Output));
    }

    [Fact]
    public void FailedStatusOnOtherTypesIsJustOutput()
    {
        var run = RunCommand("[pscustomobject]@{ Status = 'Failed' }");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
    }

    [Fact]
    public void TheOutputWatchIsNotACommandScriptsCanCall()
    {
        var run = RunCommand("Get-Command Watch-RunnerOutput -ErrorAction SilentlyContinue; (Get-Command Out-Default -All).Count -ge 1");

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Equal(["True"], Lines(run.Output));
    }

    [Fact]
    public async Task CtrlCStopsTheRunAndExitsWith130()
    {
        var marker = Path.Combine(_folder, "started");
        var run = await RunnerProcess.RunAsync(
            ["--module", _modulePath, "-NoProfile", "-Command", $"'started'; Set-Content -LiteralPath '{marker}' -Value x; while ($true) {{ Start-Sleep -Milliseconds 20 }}"],
            input: null,
            environment: null,
            patience: null,
            whileRunning: async pid =>
            {
                while (!File.Exists(marker))
                {
                    await Task.Delay(20);
                }

                RunnerProcess.SendCtrlC(pid);
            });

        Assert.True(run.ExitCode == RunnerExitCode.Interrupted, run.ToString());
        Assert.Equal(["started"], Lines(run.Output));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-NoSuchParameter")]
    public void BadPwshArgumentsExitWithUsage(string argument)
    {
        var run = RunnerProcess.Run([argument]);

        Assert.True(run.ExitCode == RunnerExitCode.UsageError, run.ToString());
        Assert.Contains(argument, run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage: rollback-runner", run.Output + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ModuleWithoutAPathIsAUsageError()
    {
        var run = RunnerProcess.Run(["--module", "-Command", "1"]);

        Assert.True(run.ExitCode == RunnerExitCode.UsageError, run.ToString());
        Assert.Contains("Usage: rollback-runner", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-Help")]
    [InlineData("--help")]
    [InlineData("-?")]
    public void HelpPrintsTheRunnersUsageAndSucceeds(string argument)
    {
        var run = RunnerProcess.Run([argument]);

        Assert.True(run.ExitCode == RunnerExitCode.Success, run.ToString());
        Assert.Contains("Usage: rollback-runner", run.Output, StringComparison.Ordinal);
        Assert.Contains("130 stopped by Ctrl+C", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void FileTakesEverythingAfterItsPathAsScriptArguments()
    {
        var commandLine = RunnerCommandLine.Parse(["--non-interactive", "--module", "m.psd1", "-NoProfile", "--file", "drill.ps1", "-Target", "api", "--module", "x", "--non-interactive"], inCi: false);

        Assert.Null(commandLine.Error);
        Assert.Equal("m.psd1", commandLine.ModulePath);
        Assert.Equal(["-NoProfile", "-NonInteractive", "--file", "drill.ps1", "-Target", "api", "--module", "x", "--non-interactive"], commandLine.PwshArguments);
        Assert.True(commandLine.RunsScriptAndExits);
    }

    [Theory]
    [InlineData(new string[0], false, false, false)]
    [InlineData(new[] { "-NoProfile" }, false, false, false)]
    [InlineData(new[] { "-c", "1" }, true, false, false)]
    [InlineData(new[] { "script.ps1" }, true, false, false)]
    [InlineData(new[] { "-ExecutionPolicy", "Bypass", "script.ps1" }, true, false, false)]
    [InlineData(new[] { "-NoExit", "-Command", "1" }, true, true, false)]
    [InlineData(new[] { "-s", "-NoLogo", "-NoProfile" }, false, false, true)]
    public void WhatKindOfRunTheArgumentsAskFor(string[] args, bool runsScript, bool keepsConsole, bool serverMode)
    {
        var commandLine = RunnerCommandLine.Parse(args, inCi: false);

        Assert.Equal(runsScript, commandLine.RunsScript);
        Assert.Equal(keepsConsole, commandLine.KeepsConsole);
        Assert.Equal(serverMode, commandLine.IsServerMode);
        Assert.Equal(args, commandLine.PwshArguments);
    }

    [Theory]
    [InlineData(true, new[] { "-Command", "1" }, new[] { "-NonInteractive", "-Command", "1" })]
    [InlineData(true, new[] { "-NonInteractive", "-Command", "1" }, new[] { "-NonInteractive", "-Command", "1" })]
    [InlineData(true, new string[0], new string[0])]
    [InlineData(false, new[] { "-Command", "1" }, new[] { "-Command", "1" })]
    public void CiMakesScriptRunsNonInteractive(bool inCi, string[] args, string[] expected)
    {
        Assert.Equal(expected, RunnerCommandLine.Parse(args, inCi).PwshArguments);
    }

    [Theory]
    [InlineData(0, 0, 0, false, RunnerExitCode.Success)]
    [InlineData(0, 0, 3, false, RunnerExitCode.ScriptFailed)]
    [InlineData(0, 1, 3, false, RunnerExitCode.RollbackFailed)]
    [InlineData(5, 1, 3, false, 5)]
    [InlineData(1, 0, 0, true, RunnerExitCode.Interrupted)]
    [InlineData(64, 0, 0, false, RunnerExitCode.UsageError)]
    public void ExitCodeComposition(int pwshExitCode, int failedRollbacks, int errorRecords, bool interrupted, int expected)
    {
        Assert.Equal(expected, RunnerExitCode.Compose(pwshExitCode, failedRollbacks, errorRecords, interrupted));
    }

    private static string FakeResult(string status) =>
        $"$result = [pscustomobject]@{{ Target = 'api'; Status = '{status}' }}; $result.PSTypeNames.Insert(0, 'Rollback.RollbackResult')";

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private RunnerOutcome RunCommand(string command) => RunnerProcess.Run(["--module", _modulePath, "-NoProfile", "-Command", command]);

    private RunnerOutcome RunFile(string script) => RunnerProcess.Run(["--module", _modulePath, "-NoProfile", "-File", script]);

    private string WriteScript(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
