using System;
using System.Collections.Generic;
using System.IO;
using Rollback.Engine;
using Rollback.Providers.Traffic.HAProxy;
using Rollback.Store;
using Rollback.Testing;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// What every traffic kind's tests start from: blue (v2.3.1) and green (v2.4.0) as real HTTP servers answering their
/// version, and an engine over a store in a temp folder, on virtual time (the waits between steps take none), with the
/// traffic kinds. The proxy in front is the subclass's; everything is stopped by Dispose, failures included.
/// </summary>
internal abstract class TrafficEnvironment : IDisposable
{
    public const string Good = "v2.3.1";
    public const string Bad = "v2.4.0";

    private readonly string _store = Path.Combine(Path.GetTempPath(), "rollback-traffic-" + Guid.NewGuid().ToString("N"));

    protected TrafficEnvironment()
    {
        Blue = new HealthServer(_ => HealthAnswer.Healthy(Good));
        Green = new HealthServer(_ => HealthAnswer.Healthy(Bad));
        Engine = new RollbackEngine(new RollbackStore(_store), new ProviderCatalog(ProviderCatalog.FindIn(typeof(HAProxyBackendProvider).Assembly)), Reporter, Time, "tester");
    }

    public HealthServer Blue { get; }

    public HealthServer Green { get; }

    public VirtualTime Time { get; } = new();

    public ProgressHook Reporter { get; } = new();

    public RollbackEngine Engine { get; }

    public abstract string? SkipReason { get; }

    /// <summary>The kind the subclass's proxy is registered as.</summary>
    protected abstract string Kind { get; }

    public void Register(Dictionary<string, object?> settings) =>
        Engine.Targets.Register("web", Kind, new SettingsDictionary(settings), replace: true);

    /// <summary>What <paramref name="count"/> requests through the proxy answer, counted by version (or by failure).</summary>
    public abstract Dictionary<string, int> Answers(int count);

    /// <summary>The rollback of 'web' to <paramref name="pointId"/>, with per-call <paramref name="options"/>.</summary>
    public RollbackResult Rollback(string pointId, SettingsDictionary? options = null) =>
        Engine.Rollbacks.Run(new RollbackRequest { Target = "web", PointId = pointId, Reason = "v2.4.0 fails", Options = options ?? SettingsDictionary.Empty });

    /// <summary>Runs <paramref name="action"/> when the engine holds the traffic at 50 % (before the checks of that step).</summary>
    public void AtHalf(Action action) => Reporter.OnStatus = status =>
    {
        if (status.StartsWith("Holding traffic at 50", StringComparison.Ordinal))
        {
            action();
        }
    };

    /// <summary>The TrafficStep entries of the journal.</summary>
    public IReadOnlyList<HistoryEntry> TrafficSteps() => Engine.History.Get(new HistoryFilter { Target = "web", Action = HistoryAction.TrafficStep });

    /// <summary><paramref name="settings"/> with blue's own health endpoint checked between steps (any version).</summary>
    public Dictionary<string, object?> WatchingBlue(Dictionary<string, object?> settings)
    {
        settings["HealthUri"] = new[] { Blue.Uri().ToString() };
        settings["HealthTimeout"] = "00:00:05";
        settings["ExpectedVersion"] = "None";
        return settings;
    }

    public virtual void Dispose()
    {
        Blue.Dispose();
        Green.Dispose();
        try
        {
            Directory.Delete(_store, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }
}

/// <summary>
/// One test's blue-green set-up behind a real HAProxy whose backend starts with blue taking the traffic and green
/// disabled, with the HAProxyBackend kind.
/// </summary>
internal sealed class BlueGreen : TrafficEnvironment
{
    public BlueGreen() => Proxy = new HAProxyServer(new HAProxyBackendServer("blue", Blue.BaseUri), new HAProxyBackendServer("green", Green.BaseUri, Enabled: false));

    public HAProxyServer Proxy { get; }

    public override string? SkipReason => Proxy.SkipReason;

    protected override string Kind => HAProxyBackendProvider.KindName;

    public override Dictionary<string, int> Answers(int count) => Proxy.Answers(count);

    /// <summary>The target's settings: the Unix socket, the file, the backend, both colours with their own health endpoints, the frontend to verify through.</summary>
    public Dictionary<string, object?> Settings(string steps = "100") => new()
    {
        [HAProxyBackendProvider.RuntimeApiSetting] = Proxy.SocketPath,
        [HAProxyBackendProvider.ConfigPathSetting] = Proxy.ConfigPath,
        [HAProxyBackendProvider.BackendSetting] = HAProxyServer.Backend,
        [HAProxyBackendProvider.ColoursSetting] = new[] { "blue=blue", "green=green" },
        [HAProxyBackendProvider.HealthUrlSetting] = new[] { "blue=" + Blue.Uri(), "green=" + Green.Uri() },
        ["ProxyUrl"] = Proxy.HealthUrl.ToString(),
        ["VerifyRequests"] = "10",
        ["Steps"] = steps,
    };

    /// <summary>
    /// The deployment that goes wrong, as it is done by hand: green ready and blue to maintenance through the runtime API,
    /// and the same written to the configuration file. Waits until the frontend answers green only.
    /// </summary>
    public void DeployGreen(string blueState = "maint")
    {
        Proxy.SetServer("green", "ready");
        Proxy.SetServer("blue", blueState);
        Proxy.EditConfig("green", blueState == "maint" ? "blue" : null);
        Proxy.WaitForAnswers(Bad, TimeSpan.FromSeconds(15));
    }

    public override void Dispose()
    {
        Proxy.Dispose();
        base.Dispose();
    }
}

/// <summary>A reporter that lets a test act when the engine reports a given phase (traffic held at a step, say).</summary>
internal sealed class ProgressHook : IRollbackReporter
{
    public List<string> Statuses { get; } = new();

    public List<string> Warnings { get; } = new();

    public Action<string>? OnStatus { get; set; }

    public void Progress(ProgressUpdate update)
    {
        if (update.Status is { Length: > 0 } status)
        {
            Statuses.Add(status);
            OnStatus?.Invoke(status);
        }
    }

    public void Verbose(string message)
    {
    }

    public void Warning(string message) => Warnings.Add(message);
}
