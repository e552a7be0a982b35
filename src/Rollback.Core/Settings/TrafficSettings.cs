using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Rollback.Errors;

namespace Rollback.Settings;

/// <summary>
/// The settings every traffic kind (<see cref="Providers.ITrafficProvider"/>) declares alongside its own, so a gradual
/// rollback reads the same on HAProxy, nginx or a load balancer: Steps (the percentages, rising, ending at 100) and
/// StepWait (the wait on the operation's clock before the checks between two steps). Both may be given per call.
/// </summary>
public static class TrafficSettings
{
    public const string StepsSetting = "Steps";
    public const string StepWaitSetting = "StepWait";
    public const string DefaultSteps = "50,100";
    public static readonly TimeSpan DefaultStepWait = TimeSpan.FromMinutes(5);

    private static readonly char[] Separators = { ',', ';', ' ' };

    public static IReadOnlyList<SettingDefinition> All { get; } = new[]
    {
        new SettingDefinition
        {
            Name = StepsSetting, Type = SettingType.Text, Default = DefaultSteps, PerCall = true,
            Description = "The share of traffic moved back at each step, in percent, rising and ending at 100 ('50,100': half, a wait and the checks, then all; '100': all at once, blue-green).",
        },
        new SettingDefinition
        {
            Name = StepWaitSetting, Type = SettingType.TimeSpan, Default = DefaultStepWait.ToString("c", CultureInfo.InvariantCulture), PerCall = true,
            Description = "How long traffic stays at a step before the checks that decide whether the next step is taken.",
        },
    };

    /// <summary>
    /// The steps the settings name, else the default the kind's schema declares (a kind may move all at once by default),
    /// else <see cref="DefaultSteps"/>; TrafficStepsInvalid unless they rise and end at 100. Read at each use rather than
    /// stored at registration, so a target registered before its kind declared a default gets that default too.
    /// </summary>
    public static IReadOnlyList<int> Steps(string target, SettingsDictionary settings, KindSchema? schema = null)
    {
        var declared = schema?.Settings.FirstOrDefault(s => s.Name == StepsSetting)?.Default;
        var text = settings.GetString(StepsSetting) ?? declared ?? DefaultSteps;
        var parts = text.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        var steps = new List<int>();
        foreach (var part in parts)
        {
            var trimmed = part.Trim().TrimEnd('%');
            if (!int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent < 1 || percent > 100)
            {
                throw Invalid(target, text, $"'{part}' is not a whole percentage from 1 to 100");
            }

            if (steps.Count > 0 && percent <= steps[steps.Count - 1])
            {
                throw Invalid(target, text, $"{percent} does not rise above {steps[steps.Count - 1]}");
            }

            steps.Add(percent);
        }

        if (steps.Count == 0 || steps[steps.Count - 1] != 100)
        {
            throw Invalid(target, text, "the last step must be 100, or traffic would be left split between the two states");
        }

        return steps;
    }

    /// <summary>The wait between steps (the default when absent).</summary>
    public static TimeSpan StepWait(SettingsDictionary settings) =>
        settings.GetString(StepWaitSetting) is { } text && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var wait) ? wait : DefaultStepWait;

    private static RollbackException Invalid(string target, string text, string why) =>
        new(RollbackErrorId.TrafficStepsInvalid, RollbackErrorCategory.InvalidArgument,
            $"The traffic steps '{text}' of '{target}' cannot be used: {why}. Give rising percentages that end at 100, such as '50,100' or '25,50,100'. Nothing was changed.", target);
}
