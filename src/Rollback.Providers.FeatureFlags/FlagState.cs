using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Providers.FeatureFlags;

/// <summary>
/// A flag as a point records it (the point's one artifact, <c>feature-flag.json</c>): for each environment the target
/// covers, whether the flag is on and its strategies with every field that decides who gets it (parameters such as the
/// rollout percentage, constraints, variants, segments, title, disabled, order). Ids are kept to update a strategy in
/// place when it still exists; they are not part of the state (a strategy re-created with the same fields is the same).
/// </summary>
internal sealed class FlagState
{
    public string Project { get; set; } = string.Empty;

    public string Flag { get; set; } = string.Empty;

    public List<EnvironmentState> Environments { get; set; } = new();

    /// <summary>"production=on (flexibleRollout 10%), development=off": what the result's From/To and the point's Version show.</summary>
    public string Label => string.Join(", ", Environments.Select(e => e.Label));

    /// <summary>Equal exactly when two reads decide the same for every client: enabled states and strategies in order, ids left out.</summary>
    public string Fingerprint => "unleash:" + Checksums.HashText(string.Join("\n", Environments.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e.Canonical)));

    public EnvironmentState? Find(string environment) => Environments.FirstOrDefault(e => string.Equals(e.Name, environment, StringComparison.Ordinal));

    /// <summary>
    /// Reads the admin API's answer for a flag (GET /api/admin/projects/P/features/F), keeping the environments in
    /// <paramref name="only"/> (all when empty); an answer without the expected shape is FeatureFlagAnswerMalformed.
    /// </summary>
    public static FlagState Parse(string project, string flag, JsonElement feature, IReadOnlyList<string> only)
    {
        if (feature.ValueKind != JsonValueKind.Object || !feature.TryGetProperty("environments", out var environments) || environments.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"the flag '{flag}' was answered without its environments");
        }

        var state = new FlagState { Project = project, Flag = flag };
        foreach (var environment in environments.EnumerateArray())
        {
            var name = Text(environment, "name") ?? throw Malformed("an environment has no name");
            if (only.Count > 0 && !only.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            if (!environment.TryGetProperty("enabled", out var enabled) || (enabled.ValueKind != JsonValueKind.True && enabled.ValueKind != JsonValueKind.False))
            {
                throw Malformed($"environment '{name}' has no enabled state");
            }

            var strategies = environment.TryGetProperty("strategies", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(s => StrategyState.Parse(s, name)).ToList()
                : throw Malformed($"environment '{name}' has no strategy list");
            state.Environments.Add(new EnvironmentState { Name = name, Enabled = enabled.ValueKind == JsonValueKind.True, Strategies = strategies });
        }

        var missing = only.Where(e => state.Find(e) is null).ToList();
        if (missing.Count > 0)
        {
            throw new RollbackException(FeatureFlagErrorId.FeatureFlagEnvironmentNotFound, RollbackErrorCategory.ObjectNotFound,
                $"Flag '{flag}' in project '{project}' has no environment {string.Join(", ", missing)} (it has {string.Join(", ", environments.EnumerateArray().Select(e => Text(e, "name")))}).", missing[0]);
        }

        return state;
    }

    internal static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static RollbackException Malformed(string what) =>
        new(FeatureFlagErrorId.FeatureFlagAnswerMalformed, RollbackErrorCategory.InvalidData, $"The flag service's answer is not what Unleash's admin API answers: {what}. Check that Url names the Unleash server itself (not a proxy's page or another service).", null);
}

/// <summary>One environment of a flag: on or off, and its strategies in evaluation order.</summary>
internal sealed class EnvironmentState
{
    public string Name { get; set; } = string.Empty;

    public bool Enabled { get; set; }

    public List<StrategyState> Strategies { get; set; } = new();

    public string Label => Name + "=" + (Enabled ? "on" : "off") + (Strategies.Count == 0 ? string.Empty : " (" + string.Join(" + ", Ordered.Select(s => s.Label)) + ")");

    public IEnumerable<StrategyState> Ordered => Strategies.OrderBy(s => s.SortOrder).ThenBy(s => s.Canonical, StringComparer.Ordinal);

    public string Canonical => Name + "|" + (Enabled ? "on" : "off") + "|" + string.Join(";", Ordered.Select(s => s.Canonical));
}

/// <summary>
/// One strategy as the admin API answers it. The fields that decide who gets the flag are kept as the server's JSON
/// (parameters, constraints, variants, segments), so a rollback sends back exactly what was read.
/// </summary>
internal sealed class StrategyState
{
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string? Title { get; set; }

    public bool Disabled { get; set; }

    public int SortOrder { get; set; }

    public JsonElement Parameters { get; set; }

    public JsonElement Constraints { get; set; }

    public JsonElement Variants { get; set; }

    public JsonElement Segments { get; set; }

    /// <summary>"flexibleRollout 10%" (the rollout parameter, where there is one), "default", "userWithId (disabled)".</summary>
    public string Label => Name
        + (Parameters.ValueKind == JsonValueKind.Object && Parameters.TryGetProperty("rollout", out var rollout) ? " " + (rollout.ValueKind == JsonValueKind.String ? rollout.GetString() : rollout.GetRawText()) + "%" : string.Empty)
        + (Disabled ? " (disabled)" : string.Empty);

    /// <summary>Every deciding field, objects with their keys sorted, so the same strategy always reads the same.</summary>
    public string Canonical => string.Join("|", Name, Title ?? string.Empty, Disabled ? "disabled" : "active", CanonicalJson(Parameters), CanonicalJson(Constraints), CanonicalJson(Variants), CanonicalJson(Segments));

    /// <summary>The same strategy under another id (the one it has on the server now).</summary>
    public StrategyState WithId(string id) => new()
    {
        Id = id, Name = Name, Title = Title, Disabled = Disabled, SortOrder = SortOrder, Parameters = Parameters, Constraints = Constraints, Variants = Variants, Segments = Segments,
    };

    /// <summary>The body that creates or updates this strategy (POST/PUT .../strategies), as it was read.</summary>
    public string Body()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("name", Name);
            if (Title is null)
            {
                writer.WriteNull("title");
            }
            else
            {
                writer.WriteString("title", Title);
            }

            writer.WriteBoolean("disabled", Disabled);
            writer.WriteNumber("sortOrder", SortOrder);
            Write(writer, "parameters", Parameters);
            Write(writer, "constraints", Constraints);
            Write(writer, "variants", Variants);
            Write(writer, "segments", Segments);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static StrategyState Parse(JsonElement strategy, string environment)
    {
        if (strategy.ValueKind != JsonValueKind.Object)
        {
            throw FlagState.Malformed($"a strategy of environment '{environment}' is not an object");
        }

        var name = FlagState.Text(strategy, "name") ?? throw FlagState.Malformed($"a strategy of environment '{environment}' has no name");
        return new StrategyState
        {
            Id = FlagState.Text(strategy, "id") ?? throw FlagState.Malformed($"strategy '{name}' of environment '{environment}' has no id"),
            Name = name,
            Title = FlagState.Text(strategy, "title"),
            Disabled = strategy.TryGetProperty("disabled", out var disabled) && disabled.ValueKind == JsonValueKind.True,
            SortOrder = strategy.TryGetProperty("sortOrder", out var order) && order.ValueKind == JsonValueKind.Number && order.TryGetInt32(out var number) ? number : 0,
            Parameters = Field(strategy, "parameters", "{}"),
            Constraints = Field(strategy, "constraints", "[]"),
            Variants = Field(strategy, "variants", "[]"),
            Segments = Field(strategy, "segments", "[]"),
        };
    }

    /// <summary>JSON with every object's keys in ordinal order and no spaces: equal text for equal content.</summary>
    internal static string CanonicalJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined:
            case JsonValueKind.Null:
                return "null";
            case JsonValueKind.Object:
                return "{" + string.Join(",", element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
                    .Select(p => JsonSerializer.Serialize(p.Name) + ":" + CanonicalJson(p.Value))) + "}";
            case JsonValueKind.Array:
                return "[" + string.Join(",", element.EnumerateArray().Select(CanonicalJson)) + "]";
            case JsonValueKind.String:
                return JsonSerializer.Serialize(element.GetString());
            default:
                return element.GetRawText();
        }
    }

    /// <summary>A field as the server sent it; absent or null reads as <paramref name="empty"/> (what Unleash itself assumes).</summary>
    private static JsonElement Field(JsonElement strategy, string name, string empty)
    {
        if (strategy.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return value.Clone();
        }

        using var document = JsonDocument.Parse(empty);
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, string name, JsonElement value)
    {
        writer.WritePropertyName(name);
        value.WriteTo(writer);
    }

    public override string ToString() => Label + " [" + Id + "] order " + SortOrder.ToString(CultureInfo.InvariantCulture);
}
