using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Rollback;

/// <summary>
/// A target's settings: case-insensitive keys whose values are a string or a list of strings (a secret setting: a
/// <see cref="Settings.SecretReference"/>, shown as ***).
/// That keeps them JSON-friendly and lets a hashtable from PowerShell (scalars, arrays) map onto
/// them without loss. The provider of the target's kind validates them.
/// </summary>
public sealed class SettingsDictionary : IReadOnlyDictionary<string, object>
{
    private readonly Dictionary<string, object> _values;

    public SettingsDictionary(IEnumerable<KeyValuePair<string, object?>> values)
    {
        _values = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in values)
        {
            if (pair.Value is null)
            {
                continue;
            }

            _values[pair.Key] = Normalize(pair.Value);
        }
    }

    public static SettingsDictionary Empty { get; } = new(Array.Empty<KeyValuePair<string, object?>>());

    public int Count => _values.Count;

    public IEnumerable<string> Keys => _values.Keys;

    public IEnumerable<object> Values => _values.Values;

    public object this[string key] => _values[key];

    public bool ContainsKey(string key) => _values.ContainsKey(key);

    public bool TryGetValue(string key, out object value) => _values.TryGetValue(key, out value!);

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The setting as one string, or null when absent. A list yields its first item.</summary>
    public string? GetString(string key)
    {
        if (!_values.TryGetValue(key, out var value))
        {
            return null;
        }

        // A secret never reads as text: see GetSecret.
        return value switch
        {
            string[] list => list.FirstOrDefault(),
            string text => text,
            _ => null,
        };
    }

    /// <summary>A secret setting's reference, or null when absent (see <see cref="Settings.SecretReference"/>).</summary>
    public Settings.SecretReference? GetSecret(string key) => _values.TryGetValue(key, out var value) ? value as Settings.SecretReference : null;

    /// <summary>The setting as a list: a scalar is a list of one; absent is empty.</summary>
    public IReadOnlyList<string> GetList(string key)
    {
        if (!_values.TryGetValue(key, out var value))
        {
            return Array.Empty<string>();
        }

        return value switch
        {
            string[] list => list,
            string text => new[] { text },
            _ => Array.Empty<string>(),
        };
    }

    public bool GetBoolean(string key, bool defaultValue)
    {
        var text = GetString(key);
        if (text is null)
        {
            return defaultValue;
        }

        return bool.TryParse(text, out var parsed) ? parsed : text == "1";
    }

    public SettingsDictionary With(string key, object value)
    {
        var copy = _values.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.OrdinalIgnoreCase);
        copy[key] = value;
        return new SettingsDictionary(copy);
    }

    private static object Normalize(object value)
    {
        switch (value)
        {
            case string text:
                return text;
            case Settings.SecretReference or Settings.SecretText:
                // Kept as they are: a reference is stored as itself, a SecretText only until the store keeps it.
                return value;
            case IEnumerable items:
                return items.Cast<object?>().Where(i => i is not null).Select(i => Convert.ToString(i, CultureInfo.InvariantCulture) ?? string.Empty).ToArray();
            case bool flag:
                return flag ? "True" : "False";
            case IFormattable formattable:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            default:
                return value.ToString() ?? string.Empty;
        }
    }
}
