using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Security;
using Rollback.Errors;
using Rollback.Settings;

namespace Rollback.PowerShell;

/// <summary>
/// Turns the -Settings hashtable into the engine's <see cref="SettingsDictionary"/>: scalars and arrays, and for a secret
/// setting a SecureString or a PSCredential (its password), handed on as a <see cref="SecretText"/> for the store to keep.
/// </summary>
internal static class SettingsConverter
{
    public static SettingsDictionary Convert(IDictionary settings)
    {
        var pairs = new List<KeyValuePair<string, object?>>();
        foreach (DictionaryEntry entry in settings)
        {
            var key = System.Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? string.Empty;
            pairs.Add(new KeyValuePair<string, object?>(key, ConvertValue(key, Unwrap(entry.Value))));
        }

        return new SettingsDictionary(pairs);
    }

    private static object? ConvertValue(string key, object? value) => value switch
    {
        null => null,
        string text => text,
        SecureString secure => new SecretText(secure),
        PSCredential credential => new SecretText(credential.Password),
        IDictionary or ScriptBlock => throw NotSupported(key, value),
        IEnumerable items => items.Cast<object?>().Select(Unwrap).Select(i => i is null or string or IFormattable or bool ? i : throw NotSupported(key, i)).ToArray(),
        _ => value,
    };

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private static RollbackException NotSupported(string key, object value) =>
        new(RollbackErrorId.InvalidSettingsDictionary, RollbackErrorCategory.InvalidArgument,
            string.Format(CultureInfo.CurrentCulture, CmdletStrings.SettingValueNotSupported, key, value.GetType().Name), key);
}
