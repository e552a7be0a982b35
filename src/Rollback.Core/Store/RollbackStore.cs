using System;
using System.IO;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>
/// The embedded store: one folder holding targets.json, points/&lt;target&gt;/&lt;point-id&gt;/, journal.jsonl and locks/.
/// Per user by default; -StorePath or ROLLBACK_STORE moves it.
/// </summary>
public sealed class RollbackStore
{
    public const string EnvironmentVariable = "ROLLBACK_STORE";

    public RollbackStore(string root)
        : this(root, create: true)
    {
    }

    private RollbackStore(string root, bool create)
    {
        try
        {
            Root = Path.GetFullPath(root);
            if (create)
            {
                Directory.CreateDirectory(Root);
                Directory.CreateDirectory(PointsDirectory);
                Directory.CreateDirectory(LocksDirectory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RollbackException(RollbackErrorId.StorePathUnavailable, RollbackErrorCategory.ResourceUnavailable,
                $"The rollback store '{root}' cannot be created or opened: {ex.Message} Choose a writable folder with -StorePath or the {EnvironmentVariable} environment variable.",
                root, ex);
        }

        Targets = new TargetRegistry(this);
        Points = new PointStore(this);
        Journal = new Journal(this);
    }

    public string Root { get; }

    public string TargetsFile => Path.Combine(Root, "targets.json");

    public string JournalFile => Path.Combine(Root, "journal.jsonl");

    public string PointsDirectory => Path.Combine(Root, "points");

    public string LocksDirectory => Path.Combine(Root, "locks");

    public TargetRegistry Targets { get; }

    public PointStore Points { get; }

    public Journal Journal { get; }

    /// <summary>The store path when none is given: ROLLBACK_STORE, else a per-user folder.</summary>
    public static string DefaultPath
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
            {
                return fromEnvironment!;
            }

            var baseDirectory = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
            if (string.IsNullOrEmpty(baseDirectory))
            {
                baseDirectory = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            }

            return Path.Combine(baseDirectory, "Rollback", "store");
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
            store = new RollbackStore(root, create: false);
        }
        catch (RollbackException)
        {
            return null;
        }

        return File.Exists(store.TargetsFile) ? store : null;
    }

    public string LockPath(string name) => Path.Combine(LocksDirectory, name + ".lock");
}
