using System;
using System.IO;
using Rollback.Errors;

namespace Rollback.Providers.FileSystem;

/// <summary>Setting checks the file-system kinds share, each failing fast with InvalidTargetSettings.</summary>
internal static class ProviderSettings
{
    private static readonly char[] PathCharacters = { '/', '\\', ':' };

    public static string RequiredDirectory(SettingsDictionary settings, string key, string kind)
    {
        var full = FullPath(Required(settings, key, kind), key, kind);
        if (!Directory.Exists(full))
        {
            throw Invalid(kind, $"the folder '{full}' given as {key} does not exist");
        }

        return full;
    }

    /// <summary>
    /// The full form of a path setting, refused when it cannot name a file: empty, a NUL or another character the
    /// platform forbids. A relative path is resolved against the process folder; the cmdlets have already resolved
    /// it against the PowerShell location (settings declared <c>IsPath</c>), so this only matters to other hosts.
    /// </summary>
    public static string FullPath(string path, string key, string kind)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid(kind, $"the setting '{key}' holds an empty path");
        }

        if (path.IndexOf('\0') >= 0)
        {
            throw Invalid(kind, $"the path given as {key} holds a NUL character, which no file name may hold");
        }

        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Invalid(kind, $"'{path}' given as {key} is not a path this platform accepts ({ex.Message})");
        }
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
        if (value.Length == 0 || value == "." || value == ".." || value.IndexOfAny(PathCharacters) >= 0 || value.IndexOf('\0') >= 0)
        {
            throw Invalid(kind, $"'{value.Replace("\0", "\\0")}' is not a plain folder or file name for {key}");
        }

        return value;
    }

    public static RollbackException Invalid(string kind, string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
            $"The settings for a {kind} target are not valid: {why}.", kind);
}
