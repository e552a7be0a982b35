using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace Rollback.Verification;

/// <summary>
/// What a health or version body says. Understands the ASP.NET Core health-check JSON (<c>{"status":"Healthy","checks":{...}}</c>
/// and the <c>entries</c> form of its UI writer), the <c>{"status":"healthy","version":"v2.3.1",...}</c> form, the
/// <c>{"version":"v2.3.1","build":"..."}</c> version endpoint, and a plain-text body that is just a version.
/// </summary>
public sealed class HealthResponse
{
    private const int MaxPlainVersionLength = 128;

    private static readonly HashSet<string> HealthyWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "Healthy", "Degraded", "pass", "passed", "ok", "up", "warn", "connected", "available", "true",
    };

    private static readonly HashSet<string> DegradedWords = new(StringComparer.OrdinalIgnoreCase) { "Degraded", "warn" };

    private HealthResponse()
    {
    }

    /// <summary>The overall status the body reported, or null.</summary>
    public string? Status { get; private init; }

    public string? Version { get; private init; }

    public IReadOnlyList<HealthCheckEntry> Checks { get; private init; } = Array.Empty<HealthCheckEntry>();

    public bool IsJson { get; private init; }

    /// <summary>Why the body could not be read where JSON was expected; null when it could.</summary>
    public string? Invalid { get; private init; }

    /// <summary>True when the reported status (if any) is a healthy one.</summary>
    public bool StatusHealthy => Status is null || IsHealthyWord(Status);

    public bool Degraded => Status is not null && DegradedWords.Contains(Status);

    public static bool IsHealthyWord(string status) => HealthyWords.Contains(status.Trim());

    /// <summary>Reads a body. JSON is expected when the content type says so or the body starts like JSON.</summary>
    public static HealthResponse Parse(string? body, string? mediaType)
    {
        var text = (body ?? string.Empty).Trim();
        var jsonType = mediaType is not null &&
            (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        var looksJson = text.StartsWith("{", StringComparison.Ordinal) || text.StartsWith("[", StringComparison.Ordinal);
        if (jsonType || looksJson)
        {
            if (text.Length == 0)
            {
                return new HealthResponse { IsJson = true, Invalid = "the body is empty where JSON was expected" };
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                return FromJson(document.RootElement);
            }
            catch (JsonException ex)
            {
                return new HealthResponse { IsJson = true, Invalid = "the body is not valid JSON (" + ex.Message + ")" };
            }
        }

        var html = mediaType is not null && mediaType.IndexOf("html", StringComparison.OrdinalIgnoreCase) >= 0;
        var plainVersion = !html && text.Length > 0 && text.Length <= MaxPlainVersionLength && !text.Any(char.IsWhiteSpace) ? text : null;
        return new HealthResponse { Version = plainVersion };
    }

    /// <summary>Versions match ignoring case and a leading 'v' on either side (v2.3.1 and 2.3.1 are the same release).</summary>
    public static bool SameVersion(string expected, string reported) =>
        string.Equals(TrimV(expected.Trim()), TrimV(reported.Trim()), StringComparison.OrdinalIgnoreCase);

    private static string TrimV(string version) =>
        version.Length > 1 && (version[0] == 'v' || version[0] == 'V') && char.IsDigit(version[1]) ? version.Substring(1) : version;

    private static HealthResponse FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new HealthResponse { IsJson = true };
        }

        var checks = new List<HealthCheckEntry>();
        if (TryGetProperty(root, "checks", out var named))
        {
            ReadChecks(named, checks);
        }

        if (TryGetProperty(root, "entries", out var entries))
        {
            ReadChecks(entries, checks);
        }

        return new HealthResponse
        {
            IsJson = true,
            Status = TryGetProperty(root, "status", out var status) ? Scalar(status) : null,
            Version = TryGetProperty(root, "version", out var version) ? Scalar(version) : null,
            Checks = checks,
        };
    }

    /// <summary>Checks as an object of name → status text or {status, description, duration}, or an array of {name, status, ...}.</summary>
    private static void ReadChecks(JsonElement element, List<HealthCheckEntry> checks)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                checks.Add(Entry(property.Name, property.Value));
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                var name = item.ValueKind == JsonValueKind.Object && TryGetProperty(item, "name", out var n) ? Scalar(n) : null;
                checks.Add(Entry(name ?? "check" + (checks.Count + 1).ToString(CultureInfo.InvariantCulture), item));
            }
        }
    }

    private static HealthCheckEntry Entry(string name, JsonElement value)
    {
        string? status;
        string? description = null;
        TimeSpan? duration = null;
        if (value.ValueKind == JsonValueKind.Object)
        {
            status = TryGetProperty(value, "status", out var s) ? Scalar(s) : null;
            description = TryGetProperty(value, "description", out var d) ? Scalar(d) : null;
            if (TryGetProperty(value, "duration", out var t) && Scalar(t) is { } text && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed))
            {
                duration = parsed;
            }
        }
        else
        {
            status = Scalar(value);
        }

        status ??= "(none)";
        return new HealthCheckEntry { Name = name, Status = status, Healthy = IsHealthyWord(status), Description = description, Duration = duration };
    }

    private static string? Scalar(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
