using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Errors;

namespace Rollback.Verification;

/// <summary>
/// A target's health settings, for every kind: the endpoints that prove a rollback worked and what they must answer.
/// Invoke-Rollback verifies through them after the switch; Test-DeploymentHealth reads them for a RollbackResult.
/// </summary>
public sealed class HealthSettings
{
    /// <summary>One or more http(s) endpoints.</summary>
    public const string HealthUriSetting = "HealthUri";

    /// <summary>"Point" (the default: the version of the point rolled back to), "None" (no version check), or a fixed version.</summary>
    public const string ExpectedVersionSetting = "ExpectedVersion";

    /// <summary>How long to keep retrying, in total over all endpoints (TimeSpan text, e.g. 00:00:30).</summary>
    public const string HealthTimeoutSetting = "HealthTimeout";

    public const string HealthRetryIntervalSetting = "HealthRetryInterval";

    /// <summary>Status codes that count as healthy; default any 2xx.</summary>
    public const string HealthExpectedStatusSetting = "HealthExpectedStatus";

    public const string HealthMaxLatencySetting = "HealthMaxLatency";

    /// <summary>Extra request headers as "Name: value" (not Authorization: a token has no place in the target registry).</summary>
    public const string HealthHeaderSetting = "HealthHeader";

    /// <summary>The Authorization header for the health endpoints (e.g. "Bearer ..."): a secret, stored only as a reference.</summary>
    public const string HealthAuthorizationSetting = "HealthAuthorization";

    /// <summary>A .cer/.pem path or a thumbprint of the one certificate to trust beyond the platform's roots.</summary>
    public const string HealthTrustedCertificateSetting = "HealthTrustedCertificate";

    public const string PointVersionRule = "Point";
    public const string NoVersionRule = "None";

    private HealthSettings()
    {
    }

    public IReadOnlyList<Uri> Uris { get; private init; } = Array.Empty<Uri>();

    public string ExpectedVersionRule { get; private init; } = PointVersionRule;

    public TimeSpan Timeout { get; private init; } = HealthProbeOptions.DefaultTimeout;

    public TimeSpan RetryInterval { get; private init; } = HealthProbeOptions.DefaultRetryInterval;

    public IReadOnlyList<int> ExpectedStatusCodes { get; private init; } = Array.Empty<int>();

    public TimeSpan? MaxLatency { get; private init; }

    public IReadOnlyDictionary<string, string> Headers { get; private init; } = new Dictionary<string, string>();

    public string? TrustedCertificate { get; private init; }

    /// <summary>Where the Authorization header's value is (see <see cref="HeadersFor"/>); null: no Authorization header.</summary>
    public Settings.SecretReference? Authorization { get; private init; }

    /// <summary>HealthHeader values given as env:NAME or file:/path (an API key header): where each value is, never the value.</summary>
    public IReadOnlyDictionary<string, Settings.SecretReference> SecretHeaders { get; private init; } = new Dictionary<string, Settings.SecretReference>();

    /// <summary>The request headers, those kept as references (Authorization, an API key) read where they point.</summary>
    public IReadOnlyDictionary<string, string> HeadersFor(string secretsDirectory)
    {
        if (Authorization is null && SecretHeaders.Count == 0)
        {
            return Headers;
        }

        var all = new Dictionary<string, string>(Headers.ToDictionary(p => p.Key, p => p.Value), StringComparer.OrdinalIgnoreCase);
        foreach (var secret in SecretHeaders)
        {
            all[secret.Key] = secret.Value.Reveal(secretsDirectory);
        }

        if (Authorization is not null)
        {
            all["Authorization"] = Authorization.Reveal(secretsDirectory);
        }

        return all;
    }

    public bool IsConfigured => Uris.Count > 0;

    /// <summary>Reads and checks a target's health settings; a bad one raises InvalidTargetSettings naming it.</summary>
    public static HealthSettings Read(SettingsDictionary settings)
    {
        var uris = settings.GetList(HealthUriSetting).Select(ParseUri).ToList();
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var secretHeaders = new Dictionary<string, Settings.SecretReference>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in settings.GetList(HealthHeaderSetting))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw Invalid(HealthHeaderSetting, $"'{line}' is not 'Name: value'");
            }

            var name = line.Substring(0, colon).Trim();
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid(HealthHeaderSetting, "an Authorization header would be stored in plain text in the target registry; give it as the secret setting HealthAuthorization (a SecureString, 'env:NAME' or 'file:/path') instead");
            }

            var value = line.Substring(colon + 1).Trim();
            if (Settings.SecretReference.TryParse(value, out var reference) && !value.StartsWith(Settings.SecretReference.StorePrefix, StringComparison.OrdinalIgnoreCase))
            {
                secretHeaders[name] = reference!;
                continue;
            }

            if (CredentialHeader.IsMatch(name))
            {
                // The value is not repeated: it is the secret this refusal keeps out of the registry and the error.
                throw Invalid(HealthHeaderSetting, $"the {name} header carries a credential, which would be stored in plain text in the target registry and shown by Get-RollbackTarget; give its value as a reference, '{name}: env:NAME' (an environment variable) or '{name}: file:/path' (a file only you may read)");
            }

            headers[name] = value;
        }

        var rule = settings.GetString(ExpectedVersionSetting);
        return new HealthSettings
        {
            Uris = uris,
            ExpectedVersionRule = string.IsNullOrWhiteSpace(rule) ? PointVersionRule : rule!.Trim(),
            Timeout = Duration(settings, HealthTimeoutSetting) ?? HealthProbeOptions.DefaultTimeout,
            RetryInterval = Duration(settings, HealthRetryIntervalSetting) ?? HealthProbeOptions.DefaultRetryInterval,
            ExpectedStatusCodes = settings.GetList(HealthExpectedStatusSetting).Select(StatusCode).ToList(),
            MaxLatency = Duration(settings, HealthMaxLatencySetting),
            Headers = headers,
            SecretHeaders = secretHeaders,
            TrustedCertificate = settings.GetString(HealthTrustedCertificateSetting),
            Authorization = settings.GetSecret(HealthAuthorizationSetting),
        };
    }

    /// <summary>An absolute http or https URI, or InvalidTargetSettings.</summary>
    public static Uri ParseUri(string text)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && IsHttp(uri))
        {
            return uri;
        }

        throw Invalid(HealthUriSetting, $"'{text}' is not an absolute http:// or https:// address");
    }

    public static bool IsHttp(Uri uri) => uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>The version a rollback to <paramref name="pointVersion"/> must be reported at, or null for no check.</summary>
    public string? ExpectedVersionFor(string? pointVersion)
    {
        if (ExpectedVersionRule.Equals(NoVersionRule, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return ExpectedVersionRule.Equals(PointVersionRule, StringComparison.OrdinalIgnoreCase) ? pointVersion : ExpectedVersionRule;
    }

    private static TimeSpan? Duration(SettingsDictionary settings, string key)
    {
        var text = settings.GetString(key);
        if (text is null)
        {
            return null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero
            ? value
            : throw Invalid(key, $"'{text}' is not a positive time span such as 00:00:30");
    }

    private static int StatusCode(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599
            ? code
            : throw Invalid(HealthExpectedStatusSetting, $"'{text}' is not an HTTP status code");

    // Header names that carry credentials by convention (X-Api-Key, X-Auth-Token, Cookie, X-Vault-Token...).
    private static readonly System.Text.RegularExpressions.Regex CredentialHeader = new(
        "key|token|secret|pass|auth|cookie|session|signature|credential",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static RollbackException Invalid(string key, string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, $"The health setting {key} is not valid: {why}.", key);
}
