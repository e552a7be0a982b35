using System;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rollback.Providers.Aws.Client;

/// <summary>
/// JSON for the awsJson protocols: member names exactly as the service model spells them (the request and response
/// types name their properties so, or say it with [JsonPropertyName]), nulls left out, timestamps as epoch seconds.
/// </summary>
internal static class AwsJson
{
    public static JsonSerializerOptions Options { get; } = Create(null);

    /// <summary>For services whose model spells members in camelCase (CodeDeploy); reading stays case-insensitive.</summary>
    public static JsonSerializerOptions CamelCaseOptions { get; } = Create(JsonNamingPolicy.CamelCase);

    private static JsonSerializerOptions Create(JsonNamingPolicy? naming)
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = naming,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new EpochSecondsConverter());
        return options;
    }

    /// <summary>awsJson timestamps are epoch seconds with a fraction (1700000000.123); ISO-8601 text is accepted too.</summary>
    private sealed class EpochSecondsConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                var seconds = reader.GetDouble();
                return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)).UtcDateTime;
            }

            var text = reader.GetString();
            return DateTime.Parse(text ?? string.Empty, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        }

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
        {
            var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
            writer.WriteNumberValue(new DateTimeOffset(utc.Ticks, TimeSpan.Zero).ToUnixTimeMilliseconds() / 1000.0);
        }
    }
}
