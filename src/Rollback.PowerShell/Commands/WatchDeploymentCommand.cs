using System;
using System.Globalization;
using System.Management.Automation;
using Rollback.Errors;
using Rollback.Metrics;
using Rollback.Watching;

namespace Rollback.PowerShell.Commands;

/// <summary>
/// Watches a target after a deployment: polls its health endpoints and metrics every -Interval for -Duration, emits a
/// WatchRecord per poll (per change with -Quiet, and always the final one), and when one of the automatic
/// triggers has held for its required time, rolls back to the point (asking ShouldProcess first; -Confirm:$false for
/// runbooks) and verifies. It never rolls back twice: acting ends the watch. Ctrl+C ends it with a Cancelled record.
/// Takes -Target/-PointId, a RollbackPoint (Target, Id) or a RollbackTarget (Name) by property name.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "Deployment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(WatchRecord))]
public sealed class WatchDeploymentCommand : RollbackCmdlet
{
    private string _pointId = string.Empty;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TargetCompleter))]
    public string Target { get; set; } = string.Empty;

    /// <summary>The point to roll back to; the target's latest known-good point when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Point")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PointIdCompleter))]
    public string? PointId { get; set; }

    /// <summary>Why the watch may roll back: recorded in the journal with the trigger that held.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = string.Empty;

    [Parameter]
    public TimeSpan Interval { get; set; } = WatchRequest.DefaultInterval;

    /// <summary>The watch window; after it the watch ends without acting.</summary>
    [Parameter]
    public TimeSpan Duration { get; set; } = WatchRequest.DefaultDuration;

    /// <summary>Emit a record only when health, action or the breached triggers change, and the final record.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ApprovedBy { get; set; } = Array.Empty<string>();

    /// <summary>A policy file overriding the thresholds and durations; wins over the target's PolicyPath.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PolicyPath { get; set; }

    /// <summary>Health endpoints to watch instead of the target's HealthUri settings.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public System.Uri[]? Uri { get; set; }

    /// <summary>A version every endpoint must report during the watch (not checked by default: the new version runs).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ExpectedVersion { get; set; }

    [Parameter]
    [ValidateRange(100, 599)]
    public int[] ExpectedStatusCode { get; set; } = Array.Empty<int>();

    [Parameter]
    public TimeSpan? MaxLatency { get; set; }

    /// <summary>Watch the health endpoints only, even when the target names a Prometheus server.</summary>
    [Parameter]
    public SwitchParameter HealthOnly { get; set; }

    [Parameter]
    [ValidateNotNull]
    public System.Uri? PrometheusUrl { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Job { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ErrorRateQuery { get; set; }

    [Parameter]
    [AllowEmptyString]
    public string? LatencyP95Query { get; set; }

    [Parameter]
    [AllowEmptyString]
    public string? AvailabilityQuery { get; set; }

    /// <summary>The range step of the metrics queries.</summary>
    [Parameter]
    public TimeSpan? Step { get; set; }

    /// <summary>p95 response time before the change, in seconds.</summary>
    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double? LatencyBaseline { get; set; }

    protected override void ProcessRecord()
    {
        WatchRecord? final = null;
        try
        {
            var request = Request();
            var watcher = new DeploymentWatcher(Engine);
            foreach (var record in watcher.Watch(request))
            {
                if (!Quiet || record.Changed || record.IsFinal)
                {
                    WriteObject(record);
                }

                final = record;
            }
        }
        catch (RollbackException ex)
        {
            WriteRollbackError(ex);
            return;
        }

        if (final is { Action: WatchAction.RollbackFailed })
        {
            // The record is output for the report; the error makes -ErrorAction Stop stop a runbook.
            var message = string.Format(CultureInfo.CurrentCulture, CmdletStrings.WatchEnded, final.Target, final.Action, final.Message);
            WriteRollbackError(new RollbackException(final.ErrorId ?? RollbackErrorId.AutomaticRollbackFailed, RollbackErrorCategory.InvalidOperation, message, final));
        }
    }

    private WatchRequest Request()
    {
        var pointId = PointId;
        if (string.IsNullOrEmpty(pointId))
        {
            var latest = Engine.Points.GetLatestKnownGood(Target);
            WriteVerbose(string.Format(CultureInfo.CurrentCulture, CmdletStrings.WatchLatestPoint, Target, latest.Version, latest.Id));
            pointId = latest.Id;
        }

        _pointId = pointId!;

        return new WatchRequest
        {
            Target = Target,
            PointId = pointId!,
            Reason = Reason,
            Interval = Interval,
            Duration = Duration,
            HealthUris = Uri,
            ExpectedVersion = ExpectedVersion,
            ExpectedStatusCodes = ExpectedStatusCode,
            MaxLatency = MaxLatency,
            HealthOnly = HealthOnly.IsPresent,
            Metrics = HealthOnly ? null : Queries(),
            PolicyPath = PolicyPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(PolicyPath),
            ApprovedBy = ApprovedBy,
            Confirm = Confirm,
            Cancellation = Cancellation,
        };
    }

    /// <summary>Asked once, when an automatic trigger has held, before anything changes.</summary>
    private RollbackConsent Confirm(FiredThreshold trigger)
    {
        var description = string.Format(CultureInfo.CurrentCulture, CmdletStrings.WatchRollbackDescription, Target, _pointId, trigger.Name, trigger.Message);
        var warning = string.Format(CultureInfo.CurrentCulture, CmdletStrings.WatchRollbackWarning, Target, _pointId, trigger.Name);
        if (ShouldProcess(description, warning, CmdletStrings.WatchRollbackCaption, out var declined))
        {
            return RollbackConsent.Proceed;
        }

        return declined == ShouldProcessReason.WhatIf ? RollbackConsent.WhatIf : RollbackConsent.Declined;
    }

    /// <summary>Metrics queries from -PrometheusUrl, or the target's settings with the query parameters laid over them; null: the target's settings as they are.</summary>
    private MetricsQueries? Queries()
    {
        var overrides = ErrorRateQuery is not null || LatencyP95Query is not null || AvailabilityQuery is not null || Job is not null || Step is not null || LatencyBaseline is not null;
        if (PrometheusUrl is null && !overrides)
        {
            return null;
        }

        var target = Engine.Targets.Get(Target);
        var queries = PrometheusUrl is not null
            ? new MetricsQueries { PrometheusUrl = MetricsQueries.ParseUrl(PrometheusUrl.OriginalString, PrometheusUrl), Job = target.Name }
            : MetricsQueries.FromSettings(target.Name, target.Settings);
        if (Job is not null)
        {
            queries = queries with { Job = Job };
        }

        if (LatencyBaseline is { } baseline)
        {
            queries = queries with { LatencyBaseline = baseline };
        }

        if (Step <= TimeSpan.Zero)
        {
            throw new RollbackException(RollbackErrorId.InvalidWatchArguments, RollbackErrorCategory.InvalidArgument,
                string.Format(CultureInfo.CurrentCulture, CmdletStrings.DecisionStepNotPositive, Step), Step);
        }

        return queries.WithOverrides(ErrorRateQuery, LatencyP95Query, AvailabilityQuery, Step);
    }
}
