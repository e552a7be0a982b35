using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Rollback.Notifications;

/// <summary>
/// A notice as the body a channel's format expects. Slack and Teams carry the headline, the labelled facts
/// (<see cref="RollbackNotice.Facts"/>) and the message; JSON carries every field of the notice by name, null when not known.
/// </summary>
internal static class NotificationBody
{
    // Slack refuses a section of more than 10 fields and a header of more than 150 characters.
    private const int SlackFieldsPerSection = 10;
    private const int SlackHeaderLength = 150;

    public static string Write(NotificationFormat format, RollbackNotice notice)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the body is read as JSON by the receiver, never put into HTML by this module; "->" stays readable.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            switch (format)
            {
                case NotificationFormat.Slack:
                    Slack(json, notice);
                    break;
                case NotificationFormat.Teams:
                    Teams(json, notice);
                    break;
                default:
                    Flat(json, notice);
                    break;
            }
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Slack(Utf8JsonWriter json, RollbackNotice notice)
    {
        json.WriteStartObject();
        json.WriteString("text", notice.Headline);
        json.WriteStartArray("blocks");
        json.WriteStartObject();
        json.WriteString("type", "header");
        PlainText(json, "text", notice.Headline.Length > SlackHeaderLength ? notice.Headline.Substring(0, SlackHeaderLength - 3) + "..." : notice.Headline);
        json.WriteEndObject();
        var facts = notice.Facts();
        for (var first = 0; first < facts.Count; first += SlackFieldsPerSection)
        {
            json.WriteStartObject();
            json.WriteString("type", "section");
            json.WriteStartArray("fields");
            foreach (var fact in facts.Skip(first).Take(SlackFieldsPerSection))
            {
                Markdown(json, $"*{fact.Key}*\n{SlackEscape(fact.Value)}");
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (!string.IsNullOrEmpty(notice.Message))
        {
            json.WriteStartObject();
            json.WriteString("type", "section");
            json.WritePropertyName("text");
            Markdown(json, SlackEscape(notice.Message!));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Teams(Utf8JsonWriter json, RollbackNotice notice)
    {
        json.WriteStartObject();
        json.WriteString("type", "message");
        json.WriteStartArray("attachments");
        json.WriteStartObject();
        json.WriteString("contentType", "application/vnd.microsoft.card.adaptive");
        json.WriteStartObject("content");
        json.WriteString("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        json.WriteString("type", "AdaptiveCard");
        json.WriteString("version", "1.4");
        json.WriteStartArray("body");
        TextBlock(json, notice.Headline, bold: true, color: notice.Event switch
        {
            NotificationEvent.Succeeded => "Good",
            NotificationEvent.Started or NotificationEvent.AutomaticRollback or NotificationEvent.ApprovalRequired => "Warning",
            _ => "Attention",
        });
        json.WriteStartObject();
        json.WriteString("type", "FactSet");
        json.WriteStartArray("facts");
        foreach (var fact in notice.Facts())
        {
            json.WriteStartObject();
            json.WriteString("title", fact.Key);
            json.WriteString("value", fact.Value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        if (!string.IsNullOrEmpty(notice.Message))
        {
            TextBlock(json, notice.Message!, bold: false, color: null);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Flat(Utf8JsonWriter json, RollbackNotice notice)
    {
        json.WriteStartObject();
        json.WriteString("event", notice.Event.ToString());
        json.WriteString("headline", notice.Headline);
        json.WriteString("target", notice.Target);
        Text(json, "kind", notice.Kind);
        json.WriteString("status", notice.Status);
        Text(json, "fromVersion", notice.FromVersion);
        Text(json, "toVersion", notice.ToVersion);
        Text(json, "pointId", notice.PointId);
        Text(json, "reason", notice.Reason);
        json.WriteString("user", notice.User);
        json.WriteStartArray("approvedBy");
        foreach (var approver in notice.ApprovedBy)
        {
            json.WriteStringValue(approver);
        }

        json.WriteEndArray();
        Text(json, "severity", notice.Severity);
        Text(json, "trigger", notice.Trigger);
        json.WriteString("startedAt", notice.StartedAt.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
        Seconds(json, "durationSeconds", notice.Duration);
        Seconds(json, "downtimeSeconds", notice.Downtime);
        Text(json, "verification", notice.Verification);
        Text(json, "planRunId", notice.PlanRunId);
        Number(json, "planStage", notice.PlanStage);
        Number(json, "journalSequence", notice.JournalSequence);
        Text(json, "safetyPointId", notice.SafetyPointId);
        Text(json, "errorId", notice.ErrorId);
        Text(json, "message", notice.Message);
        json.WriteEndObject();
    }

    private static void TextBlock(Utf8JsonWriter json, string text, bool bold, string? color)
    {
        json.WriteStartObject();
        json.WriteString("type", "TextBlock");
        json.WriteString("text", text);
        json.WriteBoolean("wrap", true);
        if (bold)
        {
            json.WriteString("weight", "Bolder");
            json.WriteString("size", "Medium");
        }

        if (color is not null)
        {
            json.WriteString("color", color);
        }

        json.WriteEndObject();
    }

    private static void PlainText(Utf8JsonWriter json, string name, string text)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "plain_text");
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    private static void Markdown(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type", "mrkdwn");
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    /// <summary>Slack's three control characters in mrkdwn, so a reason cannot turn into a link or a mention.</summary>
    private static string SlackEscape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static void Text(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Seconds(Utf8JsonWriter json, string name, TimeSpan? value)
    {
        if (value is { } span)
        {
            json.WriteNumber(name, Math.Round(span.TotalSeconds, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
