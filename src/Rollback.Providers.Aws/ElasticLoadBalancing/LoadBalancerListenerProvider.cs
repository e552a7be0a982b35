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

namespace Rollback.Providers.Aws.ElasticLoadBalancing;

/// <summary>
/// An Application Load Balancer listener's default action, or one of its rules (what "aws elbv2 modify-listener" does by
/// hand in a blue-green switch): which target groups it forwards to, with weights. A point records the forward action's
/// target groups, weights and stickiness. Readiness checks that the listener or rule and every captured target group
/// exist and that each group that will take traffic has healthy targets (DescribeTargetHealth). Rolling back moves the
/// weights with ModifyListener / ModifyRule, at once or in the engine's steps (each step a mix of the weights before the
/// rollback and the point's), and checks them with DescribeListeners / DescribeRules and the target health.
/// </summary>
public sealed class LoadBalancerListenerProvider : IRollbackProvider, ITrafficProvider
{
    public const string KindName = "LoadBalancerListener";
    public const string ListenerArnSetting = "ListenerArn";
    public const string RuleArnSetting = "RuleArn";

    // Keys of the result's and the journal's Details.
    public const string PreviousWeightsDetail = "Elb.PreviousWeights";
    public const string WeightsDetail = "Elb.Weights";

    private const string ArtifactFile = "elbv2-forward.json";
    private const string TargetGroupsKey = "TargetGroups";

    private readonly Func<RollbackTarget, IElbClient> _clients;

    public LoadBalancerListenerProvider()
        : this(target => new ElbClient(AwsClientOptions.FromSettings(target.Settings)))
    {
    }

    /// <summary>For tests: the ELBv2 client for a target.</summary>
    internal LoadBalancerListenerProvider(Func<RollbackTarget, IElbClient> clients)
    {
        _clients = clients;
    }

    public string Kind => KindName;

    public string Description => "An AWS Application Load Balancer listener's (or rule's) forward action: its target groups and weights, moved back with ModifyListener / ModifyRule at once or in steps, checked with DescribeListeners and target health.";

    public KindSchema Schema { get; } = new(
        new[]
        {
            new SettingDefinition { Name = ListenerArnSetting, Type = SettingType.Text, Description = "The listener's ARN: its default action is rolled back. Give this or RuleArn." },
            new SettingDefinition { Name = RuleArnSetting, Type = SettingType.Text, Description = "A listener rule's ARN: that rule's forward action is rolled back instead of the default action." },
        }.Concat(AwsClientOptions.Settings).Concat(TrafficSettings.All),
        AwsErrorId.Client.Concat(new[]
        {
            new ErrorIdInfo(AwsErrorId.LoadBalancerTargetGroupMissing, "A target group the point forwards to was deleted: recreate it with its targets and capture a new point, or roll back to a point whose target groups exist (aws elbv2 describe-target-groups)."),
            new ErrorIdInfo(AwsErrorId.LoadBalancerTargetsUnhealthy, "The target group that would take the traffic has no healthy target: fix or register its targets (aws elbv2 describe-target-health), then roll back again."),
            new ErrorIdInfo(AwsErrorId.LoadBalancerActionUnsupported, "The listener or rule does more than forward (authentication, redirect, fixed response): roll it back by hand, or target a rule that only forwards."),
            new ErrorIdInfo(AwsErrorId.LoadBalancerListenerNotMoved, "Read the listener (aws elbv2 describe-listeners): another writer may have changed it at the same time; check it, then roll back again."),
        }));

    public SettingsDictionary ValidateSettings(SettingsDictionary settings)
    {
        var listener = Trimmed(settings.GetString(ListenerArnSetting));
        var rule = Trimmed(settings.GetString(RuleArnSetting));
        if ((listener is null) == (rule is null))
        {
            throw Invalid($"A {KindName} target names either {ListenerArnSetting} (its default action) or {RuleArnSetting} (one rule), not {(listener is null ? "neither" : "both")}, e.g. @{{ {ListenerArnSetting} = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2'; Region = 'eu-west-1' }}.", listener is null ? ListenerArnSetting : RuleArnSetting);
        }

        if (listener is not null && !listener.Contains(":listener/"))
        {
            throw Invalid($"The {ListenerArnSetting} '{listener}' is not an ELBv2 listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID).", ListenerArnSetting);
        }

        if (rule is not null && !rule.Contains(":listener-rule/"))
        {
            throw Invalid($"The {RuleArnSetting} '{rule}' is not an ELBv2 listener rule ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/NAME/ID/ID/ID).", RuleArnSetting);
        }

        _ = AwsClientOptions.FromSettings(settings);
        _ = TrafficSettings.Steps(KindName, settings);
        return listener is not null ? settings.With(ListenerArnSetting, listener) : settings.With(RuleArnSetting, rule!);
    }

    public TargetState Describe(RollbackTarget target, OperationContext context)
    {
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var forwarding = ReadLive(client, target, context.Cancellation);
        return new TargetState
        {
            Version = forwarding.Label,
            Fingerprint = forwarding.Fingerprint,
            Detail = $"{Resource(target)} forwards to {forwarding.WeightsText}.",
        };
    }

    public CapturedState Capture(RollbackTarget target, CaptureContext context)
    {
        var activity = "Capturing load balancer " + Resource(target);
        context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Status = IsRule(target) ? "DescribeRules" : "DescribeListeners" });
        try
        {
            using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
            var forwarding = ReadLive(client, target, context.Cancellation);
            var artifact = StoreJson.WriteArtifact(context.ArtifactsDirectory, ArtifactFile, forwarding);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [IsRule(target) ? RuleArnSetting : ListenerArnSetting] = Resource(target),
                [TargetGroupsKey] = forwarding.WeightsText,
            };
            return new CapturedState { Version = forwarding.Label, Fingerprint = forwarding.Fingerprint, Artifacts = new[] { artifact }, Metadata = metadata };
        }
        finally
        {
            context.Reporter.Progress(new ProgressUpdate { ActivityId = ProgressActivity.Capture, Activity = activity, Completed = true });
        }
    }

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context)
    {
        var wanted = ReadCaptured(target, point);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var checks = new List<CheckResult>
        {
            AwsProviderSupport.Guard(IsRule(target) ? "RuleForwards" : "ListenerForwards", () =>
            {
                var live = ReadLive(client, target, context.Cancellation);
                return CheckResult.Pass(IsRule(target) ? "RuleForwards" : "ListenerForwards", $"{Resource(target)} answers with these credentials and forwards to {live.WeightsText}.");
            }),
        };

        var missing = new List<string>();
        foreach (var group in wanted.TargetGroups)
        {
            var exists = AwsProviderSupport.Guard("TargetGroupExists", () => TargetGroupExists(client, group, context.Cancellation));
            checks.Add(exists);
            if (exists.Status == CheckStatus.Fail)
            {
                missing.Add(group.TargetGroupArn);
            }
        }

        // Only the groups that will take traffic must have healthy targets; a group kept at weight 0 may be empty.
        foreach (var group in wanted.TargetGroups.Where(g => g.Weight > 0 && !missing.Contains(g.TargetGroupArn)))
        {
            checks.Add(AwsProviderSupport.Guard("TargetsHealthy", () => TargetsHealthy(client, group.TargetGroupArn, context.Cancellation)));
        }

        return checks;
    }

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) =>
        new[] { new PlannedStep(new TrafficStep(100, 1, 1, null).Name, DescribeShift(target, point, 100)) };

    public string DescribeShift(RollbackTarget target, RollbackPoint point, int percent)
    {
        var wanted = ReadCaptured(target, point);
        return percent == 100
            ? $"Forward {Resource(target)} to {wanted.WeightsText} with {Operation(target)}, then read it back and check the target health."
            : $"Move {percent} % of the way from the current weights of {Resource(target)} to the point's ({wanted.Label}) with {Operation(target)}.";
    }

    /// <summary>The whole switch to the point's weights (what an interrupted attempt is completed with).</summary>
    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => Shift(target, point, new TrafficStep(100, 1, 1, null), context);

    public void Shift(RollbackTarget target, RollbackPoint point, TrafficStep shift, RestoreContext context)
    {
        var desired = Desired(target, point, shift);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var before = ReadLive(client, target, context.Cancellation);
        if (!context.Details.ContainsKey(PreviousWeightsDetail))
        {
            context.Details[PreviousWeightsDetail] = before.WeightsText;
        }

        // One call replaces the forward action whole; once sent it is not cancelled half-way: the weights have moved or
        // they have not, and the checks after the step say which.
        context.Step(shift.Name + "." + Operation(target), () =>
        {
            context.Reporter.Verbose($"{Operation(target)} {Resource(target)}: from {before.WeightsText} to {desired.WeightsText} ({shift}).");
            var actions = new List<ListenerAction> { desired.ToAction() };
            if (IsRule(target))
            {
                AwsProviderSupport.Wait(client.ModifyRuleAsync(new ModifyRuleRequest { RuleArn = Resource(target), Actions = actions }, CancellationToken.None));
            }
            else
            {
                AwsProviderSupport.Wait(client.ModifyListenerAsync(new ModifyListenerRequest { ListenerArn = Resource(target), DefaultActions = actions }, CancellationToken.None));
            }
        });
        context.Details[WeightsDetail] = desired.WeightsText;
    }

    public IReadOnlyList<CheckResult> VerifyTraffic(RollbackTarget target, RollbackPoint point, TrafficStep shift, OperationContext context)
    {
        var desired = Desired(target, point, shift);
        using var client = AwsProviderSupport.Reporting(_clients(target), context.Reporter);
        var checks = new List<CheckResult>
        {
            AwsProviderSupport.Guard("ForwardWeights", () =>
            {
                var live = ReadLive(client, target, context.Cancellation);
                return live.Fingerprint == desired.Fingerprint
                    ? CheckResult.Pass("ForwardWeights", $"{Resource(target)} forwards to {live.WeightsText}.")
                    : CheckResult.Fail("ForwardWeights", AwsErrorId.LoadBalancerListenerNotMoved,
                        $"{Resource(target)} forwards to {live.WeightsText}, not the {desired.WeightsText} this step set: another writer may have changed it. Read it (aws elbv2 describe-listeners) before rolling back again.");
            }),
        };
        checks.AddRange(desired.TargetGroups.Where(g => g.Weight > 0)
            .Select(g => AwsProviderSupport.Guard("TargetsHealthy", () => TargetsHealthy(client, g.TargetGroupArn, context.Cancellation))));
        return checks;
    }

    /// <summary>The weights of a step: the point's at 100 %, else the mix of the shares before the rollback and the point's.</summary>
    private static Forwarding Desired(RollbackTarget target, RollbackPoint point, TrafficStep shift)
    {
        var to = ReadCaptured(target, point);
        return shift.IsLast || shift.From is null ? to : to.MixedWith(ReadCaptured(target, shift.From), shift.Percent);
    }

    private static CheckResult TargetGroupExists(IElbClient client, Forwarding.Group group, CancellationToken cancellation)
    {
        try
        {
            var found = AwsProviderSupport.Wait(client.DescribeTargetGroupsAsync(new DescribeTargetGroupsRequest { TargetGroupArns = new List<string> { group.TargetGroupArn } }, cancellation));
            return found.TargetGroups.Count == 1
                ? CheckResult.Pass("TargetGroupExists", $"Target group {group.Name} exists.")
                : Missing(group, "DescribeTargetGroups did not list it.");
        }
        catch (RollbackException ex) when (ex.ErrorId == AwsErrorId.AwsResourceNotFound)
        {
            return Missing(group, ex.Message);
        }
    }

    private static CheckResult Missing(Forwarding.Group group, string why) =>
        CheckResult.Fail("TargetGroupExists", AwsErrorId.LoadBalancerTargetGroupMissing,
            $"Target group {group.Name} ({group.TargetGroupArn}), which the point forwards to at weight {group.Weight}, no longer exists: {why} Recreate it and capture a new point, or roll back to another point.");

    private static CheckResult TargetsHealthy(IElbClient client, string targetGroup, CancellationToken cancellation)
    {
        var name = Forwarding.NameOf(targetGroup);
        var targets = AwsProviderSupport.Wait(client.DescribeTargetHealthAsync(new DescribeTargetHealthRequest { TargetGroupArn = targetGroup }, cancellation)).TargetHealthDescriptions;
        var healthy = targets.Count(t => t.State == "healthy");
        var others = string.Join("; ", targets.Where(t => t.State != "healthy").Select(t => $"{t.TargetId}{(t.TargetPort is null ? string.Empty : ":" + t.TargetPort.Value.ToString(CultureInfo.InvariantCulture))} {t.State}{(string.IsNullOrEmpty(t.Reason) ? string.Empty : " (" + t.Reason + ": " + t.Description + ")")}"));
        if (healthy == 0)
        {
            return CheckResult.Fail("TargetsHealthy", AwsErrorId.LoadBalancerTargetsUnhealthy,
                targets.Count == 0
                    ? $"Target group {name} would take traffic but has no registered target: its requests would fail with 503."
                    : $"Target group {name} would take traffic but none of its {targets.Count} target(s) is healthy: {others}.");
        }

        return healthy == targets.Count
            ? CheckResult.Pass("TargetsHealthy", $"Target group {name}: {healthy} of {targets.Count} target(s) healthy.")
            : CheckResult.Warn("TargetsHealthy", $"Target group {name}: {healthy} of {targets.Count} target(s) healthy; the others: {others}.");
    }

    /// <summary>The forward action the listener or rule has now; LoadBalancerActionUnsupported when it does more than forward.</summary>
    private static Forwarding ReadLive(IElbClient client, RollbackTarget target, CancellationToken cancellation)
    {
        List<ListenerAction> actions;
        if (IsRule(target))
        {
            var rules = AwsProviderSupport.Wait(client.DescribeRulesAsync(new DescribeRulesRequest { RuleArns = new List<string> { Resource(target) } }, cancellation)).Rules;
            actions = rules.FirstOrDefault()?.Actions ?? throw NotFound(target);
        }
        else
        {
            var listeners = AwsProviderSupport.Wait(client.DescribeListenersAsync(new DescribeListenersRequest { ListenerArns = new List<string> { Resource(target) } }, cancellation)).Listeners;
            actions = listeners.FirstOrDefault()?.DefaultActions ?? throw NotFound(target);
        }

        return Forwarding.Of(actions) ?? throw new RollbackException(AwsErrorId.LoadBalancerActionUnsupported, RollbackErrorCategory.InvalidOperation,
            $"{Resource(target)} has the action(s) {string.Join(", ", actions.Select(a => a.Type))}, not one forward action: this kind moves forward weights only and does not rewrite authentication, redirect or fixed-response actions. Roll it back by hand, or target a rule that only forwards.", Resource(target));
    }

    private static RollbackException NotFound(RollbackTarget target) =>
        new(AwsErrorId.AwsResourceNotFound, RollbackErrorCategory.ObjectNotFound, $"{Resource(target)} was not listed by {(IsRule(target) ? "DescribeRules" : "DescribeListeners")}.", Resource(target));

    private static Forwarding ReadCaptured(RollbackTarget target, RollbackPoint point) =>
        AwsProviderSupport.ReadCaptured<Forwarding>(target, point, ArtifactFile, c => c.TargetGroups.Count == 0 ? "no target groups" : null);

    private static bool IsRule(RollbackTarget target) => !string.IsNullOrEmpty(target.Settings.GetString(RuleArnSetting));

    private static string Resource(RollbackTarget target) => target.Settings.GetString(IsRule(target) ? RuleArnSetting : ListenerArnSetting)!;

    private static string Operation(RollbackTarget target) => IsRule(target) ? "ModifyRule" : "ModifyListener";

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

    private static RollbackException Invalid(string message, string setting) =>
        new(RollbackErrorId.InvalidTargetSettings, RollbackErrorCategory.InvalidArgument, message, setting);
}
