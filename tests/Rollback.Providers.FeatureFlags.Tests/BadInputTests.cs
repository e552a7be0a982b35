using System;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Tasks;
using Rollback.Errors;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.FeatureFlags.Tests;

/// <summary>
/// Bad input against the real Unleash server: each is refused with the kind's ErrorId, no point is kept from a refused
/// capture, and a refused rollback leaves the flag as it was (read back through the client API).
/// </summary>
[Collection(UnleashGroup.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BadInputTests : IDisposable
{
    private readonly UnleashServer _unleash;
    private readonly FlagStore _store;

    public BadInputTests(UnleashServer unleash)
    {
        _unleash = unleash;
        _store = new FlagStore(unleash);
    }

    public void Dispose() => _store.Dispose();

    [SkippableFact]
    public void AnUnknownFlagIsRefusedAndNoPointIsKept()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _store.Register(_store.Settings());

        AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagNotFound, _store.Flag);
    }

    [SkippableFact]
    public void AnUnknownProjectIsRefusedAndNoPointIsKept()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        var settings = _store.Settings();
        settings[FeatureFlagProvider.ProjectSetting] = "payments";
        _store.Register(settings);

        AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagProjectNotFound, "payments");
    }

    [SkippableFact]
    public void AnUnknownEnvironmentIsRefusedAndNoPointIsKept()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        _store.Register(_store.Settings(environments: new[] { "production", "staging" }));

        AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagEnvironmentNotFound, "staging");
    }

    [SkippableFact]
    public void AWrongTokenIs401AndAClientTokenIs403BothAccessDenied()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        var wrong = "*:*." + Guid.NewGuid().ToString("N");
        _store.Register(_store.Settings(token: "file:" + _store.UserOnlyFile("wrong-token", wrong)));
        var unauthorized = AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagAccessDenied, "401");

        _store.Register(_store.Settings(token: "file:" + _store.UserOnlyFile("client-token", _unleash.ClientToken)));
        var forbidden = AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagAccessDenied, "403");

        Assert.DoesNotContain(wrong, unauthorized.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_unleash.ClientToken, forbidden.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AServerThatIsDownIsUnreachable()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _store.Register(_store.Settings(url: Loopback.Url(Loopback.ClosedPort()).ToString()));

        AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagServerUnreachable, "cannot be reached");
    }

    [SkippableFact]
    public void ATokenFileOthersCanReadIsRefusedAtRegistration()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        var path = _store.UserOnlyFile("shared-token", _unleash.AdminToken);
        System.IO.File.SetUnixFileMode(path, System.IO.UnixFileMode.UserRead | System.IO.UnixFileMode.UserWrite | System.IO.UnixFileMode.GroupRead | System.IO.UnixFileMode.OtherRead);

        var error = Assert.Throws<RollbackException>(() => _store.Register(_store.Settings(token: "file:" + path)));

        Assert.Equal(RollbackErrorId.SecretUnavailable, error.ErrorId);
    }

    [SkippableFact]
    public void AnAnswerThatIsNotTheAdminApisIsMalformedAndNothingIsSent()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        using var page = new NotUnleash();
        _store.Register(_store.Settings(url: page.Url.ToString()));

        AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagAnswerMalformed, "not JSON");
        page.Json = true;
        AssertCaptureRefused(FeatureFlagErrorId.FeatureFlagAnswerMalformed, "without its environments");

        Assert.All(page.Methods, m => Assert.Equal("GET", m));
    }

    [SkippableFact]
    public void AFlagArchivedSinceThePointIsNotReadyAndARollbackIsRefused()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        _unleash.AddRollout(_store.Flag, "production", 10);
        _store.Register(_store.Settings(environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "before enabling");
        _unleash.ArchiveFlag(_store.Flag);

        var report = _store.Engine.Readiness.Test(FlagStore.Target, point.Id);
        var refused = Assert.Throws<RollbackException>(() => _store.Rollback(point.Id));

        Assert.False(report.IsReady);
        Assert.Contains(report.Failures, c => c.ErrorId == FeatureFlagErrorId.FeatureFlagNotFound);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
    }

    [SkippableFact]
    public void ATokenRevokedSinceThePointRefusesTheRollbackAndTheFlagStaysAsItIs()
    {
        Skip.If(_unleash.SkipReason is not null, _unleash.SkipReason);
        _unleash.CreateFlag(_store.Flag);
        _unleash.AddRollout(_store.Flag, "production", 10);
        _store.Register(_store.Settings(environments: "production"));
        var point = _store.Engine.Points.Create(FlagStore.Target, "before enabling");
        _unleash.SetEnabled(_store.Flag, "production", true);
        System.IO.File.WriteAllText(_store.TokenFile, "*:*." + Guid.NewGuid().ToString("N"));

        var report = _store.Engine.Readiness.Test(FlagStore.Target, point.Id);
        var refused = Assert.Throws<RollbackException>(() => _store.Rollback(point.Id));

        Assert.Contains(report.Failures, c => c.ErrorId == FeatureFlagErrorId.FeatureFlagAccessDenied);
        Assert.Equal(RollbackErrorId.RollbackNotReady, refused.ErrorId);
        Assert.True(_unleash.ClientView(_store.Flag).Enabled);
    }

    private RollbackException AssertCaptureRefused(string errorId, string mentioned)
    {
        var error = Assert.Throws<RollbackException>(() => _store.Engine.Points.Create(FlagStore.Target, "before enabling"));

        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains(mentioned, error.Message, StringComparison.Ordinal);
        Assert.Empty(_store.Engine.Points.GetAll(FlagStore.Target));
        return error;
    }

    /// <summary>Something else on the flag service's address: a login page, or JSON of another shape. Records each request's method.</summary>
    private sealed class NotUnleash : LoopbackHttpServer
    {
        public ConcurrentQueue<string> Methods { get; } = new();

        public bool Json { get; set; }

        protected override Task HandleAsync(HttpListenerContext context)
        {
            Methods.Enqueue(context.Request.HttpMethod);
            return Json
                ? RespondAsync(context, 200, "application/json", "{\"features\":[]}")
                : RespondAsync(context, 200, "text/html", "<html><body>Sign in</body></html>");
        }
    }
}
