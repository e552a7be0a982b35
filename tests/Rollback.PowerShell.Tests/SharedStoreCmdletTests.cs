using System;
using System.Collections;
using System.Globalization;
using System.IO;
using Rollback.Testing;
using Xunit;

namespace Rollback.PowerShell.Tests;

/// <summary>
/// The shared store through the cmdlets, on the real PostgreSQL 15 server: two sessions given the same connection string
/// see one registry and one journal, Get-RollbackStore says what is in use, and a connection string carrying a
/// password is refused without being shown.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class SharedStoreCmdletTests : IDisposable
{
    private readonly PostgreSqlServer _server;
    private readonly string _database = string.Empty;
    private readonly string _passwordFile = Path.Combine(Path.GetTempPath(), "rollback-pw-" + Guid.NewGuid().ToString("N"));
    private readonly string _artifacts = Path.Combine(Path.GetTempPath(), "rollback-shared-" + Guid.NewGuid().ToString("N"));

    public SharedStoreCmdletTests(PostgreSqlServer server)
    {
        _server = server;
        if (server.SkipReason is null)
        {
            _database = server.CreateDatabase("cmdlet_store");
            server.WritePasswordFile(_passwordFile);
        }
    }

    private string Connection => string.Create(CultureInfo.InvariantCulture,
        $"postgresql://{PostgreSqlServer.Host}:{_server.Port}/{_database}?user={PostgreSqlServer.AdminUser}&artifacts={Uri.EscapeDataString(_artifacts)}");

    public void Dispose()
    {
        if (_database.Length > 0)
        {
            _server.DropDatabase(_database);
        }

        File.Delete(_passwordFile);
        if (Directory.Exists(_artifacts))
        {
            Directory.Delete(_artifacts, recursive: true);
        }
    }

    [SkippableFact]
    public void TwoSessionsOnOneConnectionStringSeeOneRegistryAndOneVerifiedJournal()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var first = Shared();
        using var second = Shared();

        first.Run("New-Item -ItemType Directory \"$TestRoot/site\" | Out-Null; Set-Content \"$TestRoot/site/VERSION\" '1.0'; Register-RollbackTarget -Name api -Kind Directory -Settings @{ Path = \"$TestRoot/site\"; VersionFile = 'VERSION' } | Out-Null; New-RollbackPoint -Target api -Note first | Out-Null").AssertNoErrors();

        Assert.Equal("api", second.Run("Get-RollbackTarget").One("RollbackTarget").GetString("Name"));
        Assert.Equal("1.0", second.Run("Get-RollbackPoint -Target api").One("RollbackPoint").GetString("Version"));
        var verify = second.Run("Get-RollbackHistory -Verify");
        verify.AssertNoErrors();
        Assert.Equal(true, verify.Output[0].Get("IsValid"));

        var store = second.Run("Get-RollbackStore");
        store.AssertNoErrors();
        var info = store.One("RollbackStoreInfo");
        Assert.Equal("PostgreSql", info.GetString("Kind"));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"postgresql://{PostgreSqlServer.Host}:{_server.Port}/{_database}?user={PostgreSqlServer.AdminUser}"), info.GetString("Location"));
        Assert.Equal(_artifacts, info.GetString("ArtifactLocation"));
        Assert.Equal("2", info.GetString("SchemaVersion"));
        Assert.Equal(PostgreSqlServer.AdminUser, info.GetString("User"));
        Assert.DoesNotContain(File.ReadAllText(_passwordFile).Trim(), second.Run("Get-RollbackStore | Format-List | Out-String").Output[0].ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AConnectionStringWithAPasswordIsStorePathInvalidAndTheFolderStoreDescribesItself()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        using var session = new RollbackSession();
        var error = session.RunExpectingTerminatingError("param($c) Get-RollbackStore -StorePath $c",
            new Hashtable { ["c"] = $"postgresql://admin:hunter2-secret@{PostgreSqlServer.Host}:{_server.Port}/{_database}?artifacts=/tmp/x" });
        Assert.StartsWith("StorePathInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", error.ToString(), StringComparison.Ordinal);

        var folder = session.Run("Get-RollbackStore").One("RollbackStoreInfo");
        Assert.Equal("Folder", folder.GetString("Kind"));
        Assert.Equal(session.StorePath, folder.GetString("Location"));
        Assert.Null(folder.Get("SchemaVersion"));
    }

    /// <summary>A session whose every Rollback cmdlet uses the shared store, the password given as a PSCredential.</summary>
    private RollbackSession Shared()
    {
        var session = new RollbackSession();
        session.Run("param($c, $f) $credential = [pscredential]::new('" + PostgreSqlServer.AdminUser + "', (ConvertTo-SecureString (Get-Content -Raw $f).Trim() -AsPlainText -Force)); " +
            "$PSDefaultParameterValues['*-Rollback*:StorePath'] = $c; $PSDefaultParameterValues['*-Rollback*:StoreCredential'] = $credential",
            new Hashtable { ["c"] = Connection, ["f"] = _passwordFile }).AssertNoErrors();
        return session;
    }
}
