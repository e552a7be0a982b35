using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Testing;
using Rollback.Tests.Providers;
using Rollback.Watching;

namespace Rollback.Tests.Watching;

/// <summary>
/// The watch drill in miniature: a FileSystemRelease target with a good v2.3.1 and a bad v2.4.0, and a real HTTP health
/// endpoint on 127.0.0.1 that serves whatever release 'current' names (503 when its health.json is not healthy), so a
/// rollback heals the endpoint the way it heals a real service.
/// </summary>
internal sealed class WatchFixture : IDisposable
{
    public WatchFixture(string v240Status = "unhealthy")
    {
        Sandbox = new Sandbox();
        Root = Sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0");
        WriteHealth("v2.3.1", "healthy");
        WriteHealth("v2.4.0", v240Status);
        Server = new HealthServer(_ => Answer());
    }

    public Sandbox Sandbox { get; }

    public string Root { get; }

    public HealthServer Server { get; }

    public RollbackEngine Engine => Sandbox.Engine;

    /// <summary>The time of <see cref="WatchOnVirtualTime"/>: polls, holds and the window pass at once.</summary>
    public VirtualTime Time { get; } = new();

    /// <summary>When set, the endpoint answers with this instead of the current release's health.</summary>
    public Func<HealthAnswer?> Override { get; set; } = () => null;

    public string CurrentRelease => Sandbox.CurrentRelease(Root);

    public void WriteHealth(string release, string status) =>
        File.WriteAllText(Path.Combine(Root, "releases", release, "health.json"), "{\"status\":\"" + status + "\",\"version\":\"" + release + "\"}");

    /// <summary>Registers 'api' with the health endpoint (plus <paramref name="settings"/>), captures v2.3.1, deploys v2.4.0.</summary>
    public RollbackPoint RegisterCaptureAndDeploy(params (string Key, object Value)[] settings)
    {
        var all = new List<(string, object)> { ("Root", Root), ("HealthUri", Server.Uri().ToString()), ("HealthTimeout", "00:00:05") };
        all.AddRange(settings);
        Sandbox.Register("api", "FileSystemRelease", all.ToArray());
        var point = Engine.Points.Create("api", "known good");
        Sandbox.Deploy(Root, "v2.4.0");
        return point;
    }

    public static WatchRequest Request(RollbackPoint point, RollbackPolicy policy, TimeSpan interval, TimeSpan duration,
        Func<FiredThreshold, RollbackConsent>? confirm = null, CancellationToken cancellation = default) => new()
    {
        Target = "api",
        PointId = point.Id,
        Reason = "watch after v2.4.0",
        Interval = interval,
        Duration = duration,
        Policy = policy,
        Confirm = confirm,
        Cancellation = cancellation,

        // These tests assert what the watcher decides from the answers, not how fast a loaded machine answers: the
        // default probe timeout (the interval, at least 1 s) let one slow answer under a full CI run read as Unhealthy.
        ProbeTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A watch on real time, end to end (a real Prometheus's ranges are on real time too).</summary>
    public List<WatchRecord> Watch(WatchRequest request) => new DeploymentWatcher(Engine).Watch(request).ToList();

    /// <summary>A watcher whose polls, holds and window run on <see cref="Time"/>: no real waiting, exact schedules.</summary>
    public DeploymentWatcher VirtualTimeWatcher() => new(Sandbox.NewEngine(Time));

    public List<WatchRecord> WatchOnVirtualTime(WatchRequest request) => VirtualTimeWatcher().Watch(request).ToList();

    public IReadOnlyList<HistoryEntry> Rollbacks() => Engine.History.Get(new HistoryFilter { Target = "api", Action = HistoryAction.Rollback });

    public void Dispose()
    {
        Server.Dispose();
        Sandbox.Dispose();
    }

    private HealthAnswer Answer()
    {
        if (Override() is { } answer)
        {
            return answer;
        }

        var body = File.ReadAllText(Path.Combine(Root, "current", "health.json"));
        return new HealthAnswer(body.Contains("\"healthy\"", StringComparison.Ordinal) ? 200 : 503, body);
    }
}
