using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;

namespace Rollback;

/// <summary>Whether a rollback of a target to a point is safe to start, and why.</summary>
public sealed class ReadinessReport
{
    private IReadOnlyList<CheckResult> _checks = Array.Empty<CheckResult>();

    public required string Target { get; init; }

    public required string PointId { get; init; }

    public RollbackPoint? Point { get; init; }

    public string? CurrentVersion { get; init; }

    public string? PointVersion { get; init; }

    /// <summary>The exact current state; equal to the point's fingerprint when a rollback would change nothing.</summary>
    public string? CurrentFingerprint { get; init; }

    public IReadOnlyList<CheckResult> Checks { get => _checks; init => _checks = value; }

    public DateTimeOffset CheckedAt { get; init; }

    /// <summary>A plan's members' own reports (their checks are also in <see cref="Checks"/>, named after the member); empty for other targets.</summary>
    public IReadOnlyList<ReadinessReport> Members { get; init; } = Array.Empty<ReadinessReport>();

    public bool IsReady => Checks.All(c => c.Status != CheckStatus.Fail);

    public IEnumerable<CheckResult> Failures => Checks.Where(c => c.Status == CheckStatus.Fail);

    public IEnumerable<CheckResult> Warnings => Checks.Where(c => c.Status == CheckStatus.Warn);

    /// <summary>The same report with <paramref name="check"/> in place of the check of that name (a failure found later, before anything changed).</summary>
    internal ReadinessReport Replacing(CheckResult check)
    {
        var copy = (ReadinessReport)MemberwiseClone();
        copy._checks = Checks.Select(c => c.Name == check.Name ? check : c).ToList();
        return copy;
    }

    /// <summary>The RollbackNotReady error this report stands for when it is not ready, naming every failed check.</summary>
    public RollbackException ToNotReadyError() =>
        new(RollbackErrorId.RollbackNotReady, RollbackErrorCategory.InvalidOperation,
            $"Target '{Target}' is not ready to roll back to {PointId}: " + string.Join(" ", Failures.Select(f => $"[{f.Name}: {f.ErrorId}] {f.Message}")),
            this);
}
