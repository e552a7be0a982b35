using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Traffic.HAProxy;

/// <summary>
/// One backend of a running HAProxy: which of its servers take traffic, with what weight, in what administrative state
/// (ready, drain, maint), at what address, and the backend's section of the configuration file. A rollback moves it back
/// through the runtime API (set server ... addr/weight/state; servers leaving drain before they go to maint, so open
/// connections finish) and writes the same state to the configuration file, checked with 'haproxy -c' before it
/// replaces the live file by a rename, so a reload keeps it. The engine runs it in steps (Steps, StepWait).
/// </summary>
public sealed class HAProxyBackendProvider : IRollbackProvider, ITrafficProvider, ISwitchRecovery
{
    public const string KindName = "HAProxyBackend";
    public const string RuntimeApiSetting = "RuntimeApi";
    public const string ConfigPathSetting = "ConfigPath";
    public const string BackendSetting = "Backend";
    public const string ServersSetting = "Servers";
    public const string ColoursSetting = TrafficGroups.ColoursSetting;
    public const string HealthUrlSetting = TrafficGroups.HealthUrlSetting;
    public const string DrainTimeoutSetting = "DrainTimeout";
    public const string RuntimeApiTimeoutSetting = "RuntimeApiTimeout";
    public const string BinarySetting = "HAProxyBinary";

    /// <summary>Where a test stops the process between the runtime API change and the configuration file's rename.</summary>
    internal const string RuntimeAppliedCrashPoint = "HAProxy.RuntimeApplied";

    private const string SnapshotFile = "haproxy-backend.json";
    private static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultRuntimeApiTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ConfigCheckPatience = TimeSpan.FromSeconds(60);

    public string Kind => KindName;

    public string Description => "An HAProxy backend: its servers' weights, states and addresses, moved back through the runtime API and persisted to the configuration file (checked with haproxy -c), in steps.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = RuntimeApiSetting, Type = SettingType.Text, Required = true, Description = "HAProxy's runtime API: the stats socket path (/run/haproxy/admin.sock) or host:port of a 'stats socket ipv4@...' line; it needs 'level admin'." },
            new SettingDefinition { Name = ConfigPathSetting, Type = SettingType.Text, Required = true, IsPath = true, Description = "The configuration file HAProxy loads: the backend's section is captured and written back, so a reload keeps the rollback." },
            new SettingDefinition { Name = BackendSetting, Type = SettingType.Text, Required = true, Description = "The backend's name." },
            new SettingDefinition { Name = ServersSetting, Type = SettingType.Text, IsList = true, Description = "The servers of the backend that the target covers; all of them when absent." },
            new SettingDefinition { Name = DrainTimeoutSetting, Type = SettingType.TimeSpan, Default = DefaultDrainTimeout.ToString("c", CultureInfo.InvariantCulture), PerCall = true, Description = "How long a server leaving the traffic drains (its open connections finish) before it goes to maintenance." },
            new SettingDefinition { Name = RuntimeApiTimeoutSetting, Type = SettingType.TimeSpan, Default = DefaultRuntimeApiTimeout.ToString("c", CultureInfo.InvariantCulture), Description = "How long one runtime API command may take." },
            new SettingDefinition { Name = BinarySetting, Type = SettingType.Text, Description = "The haproxy binary that checks the configuration (haproxy -c); 'haproxy' on PATH or /usr/sbin/haproxy when absent." },
        }.Concat(TrafficGroups.Settings("servers", "blue=web1,web2")).Concat(ProxyVerification.Settings).Concat(TrafficSettings.All),
        new[]
        {
            new ErrorIdInfo(TrafficErrorId.HAProxyRuntimeApiUnreachable, "Check that HAProxy runs and that RuntimeApi names its stats socket (a 'stats socket ... level admin' line of the global section), and that this user may open it."),
            new ErrorIdInfo(TrafficErrorId.HAProxyRuntimeApiRefused, "Give the stats socket 'level admin' in HAProxy's global section and reload it."),
            new ErrorIdInfo(TrafficErrorId.HAProxyBackendNotFound, "Check the Backend setting against 'show backend' on the runtime API."),
            new ErrorIdInfo(TrafficErrorId.HAProxyServerNotFound, "Check the Servers, Colours and HealthUrl settings against 'show servers state BACKEND'; a server removed since the point was captured must be added back first."),
            new ErrorIdInfo(TrafficErrorId.HAProxyServerUnhealthy, "Bring the servers that would take the traffic back to health (HAProxy's check, their health endpoint), then try again."),
            new ErrorIdInfo(TrafficErrorId.HAProxyConfigRejected, "Run 'haproxy -c -f FILE' and fix what it reports in the configuration file; the rollback writes the file only when HAProxy accepts it."),
            new ErrorIdInfo(TrafficErrorId.HAProxyConfigSectionNotFound, "Check ConfigPath and Backend: the file must have a 'backend NAME' section."),
            new ErrorIdInfo(TrafficErrorId.HAProxyBinaryNotFound, "Install HAProxy on this machine (apt-get install haproxy) or set HAProxyBinary to its path."),
            new ErrorIdInfo(TrafficErrorId.TrafficVerificationFailed, "Requests through the proxy failed or answered another version: check the servers now taking traffic; Get-RollbackHistory shows the steps taken."),
        });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var api = TrafficGroups.Required(KindName, settings, RuntimeApiSetting);
        _ = HAProxyRuntimeApi.IsTcp(api, out _, out _);
        var config = Path.GetFullPath(TrafficGroups.Required(KindName, settings, ConfigPathSetting));
        _ = TrafficGroups.Required(KindName, settings, BackendSetting);
        var groups = new TrafficGroups(KindName, settings);
        var servers = settings.GetList(ServersSetting);
        var unknown = groups.Colours.Count == 0 && servers.Count == 0 ? null : groups.UnknownHealthUrl(servers);
        if (unknown is not null)
        {
            throw new RollbackException(TrafficErrorId.HAProxyServerNotFound, RollbackErrorCategory.InvalidArgument,
                $"The {HealthUrlSetting} entry '{unknown}' names neither a colour nor a server of the target.", unknown);
        }

        _ = TrafficSettings.Steps(KindName, settings);
        return settings.With(ConfigPathSetting, config);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        var live = ReadLive(target, context);
        var groups = Groups(target);
        var versions = groups.AppVersions(live.Servers, target.Name, context);
        return new TargetState { Version = groups.VersionOf(live.Servers, versions), Fingerprint = Checksums.HashText(live.Canonical()), Detail = Traffic(target, live) };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var live = ReadLive(target, context);
        var groups = Groups(target);
        live.AppVersions = groups.AppVersions(live.Servers, target.Name, context);
        var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, SnapshotFile, live);
        var metadata = groups.Metadata(live.Servers, live.AppVersions, Traffic(target, live), new[] { new KeyValuePair<string, string>(BackendSetting, live.Backend) });
        return new CapturedState
        {
            Version = groups.VersionOf(live.Servers, live.AppVersions),
            Fingerprint = Checksums.HashText(live.Canonical()),
            Artifacts = new[] { artifact },
            Metadata = metadata,
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => TrafficPoint.ArtifactBase(point);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var checks = new List<CheckResult>();
        var api = Api(target);
        var backend = Backend(target);
        var info = api.Send("show info", context.Cancellation);
        var release = info.Split('\n').FirstOrDefault(l => l.StartsWith("Version:", StringComparison.Ordinal))?.Substring(8).Trim() ?? "(unknown version)";
        checks.Add(CheckResult.Pass("RuntimeApiAnswers", $"HAProxy {release} answers at {target.Settings.GetString(RuntimeApiSetting)}."));

        var wanted = Read(point);
        var rows = api.ServersState(backend, context.Cancellation);
        var missing = wanted.Servers.Where(s => !rows.Any(r => r.TryGetValue("srv_name", out var n) && n == s.Name)).Select(s => s.Name).ToList();
        checks.Add(missing.Count == 0
            ? CheckResult.Pass("ServersExist", $"Backend '{backend}' has the point's servers: {string.Join(", ", wanted.Servers.Select(s => s.Name))}.")
            : CheckResult.Fail("ServersExist", TrafficErrorId.HAProxyServerNotFound, $"Backend '{backend}' has no server {string.Join(", ", missing)}, which the point's state names. Add it back before rolling back."));

        try
        {
            var lines = HAProxyConfig.ReadLines(ConfigPath(target));
            _ = HAProxyConfig.FindSection(lines, backend, ConfigPath(target));
            _ = HAProxyConfig.Binary(target.Settings.GetString(BinarySetting));
            checks.Add(CheckResult.Pass("ConfigFile", $"'{ConfigPath(target)}' has the backend's section, and haproxy -c can check it before it is written."));
        }
        catch (RollbackException ex)
        {
            checks.Add(CheckResult.Fail("ConfigFile", ex.ErrorId, ex.Message));
        }
        catch (IOException ex)
        {
            checks.Add(CheckResult.Fail("ConfigFile", TrafficErrorId.HAProxyConfigSectionNotFound, $"'{ConfigPath(target)}' cannot be read: {ex.Message}"));
        }

        if (missing.Count == 0)
        {
            checks.AddRange(TakingTrafficHealthy(target, point, wanted, api, context));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => TrafficPoint.Plan(DescribeShift(target, point, 100));

    public string DescribeShift(RollbackTarget target, RollbackPoint point, int percent)
    {
        var wanted = Read(point);
        return percent == 100
            ? $"Set {string.Join("; ", wanted.Servers)} through the runtime API (draining before maintenance), and write the point's section of '{wanted.ConfigPath}' once haproxy -c accepts the file."
            : $"Move {percent} % of the way from the current traffic to the point's ({Traffic(target, wanted)}): weights through the runtime API and in '{wanted.ConfigPath}' (checked with haproxy -c).";
    }

    /// <summary>The whole switch to the point's state (what an interrupted attempt is completed with).</summary>
    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => Shift(target, point, TrafficPoint.Whole, context);

    public void Shift(RollbackTarget target, RollbackPoint point, TrafficStep shift, RestoreContext context)
    {
        var to = Read(point);
        var from = shift.IsLast || shift.From is null ? null : Read(shift.From);
        var desired = Desired(to, from, shift.Percent);
        var configPath = ConfigPath(target);
        var backend = Backend(target);
        var lines = HAProxyConfig.ReadLines(configPath);
        var (start, end) = HAProxyConfig.FindSection(lines, backend, configPath);
        var section = shift.IsLast ? to.ConfigLines : lines.Skip(start).Take(end - start).Select(l => Edit(l, desired)).ToList();
        var written = HAProxyConfig.Join(lines.Take(start).Concat(section).Concat(lines.Skip(end)));
        var changesFile = written != HAProxyConfig.Join(lines);
        using var candidate = changesFile ? new ConfigCandidate(configPath, written, context.AttemptId) : null;
        if (candidate is not null)
        {
            // Checked before anything changes: a file HAProxy refuses leaves the running HAProxy untouched too.
            context.Step(shift.Name + ".CheckConfig", () =>
                HAProxyConfig.Check(HAProxyConfig.Binary(target.Settings.GetString(BinarySetting)), candidate, configPath, ConfigCheckPatience, context.Cancellation));
        }

        var live = ReadLive(target, context);
        context.Step(shift.Name + ".RuntimeApi", () => ApplyRuntime(target, live, desired, context));
        CrashPoints.Reach(RuntimeAppliedCrashPoint);
        if (candidate is not null)
        {
            context.Step(shift.Name + ".PersistConfig", candidate.Replace);
        }

        context.Details["HAProxy.Servers"] = string.Join("; ", desired);
    }

    public IReadOnlyList<CheckResult> VerifyTraffic(RollbackTarget target, RollbackPoint point, TrafficStep shift, OperationContext context)
    {
        return ProxyVerification.Check(target, TrafficGroups.AllowedVersions(point, shift), shift.Percent, context);
    }

    public IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point) => new[] { ConfigPath(target) };

    public IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context) => ConfigCandidate.RemoveLeftovers(ConfigPath(target));

    /// <summary>
    /// What each server should be at <paramref name="percent"/> of the way from <paramref name="from"/> to <paramref name="to"/>:
    /// at 100 % (or with nothing to mix) the point's state; before, each server's share of the traffic mixed linearly,
    /// as weights out of 100, and servers with no share in either state left as the point has them.
    /// </summary>
    internal static List<ServerSnapshot> Desired(BackendSnapshot to, BackendSnapshot? from, int percent)
    {
        if (from is null || percent >= 100)
        {
            return to.Servers;
        }

        var weights = TrafficMix.Weights(TrafficMix.Shares(from.Servers), TrafficMix.Shares(to.Servers), percent);
        return to.Servers.Select(server => weights[server.Name] == 0
            ? server
            : new ServerSnapshot { Name = server.Name, Address = server.Address, Port = server.Port, Weight = weights[server.Name], Admin = AdminState.Ready }).ToList();
    }

    private static string Edit(string line, IReadOnlyList<ServerSnapshot> desired)
    {
        var name = HAProxyConfig.ServerName(line);
        var server = name is null ? null : desired.FirstOrDefault(s => s.Name == name);
        return server is null ? line : HAProxyConfig.EditServer(line, server.Weight, server.Admin == AdminState.Maint);
    }

    /// <summary>
    /// The runtime API's part: servers that take traffic first (address, weight, ready), then those that leave it drain,
    /// and those bound for maintenance wait until their sessions end (or DrainTimeout) before they go there.
    /// </summary>
    private static void ApplyRuntime(RollbackTarget target, BackendSnapshot live, IReadOnlyList<ServerSnapshot> desired, OperationContext context)
    {
        var api = Api(target);
        var backend = Backend(target);
        var ct = context.Cancellation;
        foreach (var server in desired.Where(s => s.Admin == AdminState.Ready))
        {
            var now = live.Server(server.Name) ?? throw NotInBackend(backend, server.Name);
            SetAddress(api, backend, now, server, ct);
            if (now.Weight != server.Weight)
            {
                api.Change($"set server {backend}/{server.Name} weight {server.Weight}", backend, server.Name, ct);
            }

            if (now.Admin != AdminState.Ready)
            {
                api.Change($"set server {backend}/{server.Name} state ready", backend, server.Name, ct);
            }
        }

        var leaving = desired.Where(s => s.Admin != AdminState.Ready).ToList();
        foreach (var server in leaving)
        {
            var now = live.Server(server.Name) ?? throw NotInBackend(backend, server.Name);
            if (now.Admin == AdminState.Ready || (now.Admin == AdminState.Maint && server.Admin == AdminState.Drain))
            {
                api.Change($"set server {backend}/{server.Name} state drain", backend, server.Name, ct);
            }

            if (now.Weight != server.Weight)
            {
                api.Change($"set server {backend}/{server.Name} weight {server.Weight}", backend, server.Name, ct);
            }

            SetAddress(api, backend, now, server, ct);
        }

        var toMaintenance = leaving.Where(s => s.Admin == AdminState.Maint && live.Server(s.Name)?.Admin != AdminState.Maint).ToList();
        if (toMaintenance.Count > 0)
        {
            WaitForDrain(target, api, backend, toMaintenance.Select(s => s.Name).ToList(), context);
            foreach (var server in toMaintenance)
            {
                api.Change($"set server {backend}/{server.Name} state maint", backend, server.Name, ct);
            }
        }
    }

    private static void SetAddress(HAProxyRuntimeApi api, string backend, ServerSnapshot now, ServerSnapshot wanted, System.Threading.CancellationToken ct)
    {
        if (now.Address != wanted.Address || now.Port != wanted.Port)
        {
            api.Change($"set server {backend}/{wanted.Name} addr {wanted.Address} port {wanted.Port.ToString(CultureInfo.InvariantCulture)}", backend, wanted.Name, ct,
                "IP changed", "no need to change", "port changed", "IP and port");
        }
    }

    private static void WaitForDrain(RollbackTarget target, HAProxyRuntimeApi api, string backend, IReadOnlyList<string> servers, OperationContext context)
    {
        var patience = TrafficGroups.Time(target, DrainTimeoutSetting, DefaultDrainTimeout);
        var started = context.Timestamp();
        while (true)
        {
            var busy = api.Stats(backend, context.Cancellation)
                .Where(r => servers.Contains(r["svname"]) && int.TryParse(r.TryGetValue("scur", out var scur) ? scur : "0", NumberStyles.None, CultureInfo.InvariantCulture, out var open) && open > 0)
                .Select(r => $"{r["svname"]} ({r["scur"]} open)")
                .ToList();
            if (busy.Count == 0)
            {
                return;
            }

            if (context.ElapsedSince(started) >= patience)
            {
                context.Reporter.Warning($"After {patience.TotalSeconds:0} s of draining, {string.Join(", ", busy)} still have connections; they go to maintenance now (HAProxy lets open connections finish there too).");
                return;
            }

            context.Reporter.Progress(new Engine.ProgressUpdate { ActivityId = Engine.ProgressActivity.Rollback, Activity = "Draining", Status = string.Join(", ", busy) });
            context.Wait(DrainPoll);
        }
    }

    private static IEnumerable<CheckResult> TakingTrafficHealthy(RollbackTarget target, RollbackPoint point, BackendSnapshot wanted, HAProxyRuntimeApi api, OperationContext context)
    {
        var backend = Backend(target);
        var stats = api.Stats(backend, context.Cancellation).ToDictionary(r => r["svname"], StringComparer.Ordinal);
        var groups = Groups(target);
        var taking = wanted.Servers.Where(s => s.EffectiveWeight > 0).ToList();
        foreach (var server in taking)
        {
            var status = stats.TryGetValue(server.Name, out var row) ? row["status"] : "(no stats)";
            var check = row is not null && row.TryGetValue("check_status", out var cs) ? cs : string.Empty;
            var hasUrl = groups.HealthUrls.ContainsKey(groups.GroupOf(server.Name)) || groups.HealthUrls.ContainsKey(server.Name);
            if (status.StartsWith("UP", StringComparison.Ordinal) || status == "no check" || (status == "DRAIN" && check.Contains("OK")))
            {
                yield return CheckResult.Pass("ServerHealthy." + server.Name, $"HAProxy reports {server.Name} {status}{(check.Length == 0 ? string.Empty : " (" + check + ")")}.");
            }
            else if (status.StartsWith("MAINT", StringComparison.Ordinal) && hasUrl)
            {
                yield return CheckResult.Pass("ServerHealthy." + server.Name, $"HAProxy does not check {server.Name} in maintenance; its health endpoint decides.");
            }
            else if (status.StartsWith("MAINT", StringComparison.Ordinal))
            {
                yield return CheckResult.Warn("ServerHealthy." + server.Name, $"HAProxy does not check {server.Name} in maintenance, and it has no HealthUrl: its health is unknown until it takes traffic.");
            }
            else
            {
                yield return CheckResult.Fail("ServerHealthy." + server.Name, TrafficErrorId.HAProxyServerUnhealthy,
                    $"HAProxy reports {server.Name}, which would take traffic, {status}{(check.Length == 0 ? string.Empty : " (" + check + ")")}: moving traffic there would fail requests.");
            }
        }

        foreach (var check in Groups(target).HealthUrlChecks(taking, target, point, TrafficErrorId.HAProxyServerUnhealthy, context))
        {
            yield return check;
        }
    }

    /// <summary>The backend's managed servers as the runtime API reports them, and its section of the configuration file.</summary>
    private static BackendSnapshot ReadLive(RollbackTarget target, OperationContext context)
    {
        var backend = Backend(target);
        var rows = Api(target).ServersState(backend, context.Cancellation);
        if (rows.Count == 0)
        {
            throw new RollbackException(TrafficErrorId.HAProxyBackendNotFound, RollbackErrorCategory.ObjectNotFound, $"HAProxy's backend '{backend}' has no servers.", backend);
        }

        var managed = ManagedServers(target);
        var servers = rows.Select(r => new ServerSnapshot
        {
            Name = r["srv_name"],
            Address = r["srv_addr"],
            Port = int.TryParse(r.TryGetValue("srv_port", out var port) ? port : "0", NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0,
            Weight = int.TryParse(r["srv_uweight"], NumberStyles.None, CultureInfo.InvariantCulture, out var w) ? w : 0,
            Admin = AdminState.FromBits(r["srv_admin_state"]),
        }).Where(s => managed.Count == 0 || managed.Contains(s.Name)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var missing = managed.Where(m => servers.All(s => s.Name != m)).ToList();
        if (missing.Count > 0)
        {
            throw new RollbackException(TrafficErrorId.HAProxyServerNotFound, RollbackErrorCategory.ObjectNotFound,
                $"HAProxy's backend '{backend}' has no server {string.Join(", ", missing)} (it has {string.Join(", ", rows.Select(r => r["srv_name"]))}). Check the target's Servers and Colours settings.", missing[0]);
        }

        var path = ConfigPath(target);
        List<string> lines;
        try
        {
            lines = HAProxyConfig.ReadLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RollbackException(TrafficErrorId.HAProxyConfigSectionNotFound, RollbackErrorCategory.ReadError, $"The configuration file '{path}' cannot be read: {ex.Message}", path, ex);
        }

        var (start, end) = HAProxyConfig.FindSection(lines, backend, path);
        return new BackendSnapshot { Backend = backend, ConfigPath = path, Servers = servers, ConfigLines = lines.Skip(start).Take(end - start).ToList() };
    }

    private static BackendSnapshot Read(RollbackPoint point) => TrafficPoint.Read<BackendSnapshot>(point, SnapshotFile);

    private static string Traffic(RollbackTarget target, BackendSnapshot state) =>
        Groups(target).Taking(state.Servers) + ": " + string.Join("; ", state.Servers);

    private static TrafficGroups Groups(RollbackTarget target) => new(KindName, target.Settings);

    private static List<string> ManagedServers(RollbackTarget target) =>
        target.Settings.GetList(ServersSetting).Concat(Groups(target).ColourMembers).Distinct(StringComparer.Ordinal).ToList();

    private static HAProxyRuntimeApi Api(RollbackTarget target) =>
        new(target.Settings.GetString(RuntimeApiSetting)!, TrafficGroups.Time(target, RuntimeApiTimeoutSetting, DefaultRuntimeApiTimeout));

    private static string Backend(RollbackTarget target) => target.Settings.GetString(BackendSetting)!;

    private static string ConfigPath(RollbackTarget target) => target.Settings.GetString(ConfigPathSetting)!;

    private static RollbackException NotInBackend(string backend, string server) =>
        new(TrafficErrorId.HAProxyServerNotFound, RollbackErrorCategory.ObjectNotFound, $"HAProxy's backend '{backend}' has no server '{server}', which the point names. Nothing more was changed.", server);
}
