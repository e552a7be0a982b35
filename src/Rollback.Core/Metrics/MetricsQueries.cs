using System;
using System.Globalization;
using Rollback.Errors;

namespace Rollback.Metrics;

/// <summary>
/// Where and what a <see cref="MetricsDecisionSource"/> asks: the Prometheus address, the PromQL of each measurement and
/// the range step. From a target's settings (<see cref="FromSettings"/>) or built directly. In a query, <c>{job}</c>
/// becomes the job label value (PrometheusJob, default the target's name) and <c>{window}</c> the rate window
/// (MetricsRateWindow, default 1m). An empty query setting turns that measurement off.
/// </summary>
public sealed record MetricsQueries
{
    public const string PrometheusUrlSetting = "PrometheusUrl";
    public const string JobSetting = "PrometheusJob";
    public const string ErrorRateQuerySetting = "ErrorRateQuery";
    public const string LatencyP95QuerySetting = "LatencyP95Query";
    public const string AvailabilityQuerySetting = "AvailabilityQuery";
    public const string LatencyBaselineSetting = "LatencyBaseline";
    public const string LatencyBaselineQuerySetting = "LatencyBaselineQuery";
    public const string RateWindowSetting = "MetricsRateWindow";
    public const string StepSetting = "MetricsStep";

    /// <summary>The 5xx rate, as a share of all requests: the error rate of transactions.</summary>
    public const string DefaultErrorRateQuery =
        "sum(rate(http_requests_total{job=\"{job}\",status=~\"5..\"}[{window}])) / sum(rate(http_requests_total{job=\"{job}\"}[{window}]))";

    /// <summary>The p95 response time from the request-duration histogram, in seconds.</summary>
    public const string DefaultLatencyP95Query =
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job=\"{job}\"}[{window}])))";

    /// <summary>The share of the job's instances that Prometheus can scrape.</summary>
    public const string DefaultAvailabilityQuery = "avg(up{job=\"{job}\"})";

    public const string DefaultRateWindow = "1m";

    public static readonly TimeSpan DefaultStep = TimeSpan.FromSeconds(15);

    public required Uri PrometheusUrl { get; init; }

    public string Job { get; init; } = string.Empty;

    public string RateWindow { get; init; } = DefaultRateWindow;

    /// <summary>The error rate (0..1); required: a source without it decides nothing.</summary>
    public string ErrorRateQuery { get; init; } = DefaultErrorRateQuery;

    /// <summary>The p95 latency in seconds; null or empty: not measured.</summary>
    public string? LatencyP95Query { get; init; } = DefaultLatencyP95Query;

    /// <summary>Availability (0..1); null or empty: not measured.</summary>
    public string? AvailabilityQuery { get; init; } = DefaultAvailabilityQuery;

    /// <summary>The p95 latency before the change, in seconds.</summary>
    public double? LatencyBaseline { get; init; }

    /// <summary>An instant query for the baseline when no fixed one is set, e.g. the p95 expression with 'offset 1d'.</summary>
    public string? LatencyBaselineQuery { get; init; }

    public TimeSpan Step { get; init; } = DefaultStep;

    /// <summary>These queries with a person's overrides laid over them (from cmdlet parameters); a null keeps what is set.</summary>
    public MetricsQueries WithOverrides(string? errorRateQuery, string? latencyP95Query, string? availabilityQuery, TimeSpan? step) =>
        this with
        {
            ErrorRateQuery = errorRateQuery ?? ErrorRateQuery,
            LatencyP95Query = latencyP95Query ?? LatencyP95Query,
            AvailabilityQuery = availabilityQuery ?? AvailabilityQuery,
            Step = step ?? Step,
        };

    /// <summary>A query with {job} and {window} filled in.</summary>
    public string Expand(string query) =>
        query.Replace("{job}", EscapeLabelValue(Job)).Replace("{window}", RateWindow);

    /// <summary>The queries a target's settings name; InvalidTargetSettings when PrometheusUrl is missing or a value does not parse.</summary>
    public static MetricsQueries FromSettings(string targetName, SettingsDictionary settings)
    {
        var url = settings.GetString(PrometheusUrlSetting);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw Invalid(targetName, $"it has no {PrometheusUrlSetting} setting; set it (e.g. http://127.0.0.1:9090) with Register-RollbackTarget -Force, or pass -PrometheusUrl");
        }

        var queries = new MetricsQueries
        {
            PrometheusUrl = ParseUrl(url!, targetName),
            Job = settings.GetString(JobSetting) ?? targetName,
            RateWindow = settings.GetString(RateWindowSetting) ?? DefaultRateWindow,
            ErrorRateQuery = settings.GetString(ErrorRateQuerySetting) ?? DefaultErrorRateQuery,
            LatencyP95Query = settings.GetString(LatencyP95QuerySetting) ?? DefaultLatencyP95Query,
            AvailabilityQuery = settings.GetString(AvailabilityQuerySetting) ?? DefaultAvailabilityQuery,
            LatencyBaselineQuery = settings.GetString(LatencyBaselineQuerySetting),
        };
        if (string.IsNullOrWhiteSpace(queries.ErrorRateQuery))
        {
            throw Invalid(targetName, $"{ErrorRateQuerySetting} is empty; the error rate is required");
        }

        if (settings.GetString(LatencyBaselineSetting) is { } baseline)
        {
            if (!double.TryParse(baseline, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
            {
                throw Invalid(targetName, $"{LatencyBaselineSetting} '{baseline}' is not a positive number of seconds (e.g. 0.175)");
            }

            queries = queries with { LatencyBaseline = seconds };
        }

        if (settings.GetString(StepSetting) is { } step)
        {
            if (!TimeSpan.TryParse(step, CultureInfo.InvariantCulture, out var parsed) || parsed <= TimeSpan.Zero)
            {
                throw Invalid(targetName, $"{StepSetting} '{step}' is not a positive duration such as 00:00:15");
            }

            queries = queries with { Step = parsed };
        }

        return queries;
    }

    public static Uri ParseUrl(string url, object? targetObject)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"'{url}' is not an http(s) address of a Prometheus server.", targetObject);
    }

    private static string EscapeLabelValue(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"");

    private static RollbackException Invalid(string targetName, string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, $"Target '{targetName}' cannot be measured: {why}.", targetName);
}
