using System;
using System.Globalization;
using System.Management.Automation;
using Rollback.Errors;
using Rollback.Metrics;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Decides whether to roll back: the automatic and assessed triggers in the decision flowchart's order, mapped to the
/// severity matrix, with thresholds from the built-in policy, the target's PolicyPath or -PolicyPath. The measurements
/// come from parameters (a person's account), from a registered target's Prometheus settings, or from -PrometheusUrl.
/// Rates and shares are fractions (0.123 is 12.3%), latencies seconds. Reads only.
/// </summary>
[Cmdlet(VerbsCommon.Get, "RollbackDecision", DefaultParameterSetName = ParametersSet)]
[OutputType(typeof(RollbackDecision))]
public sealed class GetRollbackDecisionCommand : RollbackCmdlet
{
    private const string ParametersSet = "Parameters";
    private const string TargetSet = "Target";
    private const string PrometheusSet = "Prometheus";

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0.0, 1.0)]
    public double? Availability { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0.0, 1e9)]
    public double AvailabilityMinutes { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0.0, 1.0)]
    public double? ErrorRate { get; set; }

    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0.0, 1e9)]
    public double ErrorRateMinutes { get; set; }

    /// <summary>p95 response time now, in seconds.</summary>
    [Parameter(ParameterSetName = ParametersSet)]
    [ValidateRange(0.0, 1e6)]
    public double? LatencyP95 { get; set; }

    /// <summary>The target whose PrometheusUrl (and query settings, PolicyPath) to use.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = TargetSet)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = PrometheusSet)]
    [ValidateNotNull]
    public Uri? PrometheusUrl { get; set; }

    /// <summary>The value of the job label that {job} in the queries stands for.</summary>
    [Parameter(ParameterSetName = PrometheusSet)]
    [ValidateNotNullOrEmpty]
    public string? Job { get; set; }

    [Parameter(ParameterSetName = PrometheusSet)]
    [ValidateNotNullOrEmpty]
    public string? ErrorRateQuery { get; set; }

    [Parameter(ParameterSetName = PrometheusSet)]
    [AllowEmptyString]
    public string? LatencyP95Query { get; set; }

    [Parameter(ParameterSetName = PrometheusSet)]
    [AllowEmptyString]
    public string? AvailabilityQuery { get; set; }

    /// <summary>The range step of the queries.</summary>
    [Parameter(ParameterSetName = PrometheusSet)]
    public TimeSpan? Step { get; set; }

    /// <summary>p95 response time before the change, in seconds.</summary>
    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double? LatencyBaseline { get; set; }

    [Parameter]
    public SwitchParameter DataCorruption { get; set; }

    [Parameter]
    public SwitchParameter SecurityVulnerability { get; set; }

    [Parameter]
    public SwitchParameter CriticalFunctionLost { get; set; }

    [Parameter]
    public SwitchParameter NonCriticalFeaturesLost { get; set; }

    /// <summary>Share of users affected, 0..1, for the severity matrix.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double? AffectedUsers { get; set; }

    /// <summary>A policy file overriding the thresholds and the severity matrix; wins over the target's PolicyPath.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PolicyPath { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var decision = ParameterSetName switch
            {
                TargetSet => FromTarget(),
                PrometheusSet => FromMetrics(ExplicitQueries(), RollbackPolicyFile.Resolve(ResolvedPolicyPath(), null), null),
                _ => FromParameters(),
            };
            WriteObject(decision);
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the pipeline is stopping; nothing to report.
        }
    }

    private RollbackDecision FromParameters()
    {
        var policy = Announce(RollbackPolicyFile.Resolve(ResolvedPolicyPath(), null));
        return RollbackDecider.Decide(KnownInputs(), policy, DateTimeOffset.UtcNow);
    }

    private RollbackDecision FromTarget()
    {
        var target = Engine.Targets.Get(Target);
        var queries = MetricsQueries.FromSettings(target.Name, target.Settings);
        return FromMetrics(queries, RollbackPolicyFile.Resolve(ResolvedPolicyPath(), target.Settings), target.Name);
    }

    private RollbackDecision FromMetrics(MetricsQueries queries, RollbackPolicy policy, string? target)
    {
        Announce(policy);
        if (LatencyBaseline is { } baseline)
        {
            queries = queries with { LatencyBaseline = baseline };
        }

        WriteVerbose(string.Format(CultureInfo.CurrentCulture, CmdletStrings.DecisionQueries, queries.PrometheusUrl, queries.Expand(queries.ErrorRateQuery),
            string.IsNullOrWhiteSpace(queries.LatencyP95Query) ? CmdletStrings.DecisionQueryOff : queries.Expand(queries.LatencyP95Query!),
            string.IsNullOrWhiteSpace(queries.AvailabilityQuery) ? CmdletStrings.DecisionQueryOff : queries.Expand(queries.AvailabilityQuery!)));
        using var source = new MetricsDecisionSource(queries);
        var now = DateTimeOffset.UtcNow;
        var inputs = source.Read(policy, now, KnownInputs(), Cancellation);
        return RollbackDecider.Decide(inputs, policy, now, target);
    }

    private MetricsQueries ExplicitQueries()
    {
        var queries = new MetricsQueries { PrometheusUrl = MetricsQueries.ParseUrl(PrometheusUrl!.OriginalString, PrometheusUrl), Job = Job ?? string.Empty };
        if (Step <= TimeSpan.Zero)
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.DecisionStepNotPositive, Step), Step);
        }

        return queries.WithOverrides(ErrorRateQuery, LatencyP95Query, AvailabilityQuery, Step);
    }

    /// <summary>What the person running the command states: the measurements of the Parameters set, and the facts of every set.</summary>
    private DecisionInputs KnownInputs() => new()
    {
        Availability = Availability,
        AvailabilityDuration = TimeSpan.FromMinutes(AvailabilityMinutes),
        ErrorRate = ErrorRate,
        ErrorRateDuration = TimeSpan.FromMinutes(ErrorRateMinutes),
        LatencyP95 = LatencyP95,
        LatencyBaseline = LatencyBaseline,
        DataCorruption = DataCorruption.IsPresent,
        SecurityVulnerability = SecurityVulnerability.IsPresent,
        CriticalFunctionLost = CriticalFunctionLost.IsPresent,
        NonCriticalFeaturesLost = NonCriticalFeaturesLost.IsPresent,
        AffectedUsers = AffectedUsers,
        MeasuredAt = DateTimeOffset.UtcNow,
    };

    private string? ResolvedPolicyPath() =>
        PolicyPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(PolicyPath);

    private RollbackPolicy Announce(RollbackPolicy policy)
    {
        WriteVerbose(string.Format(CultureInfo.CurrentCulture, CmdletStrings.DecisionPolicy, policy.Source));
        return policy;
    }
}
