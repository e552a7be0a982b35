using System;
using System.Collections.Generic;
using Rollback.Providers.Aws.Client;
using Rollback.Settings;

namespace Rollback.Providers.Aws;

/// <summary>
/// How a kind follows its long AWS operations with the shared <see cref="RemoteOperationFollower"/>: PollSeconds apart,
/// for FollowMinutes at most. Declared, validated and read here once for every kind that follows one (a CodeDeploy
/// deployment, an ECS service deployment, ...); each kind gives its own defaults and names what it follows.
/// </summary>
internal sealed class FollowSettings
{
    public const string PollSecondsSetting = "PollSeconds";
    public const string FollowMinutesSetting = "FollowMinutes";

    /// <summary>Upper bound of both settings: far beyond any real follow, low enough to catch a unit slip.</summary>
    private const double Maximum = 100_000;

    private readonly string _kind;
    private readonly double _pollSeconds;
    private readonly double _followMinutes;

    /// <param name="kind">The kind's name, in messages.</param>
    /// <param name="pollSeconds">The default seconds between two reads.</param>
    /// <param name="followMinutes">The default patience in minutes.</param>
    /// <param name="followed">What is followed, in the descriptions: "a deployment".</param>
    /// <param name="goesOnIn">Where it goes on when following gives up: "AWS", "ECS".</param>
    public FollowSettings(string kind, double pollSeconds, double followMinutes, string followed, string goesOnIn)
    {
        _kind = kind;
        _pollSeconds = pollSeconds;
        _followMinutes = followMinutes;
        Definitions = new[]
        {
            new SettingDefinition { Name = PollSecondsSetting, Type = SettingType.Number, Default = Invariant(pollSeconds), PerCall = true, Description = $"Seconds between two reads of {followed} being followed." },
            new SettingDefinition { Name = FollowMinutesSetting, Type = SettingType.Number, Default = Invariant(followMinutes), PerCall = true, Description = $"How long to follow {followed} before giving up on it (it goes on in {goesOnIn})." },
        };
    }

    public IReadOnlyList<SettingDefinition> Definitions { get; }

    /// <summary>Refuses a value that is not a positive number (InvalidTargetSettings), at registration and per call.</summary>
    public void Validate(SettingsDictionary settings)
    {
        _ = PollInterval(settings);
        _ = Patience(settings);
    }

    public TimeSpan PollInterval(SettingsDictionary settings) =>
        TimeSpan.FromSeconds(AwsClientOptions.PositiveNumber(settings, PollSecondsSetting, _pollSeconds, Maximum, $" of a {_kind} target"));

    public TimeSpan Patience(SettingsDictionary settings) =>
        TimeSpan.FromMinutes(AwsClientOptions.PositiveNumber(settings, FollowMinutesSetting, _followMinutes, Maximum, $" of a {_kind} target"));

    private static string Invariant(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
