using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Settings;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// A SchemaMigration target's settings, read and checked: where the database is (the same connection settings as a
/// PostgreSqlDatabase target, the password given the same way: the Password secret by reference or PassFile/libpq's
/// lookup, see <see cref="DatabaseAccess"/>), its migration history table, and the application's tool: an EF Core
/// migrations bundle (Bundle) or a command template (RollbackCommand), exactly one.
/// </summary>
internal sealed record SchemaMigrationSettings
{
    public const string BundleSetting = "Bundle";
    public const string RollbackCommandSetting = "RollbackCommand";
    public const string IrreversibleMigrationsSetting = "IrreversibleMigrations";
    public const string WorkingDirectorySetting = "WorkingDirectory";
    public const string ToolTimeoutSetting = "ToolTimeout";
    public const string DatabaseTargetSetting = "DatabaseTarget";

    /// <summary>Replaced in RollbackCommand by the point's migration, quoted for the shell.</summary>
    public const string TargetPlaceholder = "{Target}";

    /// <summary>Replaced in RollbackCommand by how many applied migrations are to be undone.</summary>
    public const string StepsPlaceholder = "{Steps}";

    private static readonly string[] ConnectionSettings =
    {
        DatabaseSettings.HostSetting, DatabaseSettings.PortSetting, DatabaseSettings.DatabaseSetting, DatabaseSettings.UserSetting,
        DatabaseSettings.SslModeSetting, DatabaseSettings.PassFileSetting, DatabaseSettings.PasswordSetting, DatabaseSettings.MigrationHistoryTableSetting,
    };

    public static IReadOnlyList<SettingDefinition> Definitions { get; } = DatabaseSettings.Definitions
        .Where(d => ConnectionSettings.Contains(d.Name, StringComparer.Ordinal))
        .Concat(new[]
        {
            new SettingDefinition { Name = BundleSetting, Type = SettingType.Text, IsPath = true, Description = "An EF Core migrations bundle (dotnet ef migrations bundle): run as 'efbundle <point's migration> --connection ...', the equivalent of dotnet ef database update <migration>. Either this or RollbackCommand." },
            new SettingDefinition { Name = RollbackCommandSetting, Type = SettingType.Text, Description = "A command run through the shell that rolls the schema back, such as 'npm run migrate:rollback', 'flyway undo -target={Target}' or 'rails db:rollback STEP={Steps}'. {Target} is the point's migration and {Steps} the number of migrations to undo; the connection is in PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE and PGPASSFILE. Either this or Bundle." },
            new SettingDefinition { Name = IrreversibleMigrationsSetting, Type = SettingType.Text, IsList = true, Description = "Migrations that have no down step (their Down is empty or throws): a rollback across one is refused (MigrationIrreversible) before anything runs." },
            new SettingDefinition { Name = WorkingDirectorySetting, Type = SettingType.Text, IsPath = true, Description = "The folder the tool runs in; absent: the bundle's folder, or the current folder for RollbackCommand." },
            new SettingDefinition { Name = DatabaseTargetSetting, Type = SettingType.Text, Description = "A registered target holding the same database (a PostgreSqlDatabase target): captured as a safety point (a pg_dump) before the schema is rolled back, since a down step drops data." },
            new SettingDefinition { Name = ToolTimeoutSetting, Type = SettingType.TimeSpan, Default = "01:00:00", PerCall = true, Description = "How long the tool may run before it is stopped (with every process it started) and the rollback fails." },
        })
        .ToList();

    /// <summary>The connection settings; within an operation, those of its <see cref="DatabaseAccess"/> (its password file as PassFile).</summary>
    public required DatabaseSettings Database { get; init; }

    public string? Bundle { get; init; }

    public string? RollbackCommand { get; init; }

    public IReadOnlyList<string> Irreversible { get; init; } = Array.Empty<string>();

    public required string WorkingDirectory { get; init; }

    public TimeSpan ToolTimeout { get; init; }

    public string? DatabaseTarget { get; init; }

    /// <summary>The tool as users know it, for messages.</summary>
    public string ToolName => Bundle is not null ? $"the migrations bundle '{Path.GetFileName(Bundle)}'" : "RollbackCommand";

    public static SchemaMigrationSettings Read(SettingsDictionary settings)
    {
        var bundle = settings.GetString(BundleSetting) is { Length: > 0 } b ? b : null;
        var command = settings.GetString(RollbackCommandSetting) is { Length: > 0 } c ? c : null;
        if ((bundle is null) == (command is null))
        {
            throw Invalid($"set exactly one of {BundleSetting} (an EF Core migrations bundle) and {RollbackCommandSetting} (a command template)");
        }

        var timeoutText = settings.GetString(ToolTimeoutSetting);
        var timeout = TimeSpan.FromHours(1);
        if (timeoutText is not null && (!TimeSpan.TryParse(timeoutText, CultureInfo.InvariantCulture, out timeout) || timeout <= TimeSpan.Zero))
        {
            throw Invalid($"{ToolTimeoutSetting} must be a positive TimeSpan such as 00:30:00, not '{timeoutText}'");
        }

        return new SchemaMigrationSettings
        {
            Database = DatabaseSettings.Read(settings),
            Bundle = bundle,
            RollbackCommand = command,
            Irreversible = settings.GetList(IrreversibleMigrationsSetting).Select(m => m.Trim()).Where(m => m.Length > 0).ToList(),
            WorkingDirectory = settings.GetString(WorkingDirectorySetting) is { Length: > 0 } folder
                ? folder
                : bundle is not null ? Path.GetDirectoryName(Path.GetFullPath(bundle))! : Directory.GetCurrentDirectory(),
            ToolTimeout = timeout,
            DatabaseTarget = settings.GetString(DatabaseTargetSetting) is { Length: > 0 } companion ? companion.Trim() : null,
        };
    }

    /// <summary>Checks what can be checked without the server, failing fast (InvalidTargetSettings), and returns the settings.</summary>
    public static SettingsDictionary Validate(SettingsDictionary settings)
    {
        DatabaseSettings.Validate(settings, SchemaMigrationProvider.KindName);
        var read = Read(settings);
        if (read.Bundle is not null && !File.Exists(read.Bundle))
        {
            throw Invalid($"the migrations bundle '{read.Bundle}' given as {BundleSetting} does not exist");
        }

        if (!Directory.Exists(read.WorkingDirectory))
        {
            throw Invalid($"the folder '{read.WorkingDirectory}' given as {WorkingDirectorySetting} does not exist");
        }

        return settings;
    }

    private static RollbackException Invalid(string why) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, $"Invalid settings for kind '{SchemaMigrationProvider.KindName}': {why}.", SchemaMigrationProvider.KindName);
}
