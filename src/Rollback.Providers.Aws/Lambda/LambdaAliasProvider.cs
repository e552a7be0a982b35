using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Aws.Client;
using Rollback.Settings;
using Rollback.Store;

namespace Rollback.Providers.Aws.Lambda;

/// <summary>
/// An AWS Lambda alias (what "aws lambda update-alias" does by hand). A point records the function version the alias
/// names and, for a weighted alias, the additional versions' weights, with each version's code hash. Readiness checks
/// that the alias and every captured version still exist (Lambda never reuses a version number, so a deleted one is
/// gone for good). Rolling back is one UpdateAlias to the captured version and weights, conditional on the alias's
/// revision as it was just read, then GetAlias must show them: all at once by default (Steps '100'), or through the
/// engine's traffic steps (Steps '50,100'), each step an UpdateAlias whose version weights mix the routing before the
/// rollback with the point's, checked with GetAlias before the next.
/// </summary>
public sealed class LambdaAliasProvider : IRollbackProvider, ITrafficProvider
{
    /// <summary>A Lambda alias moves all at once unless a call (or the target) asks for steps.</summary>
    public const string DefaultSteps = "100";

    public const string KindName = "LambdaAlias";
    public const string FunctionNameSetting = "FunctionName";
    public const string AliasNameSetting = "AliasName";

    // Keys of the result's and the journal's Details.
    public const string AliasArnDetail = "Lambda.AliasArn";
    public const string PreviousVersionDetail = "Lambda.PreviousVersion";
    public const string RevisionIdDetail = "Lambda.RevisionId";

    private const string ArtifactFile = "lambda-alias.json";
    private const string FunctionVersionKey = "FunctionVersion";
    private const string WeightsKey = "AdditionalVersionWeights";
    private const string AliasArnKey = "AliasArn";

    private readonly Func<RollbackTarget, ILambdaClient> _clients;

    public LambdaAliasProvider()
        : this(target => new LambdaClient(AwsClientOptions.FromSettings(target.Settings)))
    {
    }

    /// <summary>For tests: the Lambda client for a target.</summary>
    internal LambdaAliasProvider(Func<RollbackTarget, ILambdaClient> clients)
    {
        _clients = clients;
    }

    public string Kind => KindName;

    public string Description => "An AWS Lambda alias: the function version it names (and a weighted alias's version weights), moved back with UpdateAlias and checked with GetAlias.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = FunctionNameSetting, Type = SettingType.Text, Required = true, Description = "The function's name or ARN (without a qualifier)." },
            new SettingDefinition { Name = AliasNameSetting, Type = SettingType.Text, Required = true, Description = "The alias that callers invoke (such as live or prod)." },
        }.Concat(AwsClientOptions.Settings).Concat(TrafficSettings.All.Select(s => s.Name != TrafficSettings.StepsSetting ? s : new SettingDefinition
        {
            Name = s.Name, Type = s.Type, PerCall = true, Default = DefaultSteps,
            Description = "The share of invocations moved back at each step, in percent, rising and ending at 100 ('100', the default: all at once; '50,100': half through the alias's version weights, a wait and the checks, then all). Lambda weights one additional version only, so a step is refused (LambdaStepsUnsupported) when the routing before and the point's name more than two versions together.",
        })),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.LambdaStepsUnsupported, "Roll back all at once (-Option @{ Steps = '100' }): a step would need more than the one additional version a Lambda alias can weight."),
            new ErrorIdInfo(AwsErrorId.LambdaVersionMissing, "The function version the point names was deleted (Lambda never reuses a version number): roll back to a point whose version still exists (aws lambda list-versions-by-function), or publish the known-good code again and capture a new point."),
            new ErrorIdInfo(AwsErrorId.LambdaAliasNotMoved, "Read the alias (aws lambda get-alias): another writer may have changed it at the same time; check it, then roll back again."),
        }));

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var function = Required(settings, FunctionNameSetting, "the function");
        var alias = Required(settings, AliasNameSetting, "the alias");
        if (alias.Contains(':') || function.EndsWith(":" + alias, StringComparison.Ordinal))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument,
                $"A {KindName} target names the alias in {AliasNameSetting} only, and the function without a qualifier in {FunctionNameSetting} (got '{function}' and '{alias}').", AliasNameSetting);
        }

        _ = AwsClientOptions.FromSettings(settings);
        // Not stored when absent: the engine reads this kind's declared default (all at once) at each rollback.
        _ = TrafficSettings.Steps(KindName, settings, Schema);
        return settings.With(FunctionNameSetting, function).With(AliasNameSetting, alias);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var alias = GetAlias(client, target, context.Cancellation);
        var routing = Routing.Of(alias);
        return new TargetState
        {
            Version = routing.Label,
            Fingerprint = routing.Fingerprint,
            Detail = $"{alias.AliasArn} names version {routing.Label} (revision {alias.RevisionId}).",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = "Capturing Lambda alias " + Resource(target);
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "GetAlias" });
        try
        {
            using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
            var alias = GetAlias(client, target, context.Cancellation);
            var routing = Routing.Of(alias);
            var code = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var version in routing.Versions)
            {
                context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = "GetFunctionConfiguration " + version });
                var configuration = AwsProviderSupport.Wait(client.GetFunctionConfigurationAsync(new GetFunctionConfigurationRequest { FunctionName = Function(target), Qualifier = version }, context.Cancellation));
                code[version] = configuration.CodeSha256 ?? string.Empty;
            }

            var captured = new CapturedAlias
            {
                FunctionName = Function(target),
                AliasName = AliasName(target),
                AliasArn = alias.AliasArn,
                FunctionVersion = routing.Version,
                AdditionalVersionWeights = routing.Weights.Count == 0 ? null : new SortedDictionary<string, double>(routing.Weights.ToDictionary(w => w.Key, w => w.Value), StringComparer.Ordinal),
                Description = alias.Description,
                RevisionId = alias.RevisionId,
                CodeSha256 = code,
            };
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, captured);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [FunctionNameSetting] = Function(target),
                [AliasNameSetting] = AliasName(target),
                [AliasArnKey] = alias.AliasArn ?? string.Empty,
                [FunctionVersionKey] = routing.Version,
                [WeightsKey] = routing.WeightsText,
            };
            return new CapturedState { Version = routing.Label, Fingerprint = routing.Fingerprint, Artifacts = new[] { artifact }, Metadata = metadata };
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Completed = true });
        }
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var checks = new List<CheckResult>();
        var captured = ReadCaptured(target, point);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        checks.Add(AwsProviderSupport.Guard("AliasExists", () =>
        {
            var alias = GetAlias(client, target, context.Cancellation);
            return CheckResult.Pass("AliasExists", $"{alias.AliasArn} answers GetAlias with these credentials (version {Routing.Of(alias).Label}).");
        }));

        foreach (var version in captured.Routing.Versions)
        {
            checks.Add(AwsProviderSupport.Guard("CapturedVersionExists", () => CheckVersion(client, target, captured, version, context.Cancellation)));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context)
    {
        var captured = ReadCaptured(target, point);
        return new[]
        {
            new PlannedStep("UpdateAlias", $"Point alias {Resource(target)} at version {captured.Routing.Label} with UpdateAlias, all at once ({(captured.Routing.Weights.Count == 0 ? "removing any version weights" : "with the captured version weights")}), only if nobody changed the alias since it was read."),
            new PlannedStep("VerifyAlias", $"Check with GetAlias that {Resource(target)} names version {captured.Routing.Label}."),
        };
    }

    public string DescribeShift(RollbackTarget target, RollbackPoint point, int percent)
    {
        var captured = ReadCaptured(target, point);
        return percent == 100
            ? $"Point alias {Resource(target)} at version {captured.Routing.Label} with UpdateAlias ({(captured.Routing.Weights.Count == 0 ? "removing any version weights" : "with the captured version weights")}), only if nobody changed the alias since it was read; GetAlias must then show it."
            : $"Move {percent} % of the invocations of {Resource(target)} from the routing before the rollback to version {captured.Routing.Label}, through the alias's version weights (UpdateAlias, checked with GetAlias).";
    }

    /// <summary>The whole move to the point's routing (what an interrupted attempt is completed with).</summary>
    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => Shift(target, point, new TrafficStep(100, 1, 1, null), context);

    public void Shift(RollbackTarget target, RollbackPoint point, TrafficStep shift, RestoreContext context)
    {
        var wanted = Desired(target, point, shift);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var before = GetAlias(client, target, context.Cancellation);
        context.Details[AliasArnDetail] = before.AliasArn ?? string.Empty;
        if (!context.Details.ContainsKey(PreviousVersionDetail))
        {
            context.Details[PreviousVersionDetail] = Routing.Of(before).Label;
        }

        // All at once, the steps keep their plain names; in steps each is named after its share (Shift50.UpdateAlias).
        var prefix = shift.Count == 1 ? string.Empty : shift.Name + ".";

        // One UpdateAlias moves the whole alias, weights included; an empty weight map removes weights the failed
        // deployment added. The revision condition refuses the move if someone changed the alias since it was read.
        // Once sent it is not cancelled half-way: the alias has moved or it has not, and the verification says which.
        context.Switch(prefix + "UpdateAlias", () =>
        {
            context.Reporter.Verbose($"UpdateAlias {Resource(target)}: from version {Routing.Of(before).Label} to {wanted.Label} (revision {before.RevisionId}, {shift}).");
            try
            {
                var updated = AwsProviderSupport.Wait(client.UpdateAliasAsync(new UpdateAliasRequest
                {
                    FunctionName = Function(target),
                    Name = AliasName(target),
                    FunctionVersion = wanted.Version,
                    RoutingConfig = new AliasRoutingConfiguration { AdditionalVersionWeights = wanted.Weights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal) },
                    RevisionId = before.RevisionId,
                }, CancellationToken.None));
                context.Details[RevisionIdDetail] = updated.RevisionId ?? string.Empty;
            }
            catch (RollbackException ex) when (AwsErrors.CodeOf(ex) == "PreconditionFailedException")
            {
                throw new RollbackException(AwsErrorId.LambdaAliasNotMoved, RollbackErrorCategory.InvalidOperation,
                    $"Alias {Resource(target)} changed after it was read (its revision is no longer {before.RevisionId}), so it was not moved: {ex.Message} Read it (aws lambda get-alias), then roll back again.", Resource(target), ex);
            }
        });

        context.Step(prefix + "VerifyAlias", () =>
        {
            var after = Routing.Of(GetAlias(client, target, context.Cancellation));
            if (after.Fingerprint != wanted.Fingerprint)
            {
                throw new RollbackException(AwsErrorId.LambdaAliasNotMoved, RollbackErrorCategory.InvalidResult,
                    $"After UpdateAlias, GetAlias shows {Resource(target)} on version {after.Label}, not {wanted.Label}. Another writer may have changed it: read it (aws lambda get-alias) before rolling back again.", Resource(target));
            }
        });
    }

    public IReadOnlyList<CheckResult> VerifyTraffic(RollbackTarget target, RollbackPoint point, TrafficStep shift, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        return new[]
        {
            AwsProviderSupport.Guard("AliasRouting", () =>
            {
                var wanted = Desired(target, point, shift);
                var live = Routing.Of(GetAlias(client, target, context.Cancellation));
                return live.Fingerprint == wanted.Fingerprint
                    ? CheckResult.Pass("AliasRouting", $"{Resource(target)} routes to version {live.Label}.")
                    : CheckResult.Fail("AliasRouting", AwsErrorId.LambdaAliasNotMoved, $"{Resource(target)} routes to version {live.Label}, not the {wanted.Label} this step set: another writer may have changed it. Read it (aws lambda get-alias) before rolling back again.");
            }),
        };
    }

    /// <summary>A step's routing: the point's at 100 %, else the mix of the shares before the rollback and the point's.</summary>
    private static Routing Desired(RollbackTarget target, RollbackPoint point, TrafficStep shift)
    {
        var to = ReadCaptured(target, point).Routing;
        return shift.IsLast || shift.From is null ? to : Routing.Mix(ReadCaptured(target, shift.From).Routing, to, shift.Percent)
            ?? throw new RollbackException(AwsErrorId.LambdaStepsUnsupported, RollbackErrorCategory.InvalidOperation,
                $"Alias {Resource(target)} cannot be moved {shift.Percent} % of the way from {ReadCaptured(target, shift.From).Routing.Label} to {to.Label}: together they name more than two versions, and a Lambda alias weights one additional version only. Nothing was changed; roll back all at once (-Option @{{ Steps = '100' }}).", Resource(target));
    }

    private static CheckResult CheckVersion(ILambdaClient client, RollbackTarget target, CapturedAlias captured, string version, CancellationToken cancellation)
    {
        GetFunctionConfigurationResponse configuration;
        try
        {
            configuration = AwsProviderSupport.Wait(client.GetFunctionConfigurationAsync(new GetFunctionConfigurationRequest { FunctionName = Function(target), Qualifier = version }, cancellation));
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            return CheckResult.Fail("CapturedVersionExists", AwsErrorId.LambdaVersionMissing,
                $"Version {version} of function {Function(target)}, which the point's alias names, no longer exists: {ex.Message} Lambda never reuses a version number; roll back to another point.");
        }

        var capturedCode = captured.CodeSha256 is not null && captured.CodeSha256.TryGetValue(version, out var sha) ? sha : string.Empty;
        if (capturedCode.Length > 0 && !string.Equals(capturedCode, configuration.CodeSha256, StringComparison.Ordinal))
        {
            return CheckResult.Fail("CapturedVersionExists", AwsErrorId.LambdaVersionMissing,
                $"Version {version} of function {Function(target)} has code {configuration.CodeSha256}, not the captured {capturedCode}: it is not the version the point recorded. Roll back to another point.");
        }

        var state = configuration.State;
        return string.IsNullOrEmpty(state) || string.Equals(state, "Active", StringComparison.Ordinal)
            ? CheckResult.Pass("CapturedVersionExists", $"Version {version} of function {Function(target)} exists (code {configuration.CodeSha256}).")
            : CheckResult.Warn("CapturedVersionExists", $"Version {version} of function {Function(target)} exists but is {state}: Lambda reactivates an Inactive version on its first invocations, which are slower; a Failed one cannot run.");
    }

    private static GetAliasResponse GetAlias(ILambdaClient client, RollbackTarget target, CancellationToken cancellation) =>
        AwsProviderSupport.Wait(client.GetAliasAsync(new GetAliasRequest { FunctionName = Function(target), Name = AliasName(target) }, cancellation));

    private static CapturedAlias ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<CapturedAlias>(target, point, ArtifactFile, c => string.IsNullOrEmpty(c.FunctionVersion) ? "no function version" : null);

    private static string Function(RollbackTarget target) => target.Settings.GetString(FunctionNameSetting)!;

    private static string AliasName(RollbackTarget target) => target.Settings.GetString(AliasNameSetting)!;

    private static string Resource(RollbackTarget target) => $"{Function(target)}:{AliasName(target)}";

    private static string Required(SettingsDictionary settings, string key, string what) =>
        AwsProviderSupport.RequiredSetting(settings, key, what, KindName, $"@{{ {FunctionNameSetting} = 'checkout-api'; {AliasNameSetting} = 'live'; Region = 'eu-west-1' }}");

    /// <summary>What an alias routes to: its version and the additional versions' weights, as a label and a fingerprint.</summary>
    private sealed class Routing
    {
        private Routing(string version, IReadOnlyDictionary<string, double> weights)
        {
            Version = version;
            Weights = weights;
        }

        public string Version { get; }

        public IReadOnlyDictionary<string, double> Weights { get; }

        /// <summary>The alias's version first, then the weighted ones.</summary>
        public IEnumerable<string> Versions => new[] { Version }.Concat(Weights.Keys.Where(k => k != Version));

        /// <summary>"7", or "7 (+ 8 at 10%)" for a weighted alias.</summary>
        public string Label => Weights.Count == 0 ? Version
            : Version + " (" + string.Join(", ", Weights.Select(w => $"+ {w.Key} at {(w.Value * 100).ToString("0.##", CultureInfo.InvariantCulture)}%")) + ")";

        public string WeightsText => string.Join(",", Weights.Select(w => w.Key + "=" + w.Value.ToString("R", CultureInfo.InvariantCulture)));

        public string Fingerprint => "lambda:alias:" + Version + (Weights.Count == 0 ? string.Empty : ";" + WeightsText);

        /// <summary>
        /// <paramref name="percent"/> % of the way from <paramref name="from"/>'s shares of the invocations to
        /// <paramref name="to"/>'s: the point's version stays the alias's version and the other takes its share as the
        /// one additional version; null when the two name more than two versions together.
        /// </summary>
        public static Routing? Mix(Routing from, Routing to, int percent)
        {
            var p = percent / 100.0;
            var before = from.Shares();
            var after = to.Shares();
            var mixed = before.Keys.Union(after.Keys)
                .Select(v => (Version: v, Share: ((1 - p) * (before.TryGetValue(v, out var b) ? b : 0)) + (p * (after.TryGetValue(v, out var a) ? a : 0))))
                .Where(m => m.Share > 0.00005).ToList();
            if (mixed.Count > 2)
            {
                return null;
            }

            var main = mixed.Any(m => m.Version == to.Version) ? to.Version : mixed.OrderByDescending(m => m.Share).First().Version;
            return Of(main, mixed.Where(m => m.Version != main).ToDictionary(m => m.Version, m => Math.Round(m.Share, 4)));
        }

        /// <summary>Each version's share of the invocations: the weighted ones theirs, the alias's version the rest.</summary>
        private Dictionary<string, double> Shares()
        {
            var shares = Weights.Where(w => w.Key != Version).ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
            shares[Version] = Math.Max(0, 1 - shares.Values.Sum());
            return shares;
        }

        public static Routing Of(AliasConfigurationResponse alias) => Of(alias.FunctionVersion, alias.RoutingConfig?.AdditionalVersionWeights);

        public static Routing Of(string? version, IDictionary<string, double>? weights) => new(
            string.IsNullOrEmpty(version) ? "(none)" : version!,
            new SortedDictionary<string, double>((weights ?? new Dictionary<string, double>()).Where(w => w.Value > 0).ToDictionary(w => w.Key, w => w.Value), StringComparer.Ordinal));
    }

    /// <summary>The point's one artifact: the alias as captured, in Lambda's own spelling, with each version's code hash.</summary>
    private sealed class CapturedAlias
    {
        public string? FunctionName { get; set; }

        public string? AliasName { get; set; }

        public string? AliasArn { get; set; }

        public string? FunctionVersion { get; set; }

        public SortedDictionary<string, double>? AdditionalVersionWeights { get; set; }

        public string? Description { get; set; }

        public string? RevisionId { get; set; }

        public SortedDictionary<string, string>? CodeSha256 { get; set; }

        [System.Text.Json.Serialization.JsonIgnore]
        public Routing Routing => Routing.Of(FunctionVersion, AdditionalVersionWeights);
    }
}
