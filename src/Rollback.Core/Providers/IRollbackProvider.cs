using System.Collections.Generic;
using Rollback.Settings;

namespace Rollback.Providers;

/// <summary>
/// What a target kind must do; the engine does the rest for every kind (lock, readiness gate, safety
/// capture, journal, timing, downtime, verification, the result). Implementations are public, sealed,
/// stateless and have a parameterless constructor: the catalogue finds them by reflection.
/// </summary>
public interface IRollbackProvider
{
    /// <summary>The kind name users pass to Register-RollbackTarget -Kind.</summary>
    string Kind { get; }

    string Description { get; }

    /// <summary>
    /// What the kind declares: its settings (name, type, default, description, whether -Option may override one for a
    /// call) and its own ErrorIds with recommended actions. Registration refuses a key that neither this nor the
    /// engine declares (UnknownSetting) and a value of the wrong type (InvalidSetting) before <see cref="ValidateSettings"/>.
    /// </summary>
    KindSchema Schema { get; }

    /// <summary>Checks settings when a target is registered (fail fast) and returns them normalised (full paths, defaults).</summary>
    SettingsDictionary ValidateSettings(SettingsDictionary settings);

    /// <summary>Reads the target's current state. No side effects; honours the context's cancellation.</summary>
    TargetState Describe(RollbackTarget target, OperationContext context);

    /// <summary>Captures the current state into <see cref="CaptureContext.ArtifactsDirectory"/> (or records it in place), with checksums.</summary>
    CapturedState Capture(RollbackTarget target, CaptureContext context);

    /// <summary>The folder the point's artifact paths are relative to (the point's artifacts folder, or data left in place such as a release folder).</summary>
    string GetArtifactBase(RollbackTarget target, RollbackPoint point);

    /// <summary>Kind-specific readiness checks: reachable, writable, preconditions. The engine adds the generic ones. Honours the context's cancellation.</summary>
    IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context);

    /// <summary>The steps <see cref="Restore"/> would take, for -WhatIf. Changes nothing.</summary>
    IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context);

    /// <summary>Brings the target to the point as named steps reported through <paramref name="context"/>; honours its cancellation.</summary>
    void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context);
}

/// <summary>An optional capability: kinds whose points are configuration items that Restore-Configuration can restore one by one.</summary>
public interface IConfigurationProvider
{
    /// <summary>
    /// Refuses (ConfigurationItemNotFound) any of <paramref name="items"/> that the point does not hold. The engine calls
    /// it before it captures or changes anything, so a mistyped -Item costs no safety point.
    /// </summary>
    void CheckItems(RollbackTarget target, RollbackPoint point, IReadOnlyList<string> items);

    IReadOnlyList<ConfigurationRestoreResult> RestoreConfiguration(RollbackTarget target, RollbackPoint point, ConfigurationRestoreContext context);
}

/// <summary>
/// An optional capability: kinds whose restore puts temporary links, files or staged copies beside the target, or
/// moves more than one thing into place. A process killed in the middle (kill -9, a power cut) leaves them behind; the
/// next command, holding the target's lock (so whoever made them no longer runs), has the kind remove them before
/// anything else touches the target, and the attempt's intent names what the switch was still to move.
/// </summary>
public interface ISwitchRecovery
{
    /// <summary>The paths the restore to <paramref name="point"/> moves into place, in the order it moves them. Changes nothing.</summary>
    IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point);

    /// <summary>
    /// Removes what earlier restores of this target left beside it (by their names); returns the paths removed, none when
    /// clean. A state a switch set aside (the only copy of what was live before that attempt) is never removed: it is made a
    /// safety point through <see cref="RecoveryContext.AdoptSetAside"/>, or kept and named in a warning.
    /// </summary>
    IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context);
}

/// <summary>
/// An optional capability: kinds whose rollback keeps something on the target's system that belongs to a point (the
/// database a rename switch replaced, kept beside the live one while the safety point holding its state exists).
/// Remove-RollbackPoint (and retention) has the kind remove it before the point leaves the store.
/// </summary>
public interface IPointResources
{
    /// <summary>Removes what the kind keeps for <paramref name="pointId"/> on the target's system; returns what it removed (none is fine).</summary>
    IReadOnlyList<string> RemovePointResources(RollbackTarget target, string pointId, OperationContext context);
}

/// <summary>
/// An optional capability: a kind whose rollback changes data another registered target also holds (a schema migrated
/// down inside a database that a PostgreSqlDatabase target names) has that target captured as a safety point too, under
/// its lock, before anything changes; the result's and the journal's Details name it (SafetyPoint.&lt;target&gt;).
/// </summary>
public interface ICompanionSafetyPoints
{
    /// <summary>The names of registered targets to capture before a rollback of <paramref name="target"/>; none is fine.</summary>
    IReadOnlyList<string> CompanionTargets(RollbackTarget target);
}

/// <summary>
/// An optional capability: configuration kinds whose system keeps its own "previous version" label (Secrets Manager's
/// AWSPREVIOUS), so Restore-Configuration -Previous can go back one version without a point's content.
/// </summary>
public interface IPreviousVersionProvider : IConfigurationProvider
{
    /// <summary>What -Previous restores for this kind, for messages and -WhatIf (e.g. "the version labelled AWSPREVIOUS").</summary>
    string PreviousVersionDescription { get; }
}

/// <summary>A target's current state as its provider reads it.</summary>
public sealed class TargetState
{
    public required string Version { get; init; }

    /// <summary>Equal to a point's fingerprint exactly when the target is already in that point's state.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>
    /// The same state in the fingerprint form of points an older version of the provider captured (a folder's content
    /// only, before modes and owners were recorded), so such points still compare: null where the form never changed.
    /// </summary>
    public string? LegacyFingerprint { get; init; }

    public string? Detail { get; init; }

    /// <summary>True when the target is in the state of a point with this fingerprint (in either form).</summary>
    public bool Matches(string pointFingerprint) =>
        Fingerprint == pointFingerprint || (LegacyFingerprint is not null && LegacyFingerprint == pointFingerprint);
}

/// <summary>What a capture produced.</summary>
public sealed class CapturedState
{
    public required string Version { get; init; }

    public required string Fingerprint { get; init; }

    public required IReadOnlyList<ArtifactEntry> Artifacts { get; init; }

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>A step a restore would take.</summary>
public sealed class PlannedStep
{
    public PlannedStep(string name, string description)
    {
        Name = name;
        Description = description;
    }

    public string Name { get; }

    public string Description { get; }
}

/// <summary>
/// An optional capability: a kind whose restore stages the whole point beside the target and switches by exchanging the
/// two (a folder swapped by rename). Two things follow, and the engine relies on both:
/// <list type="bullet">
/// <item>The switch sets the failed state aside whole, so that state becomes the safety point instead of a copy made before
/// the restore: the engine captures nothing before <see cref="IRollbackProvider.Restore"/>, and the provider calls
/// <see cref="RestoreContext.CommitSafetyPoint"/> once its switch is done (a failure before the switch changed nothing, so it
/// needs none). What such a restore leaves beside the target must be recognisable, so that the next command finishes an
/// attempt that died (<see cref="ISwitchRecovery.RemoveLeftovers"/>, adopting a state set aside through
/// <see cref="RecoveryContext.AdoptSetAside"/>).</item>
/// <item>Staging reads every file of the point, so it proves each against the manifest's size and SHA-256 as it reads it
/// (<see cref="VerifiesWhileStaging"/>), failing with the ErrorIds readiness uses (ArtifactChecksumMismatch...) before
/// <see cref="RestoreContext.Switch"/>. Within a rollback the engine's readiness then proves the point's tree without reading
/// its files (paths inside the point, folders, links, types, sizes, nothing added), and refuses a point that staging found
/// changed as readiness refuses one (RollbackNotReady naming the difference), nothing on the target having changed.
/// Test-RollbackReadiness, and a rollback to the state already current, still read every file.</item>
/// <item>Once <see cref="RestoreContext.Switch"/> has returned, the restore changes the target no more (it only keeps what the
/// switch set aside): the engine reads the target back for its verification while the safety point is committed.</item>
/// </list>
/// </summary>
public interface ISwitchSafetyPointProvider
{
    /// <summary>True when <see cref="IRollbackProvider.Restore"/> to <paramref name="point"/> proves every file's content before its switch.</summary>
    bool VerifiesWhileStaging(RollbackPoint point);
}
