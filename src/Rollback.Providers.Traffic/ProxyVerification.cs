using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Settings;
using Rollback.Verification;

namespace Rollback.Providers.Traffic;

/// <summary>
/// What every traffic kind checks through the proxy after a step: ProxyUrl asked VerifyRequests times, one attempt each;
/// every answer must be healthy and, where the versions are known, report one the step allows (the point's at 100 %,
/// either state's before). Shared by the traffic kinds, so each declares the same two settings.
/// </summary>
internal static class ProxyVerification
{
    public const string ProxyUrlSetting = "ProxyUrl";
    public const string VerifyRequestsSetting = "VerifyRequests";
    public const int DefaultRequests = 20;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<SettingDefinition> Settings { get; } = new[]
    {
        new SettingDefinition
        {
            Name = ProxyUrlSetting, Type = SettingType.Uri,
            Description = "A URL through the proxy (its health endpoint, say) asked after every step: each answer must be healthy and report a version the step allows. None: no requests through the proxy.",
        },
        new SettingDefinition
        {
            Name = VerifyRequestsSetting, Type = SettingType.WholeNumber, Default = DefaultRequests.ToString(CultureInfo.InvariantCulture), PerCall = true,
            Description = "How many requests through ProxyUrl after each step; every one must pass.",
        },
    };

    /// <summary>
    /// The check of ProxyUrl (none when it is not set). <paramref name="allowed"/>: the versions an answer may report;
    /// empty when no version is known, and then any healthy answer counts.
    /// </summary>
    public static IReadOnlyList<CheckResult> Check(RollbackTarget target, IReadOnlyCollection<string> allowed, int percent, OperationContext context)
    {
        var url = target.Settings.GetString(ProxyUrlSetting);
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return Array.Empty<CheckResult>();
        }

        var count = int.TryParse(target.Settings.GetString(VerifyRequestsSetting), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultRequests;
        var probe = new HealthProbe();
        var versions = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        var wrong = 0;
        for (var i = 0; i < count; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var answer = probe.Check(new HealthProbeOptions { Uri = uri, MaxAttempts = 1, Timeout = RequestTimeout, RequestTimeout = RequestTimeout, Target = target.Name }, context);
            if (!answer.Healthy)
            {
                failures.Add(answer.Detail);
                continue;
            }

            var version = answer.ReportedVersion ?? "(no version)";
            versions[version] = versions.TryGetValue(version, out var seen) ? seen + 1 : 1;
            if (allowed.Count > 0 && !allowed.Any(a => HealthResponse.SameVersion(a, version)))
            {
                wrong++;
            }
        }

        var shown = HealthProbe.WithoutUserInfo(uri);
        var answered = versions.Count == 0 ? "nothing healthy" : string.Join(", ", versions.Select(v => $"{v.Key} x{v.Value}"));
        if (failures.Count == 0 && wrong == 0)
        {
            return new[] { CheckResult.Pass("TrafficThroughProxy", $"{count} request(s) through {shown} at {percent} % answered {answered}.") };
        }

        var problems = new List<string>();
        if (failures.Count > 0)
        {
            problems.Add($"{failures.Count} of {count} failed (first: {failures[0]})");
        }

        if (wrong > 0)
        {
            problems.Add($"{wrong} of {count} answered a version other than {string.Join(" or ", allowed)}");
        }

        return new[]
        {
            CheckResult.Fail("TrafficThroughProxy", TrafficErrorId.TrafficVerificationFailed,
                $"Requests through {shown} at {percent} %: {string.Join("; ", problems)}. Answers: {answered}."),
        };
    }
}
