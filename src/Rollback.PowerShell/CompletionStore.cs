using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.Json;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.PowerShell;

/// <summary>
/// What the target and point completers read: the store the command being typed would use, found as binding would find
/// it (-StorePath as typed, else a $PSDefaultParameterValues entry for the command, else $env:ROLLBACK_STORE or the
/// per-user folder), opened without creating anything. Completion must never throw and never leave a store behind in
/// a folder the user was still typing, so every failure reads as "nothing to offer".
/// </summary>
internal static class CompletionStore
{
    private const string StorePathParameter = "StorePath";

    /// <summary>The results of <paramref name="complete"/> on the command's store; none when there is no store or it cannot be read.</summary>
    public static IEnumerable<CompletionResult> Complete(string commandName, IDictionary fakeBoundParameters, Func<RollbackStore, IEnumerable<CompletionResult>> complete)
    {
        try
        {
            var session = CurrentSessionState();
            var path = Typed(fakeBoundParameters, StorePathParameter) ?? DefaultFor(session, commandName) ?? RollbackStore.DefaultPath;
            if (StoreLocation.IsConnectionString(path))
            {
                // A shared store is a server: completion never waits on a connection.
                return Array.Empty<CompletionResult>();
            }

            var resolved = Resolve(session, path);
            var store = resolved is null ? null : RollbackStore.OpenExisting(resolved);

            // Materialised here, inside the try: a lazy sequence would read the store after the catch is gone.
            return store is null ? Array.Empty<CompletionResult>() : complete(store).ToList();
        }
        catch (Exception ex) when (ex is RollbackException or IOException or UnauthorizedAccessException or JsonException or ArgumentException or NotSupportedException or RuntimeException or InvalidOperationException)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>The value of a parameter already on the command line when it is one plain string (a typed array of one counts).</summary>
    public static string? Typed(IDictionary fakeBoundParameters, string name)
    {
        var value = Unwrap(fakeBoundParameters?.Contains(name) == true ? fakeBoundParameters[name] : null);
        if (value is object[] { Length: 1 } single)
        {
            value = Unwrap(single[0]);
        }

        return value is string text && !string.IsNullOrWhiteSpace(text) ? text : null;
    }

    /// <summary>Matches what the user typed so far: a prefix, with PowerShell wildcards honoured, ignoring case and quotes.</summary>
    public static WildcardPattern Pattern(string? wordToComplete) =>
        new((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);

    /// <summary>
    /// The StorePath that $PSDefaultParameterValues gives this command ('*-Rollback*:StorePath' and the like), when one
    /// plain string does; a script block value is not run, since completion must not run the user's code.
    /// </summary>
    private static string? DefaultFor(SessionState? session, string commandName)
    {
        if (session is null || string.IsNullOrEmpty(commandName)
            || Unwrap(session.PSVariable.GetValue("PSDefaultParameterValues")) is not IDictionary defaults
            || LanguagePrimitives.IsTrue(defaults["Disabled"]))
        {
            return null;
        }

        var values = new List<string>();
        foreach (DictionaryEntry entry in defaults)
        {
            var key = entry.Key as string ?? string.Empty;
            var colon = key.LastIndexOf(':');
            if (colon > 0
                && string.Equals(key.Substring(colon + 1).Trim(), StorePathParameter, StringComparison.OrdinalIgnoreCase)
                && new WildcardPattern(key.Substring(0, colon).Trim(), WildcardOptions.IgnoreCase).IsMatch(commandName)
                && Unwrap(entry.Value) is string path)
            {
                values.Add(path);
            }
        }

        // Two entries that disagree bind nothing either: fall back to the environment, as the command would.
        return values.Distinct(StringComparer.Ordinal).Count() == 1 ? values[0] : null;
    }

    /// <summary>
    /// A PowerShell path (relative to $PWD, ~, a PSDrive) as the file system path the cmdlet would open, or null when
    /// no folder is there: a folder that does not exist holds no store to complete from.
    /// </summary>
    private static string? Resolve(SessionState? session, string path)
    {
        var resolved = session is null ? Path.GetFullPath(path) : session.Path.GetUnresolvedProviderPathFromPSPath(path);
        return Directory.Exists(resolved) ? resolved : null;
    }

    /// <summary>
    /// The session state of the runspace completing, or null outside one. A completer runs on the pipeline thread of
    /// TabExpansion2, where Runspace.SessionStateProxy refuses calls (a pipeline is running) and a nested pipeline
    /// would need cmdlets a restricted host may lack; a script block invoked here runs in that session, and
    /// $ExecutionContext hands over its state.
    /// </summary>
    private static SessionState? CurrentSessionState() =>
        Runspace.DefaultRunspace is null
            ? null
            : ScriptBlock.Create("$ExecutionContext").Invoke().Select(o => Unwrap(o)).OfType<EngineIntrinsics>().FirstOrDefault()?.SessionState;

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;
}
