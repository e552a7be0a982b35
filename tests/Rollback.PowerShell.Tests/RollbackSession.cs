using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// One test's PowerShell: a fresh runspace that imported the staged module (out/Rollback), and a fresh temp store
/// that every Rollback cmdlet uses through $PSDefaultParameterValues (runspace-local, so parallel tests never share
/// a store and the test process environment is left alone).
/// </summary>
public sealed class RollbackSession : IDisposable
{
    private readonly Runspace _runspace;

    public RollbackSession()
    {
        Root = Path.Combine(Path.GetTempPath(), "rollback-pstests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        StorePath = Path.Combine(Root, "store");

        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(ManifestPath);
        _runspace = RunspaceFactory.CreateRunspace(iss);
        _runspace.Open();

        var opened = Run("Get-Module Rollback");
        if (opened.Output.Count != 1)
        {
            throw new InvalidOperationException($"The module at {ManifestPath} did not import: {string.Join(" ", opened.Errors.Select(e => e.ToString()))}");
        }

        _runspace.SessionStateProxy.SetVariable("PSDefaultParameterValues", new DefaultParameterDictionary { { "*-Rollback*:StorePath", StorePath }, { "Restore-Configuration:StorePath", StorePath }, { "Test-DeploymentHealth:StorePath", StorePath }, { "Watch-Deployment:StorePath", StorePath } });
        _runspace.SessionStateProxy.SetVariable("TestRoot", Root);
        _runspace.SessionStateProxy.SetVariable("StorePath", StorePath);
    }

    public static string RepoRoot { get; } = typeof(RollbackSession).Assembly.GetCustomAttribute<RepoRootAttribute>()!.Path;

    public static string ModuleFolder { get; } = Path.Combine(RepoRoot, "out", "Rollback");

    /// <summary>The staged manifest; a clear failure when the build has not staged it.</summary>
    public static string ManifestPath
    {
        get
        {
            var manifest = Path.Combine(ModuleFolder, "Rollback.psd1");
            if (!File.Exists(manifest))
            {
                throw new InvalidOperationException($"The module manifest {manifest} is missing: run dotnet build first (the Rollback.PowerShell build stages out/Rollback).");
            }

            return manifest;
        }
    }

    /// <summary>A temp folder for this test, deleted afterwards; $TestRoot in scripts.</summary>
    public string Root { get; }

    /// <summary>This test's store; $StorePath in scripts.</summary>
    public string StorePath { get; }

    public void SetVariable(string name, object? value) => _runspace.SessionStateProxy.SetVariable(name, value);

    /// <summary>A PowerShell on this session's runspace, for tests that invoke in the background and stop it.</summary>
    public System.Management.Automation.PowerShell Shell(string script)
    {
        var shell = System.Management.Automation.PowerShell.Create();
        shell.Runspace = _runspace;
        shell.AddScript(script);
        return shell;
    }

    /// <summary>Runs a script; a terminating error is caught and returned, not thrown.</summary>
    public RunResult Run(string script, IDictionary? parameters = null)
    {
        using var shell = System.Management.Automation.PowerShell.Create();
        shell.Runspace = _runspace;
        shell.AddScript(script);
        if (parameters is not null)
        {
            shell.AddParameters(parameters);
        }

        Collection<PSObject> output;
        ErrorRecord? terminating = null;
        try
        {
            output = shell.Invoke();
        }
        catch (RuntimeException ex)
        {
            output = new Collection<PSObject>();
            terminating = ex.ErrorRecord;
        }

        return new RunResult(
            output.Where(o => o is not null).ToList(),
            shell.Streams.Error.ToList(),
            shell.Streams.Warning.Select(w => w.Message).ToList(),
            shell.Streams.Verbose.Select(v => v.Message).ToList(),
            shell.Streams.Progress.ToList(),
            terminating)
        {
            Debug = shell.Streams.Debug.Select(d => d.Message).ToList(),
            Information = shell.Streams.Information.Select(i => i.MessageData?.ToString() ?? string.Empty).ToList(),
        };
    }

    /// <summary>
    /// Runs a script that must end in a terminating error and returns it. In a script, ThrowTerminatingError stops the
    /// statement, not the script, so the script runs inside try/catch: only a terminating error reaches the catch.
    /// </summary>
    public ErrorRecord RunExpectingTerminatingError(string script, IDictionary? parameters = null)
    {
        var result = Run("param($p) $splat = $p.Args; try { & ([scriptblock]::Create($p.Script)) @splat; 'NotTerminated' } catch { $_ }",
            new Hashtable { ["p"] = new Hashtable { ["Script"] = script, ["Args"] = parameters?.Values.Cast<object>().ToArray() ?? Array.Empty<object>() } });
        Assert.True(result.Errors.Count == 0, "Errors before the terminating one: " + string.Join(" | ", result.Errors));
        var item = Assert.Single(result.Output);
        return Assert.IsType<ErrorRecord>(item.BaseObject);
    }

    public void Dispose()
    {
        _runspace.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; a failed test must not be hidden behind a cleanup error.
        }
    }
}

/// <summary>What one script produced, stream by stream.</summary>
public sealed record RunResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Verbose,
    IReadOnlyList<ProgressRecord> Progress,
    ErrorRecord? Terminating)
{
    /// <summary>The debug stream's messages.</summary>
    public IReadOnlyList<string> Debug { get; init; } = Array.Empty<string>();

    /// <summary>The information stream's messages (Write-Information, Write-Host).</summary>
    public IReadOnlyList<string> Information { get; init; } = Array.Empty<string>();

    /// <summary>Every error, non-terminating ones first, then the terminating one.</summary>
    public IReadOnlyList<ErrorRecord> AllErrors => Terminating is null ? Errors : Errors.Append(Terminating).ToList();

    /// <summary>Asserts no errors and one output object whose base object is the named Rollback type (e.g. "RollbackResult").</summary>
    public PSObject One(string typeName)
    {
        AssertNoErrors();
        var item = Assert.Single(Output);
        AssertIsRollbackType(item, typeName);
        return item;
    }

    /// <summary>Asserts no errors and that every output object is the named Rollback type.</summary>
    public IReadOnlyList<PSObject> All(string typeName)
    {
        AssertNoErrors();
        foreach (var item in Output)
        {
            AssertIsRollbackType(item, typeName);
        }

        return Output;
    }

    public void AssertNoErrors()
    {
        Assert.True(Terminating is null, "Unexpected terminating error: " + Terminating);
        Assert.True(Errors.Count == 0, "Unexpected errors: " + string.Join(" | ", Errors));
    }

    /// <summary>
    /// The test project does not reference Rollback.Core (it tests the staged module exactly as users load it), so a
    /// typed result is checked by the CLR type of the base object: the engine's own type, not a PSCustomObject.
    /// </summary>
    public static void AssertIsRollbackType(PSObject item, string typeName)
    {
        var type = item.BaseObject.GetType();
        Assert.Equal("Rollback." + typeName, type.FullName);
        Assert.Equal("Rollback.Core", type.Assembly.GetName().Name);
    }

    /// <summary>Asserts exactly one error (of either kind) and that it carries the ErrorId.</summary>
    public ErrorRecord SingleError(string errorId)
    {
        var error = Assert.Single(AllErrors);
        Assert.StartsWith(errorId + ",", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        return error;
    }
}

/// <summary>Property access on result objects, by name.</summary>
public static class PSObjectExtensions
{
    public static object? Get(this PSObject item, string property) =>
        item.Properties[property]?.Value is { } value ? (value is PSObject wrapped ? wrapped.BaseObject : value) : null;

    public static string? GetString(this PSObject item, string property) => item.Get(property)?.ToString();
}
