using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using Npgsql;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql.Store;

/// <summary>
/// A shared store's connection string, postgresql://host[:port]/database?user=NAME&amp;artifacts=/shared/folder, read and
/// checked. It never holds a password: the password comes from PGPASSFILE (or ~/.pgpass) or a credential, so the string
/// can be shown in messages and by Get-RollbackStore as it is.
/// </summary>
internal sealed class StoreConnection
{
    public const int DefaultPort = 5432;
    private static readonly string[] KnownOptions = { "user", "artifacts", "sslmode", "cache" };

    private StoreConnection(string host, int port, string database, string user, string artifactsFolder, SslMode sslMode, ArtifactLocationRequest? remoteArtifacts)
    {
        RemoteArtifacts = remoteArtifacts;
        Host = host;
        Port = port;
        Database = database;
        User = user;
        ArtifactsFolder = artifactsFolder;
        SslMode = sslMode;
    }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    public string User { get; }

    /// <summary>The shared folder the points' artifacts live in (the artifacts= option), or the local folder staging and caching them when they are kept in S3.</summary>
    public string ArtifactsFolder { get; }

    /// <summary>Where the artifacts are kept when artifacts= names a URI (s3://bucket/prefix), with the options the store does not read; else null.</summary>
    public ArtifactLocationRequest? RemoteArtifacts { get; }

    /// <summary>Where the artifacts are, as Get-RollbackStore shows it: the folder, or the URI (which never holds a secret).</summary>
    public string ArtifactLocation => RemoteArtifacts?.Location ?? ArtifactsFolder;

    public SslMode SslMode { get; }

    /// <summary>The store as shown: no password, ever.</summary>
    public string Display => string.Create(CultureInfo.InvariantCulture, $"postgresql://{Host}:{Port}/{Database}?user={Uri.EscapeDataString(User)}");

    public static StoreConnection Parse(string text, NetworkCredential? credential)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres") || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid(text, "it is not a postgresql://host[:port]/database?user=NAME&artifacts=FOLDER connection string.");
        }

        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        if (userInfo.Contains(':', StringComparison.Ordinal))
        {
            // Not echoed: the string holds a password.
            throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                "The store's connection string carries a password, which would be shown wherever the store is named. Remove it; give the password through PGPASSFILE (or ~/.pgpass) or a credential.",
                "postgresql://" + uri.Host);
        }

        var (options, others) = ParseQuery(uri.Query);
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
        {
            throw Invalid(text, "it names no database (postgresql://host/DATABASE).");
        }

        var user = credential is { UserName.Length: > 0 } ? credential.UserName
            : options.TryGetValue("user", out var named) ? named
            : userInfo.Length > 0 ? userInfo
            : Environment.UserName;
        ArtifactLocationRequest? remote = null;
        string folder;
        options.TryGetValue("artifacts", out var artifacts);
        var display = string.Create(CultureInfo.InvariantCulture, $"postgresql://{uri.Host}:{(uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port)}/{database}");
        if (artifacts is not null && StoreLocation.IsConnectionString(artifacts))
        {
            // Kept elsewhere (s3://bucket/prefix): that kind reads the other options; this machine stages and caches in a local folder.
            remote = new ArtifactLocationRequest(artifacts.TrimEnd('/'), others, display);
            folder = options.TryGetValue("cache", out var cache) ? cache : DefaultCache(uri.Host, uri.Port, database);
            if (!Path.IsPathFullyQualified(folder))
            {
                throw Invalid(text, "its cache option is not a full path of a local folder.");
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(artifacts) || !Path.IsPathFullyQualified(artifacts))
            {
                throw Invalid(text, "it names no artifacts folder: add artifacts=/full/path/of/a/shared/folder (or artifacts=s3://bucket/prefix), where the points' artifacts are kept.");
            }

            var unknown = options.ContainsKey("cache") ? "cache" : others.Keys.FirstOrDefault();
            if (unknown is not null)
            {
                throw Invalid(text, $"it has the option '{unknown}', which is not one of user, artifacts, sslmode (cache and an artifact location's options go with artifacts=s3://...).");
            }

            folder = artifacts!;
        }

        var sslMode = SslMode.Prefer;
        if (options.TryGetValue("sslmode", out var ssl) && !Enum.TryParse(ssl.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out sslMode))
        {
            throw Invalid(text, $"sslmode '{ssl}' is not one of disable, allow, prefer, require, verify-ca, verify-full.");
        }

        return new StoreConnection(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database, user, Path.GetFullPath(folder), sslMode, remote);
    }

    /// <summary>Npgsql's connection string: the password only from <paramref name="credential"/>, else Npgsql reads PGPASSFILE or ~/.pgpass.</summary>
    public string ConnectionString(NetworkCredential? credential, bool pooling)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            SslMode = SslMode,
            ApplicationName = "Rollback store",
            Timeout = 10,
            CommandTimeout = 60,
            Pooling = pooling,
            ConnectionIdleLifetime = 10,
        };
        if (credential is { Password.Length: > 0 })
        {
            builder.Password = credential.Password;
        }

        return builder.ConnectionString;
    }

    /// <summary>The options the store reads, and the others (an artifact location's, checked by its kind).</summary>
    private static (Dictionary<string, string> Options, Dictionary<string, string> Others) ParseQuery(string query)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var others = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            if (name.Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                    "The store's connection string carries a password, which would be shown wherever the store is named. Remove it; give the password through PGPASSFILE (or ~/.pgpass) or a credential.",
                    "postgresql");
            }

            (KnownOptions.Contains(name, StringComparer.OrdinalIgnoreCase) ? options : others)[name] = value;
        }

        return (options, others);
    }

    /// <summary>This user's local folder for a store's S3 artifacts: per server and database, beside the per-user folder store.</summary>
    private static string DefaultCache(string host, int port, string database)
    {
        var baseDirectory = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        if (string.IsNullOrEmpty(baseDirectory))
        {
            baseDirectory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"{host}-{(port < 0 ? DefaultPort : port)}-{database}");
        return Path.Combine(baseDirectory, "Rollback", "shared-store-cache", string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_')));
    }

    private static RollbackException Invalid(string text, string problem) =>
        new(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
            $"The store '{Redacted(text)}' cannot be used: {problem}", Redacted(text));

    /// <summary>The string as it may be shown: whatever sits before an '@' and any password= value masked.</summary>
    private static string Redacted(string text) =>
        Regex.Replace(Regex.Replace(text, "//[^/]*@", "//***@", RegexOptions.CultureInvariant), "(?i)(password=)[^&]*", "$1***", RegexOptions.CultureInvariant);
}
