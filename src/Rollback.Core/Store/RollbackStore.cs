using System;
using System.IO;
using Rollback.Errors;
using Rollback.Platform;

namespace Rollback.Store;

/// <summary>
/// The embedded store: one folder holding targets.json, points/&lt;target&gt;/&lt;point-id&gt;/, journal.jsonl and locks/.
/// Per user by default; -StorePath or ROLLBACK_STORE moves it.
/// </summary>
public sealed class RollbackStore
{
    public const string EnvironmentVariable = "ROLLBACK_STORE";

    public RollbackStore(string root)
        : this(root, create: true, backend: null)
    {
    }

    /// <summary>
    /// A store whose registry, manifests, journal, locks and documents <paramref name="backend"/> keeps (the shared store),
    /// with the points' artifacts in <paramref name="root"/>, and the secret values this user gave (as a PSCredential or
    /// SecureString) in <paramref name="secretsFolder"/>: by default this user's own folder for that store on this machine
    /// (see <see cref="UserSecretsFolder"/>), never the shared folder.
    /// </summary>
    /// <remarks>
    /// With <paramref name="artifacts"/>, the points' artifacts are kept where it opens (S3), staged and cached in
    /// <paramref name="root"/>; with null, in <paramref name="root"/> itself.
    /// </remarks>
    public RollbackStore(string root, IStoreBackend backend, string? secretsFolder = null, Func<RollbackStore, IArtifactLocation>? artifacts = null)
        : this(root, create: true, backend: backend ?? throw new ArgumentNullException(nameof(backend)), secretsFolder, artifacts)
    {
    }

    private RollbackStore(string root, bool create, IStoreBackend? backend, string? secretsFolder = null, Func<RollbackStore, IArtifactLocation>? artifacts = null)
    {
        RefuseUncPathOffWindows(root);
        try
        {
            Root = Path.GetFullPath(root);
            StoreFiles.EnsureNotLink(PointsDirectory, "The store's points folder");
            if (create)
            {
                // User-only (0700 on Unix), and an existing store is tightened when opened: it holds copies of files with
                // passwords in them. A store shared through group permissions is not supported; teams use the shared store.
                StoreFiles.CreateOwnerOnlyDirectory(Root);
                StoreFiles.CreateOwnerOnlyDirectory(PointsDirectory);
                StoreFiles.CreateOwnerOnlyDirectory(LocksDirectory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RollbackException(RollbackErrorId.StorePathUnavailable, RollbackErrorCategory.ResourceUnavailable,
                $"The rollback store '{root}' cannot be created or opened: {ex.Message} Choose a writable folder with -StorePath or the {EnvironmentVariable} environment variable.",
                root, ex);
        }

        Backend = backend ?? new FolderStoreBackend(this);
        Artifacts = artifacts?.Invoke(this) ?? new FolderArtifacts(this);
        Targets = new TargetRegistry(this);
        Notifications = new NotificationRegistry(this);
        Points = new PointStore(this);
        Journal = new Journal(this);
        Attempts = new AttemptStore(this);
        Secrets = new SecretFiles(backend is null ? Path.Combine(Root, "secrets") : secretsFolder ?? UserSecretsFolder(Location));
    }

    /// <summary>The store folder: the folder store's everything; the shared store's artifacts and local files.</summary>
    public string Root { get; }

    /// <summary>Where the registry, manifests, journal and locks are kept (see <see cref="IStoreBackend"/>).</summary>
    public IStoreBackend Backend { get; }

    /// <summary>Where the points' artifacts are kept.</summary>
    public IArtifactLocation Artifacts { get; }

    /// <summary>Where the store is, for messages: the folder, or the server and database (never with a password).</summary>
    public string Location => Backend.Description.Location;

    /// <summary>What the store is, for Get-RollbackStore.</summary>
    public RollbackStoreInfo Description => Backend.Description;

    /// <summary>
    /// The journal key file (see <see cref="JournalKey"/>), or null for none: ROLLBACK_JOURNAL_KEY_FILE when the store is
    /// opened. Outside the store on purpose, so that write access to the store does not give the key.
    /// </summary>
    public string? JournalKeyFile { get; set; } = Environment.GetEnvironmentVariable(JournalKey.EnvironmentVariable);

    public string TargetsFile => Path.Combine(Root, "targets.json");

    public string JournalFile => Path.Combine(Root, "journal.jsonl");

    public string PointsDirectory => Path.Combine(Root, "points");

    public string LocksDirectory => Path.Combine(Root, "locks");

    /// <summary>Where each target's <see cref="Engine.HashCache"/> of its live folder is kept between commands.</summary>
    public string HashCacheDirectory => Path.Combine(Root, "hash-cache");

    public TargetRegistry Targets { get; }

    /// <summary>notifications.json: the webhooks told about rollbacks.</summary>
    public NotificationRegistry Notifications { get; }

    public PointStore Points { get; }

    public Journal Journal { get; }

    /// <summary>Attempts that started a switch and have not journaled their outcome (their process may have died).</summary>
    public AttemptStore Attempts { get; }

    /// <summary>
    /// Secret settings given as a SecureString or PSCredential: one user-only file each, under the folder store's
    /// secrets/, or, for the shared store, in the folder of the user who gave them (each user gives their own).
    /// </summary>
    public SecretFiles Secrets { get; }

    /// <summary>The store path when none is given: ROLLBACK_STORE, else a per-user folder.</summary>
    public static string DefaultPath
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return !string.IsNullOrWhiteSpace(fromEnvironment) ? fromEnvironment! : Path.Combine(UserDataFolder, "store");
        }
    }

    /// <summary>
    /// Where this user keeps the secret values given for targets of the shared store at <paramref name="location"/>: a
    /// folder of their own per store (named by a hash of its location), on this machine. A password typed as a
    /// PSCredential stays with the user who typed it, as in a SecretManagement vault; a teammate gives their own, or the
    /// team keeps the secret in an environment variable (env:NAME) that every runner sets.
    /// </summary>
    public static string UserSecretsFolder(string location) =>
        Path.Combine(UserDataFolder, "secrets", Checksums.HashText(location).Substring(0, 16));

    /// <summary>This user's Rollback folder: LocalApplicationData (XDG_DATA_HOME, ~/.local/share on Unix)/Rollback.</summary>
    private static string UserDataFolder
    {
        get
        {
            var baseDirectory = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
            if (string.IsNullOrEmpty(baseDirectory))
            {
                baseDirectory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            }

            return Path.Combine(baseDirectory, "Rollback");
        }
    }

    /// <summary>
    /// The store at <paramref name="root"/> if one is there (it has a target registry), else null; creates nothing.
    /// For readers such as tab completion, which must not leave a store behind in a folder the user was still typing.
    /// </summary>
    public static RollbackStore? OpenExisting(string root)
    {
        RollbackStore store;
        try
        {
            store = new RollbackStore(root, create: false, backend: null);
        }
        catch (RollbackException)
        {
            return null;
        }

        return File.Exists(store.TargetsFile) ? store : null;
    }

    /// <summary>
    /// A UNC path (\\server\share\...) means a Windows share. Elsewhere it is no path at all: Linux and macOS would
    /// create a folder literally named so in the current folder, so it is refused. Mount the share and give its mount point.
    /// </summary>
    public static void RefuseUncPathOffWindows(string path)
    {
        if (!NativeFileSystem.IsWindows && path.StartsWith(@"\\", StringComparison.Ordinal))
        {
            throw new RollbackException(RollbackErrorId.StorePathInvalid, RollbackErrorCategory.InvalidArgument,
                $"The store path '{path}' is a Windows (UNC) share path, which this system cannot open. Mount the share and give the mount point's path with -StorePath or {EnvironmentVariable}.",
                path);
        }
    }

    public string LockPath(string name) => Path.Combine(LocksDirectory, name + ".lock");
}
