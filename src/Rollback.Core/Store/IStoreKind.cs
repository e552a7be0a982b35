using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>
/// A shared store reached by a connection string (postgresql://...): found, as the kinds of targets are, by reflection
/// over the provider assemblies beside the engine, so the engine and the cmdlets never reference its client library.
/// </summary>
public interface IStoreKind
{
    /// <summary>The URI schemes it answers ("postgresql", "postgres").</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>
    /// Opens the store named by <paramref name="connection"/> (creating or migrating its schema), with the password from
    /// <paramref name="credential"/> when given. The connection string never carries a password: it is shown in messages.
    /// </summary>
    SharedStore Open(string connection, NetworkCredential? credential);
}

/// <summary>An opened shared store: its backend and the folder its points' artifacts (and local files) live in.</summary>
public sealed class SharedStore
{
    public SharedStore(IStoreBackend backend, string artifactsFolder)
    {
        Backend = backend;
        ArtifactsFolder = artifactsFolder;
    }

    public IStoreBackend Backend { get; }

    public string ArtifactsFolder { get; }
}

/// <summary>Opens the store a location names: a folder path, or a connection string a store kind answers.</summary>
public static class StoreLocation
{
    /// <summary>Whether <paramref name="location"/> is a connection string (scheme://...), not a folder path.</summary>
    public static bool IsConnectionString(string location) => Scheme(location) is not null;

    /// <summary>The scheme of a connection string ("postgresql"), or null for a path (a Windows drive letter is not a scheme).</summary>
    public static string? Scheme(string location)
    {
        var separator = location.IndexOf("://", StringComparison.Ordinal);
        if (separator < 2)
        {
            return null;
        }

        var scheme = location.Substring(0, separator);
        return scheme.All(c => char.IsLetterOrDigit(c) || c is '+' or '-' or '.') && char.IsLetter(scheme[0]) ? scheme.ToLowerInvariant() : null;
    }

    /// <summary>
    /// Opens the shared store <paramref name="connection"/> names with the kind of its scheme among <paramref name="kinds"/>;
    /// the secret values this user gives are kept in <paramref name="secretsFolder"/> (by default their own folder for that store).
    /// </summary>
    public static RollbackStore OpenShared(string connection, NetworkCredential? credential, IEnumerable<IStoreKind> kinds, string? secretsFolder = null)
    {
        var scheme = Scheme(connection) ?? throw new ArgumentException("Not a connection string.", nameof(connection));
        var all = kinds.ToList();
        var kind = all.FirstOrDefault(k => k.Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
            ?? throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                $"No store kind answers '{scheme}://' connection strings. Known: {string.Join(", ", all.SelectMany(k => k.Schemes).Select(s => s + "://").DefaultIfEmpty("none (the shared store's assembly did not load: run Get-RollbackKind)"))}; or give a folder path.",
                scheme);
        var opened = kind.Open(connection, credential);
        return new RollbackStore(opened.ArtifactsFolder, opened.Backend, secretsFolder);
    }
}
