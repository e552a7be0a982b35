using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Providers.Aws.CodeDeploy;
using Rollback.Providers.Aws.SecretsManager;
using Rollback.Providers.FileSystem;
using Rollback.Settings;
using Rollback.Store;
using Xunit;

namespace Rollback.Tests;

/// <summary>
/// Every installed kind's declared settings, through the engine's registration: an unknown key is UnknownSetting naming
/// the closest declared setting, a value of the wrong type InvalidSetting, both before anything is stored; the declared
/// defaults are values of their own type. Per-call options are checked against the same declarations.
/// </summary>
public sealed class KindSchemaTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly RollbackStore _store;
    private readonly RollbackEngine _engine;

    public KindSchemaTests()
    {
        _store = new RollbackStore(Path.Combine(_folder.Path, "store"));
        _engine = new RollbackEngine(_store, new ProviderCatalog(AllProviders()), NullReporter.Instance, null, "tester");
    }

    public static TheoryData<string> Kinds() => new(AllProviders().Select(p => p.Kind));

    /// <summary>Each declared setting of each kind (the engine's included), for the per-setting theories.</summary>
    public static TheoryData<string, string> DeclaredSettings()
    {
        var data = new TheoryData<string, string>();
        foreach (var provider in AllProviders())
        {
            foreach (var setting in RollbackEngine.DeclaredSettings(provider))
            {
                data.Add(provider.Kind, setting.Name);
            }
        }

        return data;
    }

    public void Dispose() => _folder.Dispose();

    [Theory]
    [MemberData(nameof(DeclaredSettings))]
    public void AMisspeltSettingIsUnknownAndNamesTheSettingMeant(string kind, string setting)
    {
        var typo = setting + setting[setting.Length - 1];

        var ex = Register(kind, (typo, "x"));

        Assert.Equal(RollbackErrorId.UnknownSetting, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, ex.Category);
        Assert.Equal(typo, ex.TargetObject);
        Assert.Contains($"did you mean '{setting}'?", ex.Message, StringComparison.Ordinal);
        AssertNothingStored();
    }

    [Theory]
    [MemberData(nameof(DeclaredSettings))]
    public void AValueOfTheWrongTypeIsInvalid(string kind, string setting)
    {
        var definition = Definition(kind, setting);
        if (definition.Secret)
        {
            // A secret in clear is the wrong value for a secret setting, and the refusal does not repeat it.
            var clear = Register(kind, (setting, "s3cr3t-in-clear"));
            Assert.Equal(RollbackErrorId.InvalidSetting, clear.ErrorId);
            Assert.DoesNotContain("s3cr3t-in-clear", clear.Message, StringComparison.Ordinal);
            AssertNothingStored();
            return;
        }

        var wrong = definition.Type switch
        {
            SettingType.Text when definition.AllowedValues.Count > 0 => "Sideways",
            SettingType.Text => null,
            SettingType.Boolean => "ture",
            SettingType.TimeSpan => "-00:00:01",
            SettingType.Uri => "not a url",
            _ => "-1",
        };
        if (wrong is null)
        {
            // Any text is a value of a text setting; a list given to a one-value text setting is not.
            if (definition.IsList)
            {
                return;
            }

            var list = Register(kind, (setting, new[] { "a", "b" }));
            Assert.Equal(RollbackErrorId.InvalidSetting, list.ErrorId);
            Assert.Contains("one value, not a list of 2", list.Message, StringComparison.Ordinal);
            AssertNothingStored();
            return;
        }

        var ex = Register(kind, (setting, wrong));

        Assert.Equal(RollbackErrorId.InvalidSetting, ex.ErrorId);
        Assert.Equal(definition.Name, ex.TargetObject);
        Assert.Contains($"'{wrong}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(definition.TypeName, ex.Message, StringComparison.Ordinal);
        AssertNothingStored();
    }

    [Theory]
    [MemberData(nameof(DeclaredSettings))]
    public void EveryDeclaredDefaultIsAValueOfItsOwnType(string kind, string setting)
    {
        var definition = Definition(kind, setting);

        Assert.False(string.IsNullOrWhiteSpace(definition.Description));
        Assert.False(definition.Required && definition.Default is not null, "A required setting has no default.");
        if (definition.Default is not null)
        {
            Assert.True(SettingsCheck.IsValid(definition.Type, definition.Default), $"{kind}.{setting} default '{definition.Default}' is no {definition.TypeName}.");
            Assert.True(definition.AllowedValues.Count == 0 || definition.AllowedValues.Contains(definition.Default));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EachKindDeclaresItsOwnSettingsOnceAndNoneOfTheEngines(string kind)
    {
        var provider = AllProviders().Single(p => p.Kind == kind);
        var own = provider.Schema.Settings.Select(s => s.Name).ToList();

        Assert.NotEmpty(own);
        Assert.Equal(own.Count, own.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Empty(own.Intersect(EngineSettings.All.Select(s => s.Name), StringComparer.OrdinalIgnoreCase));

        // Every kind must be told what it rolls back: by a required setting, or, where that is a choice of settings
        // (a listener's ARN or a rule's), by refusing a registration that names none of them.
        if (!provider.Schema.Settings.Any(s => s.Required))
        {
            var ex = Assert.Throws<RollbackException>(() => provider.ValidateSettings(SettingsDictionary.Empty));
            Assert.Equal(RollbackErrorId.InvalidTargetSettings, ex.ErrorId);
        }
    }

    [Fact]
    public void EachProviderAssemblyDeclaresEveryIdOfItsOwnCatalogueWithAnActionAndTheEngineKeepsNone()
    {
        var engineIds = ConstantsOf(typeof(RollbackErrorId));
        foreach (var assembly in AllProviders().Select(p => p.GetType().Assembly).Distinct())
        {
            var ownIds = assembly.GetTypes().Where(t => t.IsAbstract && t.IsSealed && t.IsDefined(typeof(ErrorIdCatalogAttribute), false)).SelectMany(ConstantsOf).ToList();
            var declared = AllProviders().Where(p => p.GetType().Assembly == assembly).SelectMany(p => p.Schema.ErrorIds).ToList();

            Assert.Empty(ownIds.Intersect(engineIds));
            Assert.Equal(ownIds.Order(StringComparer.Ordinal), declared.Select(d => d.ErrorId).Distinct().Order(StringComparer.Ordinal));
            Assert.All(declared, d => Assert.False(string.IsNullOrWhiteSpace(d.RecommendedAction), d.ErrorId));
        }

        // The engine's catalogue names no kind: the AWS ids moved to the AWS provider with the same strings.
        Assert.DoesNotContain(engineIds, id => id.StartsWith("Aws", StringComparison.Ordinal) || id.StartsWith("CodeDeploy", StringComparison.Ordinal));
        Assert.Equal("AwsClockSkewed", Rollback.Providers.Aws.AwsErrorId.AwsClockSkewed);
        Assert.Equal("CodeDeployDeploymentInProgress", Rollback.Providers.Aws.AwsErrorId.CodeDeployDeploymentInProgress);
    }

    [Fact]
    public void TheDeclaredDefaultsAreTheOnesTheKindsUse()
    {
        Assert.Equal("releases", Definition(FileSystemReleaseProvider.KindName, FileSystemReleaseProvider.ReleasesFolderSetting).Default);
        Assert.Equal("current", Definition(FileSystemReleaseProvider.KindName, FileSystemReleaseProvider.CurrentLinkSetting).Default);
        Assert.Equal("7.00:00:00", Definition(DirectoryProvider.KindName, RollbackEngine.MaxPointAgeSetting).Default);
        Assert.Equal("00:00:30", Definition(DirectoryProvider.KindName, "HealthTimeout").Default);
        Assert.Equal("5", Definition(CodeDeployDeploymentGroupProvider.KindName, CodeDeployDeploymentGroupProvider.PollSecondsSetting).Default);
        Assert.Equal("60", Definition(CodeDeployDeploymentGroupProvider.KindName, CodeDeployDeploymentGroupProvider.FollowMinutesSetting).Default);
        Assert.Equal("True", Definition(CodeDeployDeploymentGroupProvider.KindName, CodeDeployDeploymentGroupProvider.StopDeploymentOnCancelSetting).Default);
        Assert.Equal("False", Definition(CodeDeployDeploymentGroupProvider.KindName, CodeDeployDeploymentGroupProvider.StopInProgressSetting).Default);
        Assert.Equal("3", Definition(SecretsManagerSecretProvider.KindName, "MaxAttempts").Default);
        Assert.Equal("20", Definition(SecretsManagerSecretProvider.KindName, "TimeoutSeconds").Default);
    }

    [Fact]
    public void TheIssuesTypoIsCaughtBeforeAnythingIsStored()
    {
        var root = Path.Combine(_folder.Path, "api");
        Directory.CreateDirectory(Path.Combine(root, "releases"));

        var ex = Register(FileSystemReleaseProvider.KindName, ("Root", root), ("Stratgy", "Copy"), ("MaxPointAge", "1.00:00:00"));

        Assert.Equal(RollbackErrorId.UnknownSetting, ex.ErrorId);
        Assert.Contains("did you mean 'Strategy'?", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.UnknownSetting, Register(FileSystemReleaseProvider.KindName, ("Root", root), ("MaxPointAgee", "1.00:00:00")).ErrorId);
        AssertNothingStored();

        var target = _engine.Targets.Register("api", FileSystemReleaseProvider.KindName, Settings(("root", root), ("strategy", "copy"), ("maxpointage", "1.00:00:00")), replace: false);
        Assert.Equal("copy", target.Settings.GetString("Strategy"));
    }

    [Fact]
    public void ClosestIsTheFewestEdits()
    {
        Assert.Equal(3, SettingsCheck.EditDistance("kitten", "sitting"));
        Assert.Equal("HealthTimeout", SettingsCheck.Closest("HelthTimout", EngineSettings.All.Select(s => s.Name)));
        Assert.Equal("StopInProgress", SettingsCheck.Closest("stopinprogres", new[] { "StopDeploymentOnCancel", "StopInProgress", "PollSeconds" }));
        Assert.Null(SettingsCheck.Closest("x", Array.Empty<string>()));
    }

    [Fact]
    public void PerCallOptionsAreCheckedAgainstTheDeclaredOptions()
    {
        var (pointId, root) = ReleaseTargetWithPoint();
        var declared = RollbackEngine.DeclaredSettings(new FileSystemReleaseProvider());

        var unknown = Assert.Throws<RollbackException>(() => _engine.Readiness.Test("api", pointId, null, Settings(("HealthTimout", "00:00:05"))));
        var notPerCall = Assert.Throws<RollbackException>(() => _engine.Readiness.Test("api", pointId, null, Settings(("Root", root))));
        var wrongType = Assert.Throws<RollbackException>(() => _engine.Readiness.Test("api", pointId, null, Settings(("HealthTimeout", "soon"))));

        Assert.Equal(RollbackErrorId.UnknownSetting, unknown.ErrorId);
        Assert.Contains("no per-call option 'HealthTimout': did you mean 'HealthTimeout'?", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("Its options: " + string.Join(", ", declared.Where(d => d.PerCall).Select(d => d.Name)), unknown.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.InvalidSetting, notPerCall.ErrorId);
        Assert.Contains("Root is a setting of a FileSystemRelease target, not a per-call option", notPerCall.Message, StringComparison.Ordinal);
        Assert.Equal(RollbackErrorId.InvalidSetting, wrongType.ErrorId);
        Assert.True(_engine.Readiness.Test("api", pointId, null, Settings(("HealthTimeout", "00:00:05"))).IsReady);
    }

    [Fact]
    public void ARefusedOptionRefusesTheRollbackAndIsJournaled()
    {
        var (pointId, _) = ReleaseTargetWithPoint();

        var ex = Assert.Throws<RollbackException>(() => _engine.Rollbacks.Run(new RollbackRequest
        {
            Target = "api", PointId = pointId, Reason = "test", Options = Settings(("StopInProgress", "True")),
        }));

        Assert.Equal(RollbackErrorId.UnknownSetting, ex.ErrorId);
        Assert.Contains("A FileSystemRelease target has no per-call option 'StopInProgress'", ex.Message, StringComparison.Ordinal);
        var refused = _engine.History.Get(new HistoryFilter { Action = HistoryAction.Rollback }).Single();
        Assert.Equal(HistoryStatus.Refused, refused.Status);
        Assert.Equal(RollbackErrorId.UnknownSetting, refused.ErrorId);
    }

    private static List<IRollbackProvider> AllProviders() =>
        ProviderCatalog.FindIn(typeof(FileSystemReleaseProvider).Assembly).Concat(ProviderCatalog.FindIn(typeof(SecretsManagerSecretProvider).Assembly)).ToList();

    private static List<string> ConstantsOf(Type catalogue) =>
        catalogue.GetFields().Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToList();

    private static SettingDefinition Definition(string kind, string setting) =>
        RollbackEngine.DeclaredSettings(AllProviders().Single(p => p.Kind == kind)).Single(s => s.Name == setting);

    private static SettingsDictionary Settings(params (string Key, object Value)[] settings) =>
        new(settings.Select(s => new KeyValuePair<string, object?>(s.Key, s.Value)));

    private RollbackException Register(string kind, params (string Key, object Value)[] settings) =>
        Assert.Throws<RollbackException>(() => _engine.Targets.Register("t", kind, Settings(settings), replace: false));

    private void AssertNothingStored()
    {
        Assert.Empty(_store.Targets.GetAll());
        Assert.Empty(_engine.History.Get(new HistoryFilter()));
    }

    private (string PointId, string Root) ReleaseTargetWithPoint()
    {
        var root = Path.Combine(_folder.Path, "api");
        Directory.CreateDirectory(Path.Combine(root, "releases", "v1"));
        File.WriteAllText(Path.Combine(root, "releases", "v1", "app.txt"), "v1");
        Platform.NativeFileSystem.CreateDirectoryLink(Path.Combine(root, "current"), Path.Combine(root, "releases", "v1"));
        _engine.Targets.Register("api", FileSystemReleaseProvider.KindName, Settings(("Root", root)), replace: false);
        return (_engine.Points.Create("api", null).Id, root);
    }
}
