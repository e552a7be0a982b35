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

/// <summary>
/// An opened shared store: its backend and the local folder its points' artifacts (and local files) live in; with
/// <see cref="RemoteArtifacts"/>, that folder stages and caches artifacts kept where the request names (S3).
/// </summary>
public sealed class SharedStore
{
    public SharedStore(IStoreBackend backend, string artifactsFolder, ArtifactLocationRequest? remoteArtifacts = null)
    {
        Backend = backend;
        ArtifactsFolder = artifactsFolder;
        RemoteArtifacts = remoteArtifacts;
    }

    public IStoreBackend Backend { get; }

    public string ArtifactsFolder { get; }

    /// <summary>Where the artifacts are kept when not in <see cref="ArtifactsFolder"/> itself (artifacts=s3://...), or null.</summary>
    public ArtifactLocationRequest? RemoteArtifacts { get; }
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
    /// the secret values this user gives are kept in <paramref name="secretsFolder"/> (by default their own folder for that
    /// store); its artifacts where it says: a folder, or a location one of <paramref name="artifactKinds"/> answers (s3://...).
    /// </summary>
    public static RollbackStore OpenShared(string connection, NetworkCredential? credential, IEnumerable<IStoreKind> kinds, string? secretsFolder = null, IEnumerable<IArtifactLocationKind>? artifactKinds = null)
    {
        var scheme = Scheme(connection) ?? throw new ArgumentException("Not a connection string.", nameof(connection));
        var all = kinds.ToList();
        var kind = all.FirstOrDefault(k => k.Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
            ?? throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                $"No store kind answers '{scheme}://' connection strings. Known: {string.Join(", ", all.SelectMany(k => k.Schemes).Select(s => s + "://").DefaultIfEmpty("none (the shared store's assembly did not load: run Get-RollbackKind)"))}; or give a folder path.",
                scheme);
        var opened = kind.Open(connection, credential);
        try
        {
            var artifacts = opened.RemoteArtifacts is null ? null : ArtifactKindOf(opened.RemoteArtifacts, (artifactKinds ?? Array.Empty<IArtifactLocationKind>()).ToList()).Prepare(opened.RemoteArtifacts);
            return new RollbackStore(opened.ArtifactsFolder, opened.Backend, secretsFolder, artifacts);
        }
        catch
        {
            opened.Backend.Dispose();
            throw;
        }
    }

    private static IArtifactLocationKind ArtifactKindOf(ArtifactLocationRequest request, IReadOnlyList<IArtifactLocationKind> kinds)
    {
        var scheme = Scheme(request.Location);
        var kind = kinds.FirstOrDefault(k => k.Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
            ?? throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                $"The store '{request.Store}' keeps its artifacts at a '{scheme}://' location, which no artifact location kind answers. Known: {string.Join(", ", kinds.SelectMany(k => k.Schemes).Select(s => s + "://").DefaultIfEmpty("none (the AWS kinds' assembly did not load: run Get-RollbackKind)"))}; or give artifacts=/full/path/of/a/shared/folder.",
                scheme);
        var unknown = request.Options.Keys.FirstOrDefault(name => !kind.Options.Contains(name, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                $"The store '{request.Store}' cannot be used: it has the option '{unknown}', which neither the store nor its {scheme}:// artifacts read (they read {string.Join(", ", kind.Options)}).",
                unknown);
        }

        return kind;
    }
}
