using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Errors;

namespace Rollback.Settings;

/// <summary>
/// Checks settings and per-call options against what a kind and the engine declare, before anything is stored or
/// changed: an unknown name is UnknownSetting (naming the closest declared one, so a typo is caught, not ignored), a
/// value of the wrong type InvalidSetting.
/// </summary>
public static class SettingsCheck
{
    /// <summary>The settings of a <paramref name="kind"/> target: every key declared, every value of its type.</summary>
    public static void Settings(string kind, SettingsDictionary settings, IReadOnlyList<SettingDefinition> declared)
    {
        foreach (var pair in settings)
        {
            var definition = Find(declared, pair.Key)
                ?? throw Unknown(pair.Key, declared, $"A {kind} target has no setting '{pair.Key}'", "Get-RollbackKind -Name " + kind + " lists its settings.");
            CheckValue(kind, definition, pair.Value, "setting");
        }
    }

    /// <summary>Per-call options for a <paramref name="kind"/> target: declared, overridable per call, of their type.</summary>
    public static void Options(string kind, SettingsDictionary options, IReadOnlyList<SettingDefinition> declared)
    {
        var perCall = declared.Where(d => d.PerCall).ToList();
        foreach (var pair in options)
        {
            var definition = Find(declared, pair.Key);
            if (definition is null)
            {
                throw Unknown(pair.Key, perCall.Count > 0 ? perCall : declared, $"A {kind} target has no per-call option '{pair.Key}'",
                    perCall.Count == 0 ? $"A {kind} target takes no per-call options." : $"Its options: {string.Join(", ", perCall.Select(d => d.Name))}.");
            }

            if (!definition.PerCall)
            {
                throw new RollbackException(RollbackErrorId.InvalidSetting, RollbackErrorCategory.InvalidArgument,
                    $"{definition.Name} is a setting of a {kind} target, not a per-call option: change it with Register-RollbackTarget -Force." +
                    (perCall.Count == 0 ? $" A {kind} target takes no per-call options." : $" Its options: {string.Join(", ", perCall.Select(d => d.Name))}."), definition.Name);
            }

            CheckValue(kind, definition, pair.Value, "option");
        }
    }

    /// <summary>The declared name closest to <paramref name="name"/> (fewest single-character edits, case ignored).</summary>
    public static string? Closest(string name, IEnumerable<string> candidates) =>
        candidates.Select(c => (Name: c, Distance: EditDistance(name.ToUpperInvariant(), c.ToUpperInvariant())))
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, one character each.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    /// <summary>Whether <paramref name="text"/> reads as a value of <paramref name="type"/> (numbers and time spans positive).</summary>
    public static bool IsValid(SettingType type, string text) => type switch
    {
        SettingType.Boolean => bool.TryParse(text, out _) || text == "1" || text == "0",
        SettingType.WholeNumber => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) && integer > 0,
        SettingType.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0 && !double.IsInfinity(number),
        SettingType.TimeSpan => TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero,
        SettingType.Uri => Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps),
        _ => true,
    };

    private static SettingDefinition? Find(IReadOnlyList<SettingDefinition> declared, string name) =>
        declared.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));

    private static void CheckValue(string kind, SettingDefinition definition, object value, string what)
    {
        if (definition.Secret || value is SecretText or SecretReference)
        {
            CheckSecret(kind, definition, value, what);
            return;
        }

        if (value is string[] list && !definition.IsList)
        {
            throw Invalid(kind, definition, what, $"one value, not a list of {list.Length}");
        }

        foreach (var text in value is string[] items ? items : new[] { value.ToString() ?? string.Empty })
        {
            if (!IsValid(definition.Type, text))
            {
                throw Invalid(kind, definition, what, $"{Expected(definition.Type)}, not '{text}'");
            }

            if (definition.AllowedValues.Count > 0 && !definition.AllowedValues.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                throw Invalid(kind, definition, what, $"one of {string.Join(", ", definition.AllowedValues)}, not '{text}'");
            }
        }
    }

    /// <summary>A secret is only ever a reference, and only a secret setting takes one; the message never repeats the value.</summary>
    private static void CheckSecret(string kind, SettingDefinition definition, object value, string what)
    {
        if (!definition.Secret)
        {
            throw Invalid(kind, definition, what, "text, not a SecureString or PSCredential (it is not a secret setting)");
        }

        if (value is SecretText or SecretReference || (value is string text && SecretReference.TryParse(text, out _)))
        {
            return;
        }

        throw Invalid(kind, definition, what,
            "a SecureString or PSCredential (kept in a user-only store file), 'env:NAME' or 'file:/path' (a file only its owner can read): a secret is never stored in clear");
    }

    private static string Expected(SettingType type) => type switch
    {
        SettingType.Boolean => "$true or $false",
        SettingType.WholeNumber => "a positive whole number",
        SettingType.Number => "a positive number",
        SettingType.TimeSpan => "a positive time span such as 00:00:30 or 7.00:00:00",
        SettingType.Uri => "an absolute http:// or https:// address",
        _ => "text",
    };

    private static RollbackException Invalid(string kind, SettingDefinition definition, string what, string why) =>
        new(RollbackErrorId.InvalidSetting, RollbackErrorCategory.InvalidArgument,
            $"The {what} {definition.Name} of a {kind} target must be {why}. {definition.Name} ({definition.TypeName}): {definition.Description}", definition.Name);

    private static RollbackException Unknown(string name, IReadOnlyList<SettingDefinition> candidates, string message, string more)
    {
        var closest = Closest(name, candidates.Select(d => d.Name));
        return new RollbackException(RollbackErrorId.UnknownSetting, RollbackErrorCategory.InvalidArgument,
            message + (closest is null ? "." : $": did you mean '{closest}'?") + " " + more, name);
    }
}
