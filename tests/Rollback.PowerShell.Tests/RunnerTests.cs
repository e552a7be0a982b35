using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Runner;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The runner in-process: real runspaces with a tiny script module standing in for Rollback, so these
/// tests cover the host, the exit codes and the command line without depending on the cmdlets.
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

        function Send-Mini {
            [CmdletBinding()]
            param()
            $PSCmdlet.WriteWarning('careful')
            $PSCmdlet.WriteVerbose('details')
            foreach ($percent in 0, 50, 100) {
                $record = [System.Management.Automation.ProgressRecord]::new(7, 'Copying', "$percent of 100")
                $record.PercentComplete = $percent
                $PSCmdlet.WriteProgress($record)
            }
            $done = [System.Management.Automation.ProgressRecord]::new(7, 'Copying', 'Done')
            $done.RecordType = 'Completed'
            $PSCmdlet.WriteProgress($done)
            'sent'
        }
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

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
            "@{ ModuleVersion = '1.0.0'; RootModule = 'Mini.psm1'; FunctionsToExport = @('Get-Mini', 'Remove-Mini', 'Send-Mini') }");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void CommandOutputRendersThroughOutDefault()
    {
        var run = RunCommand("1..3");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Equal(["1", "2", "3"], Lines(run.Output));
    }

    [Fact]
    public void HashtableRendersAsPlainTable()
    {
        var run = RunCommand("@{ alpha = 1 }");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        var lines = Lines(run.Output);
        Assert.Matches(@"^Name\s+Value$", lines[0]);
        Assert.Matches(@"^alpha\s+1$", lines[2]);
        Assert.DoesNotContain('\u001b', run.Output);
    }

    [Fact]
    public void ModuleIsImportedBeforeTheScriptRuns()
    {
        var run = RunCommand("Get-Mini -Name runner");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Equal(["hello runner"], Lines(run.Output));
        Assert.Empty(run.Error);
    }

    [Fact]
    public void MissingExplicitModuleFailsBeforeRunning()
    {
        var options = new RunnerOptions { Command = "'ran'", ModulePath = Path.Combine(_folder, "Nope.psd1") };

        var run = Run(options);

        Assert.Equal(ScriptRunner.ScriptFailed, run.ExitCode);
        Assert.DoesNotContain("ran", run.Output, StringComparison.Ordinal);
        Assert.Contains("Nope.psd1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ThrowExitsWithOneAndReportsTheErrorId()
    {
        var run = RunCommand("'before'; throw 'x'; 'after'");

        Assert.Equal(ScriptRunner.ScriptFailed, run.ExitCode);
        Assert.Equal(["before"], Lines(run.Output));
        Assert.Contains("FullyQualifiedErrorId : x", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ExitInCommandSetsTheExitCode()
    {
        var run = RunCommand("'a'; exit 3; 'b'");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal(["a"], Lines(run.Output));
    }

    [Fact]
    public void ExitInScriptFileSetsTheExitCode()
    {
        var script = WriteScript("exit3.ps1", "'a'\nexit 3\n");

        var run = Run(new RunnerOptions { File = script, ModulePath = _modulePath });

        Assert.Equal(3, run.ExitCode);
    }

    [Fact]
    public void ExplicitExitZeroWinsOverEarlierErrors()
    {
        var script = WriteScript("exit0.ps1", "Get-NoSuchCommand\nexit 0\n");

        var run = Run(new RunnerOptions { File = script, ModulePath = _modulePath });

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Contains("Get-NoSuchCommand", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ExitInsideAFunctionOfAScriptFileEndsTheRun()
    {
        var script = WriteScript("exit4.ps1", "function Stop-Here { exit 4 }\nStop-Here\n'not reached'\n");

        var run = Run(new RunnerOptions { File = script, ModulePath = _modulePath });

        Assert.Equal(4, run.ExitCode);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void NativeExitCodeLeftBehindDoesNotFailTheRun()
    {
        // What a failed native command leaves behind; like pwsh -File, only `exit` sets the code.
        var script = WriteScript("native.ps1", "$global:LASTEXITCODE = 5\n'done'\n");

        var run = Run(new RunnerOptions { File = script, ModulePath = _modulePath });

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
    }

    [Fact]
    public void UnhandledErrorRendersAndExitsWithOne()
    {
        var run = RunCommand("Get-NoSuchCommand; 'after'");

        Assert.Equal(ScriptRunner.ScriptFailed, run.ExitCode);
        Assert.Equal(["after"], Lines(run.Output));
        Assert.Contains("Get-NoSuchCommand", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void HandledErrorLeavesSuccess()
    {
        var run = RunCommand("try { Get-NoSuchCommand -ErrorAction Stop } catch { 'caught' }");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Equal(["caught"], Lines(run.Output));
    }

    [Fact]
    public void ScriptFileGetsScriptRootAndNamedArguments()
    {
        var script = WriteScript(
            "args.ps1",
            "param([string] $Name, [switch] $Loud)\n\"$PSScriptRoot|$Name|$Loud|$($args -join ',')\"\n");
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, script);

        var run = Run(new RunnerOptions
        {
            File = relative,
            ModulePath = _modulePath,
            Arguments = ["-Name", "o'brien", "-Loud", "extra"],
        });

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Equal([$"{_folder}|o'brien|True|extra"], Lines(run.Output));
    }

    [Fact]
    public void MissingScriptFileIsAUsageError()
    {
        var run = Run(new RunnerOptions { File = Path.Combine(_folder, "nope.ps1"), ModulePath = _modulePath });

        Assert.Equal(ScriptRunner.UsageError, run.ExitCode);
        Assert.Contains("nope.ps1", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void WarningsAndVerboseCarryPrefixes()
    {
        var run = RunCommand("Send-Mini -Verbose");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Contains("WARNING: careful", run.Error, StringComparison.Ordinal);
        Assert.Contains("VERBOSE: details", run.Error, StringComparison.Ordinal);
        Assert.Equal(["sent"], Lines(run.Output));
    }

    [Fact]
    public void ProgressIsSilentWhenNotInteractive()
    {
        var run = RunCommand("Send-Mini -WarningAction SilentlyContinue");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Empty(run.Error);
    }

    [Fact]
    public void ProgressDrawsABarWhenInteractiveAndClearsIt()
    {
        var run = Run(new RunnerOptions { Command = "Send-Mini -WarningAction SilentlyContinue", ModulePath = _modulePath, Interactive = true }, input: string.Empty);

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Contains("Copying: 50 of 100 [###############               ] 50%", run.Error, StringComparison.Ordinal);
        Assert.EndsWith("\r", run.Error, StringComparison.Ordinal);
        Assert.Equal(["sent"], Lines(run.Output));
    }

    [Fact]
    public void ConfirmationFailsClearlyWhenNotInteractive()
    {
        var run = RunCommand("Remove-Mini");

        Assert.Equal(ScriptRunner.ScriptFailed, run.ExitCode);
        Assert.DoesNotContain("removed", run.Output, StringComparison.Ordinal);
        Assert.Contains(
            "Confirmation required but the runner is not interactive; pass -Confirm:$false or -Force",
            run.Error.ReplaceLineEndings(" "),
            StringComparison.Ordinal);
    }

    [Fact]
    public void ConfirmFalseSkipsThePromptWhenNotInteractive()
    {
        var run = RunCommand("Remove-Mini -Confirm:$false");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Equal(["removed"], Lines(run.Output));
    }

    [Theory]
    [InlineData("y", "removed")]
    [InlineData("n", "kept")]
    [InlineData("no", "kept")]
    [InlineData("", "removed")] // Enter takes the default, Yes, as at a pwsh prompt.
    public void ConfirmationAsksOnInputWhenInteractive(string answer, string expected)
    {
        var run = Run(new RunnerOptions { Command = "Remove-Mini", ModulePath = _modulePath, Interactive = true }, input: answer + "\n");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
        Assert.Contains("[Y] Yes", run.Output, StringComparison.Ordinal);
        Assert.Equal(expected, Lines(run.Output)[^1]);
    }

    [Theory]
    [InlineData("Failed", ScriptRunner.RollbackFailed)]
    [InlineData("VerificationFailed", ScriptRunner.RollbackFailed)]
    [InlineData("Succeeded", ScriptRunner.Success)]
    [InlineData("AlreadyCurrent", ScriptRunner.Success)]
    public void RollbackResultStatusSetsTheExitCode(string status, int expected)
    {
        var run = RunCommand(
            $"$o = [pscustomobject]@{{ Target = 'api'; Status = '{status}' }}; $o.PSTypeNames.Insert(0, 'Rollback.RollbackResult'); $o");

        Assert.Equal(expected, run.ExitCode);
        Assert.Contains(status, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedStatusOnOtherTypesIsJustOutput()
    {
        var run = RunCommand("[pscustomobject]@{ Status = 'Failed' }");

        Assert.Equal(ScriptRunner.Success, run.ExitCode);
    }

    [Fact]
    public void CancellationStopsThePipeline()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var run = Run(new RunnerOptions { Command = "'started'; while ($true) { }", ModulePath = _modulePath, Cancellation = cancellation.Token });

        Assert.Equal(ScriptRunner.Interrupted, run.ExitCode);
        Assert.Equal(["started"], Lines(run.Output));
    }

    [Theory]
    [InlineData]
    [InlineData("--bogus")]
    [InlineData("--file")]
    [InlineData("--command")]
    [InlineData("--command", "1", "--file", "x.ps1")]
    [InlineData("--module", "--command", "1")]
    public void BadCommandLineExitsWithUsage(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = Program.Run(args, output, error, input: null, interactiveByDefault: false);

        Assert.Equal(ScriptRunner.UsageError, code);
        Assert.Contains("Usage: rollback-runner", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HelpPrintsUsageAndSucceeds()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = Program.Run(["--help"], output, error, input: null, interactiveByDefault: true);

        Assert.Equal(ScriptRunner.Success, code);
        Assert.Contains("Usage: rollback-runner", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramRunsACommandEndToEnd()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = Program.Run(["--module", _modulePath, "--command", "Get-Mini"], output, error, input: null, interactiveByDefault: false);

        Assert.Equal(ScriptRunner.Success, code);
        Assert.Equal(["hello mini"], Lines(output.ToString()));
    }

    [Fact]
    public void FileTakesEverythingAfterItsPathAsScriptArguments()
    {
        var commandLine = RunnerCommandLine.Parse(["--non-interactive", "--file", "drill.ps1", "-Target", "api", "--module", "x"], interactiveByDefault: true);

        Assert.NotNull(commandLine.Options);
        Assert.Equal("drill.ps1", commandLine.Options.File);
        Assert.Null(commandLine.Options.ModulePath);
        Assert.False(commandLine.Options.Interactive);
        Assert.Equal(["-Target", "api", "--module", "x"], commandLine.Options.Arguments);
    }

    [Theory]
    [InlineData(true, new string[0], true)]
    [InlineData(false, new string[0], false)]
    [InlineData(true, new[] { "--non-interactive" }, false)]
    public void InteractiveFollowsTheConsoleUnlessTurnedOff(bool interactiveByDefault, string[] extra, bool expected)
    {
        var commandLine = RunnerCommandLine.Parse([.. extra, "--command", "1"], interactiveByDefault);

        Assert.NotNull(commandLine.Options);
        Assert.Equal(expected, commandLine.Options.Interactive);
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static RunOutcome Run(RunnerOptions options, string? input = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = input is null ? null : new StringReader(input);

        // A prompt that waited for input would hang the suite; bound it so such a bug fails instead.
        var task = Task.Run(() => ScriptRunner.Run(options, output, error, reader));
        Assert.True(task.Wait(Patience), "The runner did not finish: is it waiting for input?");
        return new RunOutcome(task.Result, output.ToString(), error.ToString());
    }

    private RunOutcome RunCommand(string command) =>
        Run(new RunnerOptions { Command = command, ModulePath = _modulePath });

    private string WriteScript(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private sealed record RunOutcome(int ExitCode, string Output, string Error);
}
