using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Plans;
using Rollback.Providers;

namespace Rollback.Engine;

/// <summary>
/// The readiness gate, the same for a report and for a rollback: the point exists and its artifacts are intact, the
/// target answers and the kind's own checks pass, the point's age, whether the target already is at the point, and
/// whether another change holds the target.
/// </summary>
public sealed class ReadinessOperations : EnginePart
{
    /// <summary>The name of the check that proves the point's artifacts against their manifest.</summary>
    internal const string ArtifactsIntactCheck = "ArtifactsIntact";

    private readonly PlanOperations _plans;

    internal ReadinessOperations(EngineServices engine, PlanOperations plans)
        : base(engine)
    {
        _plans = plans;
    }

    public ReadinessReport Test(string targetName, string pointId, TimeSpan? maxPointAge = null, CancellationToken cancellation = default) =>
        Test(targetName, pointId, maxPointAge, SettingsDictionary.Empty, cancellation);

    /// <summary>Readiness as a rollback with these per-call <paramref name="options"/> (<see cref="RollbackRequest.Options"/>) would see it.</summary>
    public ReadinessReport Test(string targetName, string pointId, TimeSpan? maxPointAge, SettingsDictionary options, CancellationToken cancellation = default)
    {
        RefuseNegativeMaxPointAge(maxPointAge);
        var registered = Engine.Store.Targets.Get(targetName);
        if (PlanLayout.IsPlan(registered))
        {
            PlanOperations.RefuseOptions(registered, options);
            return _plans.Check(registered, pointId, maxPointAge, lockHeldByCaller: false, throttleLimit: null, cancellation);
        }

        var (target, provider) = Engine.WithOptions(registered, options);
        Engine.Attempts.SettleIfAbandoned(target, cancellation);
        return Check(target, provider, pointId, maxPointAge, lockHeldByCaller: false, cancellation);
    }

    /// <summary>A plan member's readiness inside its plan's check: a plan's own checks for a plan, the lock left out when the plan run holds it.</summary>
    internal ReadinessReport CheckMember(string targetName, string pointId, TimeSpan? maxPointAge, bool lockHeldByCaller, int? throttleLimit, CancellationToken cancellation)
    {
        var target = Engine.Store.Targets.Get(targetName);
        if (PlanLayout.IsPlan(target))
        {
            return _plans.Check(target, pointId, maxPointAge, lockHeldByCaller, throttleLimit, cancellation);
        }

        if (!lockHeldByCaller)
        {
            Engine.Attempts.SettleIfAbandoned(target, cancellation);
        }

        return Check(target, Engine.ProviderOf(target), pointId, maxPointAge, lockHeldByCaller, cancellation);
    }

    /// <summary>The checks; <paramref name="lockHeldByCaller"/> leaves out the lock check when the caller (a rollback) holds it.</summary>
    /// <remarks>
    /// <paramref name="stagingVerifies"/> (a rollback): for a kind that proves the point's contents while it stages them
    /// (<see cref="ISwitchSafetyPointProvider.VerifiesWhileStaging"/>), the point's tree is proven here without reading its files, unless the target is
    /// already at the point (then nothing is staged, and the files are read here as Test-RollbackReadiness reads them).
    /// </remarks>
    internal ReadinessReport Check(RollbackTarget target, IRollbackProvider provider, string pointId, TimeSpan? maxPointAge, bool lockHeldByCaller, CancellationToken cancellation, HashReuse? hashes = null, bool stagingVerifies = false)
    {
        var checks = new List<CheckResult>();
        TargetState? current = null;

        // The point and the live target are read independently: the point (its manifest, its artifacts fetched, its tree
        // proven) on another thread, the target on this one, where what describing it reports is shown as it happens. A
        // point that does not exist stops the target's read, which then counts for nothing.
        using var pointMissing = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var context = Engine.Operation(pointMissing.Token, hashes);
        var pointReports = new DeferredReporter();
        var pointSide = Task.Run(() => ReadPoint(target, provider, pointId, stagingVerifies, context.Listings, pointReports, pointMissing, cancellation), CancellationToken.None);
        RollbackException? unreachable = null;
        PointSide side;
        try
        {
            current = EngineServices.Describe(target, provider, context);
        }
        catch (RollbackException ex)
        {
            unreachable = ex;
        }
        catch (OperationCanceledException) when (pointMissing.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            // Stopped because the point does not exist (see ReadPoint): that is the check that fails.
        }
        finally
        {
            // Joined even when describing failed, so nothing runs on after this check; a bug in it surfaces as itself.
            side = pointReports.ForwardUntilDone(pointSide, Engine.Reporter);
        }

        checks.Add(side.Exists);
        var point = side.Point;
        if (point is null)
        {
            current = null;
        }
        else
        {
            var artifactsCheck = checks.Count;
            checks.Add(side.Artifacts!);
            if (unreachable is null && side.Fetched)
            {
                try
                {
                    checks.AddRange(provider.Check(target, point, current!, context));
                }
                catch (RollbackException ex)
                {
                    unreachable = ex;
                }
            }

            if (unreachable is not null)
            {
                checks.Add(CheckResult.Fail("TargetReachable", unreachable.ErrorId, unreachable.Message));
            }

            if (side.DeferContents && current?.Matches(point.Fingerprint) == true && checks[artifactsCheck].Status != CheckStatus.Fail)
            {
                // Already at the point: nothing will be staged, so the files are read here, as Test-RollbackReadiness reads them.
                checks[artifactsCheck] = ArtifactsIntact(target, provider, point, contents: true, cancellation);
            }

            var age = Engine.Now - point.CreatedAt;
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
            checks.Add(Engine.Locks.Probe(target.Name));
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
            CheckedAt = Engine.Now,
        };
    }

    /// <summary>
    /// Readiness's side of the point, run beside the target's read: the point itself (a point that cannot be read cancels
    /// <paramref name="pointMissing"/>, which stops the target's read), its artifacts fetched where they are kept elsewhere,
    /// and its tree proven against its manifest, with its files' contents unless staging proves them (<paramref name="stagingVerifies"/>).
    /// </summary>
    private PointSide ReadPoint(RollbackTarget target, IRollbackProvider provider, string pointId, bool stagingVerifies, TreeListings listings, IRollbackReporter reporter, CancellationTokenSource pointMissing, CancellationToken cancellation)
    {
        RollbackPoint point;
        try
        {
            point = Engine.Store.Points.Get(target.Name, pointId);
        }
        catch (RollbackException ex)
        {
            pointMissing.Cancel();
            return new PointSide(null, CheckResult.Fail("PointExists", ex.ErrorId, ex.Message), null, Fetched: false, DeferContents: false);
        }

        var exists = CheckResult.Pass("PointExists", $"Point {point.Id} ({point.Version}, captured {point.CreatedAt:u} by {point.CreatedBy}).");
        var deferContents = stagingVerifies && provider is ISwitchSafetyPointProvider staging && staging.VerifiesWhileStaging(point);

        // Artifacts kept in S3 are downloaded first (their recorded versions, each checked against its SHA-256): a missing or
        // altered object fails the artifacts check as a changed file in a folder does, and the kind's own checks, which read
        // the point's folder, are not run on a folder that is not there.
        var unfetched = Guard(ArtifactsIntactCheck, () =>
        {
            Engine.Store.Points.Fetch(point, cancellation);
            return CheckResult.Pass(ArtifactsIntactCheck, "fetched");
        });
        return unfetched.Status == CheckStatus.Fail
            ? new PointSide(point, exists, unfetched, Fetched: false, deferContents)
            : new PointSide(point, exists, ArtifactsIntact(target, provider, point, contents: !deferContents, cancellation, listings, reporter), Fetched: true, deferContents);
    }

    /// <summary>What readiness found of the point: whether it exists, its artifacts check (null without a point), whether they were fetched, and whether staging proves their contents.</summary>
    private sealed record PointSide(RollbackPoint? Point, CheckResult Exists, CheckResult? Artifacts, bool Fetched, bool DeferContents);

    /// <summary>The point's artifacts against their manifest: the whole tree, and with <paramref name="contents"/> every file's SHA-256.</summary>
    /// <remarks>The tree's listing is left in <paramref name="listings"/> for the kind's own check of the same tree (its modes and owners).</remarks>
    private CheckResult ArtifactsIntact(RollbackTarget target, IRollbackProvider provider, RollbackPoint point, bool contents, CancellationToken cancellation, TreeListings? listings = null, IRollbackReporter? reporter = null) =>
        Guard(ArtifactsIntactCheck, () =>
        {
            FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, reporter ?? Engine.Reporter, cancellation, contents, listings);
            var what = $"{point.Artifacts.Count:N0} artifacts ({point.TotalSize / 1048576.0:N1} MiB)";
            return CheckResult.Pass(ArtifactsIntactCheck, contents
                ? $"{what} match their SHA-256."
                : $"{what} are in place with their sizes, links and folders, and nothing was added; each file's SHA-256 is proven as it is staged, before the switch.");
        });

    /// <summary>A rollback whose switch could not be journaled must not start: the journal is checked before anything changes.</summary>
    private CheckResult JournalWritable()
    {
        try
        {
            Engine.Store.Journal.EnsureWritable();
            return CheckResult.Pass("JournalWritable", "The journal can record this attempt.");
        }
        catch (RollbackException ex)
        {
            return CheckResult.Fail("JournalWritable", ex.ErrorId, ex.Message);
        }
    }

    /// <summary>A -MaxPointAge for one call obeys the setting's rule: a time span that is positive.</summary>
    internal static void RefuseNegativeMaxPointAge(TimeSpan? maxPointAge)
    {
        if (maxPointAge is { } age && age <= TimeSpan.Zero)
        {
            throw new RollbackException(RollbackErrorId.InvalidSetting, RollbackErrorCategory.InvalidArgument,
                $"-{RollbackEngine.MaxPointAgeSetting} must be a positive time span such as '7.00:00:00', not '{age.ToString("c", CultureInfo.InvariantCulture)}'.", RollbackEngine.MaxPointAgeSetting);
        }
    }

    private static TimeSpan MaxPointAgeOf(RollbackTarget target)
    {
        var text = target.Settings.GetString(RollbackEngine.MaxPointAgeSetting);
        return text is not null && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed) ? parsed : RollbackEngine.DefaultMaxPointAge;
    }

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

    private static string FormatAge(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{age.TotalDays:N1} days" : age.TotalHours >= 1 ? $"{age.TotalHours:N1} hours" : $"{Math.Max(0, age.TotalMinutes):N0} minutes";
}
