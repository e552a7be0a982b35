using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rollback.Settings;

namespace Rollback.Store;

/// <summary>The one set of JSON settings for every file in the store, so what is hashed is what is written.</summary>
public static class StoreJson
{
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    /// <summary>
    /// Writes <paramref name="value"/> as an indented JSON artifact of a point (atomically, into
    /// <paramref name="artifactsDirectory"/>) and returns its manifest entry: for kinds whose captured state is a record
    /// of the system (a secret's version stages, a deployment's revision) rather than copied files.
    /// </summary>
    public static ArtifactEntry WriteArtifact<T>(string artifactsDirectory, string fileName, T value)
    {
        Directory.CreateDirectory(artifactsDirectory);
        var path = Path.Combine(artifactsDirectory, fileName);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Indented));
        return new ArtifactEntry { RelativePath = fileName, Size = new FileInfo(path).Length, Sha256 = Checksums.HashFile(path) };
    }

    /// <summary>
    /// Reads back a JSON artifact <see cref="WriteArtifact"/> wrote into <paramref name="point"/>; <paramref name="missing"/>
    /// names what a complete one lacks, or null. One that cannot be read or lacks something is ArtifactMissing.
    /// </summary>
    public static T ReadArtifact<T>(RollbackTarget target, RollbackPoint point, string fileName, Func<T, string?> missing)
        where T : class
    {
        var path = Path.Combine(point.Path, PointStore.ArtifactsFolderName, fileName);
        try
        {
            var value = JsonSerializer.Deserialize<T>(File.ReadAllText(path), Indented) ?? throw new JsonException("empty");
            var lacking = missing(value);
            return lacking is null ? value : throw new JsonException(lacking);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new Errors.RollbackException(Errors.RollbackErrorId.ArtifactMissing, Errors.RollbackErrorCategory.ReadError,
                $"Point {point.Id} of '{target.Name}' has no readable {fileName} ({ex.Message}); capture a new point.", point.Id, ex);
        }
    }

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
        private const string SecretProperty = "secret";

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
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    // A secret setting: { "secret": "env:NAME" }, where the value is, never the value.
                    reader.Read();
                    var property = reader.TokenType == JsonTokenType.PropertyName ? reader.GetString() : null;
                    reader.Read();
                    var locator = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Read();
                    if (property != SecretProperty || locator is null || reader.TokenType != JsonTokenType.EndObject || !SecretReference.TryParse(locator, out var reference))
                    {
                        throw new JsonException($"The setting '{key}' is neither text nor a secret reference.");
                    }

                    values.Add(new KeyValuePair<string, object?>(key, reference));
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
                else if (pair.Value is SecretReference reference)
                {
                    writer.WriteStartObject(pair.Key);
                    writer.WriteString(SecretProperty, reference.Locator);
                    writer.WriteEndObject();
                }
                else
                {
                    // A SecretText is kept by the store (RollbackStore.Secrets) and replaced by its reference before a save.
                    writer.WriteString(pair.Key, pair.Value as string ?? throw new InvalidOperationException($"The setting '{pair.Key}' holds a secret value, which is never written to targets.json."));
                }
            }

            writer.WriteEndObject();
        }
    }
}
