using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Testing;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests.Notifications;

/// <summary>
/// Notification channels against a real webhook receiver on 127.0.0.1: the bodies of each format, the events of a
/// target, a plan and its members, a receiver that fails, does not answer or answers 429 (its Retry-After honoured),
/// a webhook that is never stored, shown or journaled, and the refusals of bad input with nothing stored.
/// </summary>
public sealed class NotificationTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly WebhookReceiver _receiver = new();
    private readonly string _variable = "ROLLBACK_TEST_HOOK_" + Guid.NewGuid().ToString("N");
    private readonly RollbackPoint _point;

    public NotificationTests()
    {
        Environment.SetEnvironmentVariable(_variable, _receiver.Webhook().ToString());
        _sandbox.Register("api", "FileSystemRelease", ("Root", _sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0")));
        _point = _sandbox.Engine.Points.Create("api", "known good");
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        _receiver.Dispose();
        _sandbox.Dispose();
    }

    [Fact]
    public void ASlackChannelIsToldTheStartAndTheOutcomeWithWhatAnIncidentChannelNeeds()
    {
        Register(NotificationFormat.Slack);

        var result = _sandbox.Rollback("api", _point.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var bodies = _receiver.Delivered;
        Assert.Equal(2, bodies.Count);
        Assert.All(_receiver.Requests, r => Assert.Equal("/services/T0001/B0001/s3cr3tT0k3n", r.Path));
        Assert.All(_receiver.Requests, r => Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal));
        Assert.Equal("Rollback of api started: v2.4.0 → v2.3.1", bodies[0].GetProperty("text").GetString());
        Assert.Equal("Rollback of api succeeded: v2.4.0 → v2.3.1", bodies[1].GetProperty("text").GetString());
        var blocks = bodies[1].GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        var fields = blocks.Where(b => b.TryGetProperty("fields", out _)).SelectMany(b => b.GetProperty("fields").EnumerateArray()).Select(f => f.GetProperty("text").GetString()!).ToList();
        Assert.All(blocks.Where(b => b.TryGetProperty("fields", out _)), b => Assert.True(b.GetProperty("fields").GetArrayLength() <= 10));
        Assert.Contains("*Service*\napi (FileSystemRelease)", fields);
        Assert.Contains("*Versions*\nv2.4.0 → v2.3.1", fields);
        Assert.Contains("*Status*\nSucceeded", fields);
        Assert.Contains("*Reason*\ntest", fields);
        Assert.Contains("*Run by*\ntester", fields);
        Assert.Contains("*Approved by*\noncall", fields);
        Assert.Contains($"*Journal sequence*\n{result.JournalSequence}", fields);
        Assert.Contains($"*Safety point*\n{result.SafetyPointId}", fields);
        Assert.Contains(fields, f => f.StartsWith("*Verification*\nPassed", StringComparison.Ordinal));
        Assert.Contains(fields, f => f.StartsWith("*Downtime*\n", StringComparison.Ordinal));
        Assert.Contains(fields, f => f.StartsWith("*Duration*\n", StringComparison.Ordinal));
        Assert.Contains(fields, f => f.StartsWith("*Started*\n" + result.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        AssertWebhookNowhereInTheStore();
    }

    [Fact]
    public void AJsonChannelCarriesEveryFieldTypedAndATeamsChannelOneAdaptiveCard()
    {
        Register(NotificationFormat.Json, name: "audit");
        Register(NotificationFormat.Teams, name: "teams");

        var result = _sandbox.Rollback("api", _point.Id);

        var json = _receiver.Delivered.Where(b => b.TryGetProperty("event", out _)).ToList();
        Assert.Equal(new[] { "Started", "Succeeded" }, json.Select(b => b.GetProperty("event").GetString()));
        var done = json[1];
        Assert.Equal("api", done.GetProperty("target").GetString());
        Assert.Equal("FileSystemRelease", done.GetProperty("kind").GetString());
        Assert.Equal("v2.4.0", done.GetProperty("fromVersion").GetString());
        Assert.Equal("v2.3.1", done.GetProperty("toVersion").GetString());
        Assert.Equal(new[] { "oncall" }, done.GetProperty("approvedBy").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(result.JournalSequence, done.GetProperty("journalSequence").GetInt64());
        Assert.Equal(Math.Round(result.Duration.TotalSeconds, 3), done.GetProperty("durationSeconds").GetDouble());
        Assert.Equal(Math.Round(result.Downtime.TotalSeconds, 3), done.GetProperty("downtimeSeconds").GetDouble());
        Assert.StartsWith("Passed", done.GetProperty("verification").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, done.GetProperty("planRunId").ValueKind);
        Assert.Equal(JsonValueKind.Null, json[0].GetProperty("durationSeconds").ValueKind);

        var cards = _receiver.Delivered.Where(b => b.TryGetProperty("attachments", out _)).ToList();
        Assert.Equal(2, cards.Count);
        var attachment = cards[1].GetProperty("attachments")[0];
        Assert.Equal("message", cards[1].GetProperty("type").GetString());
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var body = attachment.GetProperty("content").GetProperty("body").EnumerateArray().ToList();
        Assert.Equal("AdaptiveCard", attachment.GetProperty("content").GetProperty("type").GetString());
        Assert.Equal("Rollback of api succeeded: v2.4.0 → v2.3.1", body[0].GetProperty("text").GetString());
        var facts = body[1].GetProperty("facts").EnumerateArray().ToDictionary(f => f.GetProperty("title").GetString()!, f => f.GetProperty("value").GetString()!);
        Assert.Equal("v2.4.0 → v2.3.1", facts["Versions"]);
        Assert.Equal(result.JournalSequence.ToString(System.Globalization.CultureInfo.InvariantCulture), facts["Journal sequence"]);
    }

    [Fact]
    public void AReceiverThatKeepsFailingIsAWarningAndAJournalEntryAndTheRollbackStillSucceeds()
    {
        var time = new VirtualTime();
        var reporter = new RecordingReporter();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, time, "tester");
        Register(NotificationFormat.Slack, events: new[] { NotificationEvent.Succeeded }, maxAttempts: 4);
        _receiver.Then(Enumerable.Repeat(new WebhookReceiver.Answer(500), 10).ToArray());

        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "test" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(4, _receiver.Requests.Count);
        Assert.Equal(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) }, time.Waits);
        var warning = Assert.Single(reporter.Warnings);
        Assert.Contains("Notification channel 'incident' (Slack) could not be told the Succeeded event of 'api'", warning, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", warning, StringComparison.Ordinal);
        Assert.Contains("after 4 attempt(s)", warning, StringComparison.Ordinal);
        var entry = Assert.Single(engine.History.Get(new HistoryFilter { Action = HistoryAction.Notify }));
        Assert.Equal(HistoryStatus.Failed, entry.Status);
        Assert.Equal(RollbackErrorId.NotificationFailed, entry.ErrorId);
        Assert.Equal("incident", entry.Details!["Channel"]);
        Assert.Equal("4", entry.Details["Attempts"]);
        Assert.True(entry.Sequence > result.JournalSequence);
        Assert.True(engine.History.Verify().IsValid);
        AssertWebhookNowhereInTheStore();
    }

    [Fact]
    public void A429IsRetriedAfterItsRetryAfter()
    {
        var time = new VirtualTime();
        var reporter = new RecordingReporter();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, time, "tester");
        Register(NotificationFormat.Json, events: new[] { NotificationEvent.Succeeded });
        _receiver.Then(new WebhookReceiver.Answer(429, RetryAfter: TimeSpan.FromSeconds(7)));

        engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "test" });

        Assert.Equal(new[] { 429, 200 }, _receiver.Requests.Select(r => r.Status));
        Assert.Equal(new[] { TimeSpan.FromSeconds(7) }, time.Waits);
        Assert.Equal(_receiver.Requests[0].Body, _receiver.Requests[1].Body);
        Assert.Empty(reporter.Warnings);
        Assert.Empty(engine.History.Get(new HistoryFilter { Action = HistoryAction.Notify }));
    }

    [Fact]
    public void AReceiverThatDoesNotAnswerIsAbandonedAfterTheTimeoutAndTriedAgain()
    {
        var reporter = new RecordingReporter();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, null, "tester");
        Register(NotificationFormat.Json, events: new[] { NotificationEvent.Succeeded }, timeout: TimeSpan.FromSeconds(1));
        _receiver.Then(WebhookReceiver.Answer.NoAnswer);

        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "test" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(new[] { 0, 200 }, _receiver.Requests.Select(r => r.Status));
        Assert.Empty(reporter.Warnings);
    }

    [Fact]
    public void AReceiverThatNeverAnswersIsReportedAsNoAnswerWithinTheTimeout()
    {
        var reporter = new RecordingReporter();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, null, "tester");
        Register(NotificationFormat.Json, events: new[] { NotificationEvent.Succeeded }, timeout: TimeSpan.FromSeconds(1), maxAttempts: 2);
        _receiver.Then(WebhookReceiver.Answer.NoAnswer, WebhookReceiver.Answer.NoAnswer);

        var result = engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "test" });

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        Assert.Equal(2, _receiver.Requests.Count);
        var warning = Assert.Single(reporter.Warnings);
        Assert.Contains("no answer within 1 s after 2 attempt(s)", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(_receiver.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), warning, StringComparison.Ordinal);
    }

    [Fact]
    public void ANotFoundWebhookIsNotRetried()
    {
        var reporter = new RecordingReporter();
        var engine = new RollbackEngine(_sandbox.Store, _sandbox.Catalog, reporter, new VirtualTime(), "tester");
        Register(NotificationFormat.Json, events: new[] { NotificationEvent.Succeeded });
        _receiver.Then(new WebhookReceiver.Answer(404));

        engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = _point.Id, Reason = "test" });

        Assert.Single(_receiver.Requests);
        Assert.Contains("HTTP 404", Assert.Single(reporter.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void ARefusalForWantOfApprovalsIsTheApprovalRequiredEvent()
    {
        Register(NotificationFormat.Json);

        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "api", PointId = _point.Id, Reason = "SEV-1 outage", Severity = RollbackSeverity.Sev1,
        }));

        Assert.Equal(RollbackErrorId.ApprovalRequired, ex.ErrorId);
        var body = Assert.Single(_receiver.Delivered);
        Assert.Equal("ApprovalRequired", body.GetProperty("event").GetString());
        Assert.Equal("Refused", body.GetProperty("status").GetString());
        Assert.Equal("SEV-1", body.GetProperty("severity").GetString());
        Assert.Equal(RollbackErrorId.ApprovalRequired, body.GetProperty("errorId").GetString());
        Assert.Equal("Rollback of api refused: approval required", body.GetProperty("headline").GetString());
    }

    [Fact]
    public void AnAutomaticRollbackIsToldAsSuchWithItsTrigger()
    {
        Register(NotificationFormat.Json, events: new[] { NotificationEvent.AutomaticRollback, NotificationEvent.Started });

        _sandbox.Engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "api", PointId = _point.Id, Reason = "watch", AutomaticTrigger = DecisionTrigger.ErrorRateAbove, StartedByWatch = true,
        });

        var body = Assert.Single(_receiver.Delivered);
        Assert.Equal("AutomaticRollback", body.GetProperty("event").GetString());
        Assert.Equal("ErrorRateAbove", body.GetProperty("trigger").GetString());
        Assert.StartsWith("Automatic rollback of api started by Watch-Deployment (ErrorRateAbove)", body.GetProperty("headline").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void APlanAndItsMembersAreToldWithThePlanRunAndStage()
    {
        _sandbox.Register("api2", "FileSystemRelease", ("Root", _sandbox.CreateReleaseRoot("api2", "v2.3.1", "v2.3.1", "v2.4.0")));
        _sandbox.Register("release", "Plan", ("Stages", new[] { "api", "api2" }));
        var planPoint = _sandbox.Engine.Points.Create("release", null);
        Sandbox.Deploy(_sandbox.PathOf("api"), "v2.4.0");
        Sandbox.Deploy(_sandbox.PathOf("api2"), "v2.4.0");
        Register(NotificationFormat.Json, targets: new[] { "release", "api2" }, events: new[] { NotificationEvent.Started, NotificationEvent.Succeeded });

        var result = _sandbox.Rollback("release", planPoint.Id);

        Assert.Equal(RollbackStatus.Succeeded, result.Status);
        var bodies = _receiver.Delivered;
        Assert.Equal(4, bodies.Count);
        Assert.All(bodies, b => Assert.Equal(result.PlanRunId, b.GetProperty("planRunId").GetString()));
        var plan = bodies.Where(b => b.GetProperty("target").GetString() == "release").ToList();
        Assert.Equal(new[] { "Started", "Succeeded" }, plan.Select(b => b.GetProperty("event").GetString()));
        Assert.Equal(result.JournalSequence, plan[1].GetProperty("journalSequence").GetInt64());
        var member = bodies.Where(b => b.GetProperty("target").GetString() == "api2").ToList();
        Assert.Equal(new[] { "Started", "Succeeded" }, member.Select(b => b.GetProperty("event").GetString()));
        Assert.All(member, b => Assert.Equal(2, b.GetProperty("planStage").GetInt32()));
        Assert.DoesNotContain(bodies, b => b.GetProperty("target").GetString() == "api");
    }

    [Fact]
    public void AWebhookGivenAsASecureStringIsKeptInAUserOnlyStoreFile()
    {
        using var secure = new System.Security.SecureString();
        foreach (var c in _receiver.Webhook().ToString())
        {
            secure.AppendChar(c);
        }

        var channel = _sandbox.Engine.Notifications.Register(new NotificationRegistration
        {
            Name = "kept", Webhook = new Settings.SecretText(secure), Targets = new[] { "*" }, Events = new[] { NotificationEvent.Succeeded },
        }, replace: false);

        Assert.Equal("store:_notifications/kept", channel.Webhook);
        var file = Path.Combine(_sandbox.Store.Secrets.Directory, "_notifications", "kept");
        Assert.Equal(_receiver.Webhook().ToString(), File.ReadAllText(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        _sandbox.Rollback("api", _point.Id);
        Assert.Single(_receiver.Delivered);
        AssertWebhookNowhereInTheStore(except: file);

        _sandbox.Engine.Notifications.Unregister("kept");
        Assert.False(File.Exists(file));
        Assert.Empty(_sandbox.Engine.Notifications.GetAll());
    }

    [Fact]
    public void BadInputIsRefusedWithItsErrorIdAndNothingIsStored()
    {
        var url = _receiver.Webhook().ToString();
        var notUrl = "ROLLBACK_TEST_NOT_A_URL_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(notUrl, "hooks.slack.com/services/T0/B0/notaurl");
        try
        {
            var inClear = Refused(url);
            Assert.Equal(RollbackErrorId.NotificationWebhookInClear, inClear.ErrorId);
            Assert.DoesNotContain("s3cr3tT0k3n", inClear.Message, StringComparison.Ordinal);
            var invalid = Refused("env:" + notUrl);
            Assert.Equal(RollbackErrorId.NotificationWebhookInvalid, invalid.ErrorId);
            Assert.DoesNotContain("notaurl", invalid.Message, StringComparison.Ordinal);
            Assert.Equal(RollbackErrorId.NotificationWebhookInvalid, Refused("env:" + notUrl, name: "other").ErrorId);
            Assert.Equal(RollbackErrorId.SecretUnavailable, Refused("env:ROLLBACK_TEST_UNSET_" + Guid.NewGuid().ToString("N")).ErrorId);
            Assert.Equal(RollbackErrorId.TargetNotFound, Refused("env:" + _variable, targets: new[] { "apii" }).ErrorId);
            Assert.Equal(RollbackErrorId.InvalidNotificationSetting, Refused("env:" + _variable, maxAttempts: 0).ErrorId);
            Assert.Equal(RollbackErrorId.InvalidNotificationSetting, Refused("env:" + _variable, timeout: TimeSpan.Zero).ErrorId);
            Assert.Equal(RollbackErrorId.InvalidNotificationName, Refused("env:" + _variable, name: "../x").ErrorId);
            Assert.False(File.Exists(_sandbox.Store.Notifications.Path));

            Register(NotificationFormat.Json);
            Assert.Equal(RollbackErrorId.NotificationAlreadyExists, Refused("env:" + _variable, name: "incident").ErrorId);
            Assert.Equal(RollbackErrorId.NotificationNotFound, Assert.Throws<RollbackException>(() => _sandbox.Engine.Notifications.Unregister("nope")).ErrorId);
        }
        finally
        {
            Environment.SetEnvironmentVariable(notUrl, null);
        }
    }

    private RollbackException Refused(object webhook, string name = "bad", string[]? targets = null, int maxAttempts = 4, TimeSpan? timeout = null) =>
        Assert.Throws<RollbackException>(() => _sandbox.Engine.Notifications.Register(new NotificationRegistration
        {
            Name = name, Webhook = webhook, Targets = targets ?? new[] { "api" }, MaxAttempts = maxAttempts, Timeout = timeout ?? TimeSpan.FromSeconds(10),
        }, replace: false));

    private NotificationChannel Register(NotificationFormat format, string name = "incident", string[]? targets = null, NotificationEvent[]? events = null, int maxAttempts = 4, TimeSpan? timeout = null) =>
        _sandbox.Engine.Notifications.Register(new NotificationRegistration
        {
            Name = name,
            Format = format,
            Webhook = "env:" + _variable,
            Targets = targets ?? new[] { "api" },
            Events = events ?? Array.Empty<NotificationEvent>(),
            MaxAttempts = maxAttempts,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
        }, replace: false);

    /// <summary>The webhook's secret part is in no file of the store (the registry and the journal included), except <paramref name="except"/>.</summary>
    private void AssertWebhookNowhereInTheStore(string? except = null)
    {
        foreach (var file in Directory.EnumerateFiles(_sandbox.Store.Root, "*", SearchOption.AllDirectories).Where(f => f != except))
        {
            Assert.DoesNotContain("s3cr3tT0k3n", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }
}
