using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Errors;
using Rollback.Settings;
using Rollback.Verification;

namespace Rollback.Providers.Traffic;

/// <summary>
/// What every traffic kind reads the same way from its settings: Colours (groups of members, 'blue=web1,web2') and
/// HealthUrl (a member's or colour's own health endpoint, 'blue=http://10.0.0.5:8080/health'); the version the groups
/// taking traffic report there (a point's version); the readiness check of the groups that will take traffic; and the
/// versions an answer through the proxy may report at a step.
/// </summary>
internal sealed class TrafficGroups
{
    public const string ColoursSetting = "Colours";
    public const string HealthUrlSetting = "HealthUrl";
    public const string AppVersionKey = "AppVersion";
    private static readonly char[] MemberSeparators = { ',', ' ', '+' };
    private static readonly TimeSpan VersionProbeTimeout = TimeSpan.FromSeconds(3);
    private readonly string _kind;

    /// <summary>Reads Colours and HealthUrl; InvalidTargetSettings (naming <paramref name="kind"/>) when one is malformed.</summary>
    public TrafficGroups(string kind, SettingsDictionary settings)
    {
        _kind = kind;
        foreach (var entry in settings.GetList(ColoursSetting))
        {
            var (name, members) = Pair(kind, entry, ColoursSetting);
            var list = members.Split(MemberSeparators, StringSplitOptions.RemoveEmptyEntries).ToList();
            Colours[name] = list.Count > 0 ? list : throw Invalid(kind, $"the colour '{name}' names no member");
        }

        foreach (var entry in settings.GetList(HealthUrlSetting))
        {
            var (name, url) = Pair(kind, entry, HealthUrlSetting);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw Invalid(kind, $"the {HealthUrlSetting} of '{name}' is not an http or https URL: '{url}'");
            }

            HealthUrls[name] = uri;
        }
    }

    public Dictionary<string, List<string>> Colours { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Uri> HealthUrls { get; } = new(StringComparer.Ordinal);

    /// <summary>The settings both declare; <paramref name="member"/> says what a colour groups ('servers', 'upstreams').</summary>
    public static IReadOnlyList<SettingDefinition> Settings(string member, string example) => new[]
    {
        new SettingDefinition { Name = ColoursSetting, Type = SettingType.Text, IsList = true, Description = $"Groups of {member}, as '{example}': versions and HealthUrl name a colour instead of each one." },
        new SettingDefinition { Name = HealthUrlSetting, Type = SettingType.Text, IsList = true, Description = $"A colour's (or one of the {member}') own health endpoint, as 'blue=http://10.0.0.5:8080/health': readiness asks it for what will take traffic, and the version it reports is the target's version." },
    };

    /// <summary>Every member a colour names.</summary>
    public IEnumerable<string> ColourMembers => Colours.Values.SelectMany(g => g).Distinct(StringComparer.Ordinal);

    /// <summary>The colour <paramref name="member"/> belongs to, else the member itself.</summary>
    public string GroupOf(string member) => Colours.FirstOrDefault(c => c.Value.Contains(member)).Key ?? member;

    /// <summary>The HealthUrl entry that names neither a colour nor one of <paramref name="members"/>, if any.</summary>
    public string? UnknownHealthUrl(IReadOnlyCollection<string> members) =>
        HealthUrls.Keys.FirstOrDefault(name => !Colours.ContainsKey(name) && !members.Contains(name) && !ColourMembers.Contains(name));

    public string Taking(IEnumerable<ITrafficMember> members) => TrafficMix.Taking(members, GroupOf);

    /// <summary>The version each group taking traffic reports through its HealthUrl (best effort: one quick attempt each).</summary>
    public SortedDictionary<string, string> AppVersions(IEnumerable<ITrafficMember> members, string target, OperationContext context)
    {
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var probe = new HealthProbe();
        foreach (var group in TakingGroups(members))
        {
            if (HealthUrls.TryGetValue(group, out var url))
            {
                var answer = probe.Check(new HealthProbeOptions { Uri = url, MaxAttempts = 1, Timeout = VersionProbeTimeout, RequestTimeout = VersionProbeTimeout, Target = target }, context);
                if (answer.Healthy && answer.ReportedVersion is { } version)
                {
                    versions[group] = version;
                }
            }
        }

        return versions;
    }

    /// <summary>The one version every group taking traffic reports, or null.</summary>
    public string? SingleVersion(IEnumerable<ITrafficMember> members, IReadOnlyDictionary<string, string> versions)
    {
        var reported = TakingGroups(members).Select(g => versions.TryGetValue(g, out var v) ? v : null).ToList();
        return reported.Count > 0 && reported.All(v => v is not null) && reported.Distinct(StringComparer.Ordinal).Count() == 1 ? reported[0] : null;
    }

    /// <summary>The application version when every group taking traffic reports the same one; else which groups take it.</summary>
    public string VersionOf(IEnumerable<ITrafficMember> members, IReadOnlyDictionary<string, string> versions)
    {
        var list = members.ToList();
        return SingleVersion(list, versions) ?? Taking(list);
    }

    /// <summary>
    /// The point's metadata: <paramref name="extra"/>, 'Traffic' (who takes it) and AppVersion when one version is served.
    /// </summary>
    public Dictionary<string, string> Metadata(IReadOnlyList<ITrafficMember> members, IReadOnlyDictionary<string, string> versions, string traffic, IEnumerable<KeyValuePair<string, string>> extra)
    {
        var metadata = extra.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        metadata["Traffic"] = traffic;
        if (SingleVersion(members, versions) is { } version)
        {
            metadata[AppVersionKey] = version;
        }

        return metadata;
    }

    /// <summary>Each group that will take traffic and has a HealthUrl must answer healthy at the point's version.</summary>
    public IEnumerable<CheckResult> HealthUrlChecks(IEnumerable<ITrafficMember> taking, RollbackTarget target, RollbackPoint point, string unhealthyErrorId, OperationContext context)
    {
        var expected = point.Metadata.TryGetValue(AppVersionKey, out var version) ? version : null;
        var probe = new HealthProbe();
        foreach (var group in TakingGroups(taking))
        {
            if (!HealthUrls.TryGetValue(group, out var url))
            {
                continue;
            }

            var result = probe.Check(new HealthProbeOptions { Uri = url, ExpectedVersion = expected, Timeout = VersionProbeTimeout, RequestTimeout = VersionProbeTimeout, Target = target.Name }, context);
            yield return result.Healthy
                ? CheckResult.Pass("HealthUrl." + group, $"{HealthProbe.WithoutUserInfo(url)}: {result.Detail}")
                : CheckResult.Fail("HealthUrl." + group, unhealthyErrorId, $"'{group}' would take traffic, but {HealthProbe.WithoutUserInfo(url)} is not healthy: {result.Detail}");
        }
    }

    /// <summary>
    /// The versions an answer through the proxy may report after <paramref name="shift"/>: the point's at 100 %, either
    /// state's before; empty (any healthy answer) when a version is unknown.
    /// </summary>
    public static IReadOnlyCollection<string> AllowedVersions(RollbackPoint point, TrafficStep shift)
    {
        var allowed = new List<string>();
        if (point.Metadata.TryGetValue(AppVersionKey, out var to))
        {
            allowed.Add(to);
            if (!shift.IsLast)
            {
                if (shift.From?.Metadata.TryGetValue(AppVersionKey, out var from) == true)
                {
                    allowed.Add(from);
                }
                else
                {
                    allowed.Clear(); // the state before is of an unknown version: any healthy answer counts
                }
            }
        }

        return allowed;
    }

    /// <summary>A TimeSpan setting, or <paramref name="fallback"/>.</summary>
    public static TimeSpan Time(RollbackTarget target, string name, TimeSpan fallback) =>
        target.Settings.GetString(name) is { } text && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>A required text setting, trimmed; InvalidTargetSettings when absent.</summary>
    public static string Required(string kind, SettingsDictionary settings, string name)
    {
        var value = settings.GetString(name);
        return string.IsNullOrWhiteSpace(value) ? throw Invalid(kind, $"the setting '{name}' is required") : value!.Trim();
    }

    public static RollbackException Invalid(string kind, string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, $"Invalid settings for a {kind} target: {why}.", kind);

    public RollbackException Invalid(string why) => Invalid(_kind, why);

    private IEnumerable<string> TakingGroups(IEnumerable<ITrafficMember> members) =>
        members.Where(m => m.EffectiveWeight > 0).Select(m => GroupOf(m.Name)).Distinct(StringComparer.Ordinal);

    private static (string Name, string Value) Pair(string kind, string entry, string setting)
    {
        var equals = entry.IndexOf('=');
        if (equals <= 0 || equals == entry.Length - 1)
        {
            throw Invalid(kind, $"each {setting} entry is 'name=value', not '{entry}'");
        }

        return (entry.Substring(0, equals).Trim(), entry.Substring(equals + 1).Trim());
    }
}
