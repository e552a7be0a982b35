using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Store;

namespace Rollback.PowerShell;

/// <summary>
/// What every Rollback cmdlet shares: the store location, one engine per invocation, the reporter that
/// maps engine progress onto the cmdlet's streams, cancellation on Ctrl+C, and the one mapping of a
/// <see cref="RollbackException"/> to an <see cref="ErrorRecord"/>.
/// </summary>
public abstract class RollbackCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private RollbackEngine? _engine;
    private RollbackStore? _store;
    private IRollbackReporter? _reporter;
    private bool _disposed;

    /// <summary>
    /// The store folder, or a shared store's connection string (postgresql://host/db?user=NAME&amp;artifacts=FOLDER);
    /// defaults to $env:ROLLBACK_STORE, else a per-user folder.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    /// <summary>The shared store's database user and password (else PGPASSFILE or ~/.pgpass); never shown or journaled.</summary>
    [Parameter]
    [Credential]
    public PSCredential? StoreCredential { get; set; }

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken Cancellation => _cancellation.Token;

    /// <summary>The engine for this invocation, created on first use. A store that cannot be opened stops the command.</summary>
    protected RollbackEngine Engine => _engine ??= CreateEngine();

    /// <summary>The engine's view of this cmdlet's streams (progress, verbose, warning), for work that needs no store.</summary>
    protected IRollbackReporter Reporter => _reporter ??= new CmdletReporter(this);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _cancellation.Dispose();
            _store?.Backend.Dispose();
        }

        _disposed = true;
    }

    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>The one mapping from the engine's exception to PowerShell's error record.</summary>
    internal static ErrorRecord ToErrorRecord(RollbackException exception)
    {
        var category = (ErrorCategory)Enum.Parse(typeof(ErrorCategory), exception.Category.ToString());
        var record = new ErrorRecord(exception, exception.ErrorId, category, exception.TargetObject);
        var action = RecommendedAction(exception.ErrorId);
        if (action is not null)
        {
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = action };
        }

        return record;
    }

    /// <summary>One item failed: report it and let the command go on with the next.</summary>
    protected void WriteRollbackError(RollbackException exception) => WriteError(ToErrorRecord(exception));

    /// <summary>The whole command cannot go on (the store is unusable).</summary>
    protected void ThrowRollbackError(RollbackException exception) => ThrowTerminatingError(ToErrorRecord(exception));

    /// <summary>
    /// A file-system path as the user typed it, made absolute against the PowerShell location (and drives such as
    /// TestDrive:), not the process folder that .NET would use. Anything that is not a file-system path (empty, holding
    /// a NUL, another provider's) is returned as given, for the engine or the kind to refuse with its own ErrorId.
    /// </summary>
    protected string ResolveFileSystemPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.IndexOf('\0') >= 0)
        {
            return path;
        }

        try
        {
            var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            return provider.ImplementingType == typeof(Microsoft.PowerShell.Commands.FileSystemProvider) ? resolved : path;
        }
        catch (Exception ex) when (ex is ItemNotFoundException or ProviderNotFoundException or DriveNotFoundException or NotSupportedException or PSInvalidOperationException or PSArgumentException or ArgumentException)
        {
            return path;
        }
    }

    /// <summary>
    /// The items named by <paramref name="names"/> (wildcards allowed), in the order asked, among <paramref name="candidates"/>
    /// (all when no name is given). A plain name that is not in <paramref name="all"/> at all is handed to
    /// <paramref name="notFound"/> (to report the catalogue's not-found error); one filtered out of the candidates is skipped.
    /// </summary>
    protected static IEnumerable<T> SelectByName<T>(IReadOnlyList<T> all, IReadOnlyList<T> candidates, string[]? names, Func<T, string> nameOf, Action<string> notFound)
    {
        if (names is null)
        {
            foreach (var item in candidates)
            {
                yield return item;
            }

            yield break;
        }

        foreach (var name in names)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                foreach (var item in candidates.Where(c => pattern.IsMatch(nameOf(c))))
                {
                    yield return item;
                }

                continue;
            }

            var match = candidates.FirstOrDefault(c => string.Equals(nameOf(c), name, StringComparison.OrdinalIgnoreCase));
            if (match is not null)
            {
                yield return match;
            }
            else if (!all.Any(c => string.Equals(nameOf(c), name, StringComparison.OrdinalIgnoreCase)))
            {
                notFound(name);
            }
        }
    }

    /// <summary>
    /// ShouldProcess, except that -Force (without an explicit -Confirm) skips the confirmation prompt.
    /// -WhatIf is always honoured.
    /// </summary>
    protected bool ShouldProcessUnlessForced(string target, string action, bool force)
    {
        if (force && !MyInvocation.BoundParameters.ContainsKey("Confirm") && !IsWhatIf())
        {
            WriteVerbose(string.Format(CultureInfo.CurrentCulture, CmdletStrings.ForcedOperation, action, target));
            return true;
        }

        return ShouldProcess(target, action);
    }

    /// <summary>True under -WhatIf or $WhatIfPreference: nothing may change on a target or in the store.</summary>
    protected bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var whatIf)
            ? LanguagePrimitives.IsTrue(whatIf)
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference", false));

    private RollbackEngine CreateEngine()
    {
        var path = string.IsNullOrEmpty(StorePath) ? RollbackStore.DefaultPath : StorePath!;
        try
        {
            if (StoreLocation.IsConnectionString(path))
            {
                _store = StoreLocation.OpenShared(path, StoreCredential?.GetNetworkCredential(), ProviderCatalog.Default.StoreKinds, artifactKinds: ProviderCatalog.Default.ArtifactLocationKinds);
                return new RollbackEngine(_store, ProviderCatalog.Default, Reporter);
            }

            // Before PowerShell resolves it: on Linux a UNC path would become a relative folder name.
            RollbackStore.RefuseUncPathOffWindows(path);
            var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            _store = new RollbackStore(resolved);
            return new RollbackEngine(_store, ProviderCatalog.Default, Reporter);
        }
        catch (RollbackException ex)
        {
            ThrowRollbackError(ex);
            throw;
        }
        catch (Exception ex) when (ex is ItemNotFoundException or ProviderNotFoundException or DriveNotFoundException or NotSupportedException or PSInvalidOperationException)
        {
            ThrowRollbackError(new RollbackException(RollbackErrorId.StorePathUnavailable, RollbackErrorCategory.ResourceUnavailable,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.StorePathNotFileSystem, path, ex.Message), path, ex));
            throw;
        }
    }

    private static string? RecommendedAction(string errorId) => errorId switch
    {
        RollbackErrorId.TargetNotFound => CmdletStrings.ActionTargetNotFound,
        RollbackErrorId.PointNotFound => CmdletStrings.ActionPointNotFound,
        RollbackErrorId.UnknownTargetKind => CmdletStrings.ActionUnknownTargetKind,
        RollbackErrorId.StorePathUnavailable => CmdletStrings.ActionStorePathUnavailable,
        RollbackErrorId.StoreUnavailable => CmdletStrings.ActionStoreUnavailable,
        RollbackErrorId.StoreAuthenticationFailed => CmdletStrings.ActionStoreAuthenticationFailed,
        RollbackErrorId.StoreAccessDenied => CmdletStrings.ActionStoreAccessDenied,
        RollbackErrorId.RollbackInProgress => CmdletStrings.ActionRollbackInProgress,
        RollbackErrorId.RollbackNotReady => CmdletStrings.ActionRollbackNotReady,
        RollbackErrorId.RollbackFailed => CmdletStrings.ActionRollbackFailed,
        RollbackErrorId.JournalCorrupt or RollbackErrorId.JournalChainBroken => CmdletStrings.ActionJournalCorrupt,
        RollbackErrorId.JournalKeyUnprotected or RollbackErrorId.JournalKeyInvalid => CmdletStrings.ActionJournalKey,
        RollbackErrorId.PolicyInvalid => CmdletStrings.ActionPolicyInvalid,
        RollbackErrorId.PolicyContradictory => CmdletStrings.ActionPolicyContradictory,
        RollbackErrorId.MetricsSourceUnreachable => CmdletStrings.ActionMetricsSourceUnreachable,
        RollbackErrorId.MetricsQueryFailed => CmdletStrings.ActionMetricsQueryFailed,
        RollbackErrorId.MetricsNoData => CmdletStrings.ActionMetricsNoData,
        RollbackErrorId.HealthEndpointUnreachable => CmdletStrings.ActionHealthEndpointUnreachable,
        RollbackErrorId.HealthCheckFailed => CmdletStrings.ActionHealthCheckFailed,
        RollbackErrorId.HealthResponseInvalid => CmdletStrings.ActionHealthResponseInvalid,
        RollbackErrorId.VersionMismatch => CmdletStrings.ActionVersionMismatch,
        RollbackErrorId.TrustedCertificateInvalid => CmdletStrings.ActionTrustedCertificateInvalid,
        RollbackErrorId.InvalidWatchArguments => CmdletStrings.ActionInvalidWatchArguments,
        RollbackErrorId.NothingToWatch => CmdletStrings.ActionNothingToWatch,
        RollbackErrorId.AutomaticRollbackFailed => CmdletStrings.ActionAutomaticRollbackFailed,
        RollbackErrorId.AutoRollbackNotSupported => CmdletStrings.ActionAutoRollbackNotSupported,
        RollbackErrorId.UnknownSetting or RollbackErrorId.InvalidSetting => CmdletStrings.ActionUnknownSetting,
        RollbackErrorId.ProviderLoadFailed => CmdletStrings.ActionProviderLoadFailed,
        RollbackErrorId.NotificationWebhookInvalid or RollbackErrorId.NotificationWebhookInClear => CmdletStrings.ActionNotificationWebhook,
        RollbackErrorId.NotificationFailed => CmdletStrings.ActionNotificationFailed,
        // A kind's own ids carry the action its provider declares.
        _ => ProviderCatalog.Default.RecommendedAction(errorId),
    };

    /// <summary>Engine reports onto this cmdlet's streams. The engine calls it on the pipeline thread.</summary>
    private sealed class CmdletReporter : IRollbackReporter
    {
        private readonly RollbackCmdlet _cmdlet;

        public CmdletReporter(RollbackCmdlet cmdlet) => _cmdlet = cmdlet;

        public void Progress(ProgressUpdate update)
        {
            var record = new ProgressRecord(update.ActivityId, update.Activity, string.IsNullOrEmpty(update.Status) ? CmdletStrings.ProgressWorking : update.Status)
            {
                PercentComplete = update.Completed ? 100 : Math.Min(100, update.PercentComplete),
                RecordType = update.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                ParentActivityId = update.ParentActivityId,
            };
            if (!string.IsNullOrEmpty(update.CurrentOperation))
            {
                record.CurrentOperation = update.CurrentOperation;
            }

            Write(() => _cmdlet.WriteProgress(record));
        }

        public void Verbose(string message) => Write(() => _cmdlet.WriteVerbose(message));

        public void Warning(string message) => Write(() => _cmdlet.WriteWarning(message));

        /// <summary>
        /// Once Ctrl+C stops the pipeline, PowerShell refuses every write (PipelineStoppedException). The engine and the
        /// providers still have work to finish then (stop a cloud deployment, journal the attempt), so a report that can
        /// no longer be shown is dropped instead of cutting that work short.
        /// </summary>
        private void Write(Action write)
        {
            if (_cmdlet._cancellation.IsCancellationRequested)
            {
                return;
            }

            try
            {
                write();
            }
            catch (PipelineStoppedException)
            {
                // Stopping before StopProcessing cancelled the token, or between the check and the write: as above.
            }
        }
    }
}
