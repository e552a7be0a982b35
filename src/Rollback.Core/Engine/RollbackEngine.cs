using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Verification;

namespace Rollback.Engine;

/// <summary>
/// The one place the safety rules live, for every kind: the lock, the readiness gate, the safety capture
/// of the failed state, timing and downtime, verification, and the journal entry for every attempt.
/// Created per command invocation; holds no state beyond what it is given.
/// </summary>
public sealed partial class RollbackEngine
{
    public const string MaxPointAgeSetting = "MaxPointAge";
    public static readonly TimeSpan DefaultMaxPointAge = TimeSpan.FromDays(7);
    private static readonly TimeSpan MinimumHealthAttempt = TimeSpan.FromSeconds(1);

    private readonly ProviderCatalog _catalog;
    private readonly IRollbackReporter _reporter;
    private readonly TimeProvider _time;
    private readonly IHealthProbe _healthProbe;

    /// <summary>An engine over a store and a catalogue; <paramref name="time"/> is the clock and the waits of every operation (the system's by default).</summary>
    public RollbackEngine(RollbackStore store, ProviderCatalog catalog, IRollbackReporter? reporter = null, TimeProvider? time = null, string? user = null,
        IHealthProbe? healthProbe = null)
    {
        Store = store;
        _catalog = catalog;
        _reporter = reporter ?? NullReporter.Instance;
        _time = time ?? TimeProvider.System;
        User = user ?? CurrentUser();
        _healthProbe = healthProbe ?? new HealthProbe();
    }

    public RollbackStore Store { get; }

    public string User { get; }

    public ProviderCatalog Catalog => _catalog;

    /// <summary>The time source every operation of this engine runs on (the watcher and the probe share it).</summary>
    public TimeProvider Time => _time;

    public IRollbackReporter Reporter => _reporter;

    public static string CurrentUser() =>
        Platform.NativeFileSystem.IsWindows ? Environment.UserDomainName + "\\" + Environment.UserName : Environment.UserName;

    // ---- targets -------------------------------------------------------------------------------

    public RollbackTarget RegisterTarget(string name, string kind, SettingsDictionary settings, bool replace)
    {
        TargetRegistry.ValidateName(name);
        var provider = _catalog.Get(kind);
        SettingsCheck.Settings(provider.Kind, settings, DeclaredSettings(provider));
        var validated = provider.ValidateSettings(settings);
        ValidateHealthSettings(validated);
        var secrets = DeclaredSettings(provider).Where(d => d.Secret && validated.ContainsKey(d.Name)).ToList();
        var target = new RollbackTarget
        {
            Name = name,
            Kind = provider.Kind,
            Settings = secrets.Aggregate(validated, (stored, secret) => stored.With(secret.Name, StoredSecret(name, secret.Name, stored[secret.Name]))),
            RegisteredAt = _time.GetUtcNow(),
            RegisteredBy = User,
        };
        Store.Targets.Save(target, replace);

        // Values given as a SecureString are written only once the target is saved: a refused registration changes none.
        Store.Secrets.RemoveAll(name);
        foreach (var secret in secrets)
        {
            if (validated[secret.Name] is SecretText text)
            {
                Store.Secrets.Keep(name, secret.Name, text.Value);
            }
        }

        Journal(new HistoryEntry { Target = name, Action = HistoryAction.RegisterTarget, To = provider.Kind, Status = HistoryStatus.Succeeded });
        return target;
    }

    public void UnregisterTarget(string name, bool removePoints)
    {
        var target = Store.Targets.Get(name);
        using (AcquireTargetLock(target.Name, "Unregister"))
        {
            Store.Targets.Remove(target.Name);
            Store.Secrets.RemoveAll(target.Name);
            if (removePoints)
            {
                Store.Points.DeleteAll(target.Name);
            }
        }

        Journal(new HistoryEntry { Target = target.Name, Action = HistoryAction.UnregisterTarget, Status = HistoryStatus.Succeeded, Message = removePoints ? "Points removed." : "Points kept." });
    }

    public TargetState DescribeTarget(string name, CancellationToken cancellation = default)
    {
        var target = Store.Targets.Get(name);
        return Describe(target, _catalog.Get(target.Kind), Context(cancellation));
    }

    // ---- points --------------------------------------------------------------------------------

    public RollbackPoint CreatePoint(string targetName, string? note, CancellationToken cancellation = default)
    {
        var target = Store.Targets.Get(targetName);
        var started = _time.GetTimestamp();
        try
        {
            using (AcquireTargetLock(target.Name, "Capture"))
            {
                var point = Capture(target, note, isSafetyPoint: false, cancellation);
                Journal(new HistoryEntry { Target = target.Name, Action = HistoryAction.Capture, PointId = point.Id, To = point.Version, Reason = note, Duration = _time.GetElapsedTime(started), Status = HistoryStatus.Succeeded });
                return point;
            }
        }
        catch (RollbackException ex)
        {
            Journal(new HistoryEntry { Target = target.Name, Action = HistoryAction.Capture, Reason = note, Duration = _time.GetElapsedTime(started), Status = HistoryStatus.Failed, ErrorId = ex.ErrorId, Message = ex.Message });
            throw;
        }
    }

    /// <summary>The target's points, oldest first; a point whose manifest is damaged is left out with a warning that names it.</summary>
    public IReadOnlyList<RollbackPoint> GetPoints(string targetName)
    {
        var target = Store.Targets.Get(targetName);
        return Store.Points.List(target.Name, skipped: ex => _reporter.Warning(ex.Message));
    }

    public RollbackPoint GetPoint(string targetName, string pointId)
    {
        var target = Store.Targets.Get(targetName);
        return Store.Points.Get(target.Name, pointId);
    }

    /// <summary>
    /// The newest point captured on purpose: never a safety point, which holds a failed state. Throws PointNotFound
    /// when the target has none.
    /// </summary>
    public RollbackPoint GetLatestKnownGoodPoint(string targetName)
    {
        var target = Store.Targets.Get(targetName);
        return GetPoints(target.Name).LastOrDefault(p => !p.IsSafetyPoint)
            ?? throw new RollbackException(RollbackErrorId.PointNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Target '{target.Name}' has no rollback point other than safety points. Capture one with New-RollbackPoint -Target {target.Name} before a deployment.",
                target.Name);
    }

    /// <summary>
    /// The retention rule: all but the newest <paramref name="keepLast"/> known-good points, and the safety points older
    /// than the oldest one kept (newer safety points may still be needed to undo a recent rollback).
    /// </summary>
    public IReadOnlyList<RollbackPoint> GetPointsToPrune(string targetName, int keepLast)
    {
        var oldestFirst = GetPoints(targetName);
        var kept = oldestFirst.Where(p => !p.IsSafetyPoint).Reverse().Take(keepLast).ToList();
        if (kept.Count == 0)
        {
            return Array.Empty<RollbackPoint>();
        }

        var oldestKept = kept[kept.Count - 1].Id;
        return oldestFirst.Where(p => !kept.Contains(p) && (!p.IsSafetyPoint || string.CompareOrdinal(p.Id, oldestKept) < 0)).ToList();
    }

    public void RemovePoint(RollbackPoint point) => RemovePoint(point.Target, point.Id, point.Version);

    /// <summary>Removes a point by id whatever its manifest holds: the way out for a point whose manifest is damaged.</summary>
    public void RemovePoint(string targetName, string pointId, string? version = null)
    {
        var target = Store.Targets.Get(targetName);
        using (AcquireTargetLock(target.Name, "RemovePoint"))
        {
            Store.Points.Delete(target.Name, pointId);
        }

        Journal(new HistoryEntry { Target = target.Name, Action = HistoryAction.RemovePoint, PointId = pointId, From = version, Status = HistoryStatus.Succeeded });
    }

    // ---- readiness -----------------------------------------------------------------------------

    public ReadinessReport TestReadiness(string targetName, string pointId, TimeSpan? maxPointAge = null, CancellationToken cancellation = default) =>
        TestReadiness(targetName, pointId, maxPointAge, SettingsDictionary.Empty, cancellation);

    /// <summary>Readiness as a rollback with these per-call <paramref name="options"/> (<see cref="RollbackRequest.Options"/>) would see it.</summary>
    public ReadinessReport TestReadiness(string targetName, string pointId, TimeSpan? maxPointAge, SettingsDictionary options, CancellationToken cancellation = default)
    {
        var (target, provider) = WithOptions(Store.Targets.Get(targetName), options);
        return Readiness(target, provider, pointId, maxPointAge, lockHeldByCaller: false, cancellation);
    }

    private ReadinessReport Readiness(RollbackTarget target, IRollbackProvider provider, string pointId, TimeSpan? maxPointAge, bool lockHeldByCaller, CancellationToken cancellation)
    {
        var checks = new List<CheckResult>();
        RollbackPoint? point = null;
        TargetState? current = null;
        try
        {
            point = Store.Points.Get(target.Name, pointId);
            checks.Add(CheckResult.Pass("PointExists", $"Point {point.Id} ({point.Version}, captured {point.CreatedAt:u} by {point.CreatedBy})."));
        }
        catch (RollbackException ex)
        {
            checks.Add(CheckResult.Fail("PointExists", ex.ErrorId, ex.Message));
        }

        if (point is not null)
        {
            checks.Add(Guard("ArtifactsIntact", () =>
            {
                FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, _reporter, cancellation);
                return CheckResult.Pass("ArtifactsIntact", $"{point.Artifacts.Count:N0} artifacts ({point.TotalSize / 1048576.0:N1} MiB) match their SHA-256.");
            }));

            try
            {
                var context = Context(cancellation);
                current = Describe(target, provider, context);
                checks.AddRange(provider.Check(target, point, current, context));
            }
            catch (RollbackException ex)
            {
                checks.Add(CheckResult.Fail("TargetReachable", ex.ErrorId, ex.Message));
            }

            var age = _time.GetUtcNow() - point.CreatedAt;
            var window = maxPointAge ?? MaxPointAgeOf(target);
            checks.Add(age > window
                ? CheckResult.Warn("PointAge", $"The point is {FormatAge(age)} old, older than {FormatAge(window)}: data and dependencies may have moved on since.")
                : CheckResult.Pass("PointAge", $"The point is {FormatAge(age)} old."));

            if (current is not null)
            {
                checks.Add(current.Matches(point.Fingerprint)
                    ? CheckResult.Warn("VersionDiffers", $"The target is already at {point.Version}: a rollback will return AlreadyCurrent and change nothing.")
                    : CheckResult.Pass("VersionDiffers", $"Current {current.Version} -> {point.Version}."));
            }
        }

        if (!lockHeldByCaller)
        {
            using var probe = FileLock.TryAcquire(TargetLockPath(target.Name));
            checks.Add(probe is null
                ? CheckResult.Fail("NoRollbackInProgress", RollbackErrorId.RollbackInProgress, InProgressMessage(target.Name))
                : CheckResult.Pass("NoRollbackInProgress", "No other rollback holds the target."));
        }

        checks.Add(JournalWritable());

        return new ReadinessReport
        {
            Target = target.Name,
            PointId = pointId,
            Point = point,
            CurrentVersion = current?.Version,
            CurrentFingerprint = current is not null && point is not null && current.Matches(point.Fingerprint) ? point.Fingerprint : current?.Fingerprint,
            PointVersion = point?.Version,
            Checks = checks,
            CheckedAt = _time.GetUtcNow(),
        };
    }

    /// <summary>A rollback whose switch could not be journaled must not start: the journal is checked before anything changes.</summary>
    private CheckResult JournalWritable()
    {
        try
        {
            Store.Journal.EnsureWritable();
            return CheckResult.Pass("JournalWritable", "The journal can record this attempt.");
        }
        catch (RollbackException ex)
        {
            return CheckResult.Fail("JournalWritable", ex.ErrorId, ex.Message);
        }
    }

    // ---- rollback ------------------------------------------------------------------------------

    /// <summary>What a rollback would do, for -WhatIf: the planned steps, with nothing changed on the target or the store.</summary>
    public RollbackResult PlanRollback(string targetName, string pointId, string reason, IReadOnlyList<string> approvedBy, SettingsDictionary? options = null, CancellationToken cancellation = default)
    {
        var (target, provider) = WithOptions(Store.Targets.Get(targetName), options ?? SettingsDictionary.Empty);
        var point = Store.Points.Get(target.Name, pointId);
        var context = Context(cancellation);
        var current = Describe(target, provider, context);
        var steps = new List<RollbackStep> { Planned("CheckReadiness", "Verify the point's artifacts and the target's preconditions.") };
        steps.Add(Planned("CaptureSafetyPoint", $"Capture the current state ({current.Version}) as a safety point."));
        steps.AddRange(provider.PlanRestore(target, point, context).Select(s => Planned(s.Name, s.Description)));
        steps.Add(Planned("Verify", $"Check that the target reports {point.Version}."));
        var health = HealthSettings.Read(target.Settings);
        if (health.IsConfigured)
        {
            var expected = health.ExpectedVersionFor(point.Version);
            steps.Add(Planned("VerifyHealth", $"Check {string.Join(", ", health.Uris)} until healthy{(expected is null ? string.Empty : " at " + expected)} (at most {health.Timeout})."));
        }
        return new RollbackResult
        {
            Target = target.Name,
            Kind = target.Kind,
            PointId = point.Id,
            FromVersion = current.Version,
            ToVersion = point.Version,
            Status = RollbackStatus.WhatIf,
            StartedAt = _time.GetUtcNow(),
            Steps = steps,
            Reason = reason,
            ApprovedBy = approvedBy,
            User = User,
            Message = current.Matches(point.Fingerprint) ? $"The target is already at {point.Version}; a rollback would return AlreadyCurrent." : null,
        };
    }

    /// <summary>
    /// Rolls a target back to a point. Refusals (unknown target or point, not ready, in progress) are journaled and
    /// thrown; a restore that fails is journaled and returned with Status Failed, so the caller reports both.
    /// </summary>
    public RollbackResult Rollback(RollbackRequest request)
    {
        var startedAt = _time.GetUtcNow();
        var watch = _time.GetTimestamp();
        RollbackTarget? target = null;
        string? fromVersion = null;
        string? toVersion = null;
        try
        {
            (target, var provider) = WithOptions(Store.Targets.Get(request.Target), request.Options);
            EnforceApprovals(target, request);
            using (AcquireTargetLock(target.Name, "Rollback to " + request.PointId))
            {
                ReportPhase(target, "Checking readiness", 5);
                var readiness = Readiness(target, provider, request.PointId, request.MaxPointAge, lockHeldByCaller: true, request.Cancellation);
                fromVersion = readiness.CurrentVersion;
                toVersion = readiness.PointVersion;
                foreach (var warning in readiness.Warnings.Where(w => w.Name != "VersionDiffers"))
                {
                    _reporter.Warning(warning.Message);
                }

                if (!readiness.IsReady)
                {
                    throw readiness.ToNotReadyError();
                }

                // Readiness has just read the current state under the lock; reading it again would double the cost on big folders.
                var point = readiness.Point!;
                var currentVersion = readiness.CurrentVersion!;
                if (readiness.CurrentFingerprint == point.Fingerprint)
                {
                    return Finish(request, target, point, startedAt, watch, RollbackStatus.AlreadyCurrent, currentVersion, null, null,
                        Array.Empty<CheckResult>(), null, $"The target is already at {point.Version}; nothing was changed.");
                }

                var context = new RestoreContext(_reporter, _time, request.Cancellation)
                {
                    Reason = request.Reason,
                    BeforeSwitch = request.BeforeSwitch,
                    AfterSwitch = request.AfterSwitch,
                    Validator = request.Validator,
                };
                ReportPhase(target, "Capturing a safety point of the current state", 20);
                var safety = context.Step("CaptureSafetyPoint", () => Capture(target, $"Safety point before rollback to {point.Id}: {request.Reason}", isSafetyPoint: true, request.Cancellation));
                context.SafetyPoint = safety;

                try
                {
                    ReportPhase(target, $"Restoring {point.Version}", 50);
                    provider.Restore(target, point, context);
                }
                catch (Exception ex) when (IsRestoreFailure(ex) || ex is OperationCanceledException)
                {
                    // Say where the target stands now: a failure or Ctrl+C may come before or after the switch.
                    var failure = AsRollbackException(ex, target.Name);
                    var state = Verify(target, provider, point, context);
                    return Finish(request, target, point, startedAt, watch, RollbackStatus.Failed, currentVersion, safety, context, state, failure.ErrorId,
                        $"{failure.Message} {state[0].Message} The safety point {safety.Id} holds the state before this attempt.");
                }

                ReportPhase(target, "Verifying", 90);
                var verifying = _time.GetTimestamp();
                var verification = Verify(target, provider, point, context);
                var health = verification.All(v => v.Status != CheckStatus.Fail)
                    ? VerifyHealth(target, point, verification, context)
                    : new List<HealthCheckResult>();
                var failures = verification.Where(v => v.Status == CheckStatus.Fail).ToList();
                var verified = failures.Count == 0;
                var verificationTime = new VerificationTime(_time.GetElapsedTime(verifying), verified ? _time.GetElapsedTime(watch) : null);
                return Finish(request, target, point, startedAt, watch, verified ? RollbackStatus.Succeeded : RollbackStatus.VerificationFailed,
                    currentVersion, safety, context, verification, verified ? null : failures[0].ErrorId ?? RollbackErrorId.RollbackFailed,
                    verified ? null : string.Join(" ", failures.Select(v => v.Message)), health, verificationTime);
            }
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException)
        {
            var refusal = AsRollbackException(ex, request.Target);
            Journal(new HistoryEntry
            {
                Target = target?.Name ?? request.Target,
                Action = HistoryAction.Rollback,
                PointId = request.PointId,
                From = fromVersion,
                To = toVersion,
                Reason = request.Reason,
                ApprovedBy = request.ApprovedBy,
                Duration = _time.GetElapsedTime(watch),
                Status = ex is OperationCanceledException ? HistoryStatus.Cancelled : HistoryStatus.Refused,
                Severity = SeverityLabel(request),
                Trigger = request.AutomaticTrigger?.ToString(),
                ErrorId = refusal.ErrorId,
                Message = refusal.Message,
            });
            if (ex is OperationCanceledException)
            {
                throw refusal;
            }

            throw;
        }
        finally
        {
            _reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Rollback, Activity = "Rollback", Completed = true });
        }
    }

    /// <summary>
    /// Records the refusal of a rollback whose readiness report was not ready (the caller honours the report it
    /// was given rather than re-checking), and returns the RollbackNotReady error to report.
    /// </summary>
    public RollbackException RefuseNotReady(ReadinessReport report, string reason, IReadOnlyList<string> approvedBy)
    {
        var refusal = report.ToNotReadyError();
        Journal(new HistoryEntry
        {
            Target = report.Target,
            Action = HistoryAction.Rollback,
            PointId = report.PointId,
            From = report.CurrentVersion,
            To = report.PointVersion,
            Reason = reason,
            ApprovedBy = approvedBy,
            Status = HistoryStatus.Refused,
            ErrorId = refusal.ErrorId,
            Message = refusal.Message,
        });
        return refusal;
    }

    // ---- configuration -------------------------------------------------------------------------

    public IReadOnlyList<ConfigurationRestoreResult> RestoreConfiguration(ConfigurationRestoreRequest request)
    {
        var watch = _time.GetTimestamp();
        var (target, provider) = WithOptions(Store.Targets.Get(request.Target), request.Options);
        if (provider is not IConfigurationProvider configurationProvider)
        {
            throw new RollbackException(RollbackErrorId.ConfigurationNotSupported, RollbackErrorCategory.InvalidOperation,
                $"Target '{target.Name}' is of kind {target.Kind}, which holds no configuration items. Use Invoke-Rollback for it.", target.Name);
        }

        if (request.Previous && provider is not IPreviousVersionProvider)
        {
            throw new RollbackException(RollbackErrorId.ConfigurationNotSupported, RollbackErrorCategory.InvalidOperation,
                $"Target '{target.Name}' is of kind {target.Kind}, which keeps no previous version of its own: -Previous does not apply. Restore from a point instead (omit -Previous).", target.Name);
        }

        var point = Store.Points.Get(target.Name, request.PointId);
        if (request.WhatIf)
        {
            FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, _reporter, request.Cancellation);
            return configurationProvider.RestoreConfiguration(target, point, ConfigurationContext(request, null));
        }

        string? safetyId = null;
        try
        {
            using (AcquireTargetLock(target.Name, "Restore-Configuration from " + point.Id))
            {
                FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, _reporter, request.Cancellation);
                var safety = Capture(target, $"Safety point before configuration restore from {point.Id}: {request.Reason}", isSafetyPoint: true, request.Cancellation);
                safetyId = safety.Id;
                var results = configurationProvider.RestoreConfiguration(target, point, ConfigurationContext(request, safety));
                Journal(new HistoryEntry
                {
                    Target = target.Name,
                    Action = HistoryAction.RestoreConfiguration,
                    PointId = point.Id,
                    From = safety.Version,
                    To = request.Previous ? string.Join(", ", results.Select(r => r.To)) : point.Version,
                    Reason = request.Reason,
                    ApprovedBy = request.ApprovedBy,
                    Duration = _time.GetElapsedTime(watch),
                    Status = HistoryStatus.Succeeded,
                    SafetyPointId = safety.Id,
                    Message = $"{results.Count(r => r.Changed)} of {results.Count} items changed{(request.Previous ? " (to their previous version)" : string.Empty)}.",
                });
                return results;
            }
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException || IsRestoreFailure(ex))
        {
            var failure = AsRollbackException(ex, target.Name);
            Journal(new HistoryEntry
            {
                Target = target.Name,
                Action = HistoryAction.RestoreConfiguration,
                PointId = point.Id,
                To = point.Version,
                Reason = request.Reason,
                ApprovedBy = request.ApprovedBy,
                Duration = _time.GetElapsedTime(watch),
                Status = HistoryStatus.Failed,
                ErrorId = failure.ErrorId,
                Message = failure.Message,
                SafetyPointId = safetyId,
            });
            throw failure;
        }
    }

    // ---- history -------------------------------------------------------------------------------

    public IReadOnlyList<HistoryEntry> GetHistory(HistoryFilter filter)
    {
        var entries = Store.Journal.Read(_reporter.Warning).Where(e =>
            (filter.Target is null || string.Equals(e.Target, filter.Target, StringComparison.OrdinalIgnoreCase)) &&
            (filter.Action is null || string.Equals(e.Action, filter.Action, StringComparison.OrdinalIgnoreCase)) &&
            (filter.Status is null || string.Equals(e.Status, filter.Status, StringComparison.OrdinalIgnoreCase)) &&
            (filter.Since is null || e.Time >= filter.Since)).ToList();
        return filter.Last is int last ? entries.Skip(Math.Max(0, entries.Count - last)).ToList() : entries;
    }

    public JournalVerification VerifyJournal() => Store.Journal.Verify();

    // ---- shared pieces -------------------------------------------------------------------------

    private RollbackPoint Capture(RollbackTarget target, string? note, bool isSafetyPoint, CancellationToken cancellation)
    {
        var provider = _catalog.Get(target.Kind);
        var createdAt = _time.GetUtcNow();
        var id = Store.Points.NextId(target.Name, createdAt);
        var staging = Store.Points.CreateStaging(target.Name, id);
        try
        {
            var captured = provider.Capture(target, new CaptureContext(Path.Combine(staging, PointStore.ArtifactsFolderName), _reporter, _time, cancellation));
            var point = new RollbackPoint
            {
                Id = id,
                Target = target.Name,
                Kind = target.Kind,
                Version = captured.Version,
                Fingerprint = captured.Fingerprint,
                CreatedAt = createdAt,
                CreatedBy = User,
                Note = note,
                IsSafetyPoint = isSafetyPoint,
                Artifacts = captured.Artifacts,
                TotalSize = captured.Artifacts.Sum(a => a.Size),
                Metadata = captured.Metadata,
            };
            return Store.Points.Commit(staging, point);
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException || IsRestoreFailure(ex))
        {
            PointStore.DiscardStaging(staging);
            if (ex is RollbackException)
            {
                throw;
            }

            throw new RollbackException(ex is UnauthorizedAccessException ? RollbackErrorId.TargetReadOnly : RollbackErrorId.CaptureFailed,
                ex is UnauthorizedAccessException ? RollbackErrorCategory.PermissionDenied : RollbackErrorCategory.ReadError,
                $"Capturing target '{target.Name}' failed: {ex.Message}", target.Name, ex);
        }
    }

    private static TargetState Describe(RollbackTarget target, IRollbackProvider provider, OperationContext context)
    {
        try
        {
            return provider.Describe(target, context);
        }
        catch (RollbackException ex)
        {
            // Keep the provider's id (AwsResourceNotFound, AwsAccessDenied...): it says more than "unreachable".
            throw new RollbackException(ex.ErrorId, ex.Category, $"Cannot read the state of target '{target.Name}': {ex.Message}", target.Name, ex);
        }
        catch (Exception ex) when (IsRestoreFailure(ex))
        {
            throw new RollbackException(RollbackErrorId.TargetUnreachable, RollbackErrorCategory.ResourceUnavailable,
                $"Cannot read the state of target '{target.Name}': {ex.Message}", target.Name, ex);
        }
    }

    /// <summary>
    /// Whether the target now reports the point's state. Runs after the switch even when Ctrl+C stopped the restore, so
    /// the result can say where the target stands: it reads with a context of its own that Ctrl+C does not cancel.
    /// </summary>
    private static List<CheckResult> Verify(RollbackTarget target, IRollbackProvider provider, RollbackPoint point, OperationContext context)
    {
        try
        {
            var after = provider.Describe(target, context.WithCancellation(CancellationToken.None));
            return new List<CheckResult>
            {
                after.Matches(point.Fingerprint)
                    ? CheckResult.Pass("StateMatchesPoint", $"The target reports {after.Version}, the point's state.")
                    : CheckResult.Fail("StateMatchesPoint", RollbackErrorId.RollbackFailed, $"The target reports {after.Version} ({after.Detail}), not the point's {point.Version}."),
            };
        }
        catch (Exception ex) when (ex is RollbackException || IsRestoreFailure(ex))
        {
            return new List<CheckResult> { CheckResult.Fail("StateMatchesPoint", RollbackErrorId.TargetUnreachable, $"Cannot read the target after the switch: {ex.Message}") };
        }
    }

    private RollbackResult Finish(RollbackRequest request, RollbackTarget target, RollbackPoint point, DateTimeOffset startedAt, long watch, RollbackStatus status,
        string fromVersion, RollbackPoint? safety, RestoreContext? context, IReadOnlyList<CheckResult> verification, string? errorId, string? message,
        IReadOnlyList<HealthCheckResult>? health = null, VerificationTime? verificationTime = null)
    {
        var duration = _time.GetElapsedTime(watch);
        var entry = Journal(new HistoryEntry
        {
            Target = target.Name,
            Action = HistoryAction.Rollback,
            PointId = point.Id,
            From = fromVersion,
            To = point.Version,
            Reason = request.Reason,
            ApprovedBy = request.ApprovedBy,
            Duration = duration,
            Status = status.ToString(),
            ErrorId = errorId,
            Message = message,
            SafetyPointId = safety?.Id,
            Severity = SeverityLabel(request),
            Trigger = request.AutomaticTrigger?.ToString(),
            VerificationDuration = verificationTime?.Duration,
            RecoveryTime = verificationTime?.Recovery,
            Details = context is null || context.Details.Count == 0 ? null : new Dictionary<string, string>(context.Details),
        });
        return new RollbackResult
        {
            Target = target.Name,
            Kind = target.Kind,
            PointId = point.Id,
            FromVersion = fromVersion,
            ToVersion = point.Version,
            Status = status,
            StartedAt = startedAt,
            Duration = duration,
            Downtime = context?.Downtime ?? TimeSpan.Zero,
            Steps = context?.Steps.ToList() ?? new List<RollbackStep>(),
            SafetyPointId = safety?.Id,
            Verification = verification,
            Reason = request.Reason,
            ApprovedBy = request.ApprovedBy,
            User = User,
            Severity = SeverityLabel(request),
            Trigger = request.AutomaticTrigger?.ToString(),
            JournalSequence = entry.Sequence,
            JournalHash = entry.Hash,
            ErrorId = errorId,
            Message = message,
            ConfigurationItems = context?.ConfigurationItems.ToList() ?? new List<ConfigurationRestoreResult>(),
            Details = context is null ? new Dictionary<string, string>() : new Dictionary<string, string>(context.Details),
            Health = health ?? Array.Empty<HealthCheckResult>(),
            VerificationDuration = verificationTime?.Duration,
            RecoveryTime = verificationTime?.Recovery,
        };
    }

    // ---- health verification ---------------------------------------------------------------------

    /// <summary>
    /// Probes the target's health endpoints one after another within one overall timeout, adding a check per endpoint
    /// (and per failing named check) to <paramref name="verification"/>. Never throws: after the switch every problem,
    /// Ctrl+C included, becomes a failed check so the result says where the target stands.
    /// </summary>
    private List<HealthCheckResult> VerifyHealth(RollbackTarget target, RollbackPoint point, List<CheckResult> verification, OperationContext context)
    {
        var results = new List<HealthCheckResult>();
        try
        {
            var settings = HealthSettings.Read(target.Settings);
            if (!settings.IsConfigured)
            {
                return results;
            }

            using var certificate = settings.TrustedCertificate is null ? null : TrustedCertificate.Load(settings.TrustedCertificate);
            var expected = settings.ExpectedVersionFor(point.Version);
            var headers = settings.HeadersFor(Store.Secrets.Directory);
            var started = _time.GetTimestamp();
            foreach (var uri in settings.Uris)
            {
                ReportPhase(target, $"Verifying health of {HealthProbe.WithoutUserInfo(uri)}", 95);
                var remaining = settings.Timeout - _time.GetElapsedTime(started);
                var options = new HealthProbeOptions
                {
                    Uri = uri,
                    ExpectedVersion = expected,
                    ExpectedStatusCodes = settings.ExpectedStatusCodes,
                    Headers = headers,
                    TrustedCertificate = certificate,
                    MaxLatency = settings.MaxLatency,
                    RetryInterval = settings.RetryInterval,
                    // Endpoints share the timeout; one that comes after it ran out still gets one short attempt.
                    Timeout = remaining > MinimumHealthAttempt ? remaining : MinimumHealthAttempt,
                    Target = target.Name,
                };
                var result = _healthProbe.Check(options, context);
                results.Add(result);
                verification.AddRange(HealthChecks(result));
            }
        }
        catch (RollbackException ex)
        {
            verification.Add(CheckResult.Fail("HealthEndpoint", ex.ErrorId, $"The health endpoints of '{target.Name}' could not be checked: {ex.Message}"));
        }
        catch (OperationCanceledException)
        {
            verification.Add(CheckResult.Fail("HealthEndpoint", RollbackErrorId.OperationCancelled,
                $"Health verification of '{target.Name}' was cancelled after the switch: the target runs {point.Version}, unverified. Run Test-DeploymentHealth to check it."));
        }

        return results;
    }

    private static IEnumerable<CheckResult> HealthChecks(HealthCheckResult result)
    {
        if (result.Healthy)
        {
            yield return CheckResult.Pass("HealthEndpoint", $"{result.Uri}: {result.Detail}");
            yield break;
        }

        yield return CheckResult.Fail("HealthEndpoint", result.ErrorId ?? RollbackErrorId.HealthCheckFailed,
            $"{result.Uri} is not healthy after {result.Attempts} attempt(s) in {result.Elapsed.TotalSeconds:N1} s: {result.Detail}");
        foreach (var check in result.Checks.Where(c => !c.Healthy))
        {
            yield return CheckResult.Fail("HealthCheck." + check.Name, RollbackErrorId.HealthCheckFailed,
                $"{result.Uri} reports {check.Name} {check.Status}{(check.Description is null ? string.Empty : ": " + check.Description)}.");
        }
    }

    private static void ValidateHealthSettings(SettingsDictionary settings)
    {
        var health = HealthSettings.Read(settings);
        if (health.TrustedCertificate is not null)
        {
            // Fail at registration, not in the middle of an incident, when the certificate cannot be read.
            TrustedCertificate.Load(health.TrustedCertificate).Dispose();
        }
    }

    /// <summary>How long verification took, and the time from the start to verified health (null when not verified).</summary>
    private sealed record VerificationTime(TimeSpan Duration, TimeSpan? Recovery);

    private ConfigurationRestoreContext ConfigurationContext(ConfigurationRestoreRequest request, RollbackPoint? safety) =>
        new(_reporter, _time, request.Cancellation)
        {
            Items = request.Items, Validator = request.Validator, BeforeSwitch = request.BeforeSwitch, AfterSwitch = request.AfterSwitch,
            WhatIf = request.WhatIf, Previous = request.Previous, SafetyPoint = safety,
        };

    private HistoryEntry Journal(HistoryEntry entry) => Store.Journal.Append(entry with { Time = _time.GetUtcNow(), User = User });

    private OperationContext Context(CancellationToken cancellation) => new(_reporter, _time, cancellation);

    private TargetLock AcquireTargetLock(string targetName, string purpose)
    {
        var held = FileLock.TryAcquire(TargetLockPath(targetName));
        if (held is null)
        {
            throw new RollbackException(RollbackErrorId.RollbackInProgress, RollbackErrorCategory.ResourceBusy, InProgressMessage(targetName), targetName);
        }

        var holder = HolderPath(targetName);
        AtomicFile.WriteAllText(holder, string.Format(CultureInfo.InvariantCulture, "{0} (user {1}, process {2}, since {3:u})", purpose, User, Process.GetCurrentProcess().Id, _time.GetUtcNow()));
        return new TargetLock(held, holder);
    }

    private string TargetLockPath(string targetName) => Store.LockPath("target-" + targetName.ToLowerInvariant());

    private string HolderPath(string targetName) => Path.Combine(Store.LocksDirectory, "target-" + targetName.ToLowerInvariant() + ".holder");

    private string InProgressMessage(string targetName)
    {
        var holder = HolderPath(targetName);
        var who = File.Exists(holder) ? File.ReadAllText(holder) : "another process";
        return $"A rollback or capture of target '{targetName}' is already in progress: {who}. Wait for it to finish; only one may change a target at a time.";
    }

    private void ReportPhase(RollbackTarget target, string status, int percent) =>
        _reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Rollback, Activity = $"Rollback of {target.Name}", Status = status, PercentComplete = percent });

    /// <summary>
    /// A secret setting as the store keeps it: a reference (env:NAME, file:/path) as given, the file checked to be
    /// user-only; a value given as a SecureString becomes a reference to the store file it will be written to.
    /// </summary>
    private static SecretReference StoredSecret(string target, string setting, object value)
    {
        if (value is SecretText)
        {
            return SecretFiles.ReferenceFor(target, setting);
        }

        var reference = value as SecretReference ?? (SecretReference.TryParse((string)value, out var parsed) ? parsed! : throw new InvalidOperationException("SettingsCheck lets only references through."));
        if (reference.Locator.StartsWith(SecretReference.FilePrefix, StringComparison.Ordinal))
        {
            SecretReference.CheckProtected(reference.Locator.Substring(SecretReference.FilePrefix.Length));
        }

        return reference;
    }

    /// <summary>The settings a target of this provider's kind may have: the engine's own and the kind's.</summary>
    public static IReadOnlyList<SettingDefinition> DeclaredSettings(IRollbackProvider provider) => EngineSettings.All.Concat(provider.Schema.Settings).ToList();

    /// <summary>The target as one call sees it: its settings with the per-call <paramref name="options"/> laid over them, once they check out.</summary>
    private (RollbackTarget Target, IRollbackProvider Provider) WithOptions(RollbackTarget target, SettingsDictionary options)
    {
        var provider = _catalog.Get(target.Kind);
        if (options.Count == 0)
        {
            return (target, provider);
        }

        SettingsCheck.Options(provider.Kind, options, DeclaredSettings(provider));
        var settings = options.Aggregate(target.Settings, (merged, option) => merged.With(option.Key, option.Value));
        return (new RollbackTarget { Name = target.Name, Kind = target.Kind, Settings = settings, RegisteredAt = target.RegisteredAt, RegisteredBy = target.RegisteredBy }, provider);
    }

    private static TimeSpan MaxPointAgeOf(RollbackTarget target)
    {
        var text = target.Settings.GetString(MaxPointAgeSetting);
        return text is not null && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) ? parsed : DefaultMaxPointAge;
    }


    /// <summary>
    /// The severity policy: a rollback under a given severity needs that many distinct approvers, and below
    /// the levels where the on-call may approve, the person running it cannot approve their own rollback. When an
    /// automatic trigger fired, the on-call may proceed alone; the trigger is journaled.
    /// </summary>
    private void EnforceApprovals(RollbackTarget target, RollbackRequest request)
    {
        if (request.Severity is not RollbackSeverity severity || request.AutomaticTrigger is not null)
        {
            return;
        }

        var rule = RollbackPolicyFile.Resolve(request.PolicyPath, target.Settings).Rule(severity);
        var approvers = request.ApprovedBy.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (!rule.OnCallMayApprove)
        {
            approvers.RemoveAll(a => string.Equals(a, User, StringComparison.OrdinalIgnoreCase));
        }

        if (approvers.Count < rule.RequiredApprovals)
        {
            var who = rule.OnCallMayApprove ? "the on-call engineer (or another approver)" : $"approvers other than '{User}'";
            throw new RollbackException(RollbackErrorId.ApprovalRequired, RollbackErrorCategory.PermissionDenied,
                $"A {rule.Label} rollback of '{target.Name}' needs {rule.RequiredApprovals} approval(s) from {who}; it has {approvers.Count}" +
                (approvers.Count > 0 ? $" ({string.Join(", ", approvers)})" : string.Empty) +
                ". Pass their names with -ApprovedBy, or roll back under the automatic trigger that fired.",
                target.Name);
        }
    }

    private static string? SeverityLabel(RollbackRequest request) =>
        request.Severity is RollbackSeverity severity ? SeverityRule.LabelOf(severity) : null;

    /// <summary>Runs one readiness check; an expected failure becomes a failed check instead of an exception.</summary>
    private static CheckResult Guard(string name, Func<CheckResult> check)
    {
        try
        {
            return check();
        }
        catch (RollbackException ex)
        {
            return CheckResult.Fail(name, ex.ErrorId, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail(name, RollbackErrorId.ArtifactMissing, $"The point's artifacts cannot be read: {ex.Message}");
        }
    }

    private static RollbackStep Planned(string name, string description) => new() { Name = name, Status = StepStatus.Planned, Message = description };

    private static bool IsRestoreFailure(Exception ex) => ex is IOException or UnauthorizedAccessException or RollbackException;

    private static RollbackException AsRollbackException(Exception ex, string targetName) => ex switch
    {
        RollbackException rollback => rollback,
        OperationCanceledException => new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped,
            $"The operation on '{targetName}' was cancelled.", targetName, ex),
        UnauthorizedAccessException => new RollbackException(RollbackErrorId.TargetReadOnly, RollbackErrorCategory.PermissionDenied,
            $"Target '{targetName}' cannot be written: {ex.Message} Run with an account that may write it.", targetName, ex),
        _ when ex.InnerException is UnauthorizedAccessException => AsRollbackException(ex.InnerException, targetName),
        _ => new RollbackException(RollbackErrorId.RollbackFailed, RollbackErrorCategory.WriteError, $"Restoring target '{targetName}' failed: {ex.Message}", targetName, ex),
    };

    private static string FormatAge(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{age.TotalDays:N1} days" : age.TotalHours >= 1 ? $"{age.TotalHours:N1} hours" : $"{Math.Max(0, age.TotalMinutes):N0} minutes";

    /// <summary>A held target lock and the file that tells others who holds it.</summary>
    private sealed class TargetLock : IDisposable
    {
        private readonly FileLock _lock;
        private readonly string _holderFile;

        public TargetLock(FileLock heldLock, string holderFile)
        {
            _lock = heldLock;
            _holderFile = holderFile;
        }

        public void Dispose()
        {
            File.Delete(_holderFile);
            _lock.Dispose();
        }
    }
}
