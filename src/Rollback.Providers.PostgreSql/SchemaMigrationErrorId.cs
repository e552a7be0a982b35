using System.Collections.Generic;
using Rollback.Errors;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// The ErrorIds of the SchemaMigration kind. Each is a contract: scripts catch by <c>FullyQualifiedErrorId</c>, so an
/// id never changes once shipped. Connection failures are the PostgreSQL client's own ids (PostgreSqlAuthenticationFailed, ...).
/// </summary>
[ErrorIdCatalog]
public static class SchemaMigrationErrorId
{
    /// <summary>A migration applied after the point's has no down step (declared in IrreversibleMigrations): nothing was run.</summary>
    public const string MigrationIrreversible = nameof(MigrationIrreversible);

    /// <summary>The point's migration is not applied now (the schema is older than the point) and the tool cannot go forward.</summary>
    public const string MigrationTargetNotApplied = nameof(MigrationTargetNotApplied);

    /// <summary>The migrations bundle or the command's program is not there.</summary>
    public const string MigrationToolMissing = nameof(MigrationToolMissing);

    /// <summary>The migration tool ended with an exit code other than 0, or ran past ToolTimeout and was stopped.</summary>
    public const string MigrationToolFailed = nameof(MigrationToolFailed);

    /// <summary>The tool succeeded, but the history table does not show the point's migration as the newest.</summary>
    public const string MigrationVersionMismatch = nameof(MigrationVersionMismatch);

    internal static IReadOnlyList<ErrorIdInfo> All { get; } = new[]
    {
        new ErrorIdInfo(MigrationIrreversible, "Do not roll the schema back: write a forward migration that undoes the change (or restores the data), deploy it, and roll the application back to a version that works with that schema; or roll the whole database back from a PostgreSqlDatabase point."),
        new ErrorIdInfo(MigrationTargetNotApplied, "The schema is older than the point: apply the missing migrations with the application's tool, or roll back to an older point."),
        new ErrorIdInfo(MigrationToolMissing, "Check the Bundle setting (build one with dotnet ef migrations bundle) or the program RollbackCommand starts, on this machine."),
        new ErrorIdInfo(MigrationToolFailed, "Read the tool's output in the message; the history table says how far it got (Get-RollbackPoint | Test-RollbackReadiness), and the safety point holds the version before."),
        new ErrorIdInfo(MigrationVersionMismatch, "The tool reported success without reaching the point's migration: check that RollbackCommand undoes exactly the migrations named in the message ({Steps}, {Target}), then roll back again."),
    };
}
