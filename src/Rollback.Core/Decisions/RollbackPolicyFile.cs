using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Rollback.Errors;

namespace Rollback;

/// <summary>
/// Reads a policy file: a JSON object whose properties override the built-in policy one by one, e.g.
/// <code>
/// { "errorRateAbove": 0.05, "errorRateFor": "00:01:00",
///   "severities": { "SEV-1": { "requiredApprovals": 2 } } }
/// </code>
/// Durations are "hh:mm:ss" (or "d.hh:mm:ss") strings or numbers of seconds; a severity row's responseTime null means the
/// standard process. Unknown properties are refused, so a misspelt threshold never silently keeps its default. A file
/// that cannot be read or parsed raises PolicyInvalid; thresholds that contradict each other raise PolicyContradictory.
/// </summary>
public static class RollbackPolicyFile
{
    /// <summary>The target setting naming a target's policy file.</summary>
    public const string PolicyPathSetting = "PolicyPath";

    private static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>The policy for a decision: <paramref name="explicitPath"/> if given, else the target's PolicyPath, else the built-in one.</summary>
    public static RollbackPolicy Resolve(string? explicitPath, SettingsDictionary? targetSettings)
    {
        var path = !string.IsNullOrEmpty(explicitPath) ? explicitPath : targetSettings?.GetString(PolicyPathSetting);
        return string.IsNullOrEmpty(path) ? RollbackPolicy.Default : Load(path!);
    }

    public static RollbackPolicy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RollbackException(RollbackErrorId.PolicyInvalid, RollbackErrorCategory.ReadError,
                $"The rollback policy file '{path}' cannot be read: {ex.Message}", path, ex);
        }

        return Parse(text, path);
    }

    public static RollbackPolicy Parse(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Options);
            return Apply(RollbackPolicy.Default with { Source = source }, document.RootElement, source).Validate();
        }
        catch (JsonException ex)
        {
            throw Invalid(source, ex.Message, ex);
        }
    }

    private static RollbackPolicy Apply(RollbackPolicy policy, JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, "the file must hold one JSON object");
        }

        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            policy = property.Name.ToUpperInvariant() switch
            {
                "DESCRIPTION" or "$SCHEMA" => policy,
                "AVAILABILITYBELOW" => policy with { AvailabilityBelow = Number(value, property.Name, source) },
                "AVAILABILITYFOR" => policy with { AvailabilityFor = Duration(value, property.Name, source) },
                "ERRORRATEABOVE" => policy with { ErrorRateAbove = Number(value, property.Name, source) },
                "ERRORRATEFOR" => policy with { ErrorRateFor = Duration(value, property.Name, source) },
                "ASSESSERRORRATEFROM" => policy with { AssessErrorRateFrom = Number(value, property.Name, source) },
                "ASSESSERRORRATETO" => policy with { AssessErrorRateTo = Number(value, property.Name, source) },
                "ASSESSERRORRATEFOR" => policy with { AssessErrorRateFor = Duration(value, property.Name, source) },
                "LATENCYABOVEBASELINE" => policy with { LatencyAboveBaseline = Number(value, property.Name, source) },
                "SEVERITIES" => policy with { Severities = Severities(policy.Severities, value, source) },
                _ => throw Invalid(source, $"'{property.Name}' is not a policy setting (known: availabilityBelow, availabilityFor, errorRateAbove, errorRateFor, assessErrorRateFrom, assessErrorRateTo, assessErrorRateFor, latencyAboveBaseline, severities)"),
            };
        }

        return policy;
    }

    private static SeverityRule[] Severities(IReadOnlyList<SeverityRule> current, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, "'severities' must be an object keyed by severity, e.g. { \"SEV-1\": { \"requiredApprovals\": 2 } }");
        }

        var rules = current.ToList();
        foreach (var row in value.EnumerateObject())
        {
            if (!SeverityRule.TryParse(row.Name, out var severity))
            {
                throw Invalid(source, $"'{row.Name}' is not a severity; use SEV-0 to SEV-4");
            }

            if (row.Value.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, $"the {row.Name} row must be an object");
            }

            var index = rules.FindIndex(r => r.Severity == severity);
            var rule = rules[index];
            foreach (var field in row.Value.EnumerateObject())
            {
                var name = row.Name + "." + field.Name;
                rule = field.Name.ToUpperInvariant() switch
                {
                    "DESCRIPTION" => rule with { Description = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : throw Invalid(source, $"{name} must be a string") },
                    "MINAFFECTEDUSERS" => rule with { MinAffectedUsers = Number(field.Value, name, source) },
                    "MINAFFECTEDUSERSEXCLUSIVE" => rule with { MinAffectedUsersExclusive = Boolean(field.Value, name, source) },
                    "RESPONSETIME" => rule with { ResponseTime = field.Value.ValueKind == JsonValueKind.Null ? null : Duration(field.Value, name, source) },
                    "REQUIREDAPPROVALS" => rule with { RequiredApprovals = Integer(field.Value, name, source) },
                    "ONCALLMAYAPPROVE" => rule with { OnCallMayApprove = Boolean(field.Value, name, source) },
                    _ => throw Invalid(source, $"'{name}' is not a severity setting (known: description, minAffectedUsers, minAffectedUsersExclusive, responseTime, requiredApprovals, onCallMayApprove)"),
                };
            }

            rules[index] = rule;
        }

        return rules.ToArray();
    }

    private static double Number(JsonElement value, string name, string source) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Invalid(source, $"{name} must be a number, not {value.ValueKind}");

    private static int Integer(JsonElement value, string name, string source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw Invalid(source, $"{name} must be a whole number");

    private static bool Boolean(JsonElement value, string name, string source) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid(source, $"{name} must be true or false"),
    };

    private static TimeSpan Duration(JsonElement value, string name, string source)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return TimeSpan.FromTicks((long)(value.GetDouble() * TimeSpan.TicksPerSecond));
        }

        if (value.ValueKind == JsonValueKind.String && TimeSpan.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        throw Invalid(source, $"{name} must be a duration such as \"00:03:00\" or a number of seconds");
    }

    private static RollbackException Invalid(string source, string why, Exception? inner = null) =>
        new(RollbackErrorId.PolicyInvalid, RollbackErrorCategory.InvalidData, $"The rollback policy file '{source}' is not valid: {why}.", source, inner);
}
