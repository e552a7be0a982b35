using System.IO;
using Rollback.Errors;

namespace Rollback.Providers.FileSystem;

/// <summary>Setting checks the file-system kinds share, each failing fast with InvalidTargetSettings.</summary>
internal static class ProviderSettings
{
    private static readonly char[] PathCharacters = { '/', '\\', ':' };

    public static string RequiredDirectory(SettingsDictionary settings, string key, string kind)
    {
        var path = Required(settings, key, kind);
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw Invalid(kind, $"the folder '{full}' given as {key} does not exist");
        }

        return full;
    }

    public static string Required(SettingsDictionary settings, string key, string kind)
    {
        var value = settings.GetString(key);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(kind, $"the setting '{key}' is required");
        }

        return value!;
    }

    /// <summary>A plain name (no separators, no '..'): these become path segments under a folder the user chose.</summary>
    public static string PlainName(SettingsDictionary settings, string key, string defaultValue, string kind)
    {
        var value = settings.GetString(key) ?? defaultValue;
        if (value.Length == 0 || value == "." || value == ".." || value.IndexOfAny(PathCharacters) >= 0)
        {
            throw Invalid(kind, $"'{value}' is not a plain folder or file name for {key}");
        }

        return value;
    }

    public static RollbackException Invalid(string kind, string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"The settings for a {kind} target are not valid: {why}.", kind);
}
