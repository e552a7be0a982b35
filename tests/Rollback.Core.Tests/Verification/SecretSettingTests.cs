using System;
using System.IO;
using System.Linq;
using System.Security;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;
using Rollback.Testing;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests.Verification;

/// <summary>
/// Secret settings, one mechanism for every kind, through the engine's own HealthAuthorization: stored only as a
/// reference (env:NAME, a user-only file:, or a SecureString kept in a user-only store file), shown as ***, never in
/// targets.json or the journal, and sent where it belongs (the Authorization header of the health probe).
/// </summary>
[Collection(ProcessEnvironmentGroup.Name)]
public sealed class SecretSettingTests : IDisposable
{
    private const string Canary = "Bearer canary-5e7c1f";
    private const string Variable = "ROLLBACK_TEST_HEALTH_AUTHORIZATION";

    private readonly Sandbox _sandbox = new();
    private readonly HealthServer _server;
    private readonly string _root;

    public SecretSettingTests()
    {
        _root = _sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0");
        foreach (var release in new[] { "v2.3.1", "v2.4.0" })
        {
            File.WriteAllText(Path.Combine(_root, "releases", release, "health.json"), "{\"status\":\"Healthy\",\"version\":\"" + release + "\"}");
        }

        // The service answers 401 to a request without the right Authorization header.
        _server = new HealthServer(request => request.Headers.TryGetValue("Authorization", out var given) && given == Canary
            ? new HealthAnswer(200, File.ReadAllText(Path.Combine(_root, "current", "health.json")))
            : new HealthAnswer(401, "{}"));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(Variable, null);
        _server.Dispose();
        _sandbox.Dispose();
    }

    [SkippableFact]
    public void AnEnvironmentReferenceIsStoredAsItselfShownAsStarsAndSentAsTheHeader()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        Environment.SetEnvironmentVariable(Variable, Canary);

        var target = Register("env:" + Variable);
        var result = RollBackOnce();

        Assert.Equal("***", target.Settings["HealthAuthorization"].ToString());
        Assert.Null(target.Settings.GetString("HealthAuthorization"));
        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.All(_server.Requests, r => Assert.Equal(Canary, r.Headers["Authorization"]));
        Assert.Contains("\"secret\": \"env:" + Variable + "\"", File.ReadAllText(_sandbox.Store.TargetsFile), StringComparison.Ordinal);
        AssertNoCanaryInTheStore();

        // Read back from targets.json, the reference is still a reference.
        Assert.IsType<SecretReference>(_sandbox.Store.Targets.Get("api").Settings["HealthAuthorization"]);
    }

    [SkippableFact]
    public void ASecureStringIsKeptInAUserOnlyStoreFileAndRemovedWithTheTarget()
    {
        Skip.If(TestStores.UsePostgreSql, TestStores.FolderOnly);
        var target = Register(new SecretText(Secure(Canary)));
        var result = RollBackOnce();

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal("***", target.Settings["HealthAuthorization"].ToString());
        var kept = Path.Combine(_sandbox.Store.Secrets.Directory, "api", "HealthAuthorization");
        Assert.Equal(Canary, File.ReadAllText(kept));
        if (NativeFileSystem.GetUnixFileMode(kept) is { } mode)
        {
            Assert.Equal(StoreFiles.OwnerOnlyFileMode, Convert.ToInt32(mode, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Contains("\"secret\": \"store:api/HealthAuthorization\"", File.ReadAllText(_sandbox.Store.TargetsFile), StringComparison.Ordinal);
        AssertNoCanaryInTheStore(except: kept);

        _sandbox.Engine.Targets.Unregister("api", removePoints: true);
        Assert.False(File.Exists(kept));
    }

    [Fact]
    public void ASecretInClearIsRefusedWithoutRepeatingItAndNothingIsStored()
    {
        var clear = Assert.Throws<RollbackException>(() => Register(Canary));
        var secureForText = Assert.Throws<RollbackException>(() => _sandbox.Register("api", "FileSystemRelease", ("Root", _root), ("ExpectedVersion", new SecretText(Secure("v1")))));

        Assert.Equal(RollbackErrorId.InvalidSetting, clear.ErrorId);
        Assert.DoesNotContain("canary", clear.Message, StringComparison.Ordinal);
        Assert.Contains("never stored in clear", clear.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.InvalidSetting, secureForText.ErrorId);
        Assert.Empty(_sandbox.Store.Targets.GetAll());
        Assert.False(Directory.Exists(_sandbox.Store.Secrets.Directory));
    }

    [Fact]
    public void AFileReferenceMustBeReadableByItsOwnerOnly()
    {
        var file = Path.Combine(_sandbox.Root, "health-authorization");
        File.WriteAllText(file, Canary + "\n");
        if (NativeFileSystem.GetUnixFileMode(file) is not { } mode)
        {
            return; // Windows: the file's ACL is the user's business.
        }

        NativeFileSystem.SetUnixFileMode(file, Enum.ToObject(mode.GetType(), 0x1A4)); // 0644
        var open = Assert.Throws<RollbackException>(() => Register("file:" + file));
        Assert.Equal(RollbackErrorId.SecretUnavailable, open.ErrorId);
        Assert.Contains("chmod 600", open.Message, StringComparison.Ordinal);
        Assert.Empty(_sandbox.Store.Targets.GetAll());

        NativeFileSystem.SetUnixFileMode(file, Enum.ToObject(mode.GetType(), StoreFiles.OwnerOnlyFileMode));
        Register("file:" + file);
        var result = RollBackOnce();
        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.All(_server.Requests, r => Assert.Equal(Canary, r.Headers["Authorization"]));
    }

    [Fact]
    public void AReferenceThatCannotBeReadFailsVerificationWithSecretUnavailable()
    {
        Register("env:" + Variable);

        var result = RollBackOnce();

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.SecretUnavailable, result.ErrorId);
        Assert.Contains(Variable + " is not set", result.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    private static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    private RollbackTarget Register(object authorization) =>
        _sandbox.Register("api", "FileSystemRelease", ("Root", _root), ("HealthUri", _server.Uri().ToString()), ("HealthTimeout", "00:00:02"),
            ("HealthRetryInterval", "00:00:00.05"), ("HealthAuthorization", authorization));

    private RollbackResult RollBackOnce()
    {
        var point = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2.4.0");
        return _sandbox.Rollback("api", point.Id);
    }

    private void AssertNoCanaryInTheStore(string? except = null)
    {
        foreach (var file in Directory.GetFiles(_sandbox.Store.Root, "*", SearchOption.AllDirectories).Where(f => f != except))
        {
            Assert.DoesNotContain("canary-5e7c1f", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }
}
