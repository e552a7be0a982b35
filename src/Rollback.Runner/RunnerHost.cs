using System;
using System.Globalization;
using System.IO;
using System.Management.Automation.Host;
using System.Reflection;

namespace Rollback.Runner;

/// <summary>
/// The PSHost the runner's runspace talks to. Supplying a host with a UI is what makes
/// <c>Out-Default</c> render format views and cmdlet progress reach the user.
/// </summary>
public sealed class RunnerHost : PSHost
{
    private static readonly Version HostVersion =
        typeof(RunnerHost).Assembly.GetName().Version ?? new Version(0, 0);

    private readonly RunnerHostUserInterface _ui;

    public RunnerHost(TextWriter output, TextWriter error, TextReader? input, bool interactive)
    {
        _ui = new RunnerHostUserInterface(output, error, input, interactive);
        Interactive = interactive;
    }

    public bool Interactive { get; }

    /// <summary>The code a top-level <c>exit N</c> asked for, or null when the script never called exit.</summary>
    public int? ExitCode { get; private set; }

    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override string Name => "rollback-runner";

    public override PSHostUserInterface UI => _ui;

    public override Version Version => HostVersion;

    // Nested prompts need a REPL; the runner runs one script and ends, so it has none to enter.
    public override void EnterNestedPrompt() =>
        throw new NotSupportedException("The runner has no interactive prompt; nested prompts (debugger, Suspend) are not supported.");

    public override void ExitNestedPrompt() =>
        throw new NotSupportedException("The runner has no interactive prompt; nested prompts (debugger, Suspend) are not supported.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;

    internal static string InformationalVersion =>
        typeof(RunnerHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? HostVersion.ToString();
}
