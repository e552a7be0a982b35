using System;
using System.Globalization;

namespace Rollback;

/// <summary>One row of the severity matrix: who is affected, how fast to respond, who must approve.</summary>
public sealed record SeverityRule
{
    public required RollbackSeverity Severity { get; init; }

    public string Description { get; init; } = string.Empty;

    /// <summary>The share of users (0..1) from which this row applies.</summary>
    public double MinAffectedUsers { get; init; }

    /// <summary>True when the row needs strictly more than <see cref="MinAffectedUsers"/> (the matrix's "> 25% users").</summary>
    public bool MinAffectedUsersExclusive { get; init; }

    /// <summary>Null for the standard change process; zero for immediately.</summary>
    public TimeSpan? ResponseTime { get; init; }

    public int RequiredApprovals { get; init; }

    /// <summary>The on-call engineer's approval is enough.</summary>
    public bool OnCallMayApprove { get; init; }

    public string Label => LabelOf(Severity);

    public bool Applies(double affectedUsers) =>
        MinAffectedUsersExclusive ? affectedUsers > MinAffectedUsers : affectedUsers >= MinAffectedUsers;

    public static string LabelOf(RollbackSeverity severity) => "SEV-" + ((int)severity).ToString(CultureInfo.InvariantCulture);

    /// <summary>"SEV-3", "Sev3" or "3" → <see cref="RollbackSeverity.Sev3"/>.</summary>
    public static bool TryParse(string? text, out RollbackSeverity severity)
    {
        severity = RollbackSeverity.Sev0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var digits = text!.Trim();
        if (digits.StartsWith("SEV", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits.Substring(3).TrimStart('-', ' ');
        }

        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= 0 and <= 4)
        {
            severity = (RollbackSeverity)level;
            return true;
        }

        return false;
    }

    public static string DescribeResponseTime(TimeSpan? responseTime) => responseTime switch
    {
        null => "Standard process",
        { } t when t <= TimeSpan.Zero => "Immediate",
        { } t => Durations.Describe(t),
    };

    public override string ToString() => $"{Label}: {Description}";
}
