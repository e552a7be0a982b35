using System;
using System.IO;
using System.Text;
using Rollback.Store;

namespace Rollback.Providers.PostgreSql;

/// <summary>
/// A PostgreSqlDatabase target's settings for one operation (<see cref="Settings"/>). With a Password setting, the
/// password is read where its reference points and written into a libpq password file (<c>*:*:*:*:password</c>, mode 0600) in a user-only folder, which the operation's settings
/// name as PassFile, so Npgsql and pg_dump/pg_restore read it the same way as a PassFile of the user's own, and the
/// password never passes through an argument or a child's environment. Dispose removes the file. The folder is the store's
/// user-only secrets folder (where a PSCredential's password already is), so a process killed in between leaves nothing
/// readable that was not there already; a context without a store uses a new user-only temp folder.
/// </summary>
internal sealed class DatabaseAccess : IDisposable
{
    private readonly string? _folder;
    private readonly string? _file;
    private readonly bool _ownsFolder;

    private DatabaseAccess(DatabaseSettings settings)
    {
        Settings = settings;
    }

    private DatabaseAccess(DatabaseSettings settings, string folder, bool ownsFolder, string password)
    {
        _folder = folder;
        _ownsFolder = ownsFolder;
        StoreFiles.CreateOwnerOnlyDirectory(folder);
        _file = Path.Combine(folder, ".pgpass-" + Guid.NewGuid().ToString("N"));
        AtomicFile.WriteAllBytes(_file, Encoding.UTF8.GetBytes("*:*:*:*:" + Escape(password) + "\n"));
        StoreFiles.RestrictToOwner(_file);
        Settings = settings with { PassFile = _file };
    }

    /// <summary>The target's settings as this operation uses them: PassFile names the password file written for it, if any.</summary>
    public DatabaseSettings Settings { get; }

    /// <summary>The target's settings for one operation; dispose it when the operation ends.</summary>
    public static DatabaseAccess Open(RollbackTarget target, OperationContext context)
    {
        var settings = DatabaseSettings.Read(target.Settings);
        if (target.Settings.GetSecret(DatabaseSettings.PasswordSetting) is not { } secret)
        {
            return new DatabaseAccess(settings);
        }

        var password = context.Reveal(secret);
        var inStore = context.SecretsDirectory.Length > 0;
        return new DatabaseAccess(
            settings,
            inStore ? context.SecretsDirectory : Path.Combine(Path.GetTempPath(), "rollback-pg-" + Guid.NewGuid().ToString("N")),
            ownsFolder: !inStore,
            password);
    }

    public void Dispose()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            File.Delete(_file);
            if (_ownsFolder)
            {
                Directory.Delete(_folder!);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file that cannot be removed stays user-only; the next operation writes its own.
        }
    }

    // libpq's password file escapes ':' and '\' with a backslash.
    private static string Escape(string password) => password.Replace("\\", "\\\\").Replace(":", "\\:");
}
