using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// The databases a rollback puts beside the live one, and how they are told apart. Each carries a marker in its
/// database comment (<c>COMMENT ON DATABASE</c>, in the shared catalogue, so readable from any database): which live
/// database it belongs to, its role, the attempt and the point. The copy being restored is "staging" until the switch,
/// which in the same transaction as the renames marks the replaced database "kept" and the copy "live" (the point it was
/// restored from and its dump's SHA-256: what makes the restored database recognisable as the point's state). Names are
/// for people (PostgreSQL allows 63 bytes: the live name is shortened to fit); the marker is what the kind trusts.
/// </summary>
internal static class DatabaseNames
{
    public const string MarkerPrefix = "Rollback: ";
    public const string Staging = "staging";
    public const string Kept = "kept";
    public const string Live = "live";
    private const int MaxLength = 63;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The copy restored beside <paramref name="live"/> in attempt <paramref name="attemptId"/>.</summary>
    public static string StagingName(string live, string attemptId) => Fit(live, "_restoring_" + attemptId);

    /// <summary>The name the replaced database keeps after the switch: when it was replaced, to the second (UTC).</summary>
    public static string KeptName(string live, DateTimeOffset now) =>
        Fit(live, "_replaced_" + now.UtcDateTime.ToString("yyyyMMdd'_'HHmmss", CultureInfo.InvariantCulture));

    public static string MarkerText(Marker marker) => MarkerPrefix + JsonSerializer.Serialize(marker, Json);

    /// <summary>The marker in a database comment, or null when the comment is not one of ours.</summary>
    public static Marker? ParseMarker(string? comment)
    {
        if (comment is null || !comment.StartsWith(MarkerPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Marker>(comment.Substring(MarkerPrefix.Length), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Fit(string live, string suffix)
    {
        var room = MaxLength - suffix.Length;
        var prefix = live;
        while (System.Text.Encoding.UTF8.GetByteCount(prefix) > room)
        {
            prefix = prefix.Substring(0, prefix.Length - 1);
        }

        return prefix + suffix;
    }

    /// <summary>What a database comment of ours says.</summary>
    internal sealed record Marker
    {
        [JsonPropertyName("role")]
        public required string Role { get; init; }

        /// <summary>The live database's name this one belongs to.</summary>
        [JsonPropertyName("live")]
        public required string LiveName { get; init; }

        [JsonPropertyName("attempt")]
        public string? Attempt { get; init; }

        /// <summary>The point restored (staging, live) or the point the replaced state is saved in (kept: the safety point).</summary>
        [JsonPropertyName("point")]
        public string? Point { get; init; }

        /// <summary>SHA-256 of the dump this database was restored from (live).</summary>
        [JsonPropertyName("dump")]
        public string? DumpSha256 { get; init; }

        [JsonPropertyName("process")]
        public int? ProcessId { get; init; }

        [JsonPropertyName("time")]
        public DateTimeOffset? Time { get; init; }
    }

    /// <summary>The databases on the server with a marker, by name.</summary>
    public static IReadOnlyList<(string Name, Marker Marker)> Marked(Npgsql.NpgsqlConnection maintenance)
    {
        using var command = new Npgsql.NpgsqlCommand("SELECT d.datname, shobj_description(d.oid, 'pg_database') FROM pg_database d WHERE starts_with(coalesce(shobj_description(d.oid, 'pg_database'), ''), @prefix) ORDER BY d.datname", maintenance);
        command.Parameters.AddWithValue("prefix", MarkerPrefix);
        using var reader = command.ExecuteReader();
        var found = new List<(string, Marker)>();
        while (reader.Read())
        {
            if (ParseMarker(reader.IsDBNull(1) ? null : reader.GetString(1)) is { } marker)
            {
                found.Add((reader.GetString(0), marker));
            }
        }

        return found;
    }
}
