using System.Collections.Generic;
using System.Globalization;
using Rollback.Engine;
using Rollback.Metrics;
using Rollback.Verification;

namespace Rollback.Settings;

/// <summary>
/// The settings the engine reads for every kind (point age, health verification, metrics, policy), declared like a
/// kind's own so that registration checks them the same way and Get-RollbackKind lists them.
/// </summary>
public static class EngineSettings
{
    public static IReadOnlyList<SettingDefinition> All { get; } = new List<SettingDefinition>
    {
        new()
        {
            Name = RollbackEngine.MaxPointAgeSetting, Type = SettingType.TimeSpan, Default = RollbackEngine.DefaultMaxPointAge.ToString("c", CultureInfo.InvariantCulture),
            Description = "Points older than this get a readiness warning (Invoke-Rollback and Test-RollbackReadiness -MaxPointAge for one call).",
        },
        new() { Name = RollbackPolicyFile.PolicyPathSetting, Type = SettingType.Text, Description = "A policy file (JSON) with the target's thresholds and severity approvals; the built-in policy when absent." },
        new() { Name = HealthSettings.HealthUriSetting, Type = SettingType.Uri, IsList = true, Description = "Health endpoints (http or https) checked after a rollback; none: no health verification." },
        new()
        {
            Name = HealthSettings.ExpectedVersionSetting, Type = SettingType.Text, Default = HealthSettings.PointVersionRule, PerCall = true,
            Description = "The version the health endpoints must report: Point (the point's version), None (no version check), or a fixed version.",
        },
        new()
        {
            Name = HealthSettings.HealthTimeoutSetting, Type = SettingType.TimeSpan, Default = HealthProbeOptions.DefaultTimeout.ToString("c", CultureInfo.InvariantCulture), PerCall = true,
            Description = "How long health verification keeps retrying, over all endpoints together.",
        },
        new() { Name = HealthSettings.HealthRetryIntervalSetting, Type = SettingType.TimeSpan, Default = HealthProbeOptions.DefaultRetryInterval.ToString("c", CultureInfo.InvariantCulture), Description = "The wait between two health attempts." },
        new() { Name = HealthSettings.HealthExpectedStatusSetting, Type = SettingType.WholeNumber, IsList = true, Description = "HTTP status codes that count as healthy; any 2xx when absent." },
        new() { Name = HealthSettings.HealthMaxLatencySetting, Type = SettingType.TimeSpan, Description = "A health answer slower than this counts as unhealthy." },
        new() { Name = HealthSettings.HealthHeaderSetting, Type = SettingType.Text, IsList = true, Description = "Extra request headers for the health endpoints, as 'Name: value' (no Authorization)." },
        new()
        {
            Name = HealthSettings.HealthAuthorizationSetting, Type = SettingType.Text, Secret = true,
            Description = "The Authorization header for the health endpoints (e.g. 'Bearer ...'): a SecureString or PSCredential (kept in a user-only store file), 'env:NAME' or 'file:/path' (a user-only file).",
        },
        new() { Name = HealthSettings.HealthTrustedCertificateSetting, Type = SettingType.Text, Description = "A .cer/.pem file or a thumbprint: the one certificate trusted beyond the platform's roots." },
        new() { Name = MetricsQueries.PrometheusUrlSetting, Type = SettingType.Uri, Description = "The Prometheus server Get-RollbackDecision and Watch-Deployment query." },
        new() { Name = MetricsQueries.JobSetting, Type = SettingType.Text, Description = "The job label value in the queries ({job}); the target's name when absent." },
        new() { Name = MetricsQueries.ErrorRateQuerySetting, Type = SettingType.Text, Description = "PromQL for the error rate (0..1); the 5xx share of http_requests_total when absent." },
        new() { Name = MetricsQueries.LatencyP95QuerySetting, Type = SettingType.Text, Description = "PromQL for the p95 latency in seconds; empty turns it off." },
        new() { Name = MetricsQueries.AvailabilityQuerySetting, Type = SettingType.Text, Description = "PromQL for availability (0..1); empty turns it off." },
        new() { Name = MetricsQueries.LatencyBaselineSetting, Type = SettingType.Number, Description = "The p95 latency before the change, in seconds." },
        new() { Name = MetricsQueries.LatencyBaselineQuerySetting, Type = SettingType.Text, Description = "PromQL for the latency baseline when no fixed one is set (e.g. with offset 1d)." },
        new() { Name = MetricsQueries.RateWindowSetting, Type = SettingType.Text, Default = MetricsQueries.DefaultRateWindow, Description = "The rate window in the queries ({window})." },
        new() { Name = MetricsQueries.StepSetting, Type = SettingType.TimeSpan, Default = MetricsQueries.DefaultStep.ToString("c", CultureInfo.InvariantCulture), Description = "The range step of the metric queries." },
    };
}
