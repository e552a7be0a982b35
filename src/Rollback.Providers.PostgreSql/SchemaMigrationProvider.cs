using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Npgsql;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// A database schema rolled back with the application's own migration tool. A point records the migration history
/// table's applied migrations (the newest is its version). A rollback first works out which applied migrations come
/// after the point's and refuses (MigrationIrreversible) when one of them is declared to have no down step, before
/// anything runs; then it runs the tool, an EF Core migrations bundle ('efbundle &lt;migration&gt;', the equivalent of
/// dotnet ef database update &lt;migration&gt;) or a command template, as the switch; and reads the history table again,
/// which must show the point's migration as the newest. A DatabaseTarget (a PostgreSqlDatabase target of the same
/// database) is dumped as a safety point first, since a down step drops data. Ctrl+C and ToolTimeout kill the tool's whole process tree. The
/// tool's output is masked for secrets and goes to verbose; only its masked tail goes into an error.
/// </summary>
public sealed class SchemaMigrationProvider : IRollbackProvider, ICompanionSafetyPoints
{
    public const string KindName = "SchemaMigration";

    private const string HistoryFile = "migrations.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private const int OutputTail = 1500;
    private const string NoMigration = "(none)";

    /// <summary>The id EF Core's tools take for "before the first migration".</summary>
    private const string EfInitialMigration = "0";

    public string Kind => KindName;

    public string Description => "A database schema rolled back to a point's migration with the application's own tool (an EF Core migrations bundle or a command template).";

    public KindSchema Schema { get; } = new(SchemaMigrationSettings.Definitions, SchemaMigrationErrorId.All.Concat(PostgreSqlErrorId.All.Where(e => ClientErrorIds.Contains(e.ErrorId, StringComparer.Ordinal))));

    private static readonly string[] ClientErrorIds =
    {
        PostgreSqlErrorId.PostgreSqlAuthenticationFailed, PostgreSqlErrorId.PostgreSqlDatabaseNotFound, PostgreSqlErrorId.PostgreSqlUnreachable,
        PostgreSqlErrorId.PostgreSqlPermissionDenied, PostgreSqlErrorId.PostgreSqlMigrationHistoryMissing,
    };

    public SettingsDictionary ValidateSettings(SettingsDictionary settings) => SchemaMigrationSettings.Validate(settings);

    /// <summary>The DatabaseTarget, dumped as a safety point before the schema is rolled back: a down step drops columns and tables with their data.</summary>
    public IReadOnlyList<string> CompanionTargets(RollbackTarget target) =>
        SchemaMigrationSettings.Read(target.Settings).DatabaseTarget is { } database ? new[] { database } : Array.Empty<string>();

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var history = ReadHistory(SettingsFor(target, access), context);
        return new TargetState
        {
            Version = history.Version,
            Fingerprint = Fingerprint(history.Table, history.Version),
            Detail = $"{history.Applied.Count} migration(s) applied in {history.Table}",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = SettingsFor(target, access);
        var history = ReadHistory(settings, context);
        var file = Path.Combine(context.ArtifactsDirectory, HistoryFile);
        File.WriteAllText(file, JsonSerializer.Serialize(new { table = history.Table.ToString(), version = history.Version, applied = history.Applied }, Indented));
        return new CapturedState
        {
            Version = history.Version,
            Fingerprint = Fingerprint(history.Table, history.Version),
            Artifacts = new[] { new ArtifactEntry { RelativePath = HistoryFile, Size = new FileInfo(file).Length, Sha256 = Checksums.HashFile(file) } },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [DatabaseSettings.DatabaseSetting] = settings.Database.Database,
                ["MigrationHistoryTable"] = history.Table.ToString(),
                ["MigrationVersion"] = history.Version,
                ["AppliedMigrations"] = history.Applied.Count.ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = SettingsFor(target, access);
        var checks = new List<CheckResult> { CheckResult.Pass("DatabaseReachable", $"Connected to {settings.Database.Describe()} ({current.Detail}).") };
        checks.Add(ToolPresent(settings));
        var history = ReadHistory(settings, context);
        try
        {
            var undone = ToUndo(settings, history, point);
            checks.Add(CheckResult.Pass("MigrationsReversible", undone.Count == 0
                ? $"No applied migration comes after {point.Version}."
                : $"{undone.Count} migration(s) to undo, each with a down step: {string.Join(", ", undone)}."));
        }
        catch (RollbackException refused)
        {
            checks.Add(CheckResult.Fail("MigrationsReversible", refused.ErrorId, refused.Message));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = SettingsFor(target, access);
        var history = ReadHistory(settings, context);
        var undone = ToUndo(settings, history, point);
        return new[]
        {
            new PlannedStep("CheckReversible", $"Check that every migration after {point.Version} has a down step: {(undone.Count == 0 ? "none" : string.Join(", ", undone))}."),
            new PlannedStep("RollbackSchema", $"Run {settings.ToolName}: {Redaction.Redact(Describe(settings, point, undone.Count))}."),
            new PlannedStep("VerifyVersion", $"Read {history.Table} again: the newest applied migration must be {point.Version}."),
        };
    }

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context)
    {
        using var access = DatabaseAccess.Open(target, context);
        var settings = SettingsFor(target, access);
        var (before, undone) = context.Step("CheckReversible", () =>
        {
            // Read again under the lock, right before the tool runs: a deployment since readiness may have added a migration.
            var history = ReadHistory(settings, context);
            return (history, ToUndo(settings, history, point));
        });
        context.Details["SchemaMigration.VersionBefore"] = before.Version;
        context.Details["SchemaMigration.Undone"] = undone.Count == 0 ? NoMigration : string.Join(", ", undone);
        context.Switch("RollbackSchema", () => RunTool(settings, point, undone.Count, context));
        context.Step("VerifyVersion", () =>
        {
            var after = ReadHistory(settings, context);
            context.Details["SchemaMigration.VersionAfter"] = after.Version;
            if (after.Version != point.Version)
            {
                throw new RollbackException(SchemaMigrationErrorId.MigrationVersionMismatch, RollbackErrorCategory.InvalidResult,
                    $"{settings.ToolName} succeeded, but the newest migration in {after.Table} is {after.Version}, not {point.Version} (it was {before.Version}).", target.Name);
            }
        });
        context.Reporter.Verbose($"The schema of {settings.Database.Describe()} went from {before.Version} to {point.Version}.");
    }

    /// <summary>
    /// The applied migrations that come after the point's, newest first: what the tool will undo. Refuses
    /// (MigrationIrreversible) when one of them is declared to have no down step, and (MigrationTargetNotApplied) when
    /// the point's migration is not applied and the tool cannot go forward to it.
    /// </summary>
    private static IReadOnlyList<string> ToUndo(SchemaMigrationSettings settings, History history, RollbackPoint point)
    {
        if (point.Version == NoMigration)
        {
            return history.Applied.Reverse().ToList();
        }

        var at = history.Applied.ToList().IndexOf(point.Version);
        if (at < 0)
        {
            // The schema is older than the point: a bundle migrates forward to it (EF's update goes either way); a rollback command cannot.
            return settings.Bundle is not null
                ? Array.Empty<string>()
                : throw new RollbackException(SchemaMigrationErrorId.MigrationTargetNotApplied, RollbackErrorCategory.InvalidOperation,
                    $"The point's migration {point.Version} is not applied in {history.Table} (the newest is {history.Version}): a rollback command cannot go forward to it.", point.Version);
        }

        var undone = history.Applied.Skip(at + 1).Reverse().ToList();
        var irreversible = undone.Where(m => settings.Irreversible.Contains(m, StringComparer.Ordinal)).ToList();
        if (irreversible.Count > 0)
        {
            throw new RollbackException(SchemaMigrationErrorId.MigrationIrreversible, RollbackErrorCategory.InvalidOperation,
                $"The migration(s) {string.Join(", ", irreversible)} applied after {point.Version} have no down step ({SchemaMigrationSettings.IrreversibleMigrationsSetting}): rolling the schema back would fail part way or lose data. Nothing was run. Write a forward migration that fixes the schema instead, or roll the database back from a PostgreSqlDatabase point.",
                irreversible[0]);
        }

        return undone;
    }

    private static void RunTool(SchemaMigrationSettings settings, RollbackPoint point, int steps, RestoreContext context)
    {
        var start = StartInfo(settings, point, steps);
        var run = ToolProcess.Run(start, settings.Bundle is not null ? Path.GetFileName(settings.Bundle) : "RollbackCommand",
            $"Rolling the schema back to {point.Version}", ProgressActivity.Stage, context, patience: settings.ToolTimeout);
        var output = Redaction.Redact(run.Output.Trim());
        if (output.Length > 0)
        {
            context.Reporter.Verbose($"{settings.ToolName}: {ShellCommand.Truncate(output, 4000)}");
        }

        if (!run.Succeeded)
        {
            throw new RollbackException(SchemaMigrationErrorId.MigrationToolFailed, RollbackErrorCategory.InvalidOperation,
                $"{settings.ToolName} failed ({run.Status}) rolling the schema back to {point.Version}. Its last output: {(output.Length == 0 ? "(none)" : ToolProcess.Tail(output, OutputTail))}",
                point.Version);
        }
    }

    private static ProcessStartInfo StartInfo(SchemaMigrationSettings settings, RollbackPoint point, int steps)
    {
        ProcessStartInfo start;
        if (settings.Bundle is { } bundle)
        {
            if (!File.Exists(bundle))
            {
                throw ToolMissing(settings);
            }

            start = new ProcessStartInfo(bundle) { UseShellExecute = false, WorkingDirectory = settings.WorkingDirectory };
            start.ArgumentList.Add(point.Version == NoMigration ? EfInitialMigration : point.Version);
            start.ArgumentList.Add("--connection");
            start.ArgumentList.Add(ConnectionString(settings.Database));
            start.ArgumentList.Add("--no-color");
        }
        else
        {
            start = ShellCommand.StartInfo(CommandLine(settings, point, steps), settings.WorkingDirectory);
        }

        PgTools.SetConnectionEnvironment(start, settings.Database);
        start.Environment["PGDATABASE"] = settings.Database.Database;
        return start;
    }

    /// <summary>What runs, for -WhatIf and messages (the connection string holds no password: it names the password file).</summary>
    private static string Describe(SchemaMigrationSettings settings, RollbackPoint point, int steps) => settings.Bundle is { } bundle
        ? $"{bundle} {(point.Version == NoMigration ? EfInitialMigration : point.Version)} --connection \"{ConnectionString(settings.Database)}\""
        : CommandLine(settings, point, steps);

    private static string CommandLine(SchemaMigrationSettings settings, RollbackPoint point, int steps) => settings.RollbackCommand!
        .Replace(SchemaMigrationSettings.TargetPlaceholder, ShellCommand.Quote(point.Version), StringComparison.Ordinal)
        .Replace(SchemaMigrationSettings.StepsPlaceholder, steps.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>An Npgsql connection string for the bundle: host, port, database, user, SSL mode and the password file, never a password.</summary>
    private static string ConnectionString(DatabaseSettings settings)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = settings.Host,
            Port = settings.Port,
            Database = settings.Database,
            ApplicationName = "Rollback",
        };
        builder["SSL Mode"] = settings.SslMode switch
        {
            "verify-ca" => "VerifyCA",
            "verify-full" => "VerifyFull",
            var mode => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(mode),
        };
        if (settings.User is not null)
        {
            builder.Username = settings.User;
        }

        if (settings.PassFile is not null)
        {
            builder.Passfile = settings.PassFile;
        }

        return builder.ConnectionString;
    }

    private static CheckResult ToolPresent(SchemaMigrationSettings settings) => settings.Bundle is { } bundle && !File.Exists(bundle)
        ? CheckResult.Fail("MigrationToolPresent", SchemaMigrationErrorId.MigrationToolMissing, ToolMissing(settings).Message)
        : CheckResult.Pass("MigrationToolPresent", settings.Bundle is not null ? $"The migrations bundle '{settings.Bundle}' is there." : "RollbackCommand runs through the shell.");

    private static RollbackException ToolMissing(SchemaMigrationSettings settings) =>
        new(SchemaMigrationErrorId.MigrationToolMissing, RollbackErrorCategory.ObjectNotFound, $"The migrations bundle '{settings.Bundle}' is not there.", settings.Bundle ?? string.Empty);

    private static History ReadHistory(SchemaMigrationSettings settings, OperationContext context)
    {
        using var connection = new ServerSession(settings.Database).Open(context.Cancellation, doing: "read the schema migration history of");
        var where = settings.Database.Describe();
        var table = MigrationHistory.Find(connection, settings.Database.MigrationHistoryTable, where)
            ?? throw new RollbackException(PostgreSqlErrorId.PostgreSqlMigrationHistoryMissing, RollbackErrorCategory.ObjectNotFound,
                $"No migration history table ({string.Join(", ", MigrationHistory.KnownTables)}) is in {where}.", where);
        var applied = MigrationHistory.Applied(connection, table);
        return new History(table, applied.Count == 0 ? NoMigration : MigrationHistory.Read(connection, table), applied);
    }

    /// <summary>
    /// The target's settings for one operation: the connection of <paramref name="access"/>, the same as a
    /// PostgreSqlDatabase target's (a Password secret written into a user-only password file for this operation, which
    /// Npgsql, the bundle's --connection and a command's PGPASSFILE name; never the password itself).
    /// </summary>
    private static SchemaMigrationSettings SettingsFor(RollbackTarget target, DatabaseAccess access) =>
        SchemaMigrationSettings.Read(target.Settings) with { Database = access.Settings };

    private static string Fingerprint(TableName table, string version) => $"{table}:{version}";

    private sealed record History(TableName Table, string Version, IReadOnlyList<string> Applied);
}
