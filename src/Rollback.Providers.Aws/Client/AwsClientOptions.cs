using System;
using System.Collections.Generic;
using System.Globalization;
using Amazon.Runtime;
using Rollback.Errors;
using Rollback.Settings;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// Where and how one AWS client talks: region, profile, endpoint override, per-attempt timeout and the retry
/// limits. Built from a target's settings (Region, Profile, EndpointUrl, TimeoutSeconds, MaxAttempts).
/// </summary>
internal sealed class AwsClientOptions
{
    public const string RegionSetting = "Region";
    public const string ProfileSetting = "Profile";
    public const string EndpointUrlSetting = "EndpointUrl";
    public const string TimeoutSecondsSetting = "TimeoutSeconds";
    public const string MaxAttemptsSetting = "MaxAttempts";

    /// <summary>The settings every AWS kind takes for its client.</summary>
    public static IReadOnlyList<SettingDefinition> Settings { get; } = new[]
    {
        new SettingDefinition { Name = RegionSetting, Type = SettingType.Text, Description = "The AWS region; else the profile's, AWS_REGION, then AWS_DEFAULT_REGION." },
        new SettingDefinition { Name = ProfileSetting, Type = SettingType.Text, Description = "The shared config/credentials profile to take credentials (and region) from; else the SDK's default chain." },
        new SettingDefinition { Name = EndpointUrlSetting, Type = SettingType.Uri, Description = "Any endpoint speaking the service's API (a VPC endpoint, moto); else the regional AWS endpoint." },
        new SettingDefinition { Name = TimeoutSecondsSetting, Type = SettingType.Number, Default = "20", PerCall = true, Description = "How long one attempt may take, in seconds (at most 3600)." },
        new SettingDefinition { Name = MaxAttemptsSetting, Type = SettingType.WholeNumber, Default = "3", PerCall = true, Description = "Attempts per request, the first included (throttling, 5xx and connection failures are retried)." },
    };

    public string? Region { get; init; }

    public string? Profile { get; init; }

    /// <summary>Any endpoint speaking the service's protocol (moto, a VPC endpoint, LocalStack); null means the regional AWS endpoint.</summary>
    public Uri? EndpointUrl { get; init; }

    /// <summary>Credentials to use instead of the SDK's default chain (tests, callers that already hold some).</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>How long one attempt may take, connect to last byte. An endpoint that does not answer fails after MaxAttempts of these.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Attempts per request, the first included (the SDK's standard retry mode uses 3).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Backoff before retry n is a random delay up to min(MaxBackoff, BaseDelay * 2^(n-1)) ("full jitter").</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The client's retry budget (token bucket, as in the SDK's standard mode): a retry costs 5, a retry after a timeout 10.</summary>
    public int RetryBudget { get; init; } = 500;

    /// <summary>The client options a target's settings name; <paramref name="endpointOverride"/> (when set) wins over its EndpointUrl.</summary>
    public static AwsClientOptions FromSettings(SettingsDictionary settings, string? endpointOverride = null)
    {
        var endpoint = NonEmpty(endpointOverride) ?? NonEmpty(settings.GetString(EndpointUrlSetting));
        return new AwsClientOptions
        {
            Region = NonEmpty(settings.GetString(RegionSetting)),
            Profile = NonEmpty(settings.GetString(ProfileSetting)),
            EndpointUrl = endpoint is null ? null : ParseEndpoint(endpoint),
            AttemptTimeout = TimeSpan.FromSeconds(PositiveNumber(settings, TimeoutSecondsSetting, 20)),
            MaxAttempts = (int)PositiveNumber(settings, MaxAttemptsSetting, 3),
        };
    }

    public static Uri ParseEndpoint(string value)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"The endpoint URL '{value}' is not an absolute http or https URL. Pass one like https://secretsmanager.eu-west-1.amazonaws.com or http://127.0.0.1:5000.", value);
    }

    /// <summary>A positive number setting up to <paramref name="max"/>, or the default when absent; <paramref name="owner"/> completes the message (" of a ... target").</summary>
    internal static double PositiveNumber(SettingsDictionary settings, string key, double defaultValue, double max = 3600, string owner = "")
    {
        var text = settings.GetString(key);
        if (text is null)
        {
            return defaultValue;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= max)
        {
            return value;
        }

        throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"The setting {key}{owner} must be a positive number (got '{text}').", key);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
}
