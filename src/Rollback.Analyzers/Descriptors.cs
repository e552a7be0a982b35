using Microsoft.CodeAnalysis;

namespace Rollback.Analyzers;

/// <summary>The RB rules: one id each, a message that says how to fix, and a link to the rule's doc.</summary>
public static class Descriptors
{
    public const string CmdletsCategory = "Rollback.Cmdlets";
    public const string ErrorsCategory = "Rollback.Errors";
    public const string LayeringCategory = "Rollback.Layering";
    public const string SecurityCategory = "Rollback.Security";

    /// <summary>Diagnostic property naming the mechanical fix a diagnostic offers.</summary>
    public const string FixProperty = "Fix";

    /// <summary>Fix value: add SupportsShouldProcess = true to the Cmdlet attribute.</summary>
    public const string AddSupportsShouldProcess = nameof(AddSupportsShouldProcess);

    /// <summary>Fix value: add [OutputType(typeof(...))] for the types in <see cref="OutputTypesProperty"/>.</summary>
    public const string AddOutputType = nameof(AddOutputType);

    /// <summary>Diagnostic property: ';'-separated metadata names of the types a cmdlet writes but does not declare.</summary>
    public const string OutputTypesProperty = "OutputTypes";

    public static readonly DiagnosticDescriptor ApprovedVerb = Create(
        "RB1001", "A cmdlet uses an approved verb", "Cmdlet '{0}' uses the verb '{1}', which is not an approved PowerShell verb: use a constant of VerbsCommon, VerbsData, VerbsLifecycle, VerbsDiagnostic, VerbsCommunications, VerbsSecurity or VerbsOther",
        CmdletsCategory, DiagnosticSeverity.Error, "Get-Verb lists the approved verbs; Import-Module warns about any other, and users find commands by verb.");

    public static readonly DiagnosticDescriptor ShouldProcess = Create(
        "RB1002", "A state-changing cmdlet supports ShouldProcess and calls it before the engine", "Cmdlet '{0}' {1}",
        CmdletsCategory, DiagnosticSeverity.Error, "-WhatIf and -Confirm only exist when the cmdlet declares SupportsShouldProcess, and only work when ShouldProcess is asked before anything changes.");

    public static readonly DiagnosticDescriptor OutputType = Create(
        "RB1003", "A cmdlet declares its output types", "Cmdlet '{0}' {1}",
        CmdletsCategory, DiagnosticSeverity.Error, "[OutputType] drives tab completion of properties down the pipeline and Get-Command's OutputType; an undeclared type breaks both.");

    public static readonly DiagnosticDescriptor ErrorRecord = Create(
        "RB1004", "An error has a catalogue ErrorId and a real category", "{0}",
        ErrorsCategory, DiagnosticSeverity.Error, "Scripts and tests catch errors by FullyQualifiedErrorId; an inline or computed id is a contract nobody can find, and NotSpecified tells -ErrorAction and users nothing.");

    public static readonly DiagnosticDescriptor Layering = Create(
        "RB1005", "Layers reference only the layer below", "{0}",
        LayeringCategory, DiagnosticSeverity.Error, "The engine and providers are reused by any host and tested without PowerShell; cmdlets reach providers only through the engine's catalogue, so adding a provider touches no cmdlet.");

    public static readonly DiagnosticDescriptor Console = Create(
        "RB1006", "The module does not use the console", "'{0}' uses the console: in the module write through the PowerShell streams (WriteObject, WriteVerbose, WriteWarning, WriteProgress) or the host (Host.UI), and read input through parameters or ShouldContinue",
        LayeringCategory, DiagnosticSeverity.Error, "A module runs in hosts that have no console (runbooks, remoting, the runner, ISE); console output bypasses -Verbose, redirection and transcripts.");

    public static readonly DiagnosticDescriptor SecretProperty = Create(
        "RB1007", "A public type exposes no secret as a plain string", "Property '{0}' of public type '{1}' is a string whose name says it holds a secret: expose a SecureString or a redacted form (a hash, a version id, a masked value); if the value is known safe, suppress RB1007 here with a justification",
        SecurityCategory, DiagnosticSeverity.Warning, "Result objects end up in output, logs, transcripts, JSON and reports; a secret in a string property leaks into all of them.");

    public static readonly DiagnosticDescriptor PathParameter = Create(
        "RB1008", "Path parameters follow PowerShell's path conventions", "Parameter '{0}' of cmdlet '{1}' {2}",
        CmdletsCategory, DiagnosticSeverity.Error, "Users pass PowerShell paths (relative to the current location, on any drive, ~); -Path expands wildcards and -LiteralPath never does.");

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity, string description) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, description: description, helpLinkUri: "docs/rules/" + id + ".md");
}
