using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Platform;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Traffic.Nginx;

/// <summary>
/// The traffic an nginx configuration sends somewhere: the servers of one upstream block, with their weights and
/// backup/down flags (Upstream), or which of two or more upstreams the proxy_pass directives name (ProxyPassUpstreams).
/// A rollback writes the point's state into the configuration file, checked by nginx's own test before it replaces the
/// live file by a rename, then reloads nginx gracefully (SIGHUP: new workers take new connections, the old ones finish
/// their requests) and waits for the new workers. With Upstream, the engine runs it in steps (Steps, StepWait) through
/// the servers' weights.
/// </summary>
public sealed class NginxUpstreamProvider : IRollbackProvider, ITrafficProvider, ISwitchRecovery
{
    public const string KindName = "NginxUpstream";
    public const string ConfigPathSetting = "ConfigPath";
    public const string UpstreamSetting = "Upstream";
    public const string ProxyPassUpstreamsSetting = "ProxyPassUpstreams";
    public const string PidFileSetting = "PidFile";
    public const string TestCommandSetting = "TestCommand";
    public const string BinarySetting = "NginxBinary";
    public const string ReloadTimeoutSetting = "ReloadTimeout";

    private const string SnapshotFile = "nginx-upstream.json";
    private const string DefaultPidFile = "/run/nginx.pid";
    private static readonly TimeSpan DefaultReloadTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TestPatience = TimeSpan.FromSeconds(60);

    public string Kind => KindName;

    public string Description => "An nginx upstream: its servers' weights and backup/down flags, or which upstream proxy_pass names, written to the configuration file (checked with nginx -t) and reloaded gracefully, in steps.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = ConfigPathSetting, Type = SettingType.Text, Required = true, IsPath = true, Description = "The nginx configuration file that holds the upstream block(s) and the proxy_pass directives: the file nginx is started with (nginx -c)." },
            new SettingDefinition { Name = UpstreamSetting, Type = SettingType.Text, Description = "The upstream whose servers take the traffic: their weights and backup/down flags are captured and written back (gradual steps move the weights). Give this or ProxyPassUpstreams." },
            new SettingDefinition { Name = ProxyPassUpstreamsSetting, Type = SettingType.Text, IsList = true, Description = "Two or more upstreams ('app_blue','app_green'): the rollback sets every proxy_pass that names one of them to the one the point's names (blue-green; Steps must be '100'). Give this or Upstream." },
            new SettingDefinition { Name = PidFileSetting, Type = SettingType.Text, Description = "The running nginx master's pid file, which the reload signal goes to; the configuration's 'pid' directive (when absolute) or /run/nginx.pid when absent." },
            new SettingDefinition { Name = TestCommandSetting, Type = SettingType.Text, Description = "The command that tests a configuration file before it is written, {0} the file: 'nginx -t -q -c {0}' by default (add -p PREFIX when the file has relative paths)." },
            new SettingDefinition { Name = BinarySetting, Type = SettingType.Text, Description = "The nginx binary of the default TestCommand; 'nginx' on PATH or /usr/sbin/nginx when absent." },
            new SettingDefinition { Name = ReloadTimeoutSetting, Type = SettingType.TimeSpan, Default = DefaultReloadTimeout.ToString("c", CultureInfo.InvariantCulture), PerCall = true, Description = "How long the reload may take until nginx runs a new worker; past it, the previous file is put back (NginxReloadFailed)." },
        }.Concat(TrafficGroups.Settings("servers (by address) or upstreams", "blue=10.0.0.5:8080,10.0.0.6:8080")).Concat(ProxyVerification.Settings).Concat(TrafficSettings.All),
        new[]
        {
            new ErrorIdInfo(TrafficErrorId.NginxConfigMalformed, "Fix the configuration file where the message says (nginx -t shows the same); the rollback changes a file only when it parses."),
            new ErrorIdInfo(TrafficErrorId.NginxUpstreamNotFound, "Check Upstream or ProxyPassUpstreams against the file's 'upstream NAME { ... }' blocks."),
            new ErrorIdInfo(TrafficErrorId.NginxProxyPassNotFound, "Check ProxyPassUpstreams: the file needs a 'proxy_pass http://NAME' naming one of them, as many as when the point was captured."),
            new ErrorIdInfo(TrafficErrorId.NginxConfigRejected, "Run the TestCommand (nginx -t -c FILE) and fix what it reports; the rollback writes the file only when nginx accepts it."),
            new ErrorIdInfo(TrafficErrorId.NginxNotRunning, "Start nginx, or set PidFile to the pid file of the nginx that serves this configuration."),
            new ErrorIdInfo(TrafficErrorId.NginxReloadFailed, "Read nginx's error log: it kept its running configuration, and the previous file was put back. Fix the cause, then roll back again."),
            new ErrorIdInfo(TrafficErrorId.NginxServerUnhealthy, "Bring what would take the traffic back to health (its HealthUrl), then try again."),
            new ErrorIdInfo(TrafficErrorId.NginxBinaryNotFound, "Install nginx on this machine (apt-get install nginx-light) or set NginxBinary or TestCommand."),
            new ErrorIdInfo(TrafficErrorId.NginxStepsNeedWeights, "A proxy_pass switch moves all traffic at once: use Steps = '100', or an Upstream target whose weights can move in steps."),
            new ErrorIdInfo(TrafficErrorId.TrafficVerificationFailed, "Requests through nginx failed or answered another version: check what takes traffic now; Get-RollbackHistory shows the steps taken."),
        });

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var config = Path.GetFullPath(TrafficGroups.Required(KindName, settings, ConfigPathSetting));
        var upstream = settings.GetString(UpstreamSetting);
        var choices = settings.GetList(ProxyPassUpstreamsSetting);
        if (string.IsNullOrWhiteSpace(upstream) == (choices.Count == 0))
        {
            throw TrafficGroups.Invalid(KindName, $"give either {UpstreamSetting} (weights of its servers) or {ProxyPassUpstreamsSetting} (which upstream proxy_pass names), not {(choices.Count == 0 ? "neither" : "both")}");
        }

        if (choices.Count == 1)
        {
            throw TrafficGroups.Invalid(KindName, $"{ProxyPassUpstreamsSetting} names the upstreams a proxy_pass switches between: at least two, not only '{choices[0]}'");
        }

        var groups = new TrafficGroups(KindName, settings);
        if (choices.Count > 0 && groups.UnknownHealthUrl(choices) is { } unknown)
        {
            throw new RollbackException(TrafficErrorId.NginxUpstreamNotFound, RollbackErrorCategory.InvalidArgument,
                $"The {TrafficGroups.HealthUrlSetting} entry '{unknown}' names neither a colour nor one of {ProxyPassUpstreamsSetting}.", unknown);
        }

        var normalised = settings.With(ConfigPathSetting, config);
        if (choices.Count > 0)
        {
            if (settings.GetString(TrafficSettings.StepsSetting) is null)
            {
                normalised = normalised.With(TrafficSettings.StepsSetting, "100");
            }
            else
            {
                CheckOneStep(KindName, settings);
            }
        }

        _ = TrafficSettings.Steps(KindName, normalised);
        return normalised;
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        var live = ReadLive(target);
        var groups = Groups(target);
        var versions = groups.AppVersions(live.Members(), target.Name, context);
        return new TargetState { Version = groups.VersionOf(live.Members(), versions), Fingerprint = Checksums.HashText(live.Canonical()), Detail = Traffic(target, live) };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var live = ReadLive(target);
        var groups = Groups(target);
        live.AppVersions = groups.AppVersions(live.Members(), target.Name, context);
        var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, SnapshotFile, live);
        var what = live.Upstream is not null ? new KeyValuePair<string, string>(UpstreamSetting, live.Upstream) : new KeyValuePair<string, string>(ProxyPassUpstreamsSetting, string.Join(",", live.Choices));
        return new CapturedState
        {
            Version = groups.VersionOf(live.Members(), live.AppVersions),
            Fingerprint = Checksums.HashText(live.Canonical()),
            Artifacts = new[] { artifact },
            Metadata = groups.Metadata(live.Members(), live.AppVersions, Traffic(target, live), new[] { what }),
        };
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => TrafficPoint.ArtifactBase(point);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var checks = new List<CheckResult>();
        try
        {
            var master = NginxMaster.Find(PidFile(target));
            var loaded = master.ConfigFile();
            checks.Add(loaded is null || SamePath(loaded, ConfigPath(target))
                ? CheckResult.Pass("NginxRuns", $"nginx's master (process {master.ProcessId}) runs.")
                : CheckResult.Warn("NginxRuns", $"nginx's master (process {master.ProcessId}) was started with '{loaded}', not '{ConfigPath(target)}': a reload reads that file, so check that it includes this one."));
        }
        catch (RollbackException ex)
        {
            checks.Add(CheckResult.Fail("NginxRuns", ex.ErrorId, ex.Message));
        }

        if (IsSwitch(target))
        {
            try
            {
                CheckOneStep(target.Name, target.Settings);
            }
            catch (RollbackException ex)
            {
                checks.Add(CheckResult.Fail("TrafficSteps", ex.ErrorId, ex.Message));
            }
        }

        var wanted = Read(point);
        try
        {
            var written = Written(target, wanted, null, 100, out _);
            using (var candidate = new ConfigCandidate(ConfigPath(target), written, TemporaryNames.NewTag()))
            {
                TestConfig(target, candidate, context.Cancellation);
            }

            checks.Add(CheckResult.Pass("ConfigTest", $"'{ConfigPath(target)}' parses, names the point's upstreams, and nginx's test accepts it as the rollback would write it."));
            checks.AddRange(Groups(target).HealthUrlChecks(wanted.Members().Where(m => m.EffectiveWeight > 0), target, point, TrafficErrorId.NginxServerUnhealthy, context));
        }
        catch (RollbackException ex)
        {
            checks.Add(CheckResult.Fail("ConfigTest", ex.ErrorId, ex.Message));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            checks.Add(CheckResult.Fail("ConfigTest", TrafficErrorId.NginxConfigMalformed, $"'{ConfigPath(target)}' cannot be read or written beside: {ex.Message}"));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => TrafficPoint.Plan(DescribeShift(target, point, 100));

    public string DescribeShift(RollbackTarget target, RollbackPoint point, int percent)
    {
        var wanted = Read(point);
        return percent == 100
            ? $"Write the point's {wanted} into '{ConfigPath(target)}' once nginx's test accepts the file, then reload nginx gracefully."
            : $"Move {percent} % of the way from the current traffic to the point's ({Traffic(target, wanted)}) through the weights of upstream {wanted.Upstream} in '{ConfigPath(target)}' (tested with nginx -t), then reload nginx gracefully.";
    }

    /// <summary>The whole switch to the point's state (what an interrupted attempt is completed with).</summary>
    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => Shift(target, point, TrafficPoint.Whole, context);

    public void Shift(RollbackTarget target, RollbackPoint point, TrafficStep shift, RestoreContext context)
    {
        var to = Read(point);
        var from = shift.IsLast || shift.From is null ? null : Read(shift.From);
        if (!shift.IsLast && to.Upstream is null)
        {
            CheckOneStep(target.Name, target.Settings);
        }

        var master = NginxMaster.Find(PidFile(target));
        var configPath = ConfigPath(target);
        var before = File.ReadAllText(configPath);
        var written = Written(target, to, from, shift.Percent, out var summary);
        if (written != before)
        {
            using var candidate = new ConfigCandidate(configPath, written, context.AttemptId);
            context.Step(shift.Name + ".TestConfig", () => TestConfig(target, candidate, context.Cancellation));
            context.Step(shift.Name + ".WriteConfig", candidate.Replace);
        }

        context.Step(shift.Name + ".Reload", () =>
        {
            var patience = TrafficGroups.Time(target, ReloadTimeoutSetting, DefaultReloadTimeout);
            var outcome = master.Reload(patience, context.Cancellation);
            if (outcome.OldWorkers.Count > 0 && outcome.Started)
            {
                context.Reporter.Warning($"nginx's old workers ({string.Join(", ", outcome.OldWorkers)}) still finish their requests {patience.TotalSeconds:0} s after the reload; new connections go to the new ones.");
            }

            if (!outcome.Started)
            {
                using (var back = new ConfigCandidate(configPath, before, context.AttemptId))
                {
                    back.Replace();
                }

                throw new RollbackException(TrafficErrorId.NginxReloadFailed, RollbackErrorCategory.OperationStopped,
                    $"nginx (process {master.ProcessId}) started no new worker within {patience.TotalSeconds:0} s of the reload signal: it keeps its running configuration. The previous '{configPath}' was put back; read nginx's error log.", configPath);
            }
        });
        context.Details["Nginx.Traffic"] = summary;
    }

    public IReadOnlyList<CheckResult> VerifyTraffic(RollbackTarget target, RollbackPoint point, TrafficStep shift, OperationContext context) =>
        ProxyVerification.Check(target, TrafficGroups.AllowedVersions(point, shift), shift.Percent, context);

    public IReadOnlyList<string> SwitchedPaths(RollbackTarget target, RollbackPoint point) => new[] { ConfigPath(target) };

    public IReadOnlyList<string> RemoveLeftovers(RollbackTarget target, RecoveryContext context) => ConfigCandidate.RemoveLeftovers(ConfigPath(target));

    /// <summary>
    /// The configuration file as the shift to <paramref name="percent"/> writes it: at 100 % the point's upstream block
    /// as captured (or every proxy_pass as the point's named them); before, the live block with the weights mixed from
    /// <paramref name="from"/>'s shares to <paramref name="to"/>'s (servers with a share take it, without backup or down).
    /// </summary>
    internal static string Written(RollbackTarget target, NginxSnapshot to, NginxSnapshot? from, int percent, out string summary)
    {
        var path = ConfigPath(target);
        var text = File.ReadAllText(path);
        var top = NginxConfig.Parse(text, path);
        if (to.Upstream is null)
        {
            var routes = ProxyPasses(top, to.Choices).ToList();
            if (routes.Count != to.ProxyPass.Count)
            {
                throw NoProxyPass(path, to.Choices, $"it has {routes.Count} proxy_pass naming them, the point {to.ProxyPass.Count}");
            }

            summary = "proxy_pass to " + string.Join(", ", to.ProxyPass);
            return NginxConfig.Apply(text, routes.Select((d, i) => (d.Start, d.End, NginxConfig.WithProxyPassUpstream(d, to.ProxyPass[i]))));
        }

        var block = NginxConfig.Upstream(top, to.Upstream, path);
        if (from is null || percent >= 100)
        {
            summary = to.ToString();
            return NginxConfig.Apply(text, new[] { (block.Start, block.End, to.Blocks[to.Upstream]) });
        }

        var weights = TrafficMix.Weights(TrafficMix.Shares(from.Members()), TrafficMix.Shares(to.Members()), percent);
        var edits = block.Block!.Where(d => d.Name == "server" && d.Args.Count > 0 && weights.TryGetValue(d.Args[0], out var w) && w > 0)
            .Select(d => (d.Start, d.End, Server(d, weights[d.Args[0]])))
            .ToList();
        summary = $"upstream {to.Upstream}: " + string.Join("; ", weights.Select(w => $"{w.Key} weight={w.Value}"));
        return NginxConfig.Apply(text, edits);
    }

    /// <summary>A 'server' directive taking traffic at <paramref name="weight"/>: its other parameters kept, backup and down removed.</summary>
    private static string Server(NginxDirective server, int weight) =>
        "server " + string.Join(" ", server.Args.Where(a => !a.StartsWith("weight=", StringComparison.Ordinal) && a != "backup" && a != "down")
            .Concat(new[] { "weight=" + weight.ToString(CultureInfo.InvariantCulture) })) + ";";

    private static void TestConfig(RollbackTarget target, ConfigCandidate candidate, System.Threading.CancellationToken cancellation)
    {
        var template = target.Settings.GetString(TestCommandSetting);
        if (string.IsNullOrWhiteSpace(template))
        {
            var binary = ConfigCandidate.Binary(target.Settings.GetString(BinarySetting), "nginx", "/usr/sbin/nginx", why => new RollbackException(TrafficErrorId.NginxBinaryNotFound,
                RollbackErrorCategory.ResourceUnavailable, $"The configuration cannot be tested with 'nginx -t': {why}. Install nginx or set NginxBinary or TestCommand; nothing was changed.", "nginx"));
            template = ShellCommand.Quote(binary) + " -t -q -c " + ShellCommand.PathPlaceholder;
        }

        var path = ConfigPath(target);
        candidate.Check(ShellCommand.CommandLine(template!, candidate.Path), "[emerg]", TestPatience, why => new RollbackException(TrafficErrorId.NginxConfigRejected, RollbackErrorCategory.InvalidData,
            $"nginx refuses the configuration file '{path}' as the rollback would write it: its test {why}. Nothing was changed: not the file, not the running nginx.", path), cancellation);
    }

    /// <summary>The live file's state of the target's upstream (or proxy_pass directives).</summary>
    private static NginxSnapshot ReadLive(RollbackTarget target)
    {
        var path = ConfigPath(target);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RollbackException(TrafficErrorId.NginxConfigMalformed, RollbackErrorCategory.ReadError, $"The nginx configuration '{path}' cannot be read: {ex.Message}", path, ex);
        }

        var top = NginxConfig.Parse(text, path);
        var snapshot = new NginxSnapshot { ConfigPath = path };
        if (target.Settings.GetString(UpstreamSetting) is { Length: > 0 } upstream)
        {
            var block = NginxConfig.Upstream(top, upstream, path);
            snapshot.Upstream = upstream;
            snapshot.Servers = block.Block!.Where(d => d.Name == "server" && d.Args.Count > 0).Select(UpstreamServer.From).ToList();
            snapshot.Blocks[upstream] = text.Substring(block.Start, block.End - block.Start);
            var groups = Groups(target);
            var missing = groups.ColourMembers.Where(m => snapshot.Servers.All(s => s.Address != m)).ToList();
            if (missing.Count > 0)
            {
                throw new RollbackException(TrafficErrorId.NginxUpstreamNotFound, RollbackErrorCategory.ObjectNotFound,
                    $"The upstream '{upstream}' in '{path}' has no server {string.Join(", ", missing)} (it has {string.Join(", ", snapshot.Servers.Select(s => s.Address))}). Check the target's Colours.", missing[0]);
            }

            return snapshot;
        }

        snapshot.Choices = target.Settings.GetList(ProxyPassUpstreamsSetting).ToList();
        foreach (var choice in snapshot.Choices)
        {
            _ = NginxConfig.Upstream(top, choice, path);
        }

        snapshot.ProxyPass = ProxyPasses(top, snapshot.Choices).Select(d => NginxConfig.ProxyPassUpstream(d)!).ToList();
        return snapshot.ProxyPass.Count > 0 ? snapshot : throw NoProxyPass(path, snapshot.Choices, "it has none");
    }

    private static IEnumerable<NginxDirective> ProxyPasses(IEnumerable<NginxDirective> top, IReadOnlyCollection<string> choices) =>
        NginxConfig.All(top).Where(d => NginxConfig.ProxyPassUpstream(d) is { } name && choices.Contains(name));

    private static RollbackException NoProxyPass(string path, IEnumerable<string> choices, string why) =>
        new(TrafficErrorId.NginxProxyPassNotFound, RollbackErrorCategory.ObjectNotFound,
            $"The nginx configuration '{path}' has no proxy_pass to switch between {string.Join(" and ", choices)}: {why}. Nothing was changed.", path);

    private static NginxSnapshot Read(RollbackPoint point) => TrafficPoint.Read<NginxSnapshot>(point, SnapshotFile);

    /// <summary>The master's pid file: the setting, else the file's absolute 'pid' directive, else /run/nginx.pid.</summary>
    private static string PidFile(RollbackTarget target)
    {
        if (target.Settings.GetString(PidFileSetting) is { Length: > 0 } setting)
        {
            return setting;
        }

        try
        {
            var top = NginxConfig.Parse(File.ReadAllText(ConfigPath(target)), ConfigPath(target));
            var pid = top.FirstOrDefault(d => d.Name == "pid" && d.Args.Count == 1)?.Args[0];
            return pid is not null && Path.IsPathRooted(pid) ? pid : DefaultPidFile;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return DefaultPidFile;
        }
    }

    private static void CheckOneStep(string target, SettingsDictionary settings)
    {
        var steps = TrafficSettings.Steps(target, settings);
        if (steps.Count != 1)
        {
            throw new RollbackException(TrafficErrorId.NginxStepsNeedWeights, RollbackErrorCategory.InvalidArgument,
                $"'{target}' switches proxy_pass between upstreams, which moves all traffic at once: the steps '{string.Join(",", steps)}' need an Upstream target with weights. Use Steps = '100'; nothing was changed.", target);
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(NativeFileSystem.RealPath(a) ?? Path.GetFullPath(a), NativeFileSystem.RealPath(b) ?? Path.GetFullPath(b), StringComparison.Ordinal);

    private static bool IsSwitch(RollbackTarget target) => target.Settings.GetList(ProxyPassUpstreamsSetting).Count > 0;

    private static string Traffic(RollbackTarget target, NginxSnapshot state) => Groups(target).Taking(state.Members()) + ": " + state;

    private static TrafficGroups Groups(RollbackTarget target) => new(KindName, target.Settings);

    private static string ConfigPath(RollbackTarget target) => target.Settings.GetString(ConfigPathSetting)!;
}
