namespace Rollback;

/// <summary>The store in use, as Get-RollbackStore shows it.</summary>
public sealed class RollbackStoreInfo
{
    /// <summary>"Folder" or "PostgreSql".</summary>
    public string Kind { get; init; } = string.Empty;

    /// <summary>The folder, or the server and database (without a password).</summary>
    public string Location { get; init; } = string.Empty;

    /// <summary>Where the points' artifacts are kept.</summary>
    public string ArtifactLocation { get; init; } = string.Empty;

    /// <summary>The version of the store's schema (the folder store has none: null).</summary>
    public int? SchemaVersion { get; init; }

    /// <summary>Who the store is used as: the database user, or the folder's owner (the current user).</summary>
    public string User { get; init; } = string.Empty;
}
