using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Settings;

namespace Rollback.Providers.PostgreSql;

/// <summary>How a rollback puts the point's dump in place.</summary>
internal enum RestoreStrategy
{
    /// <summary>Restore into a new database beside the live one, verify it, then switch the names: the window is the rename.</summary>
    Beside,

    /// <summary>pg_restore --clean --single-transaction into the live database: no space beside needed, the whole restore is the window.</summary>
    InPlace,
}

/// <summary>
/// A PostgreSqlDatabase target's settings, read and checked. The password is never a setting in clear: either the
/// Password setting, a secret kept by reference (a PSCredential or SecureString given at registration, kept in a
/// user-only store file; env:NAME; file:/path), written for each operation into a user-only libpq password file (see
/// <see cref="DatabaseAccess"/>); or libpq's own lookup (the PassFile setting, else PGPASSFILE, else ~/.pgpass, else
/// PGPASSWORD). Either way Npgsql and the tools read it from a password file, never from an argument or the environment.
/// </summary>
internal sealed record DatabaseSettings
{
    public const string HostSetting = "Host";
    public const string PortSetting = "Port";
    public const string DatabaseSetting = "Database";
    public const string UserSetting = "User";
    public const string SslModeSetting = "SslMode";
    public const string PassFileSetting = "PassFile";
    public const string PasswordSetting = "Password";
    public const string KeyTablesSetting = "KeyTables";
    public const string MigrationHistoryTableSetting = "MigrationHistoryTable";
    public const string MinFreeSpaceMBSetting = "MinFreeSpaceMB";
    public const string StrategySetting = "Strategy";
    public const string CheckQuerySetting = "CheckQuery";
    public const string JobsSetting = "Jobs";
    public const string MaintenanceDatabaseSetting = "MaintenanceDatabase";
    public const string ToolsDirectorySetting = "ToolsDirectory";
    public const string SwitchTimeoutSetting = "SwitchTimeout";

    private const string DefaultHost = "localhost";
    private const int DefaultPort = 5432;

    private static readonly string[] SslModes = { "disable", "allow", "prefer", "require", "verify-ca", "verify-full" };

    public static IReadOnlyList<SettingDefinition> Definitions { get; } = new[]
    {
        new SettingDefinition { Name = HostSetting, Type = SettingType.Text, Default = DefaultHost, Description = "The server's host name or address (or a Unix socket folder)." },
        new SettingDefinition { Name = PortSetting, Type = SettingType.WholeNumber, Default = "5432", Description = "The server's port." },
        new SettingDefinition { Name = DatabaseSetting, Type = SettingType.Text, Required = true, Description = "The live database: the name applications connect to." },
        new SettingDefinition { Name = UserSetting, Type = SettingType.Text, Description = "The role to connect as (needs CREATEDB, ownership of the database and pg_signal_backend, or superuser); the OS user name when absent, as libpq does." },
        new SettingDefinition { Name = SslModeSetting, Type = SettingType.Text, Default = "prefer", AllowedValues = SslModes, Description = "libpq's sslmode for every connection, the tools' included." },
        new SettingDefinition { Name = PassFileSetting, Type = SettingType.Text, IsPath = true, Description = "A libpq password file (host:port:database:user:password, mode 0600); absent (and no Password): PGPASSFILE, then ~/.pgpass, then PGPASSWORD." },
        new SettingDefinition
        {
            Name = PasswordSetting, Type = SettingType.Text, Secret = true,
            Description = "The User's password: a PSCredential or SecureString (kept in a user-only store file), 'env:NAME' or 'file:/path' (a user-only file); never in clear. Each operation hands it to Npgsql and the tools in a user-only password file it removes after. Not with PassFile.",
        },
        new SettingDefinition { Name = KeyTablesSetting, Type = SettingType.Text, IsList = true, Description = "Tables (schema.table) whose row counts a point records and a restored copy must have before it is switched in." },
        new SettingDefinition { Name = MigrationHistoryTableSetting, Type = SettingType.Text, Description = "The schema migration history table (__EFMigrationsHistory, schema_migrations or flyway_schema_history, optionally schema-qualified); absent: the first of them found." },
        new SettingDefinition { Name = MinFreeSpaceMBSetting, Type = SettingType.WholeNumber, Default = "1024", PerCall = true, Description = "MiB that must stay free on the server's data file system after the restore beside (and in the store after the safety dump)." },
        new SettingDefinition { Name = StrategySetting, Type = SettingType.Text, Default = nameof(RestoreStrategy.Beside), AllowedValues = new[] { nameof(RestoreStrategy.Beside), nameof(RestoreStrategy.InPlace) }, PerCall = true, Description = "Beside: restore into a new database, verify, switch by renames (the window is the switch). InPlace: pg_restore --clean --single-transaction into the live database (no space beside; the whole restore is downtime)." },
        new SettingDefinition { Name = CheckQuerySetting, Type = SettingType.Text, PerCall = true, Description = "SQL run on the restored copy before the switch; it must succeed and its first value must not be false or null (no row fails too)." },
        new SettingDefinition { Name = JobsSetting, Type = SettingType.WholeNumber, PerCall = true, Description = "pg_restore --jobs for the restore beside; the number of processors (at most 8) when absent." },
        new SettingDefinition { Name = MaintenanceDatabaseSetting, Type = SettingType.Text, Default = "postgres", Description = "The database connected to while the live one is renamed, created or dropped." },
        new SettingDefinition { Name = ToolsDirectorySetting, Type = SettingType.Text, IsPath = true, Description = "The folder of pg_dump and pg_restore; absent: the newest /usr/lib/postgresql/<major>/bin, then PATH." },
        new SettingDefinition { Name = SwitchTimeoutSetting, Type = SettingType.TimeSpan, Default = "00:00:30", PerCall = true, Description = "How long the switch waits for the sessions it ended to go before it gives up (and switches nothing)." },
    };

    public required string Host { get; init; }

    public required int Port { get; init; }

    public required string Database { get; init; }

    public string? User { get; init; }

    public required string SslMode { get; init; }

    public string? PassFile { get; init; }

    public IReadOnlyList<TableName> KeyTables { get; init; } = Array.Empty<TableName>();

    public TableName? MigrationHistoryTable { get; init; }

    public long MinFreeBytes { get; init; }

    public RestoreStrategy Strategy { get; init; }

    public string? CheckQuery { get; init; }

    public int Jobs { get; init; }

    public required string MaintenanceDatabase { get; init; }

    public string? ToolsDirectory { get; init; }

    public TimeSpan SwitchTimeout { get; init; }

    /// <summary>Where the target is, for messages: never a password.</summary>
    public string Describe() => $"database '{Database}' on {Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static DatabaseSettings Read(SettingsDictionary settings)
    {
        var database = settings.GetString(DatabaseSetting);
        if (string.IsNullOrWhiteSpace(database))
        {
            throw Invalid($"the setting '{DatabaseSetting}' must name the live database");
        }

        var history = settings.GetString(MigrationHistoryTableSetting);
        return new DatabaseSettings
        {
            Host = settings.GetString(HostSetting) is { Length: > 0 } host ? host : DefaultHost,
            Port = Number(settings, PortSetting, DefaultPort, 1, 65535),
            Database = database!.Trim(),
            User = settings.GetString(UserSetting) is { Length: > 0 } user ? user : null,
            SslMode = (settings.GetString(SslModeSetting) ?? "prefer").ToLowerInvariant(),
            PassFile = settings.GetString(PassFileSetting),
            KeyTables = settings.GetList(KeyTablesSetting).Select(t => TableName.Parse(t, KeyTablesSetting)).ToList(),
            MigrationHistoryTable = history is { Length: > 0 } ? MigrationHistory.Validate(TableName.Parse(history, MigrationHistoryTableSetting)) : null,
            MinFreeBytes = Number(settings, MinFreeSpaceMBSetting, 1024, 0, int.MaxValue) * 1024L * 1024L,
            Strategy = string.Equals(settings.GetString(StrategySetting), nameof(RestoreStrategy.InPlace), StringComparison.OrdinalIgnoreCase) ? RestoreStrategy.InPlace : RestoreStrategy.Beside,
            CheckQuery = settings.GetString(CheckQuerySetting) is { Length: > 0 } query ? query : null,
            Jobs = Number(settings, JobsSetting, Math.Min(8, Environment.ProcessorCount), 1, 64),
            MaintenanceDatabase = settings.GetString(MaintenanceDatabaseSetting) is { Length: > 0 } maintenance ? maintenance : "postgres",
            ToolsDirectory = settings.GetString(ToolsDirectorySetting),
            SwitchTimeout = settings.GetString(SwitchTimeoutSetting) is { } timeout && TimeSpan.TryParse(timeout, CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero ? parsed : TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Checks what can be checked without the server, failing fast (InvalidTargetSettings, naming <paramref name="kind"/>: this kind or one that takes its connection settings), and returns the settings.</summary>
    public static SettingsDictionary Validate(SettingsDictionary settings, string kind = PostgreSqlDatabaseProvider.KindName)
    {
        var read = Read(settings);
        if (read.PassFile is not null && settings.ContainsKey(PasswordSetting))
        {
            throw Invalid($"give the password either as {PasswordSetting} or in the file {PassFileSetting} names, not both", kind);
        }

        if (read.PassFile is not null && !File.Exists(read.PassFile))
        {
            throw Invalid($"the password file '{read.PassFile}' given as {PassFileSetting} does not exist", kind);
        }

        if (read.ToolsDirectory is not null && !Directory.Exists(read.ToolsDirectory))
        {
            throw Invalid($"the folder '{read.ToolsDirectory}' given as {ToolsDirectorySetting} does not exist", kind);
        }

        return settings;
    }

    public static RollbackException Invalid(string why, string kind = PostgreSqlDatabaseProvider.KindName) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, $"Invalid settings for kind '{kind}': {why}.", kind);

    private static int Number(SettingsDictionary settings, string key, int defaultValue, int min, int max)
    {
        var text = settings.GetString(key);
        if (text is null)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid($"{key} must be a whole number from {min} to {max}, not '{text}'");
    }
}

/// <summary>A table named as schema.table (public when no schema is given), quoted safely for SQL.</summary>
internal sealed class TableName
{
    private TableName(string schema, string name)
    {
        Schema = schema;
        Name = name;
    }

    public string Schema { get; }

    public string Name { get; }

    public string Quoted => Quote(Schema) + "." + Quote(Name);

    public static TableName Parse(string text, string setting)
    {
        var parts = text.Trim().Split('.');
        if (parts.Length is < 1 or > 2 || parts.Any(p => p.Trim().Trim('"').Length == 0))
        {
            throw DatabaseSettings.Invalid($"'{text}' given in {setting} is not a table name (table or schema.table)");
        }

        var unquoted = parts.Select(p => p.Trim().Trim('"')).ToArray();
        return unquoted.Length == 2 ? new TableName(unquoted[0], unquoted[1]) : new TableName("public", unquoted[0]);
    }

    /// <summary>A SQL identifier in double quotes (embedded quotes doubled): safe for any name.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public override string ToString() => Schema + "." + Name;
}
