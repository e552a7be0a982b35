using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Plans;

/// <summary>
/// A plan's settings read into their shape: the stages in order (each its members' names), the throttle and the share
/// of a stage that may fail. Reading refuses a plan without stages or with an empty stage, a member named twice and a
/// name no target could have, each with its own ErrorId; that members exist and no plan contains itself needs the
/// registry (see <see cref="Engine.PlanOperations"/>).
/// </summary>
public sealed class PlanLayout
{
    private PlanLayout(IReadOnlyList<IReadOnlyList<string>> stages, int throttleLimit, int maxFailedPercent)
    {
        Stages = stages;
        ThrottleLimit = throttleLimit;
        MaxFailedPercent = maxFailedPercent;
    }

    /// <summary>The stages in order, each its members in the order given.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Stages { get; }

    public IEnumerable<string> Members => Stages.SelectMany(s => s);

    public int ThrottleLimit { get; }

    public int MaxFailedPercent { get; }

    public static bool IsPlan(RollbackTarget target) => string.Equals(target.Kind, PlanKind.KindName, StringComparison.OrdinalIgnoreCase);

    /// <summary>The layout of a registered plan target.</summary>
    public static PlanLayout Of(RollbackTarget plan) => Read(plan.Name, plan.Settings);

    /// <summary>Reads and checks a plan's settings; <paramref name="plan"/> names it in messages.</summary>
    public static PlanLayout Read(string plan, SettingsDictionary settings)
    {
        var stages = new List<IReadOnlyList<string>>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var given = settings.GetList(PlanKind.StagesSetting);
        if (given.Count == 0)
        {
            throw new RollbackException(RollbackErrorId.PlanStageEmpty, RollbackErrorCategory.InvalidArgument,
                $"Plan '{plan}' has no stage: give {PlanKind.StagesSetting} as one entry per stage, each a comma-separated list of targets, e.g. @('web1, web2', 'config').", plan);
        }

        foreach (var text in given)
        {
            var number = stages.Count + 1;
            var members = text.Split(',').Select(m => m.Trim()).Where(m => m.Length > 0).ToList();
            if (members.Count == 0)
            {
                throw new RollbackException(RollbackErrorId.PlanStageEmpty, RollbackErrorCategory.InvalidArgument,
                    $"Stage {number} of plan '{plan}' names no member. Give it at least one target, or leave it out.", plan);
            }

            foreach (var member in members)
            {
                if (!TargetRegistry.IsValidName(member))
                {
                    throw new RollbackException(RollbackErrorId.PlanMemberNotFound, RollbackErrorCategory.InvalidArgument,
                        $"Stage {number} of plan '{plan}' names '{member}', which is not a target name (1-64 letters, digits, '.', '_' or '-').", member);
                }

                if (seen.TryGetValue(member, out var earlier))
                {
                    throw new RollbackException(RollbackErrorId.PlanMemberInTwoStages, RollbackErrorCategory.InvalidArgument,
                        earlier == number
                            ? $"Plan '{plan}' names '{member}' twice in stage {number}. A target is rolled back once per run: name it once."
                            : $"Plan '{plan}' names '{member}' in stage {earlier} and in stage {number}. A target is rolled back once per run: name it in one stage.",
                        member);
                }

                if (string.Equals(member, plan, StringComparison.OrdinalIgnoreCase))
                {
                    throw new RollbackException(RollbackErrorId.PlanCycle, RollbackErrorCategory.InvalidArgument,
                        $"Plan '{plan}' names itself in stage {number}: a plan cannot roll itself back.", member);
                }

                seen[member] = number;
            }

            stages.Add(members);
        }

        var throttle = settings.GetString(PlanKind.ThrottleLimitSetting) is { } throttleText
            ? CheckThrottle(int.TryParse(throttleText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : 0, $"{PlanKind.ThrottleLimitSetting} '{throttleText}' of plan '{plan}'")
            : PlanKind.DefaultThrottleLimit;
        var percentText = settings.GetString(PlanKind.MaxFailedPercentSetting) ?? "0";
        if (!int.TryParse(percentText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var percent) || percent < 0 || percent > 100)
        {
            throw new RollbackException(RollbackErrorId.PlanSettingInvalid, RollbackErrorCategory.InvalidArgument,
                $"{PlanKind.MaxFailedPercentSetting} of plan '{plan}' is '{percentText}': give a whole number from 0 (any failure fails the stage) to 100.", plan);
        }

        return new PlanLayout(stages, throttle, percent);
    }

    /// <summary>A throttle of 1 or more; InvalidThrottleLimit otherwise (<paramref name="what"/> names where it came from).</summary>
    public static int CheckThrottle(int throttle, string what) =>
        throttle >= 1
            ? throttle
            : throw new RollbackException(RollbackErrorId.InvalidThrottleLimit, RollbackErrorCategory.InvalidArgument,
                $"The {what} is {throttle.ToString(CultureInfo.InvariantCulture)}: give 1 or more (how many members of a stage run at once).", what);

    /// <summary>Whether a stage of <paramref name="members"/> with <paramref name="failed"/> failures still passes.</summary>
    public bool StagePasses(int failed, int members) => failed == 0 || failed * 100L <= (long)MaxFailedPercent * members;

    /// <summary>The stages as the setting stores them: one normalised "a, b, c" entry per stage.</summary>
    public string[] StagesAsSettings() => Stages.Select(s => string.Join(", ", s)).ToArray();

    /// <summary>The stage (from 1) of a member.</summary>
    public int StageOf(string member)
    {
        for (var i = 0; i < Stages.Count; i++)
        {
            if (Stages[i].Contains(member, StringComparer.OrdinalIgnoreCase))
            {
                return i + 1;
            }
        }

        return 0;
    }
}
