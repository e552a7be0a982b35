using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rollback.Store;

/// <summary>The one set of JSON settings for every file in the store, so what is hashed is what is written.</summary>
public static class StoreJson
{
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = indented,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new SettingsDictionaryConverter());
        return options;
    }

    private sealed class SettingsDictionaryConverter : JsonConverter<SettingsDictionary>
    {
        public override SettingsDictionary Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var values = new List<KeyValuePair<string, object?>>();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("Settings must be a JSON object.");
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var key = reader.GetString() ?? throw new JsonException("A setting has no name.");
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    var items = new List<string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        items.Add(reader.GetString() ?? string.Empty);
                    }

                    values.Add(new KeyValuePair<string, object?>(key, items.ToArray()));
                }
                else
                {
                    values.Add(new KeyValuePair<string, object?>(key, reader.GetString()));
                }
            }

            return new SettingsDictionary(values);
        }

        public override void Write(Utf8JsonWriter writer, SettingsDictionary value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var pair in value)
            {
                if (pair.Value is string[] list)
                {
                    writer.WriteStartArray(pair.Key);
                    foreach (var item in list)
                    {
                        writer.WriteStringValue(item);
                    }

                    writer.WriteEndArray();
                }
                else
                {
                    writer.WriteString(pair.Key, (string)pair.Value);
                }
            }

            writer.WriteEndObject();
        }
    }
}
