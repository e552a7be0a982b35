using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Rollback.Errors;
using Rollback.Providers;
using Rollback.Settings;
using Xunit;

namespace Rollback.Tests;

public sealed class ProviderCatalogTests
{
    [Theory]
    [InlineData("TestKind")]
    [InlineData("testkind")]
    [InlineData("TESTKIND")]
    public void FindsAProviderByKindCaseInsensitively(string kind)
    {
        var provider = new TestProvider("TestKind");
        var catalog = new ProviderCatalog([new TestProvider("Other"), provider]);

        Assert.Same(provider, catalog.Get(kind));
    }

    [Fact]
    public void KindsAreListedInOrder()
    {
        var catalog = new ProviderCatalog([new TestProvider("Zeta"), new TestProvider("Alpha"), new TestProvider("Mid")]);

        // The engine's own Plan kind is in every catalogue.
        string[] expected = ["Alpha", "Mid", "Plan", "Zeta"];
        Assert.Equal(expected, catalog.Kinds);
        Assert.Equal(4, catalog.Providers.Count());
    }

    [Fact]
    public void UnknownKindListsTheKnownKinds()
    {
        var catalog = new ProviderCatalog([new TestProvider("Directory"), new TestProvider("FileSystemRelease")]);

        var ex = Assert.Throws<RollbackException>(() => catalog.Get("Iis"));

        Assert.Equal(RollbackErrorId.UnknownTargetKind, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.InvalidArgument, ex.Category);
        Assert.Equal("Iis", ex.TargetObject);
        Assert.Contains("Directory, FileSystemRelease", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACatalogWithoutProvidersKnowsOnlyTheEnginesPlanKind()
    {
        var catalog = new ProviderCatalog([]);

        Assert.Equal(["Plan"], catalog.Kinds);
        Assert.Equal(RollbackErrorId.UnknownTargetKind, Assert.Throws<RollbackException>(() => catalog.Get("Directory")).ErrorId);
    }

    [Fact]
    public void ADuplicateKindIsUnusableAndTheOthersStillWork()
    {
        var other = new TestProvider("FileSystemRelease");
        var catalog = new ProviderCatalog([new TestProvider("Directory"), new TestProvider("DIRECTORY"), other]);

        var ex = Assert.Throws<RollbackException>(() => catalog.Get("directory"));

        Assert.Equal(RollbackErrorId.ProviderLoadFailed, ex.ErrorId);
        Assert.Equal(RollbackErrorCategory.ResourceUnavailable, ex.Category);
        Assert.Contains("claimed by 2 providers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Rollback.Core.Tests.dll", ex.Message, StringComparison.Ordinal);
        Assert.Same(other, catalog.Get("FileSystemRelease"));
        Assert.Equal(["FileSystemRelease", "Plan"], catalog.Kinds);
        Assert.Equal("Directory", Assert.Single(catalog.Failures).Kind);
    }

    [Fact]
    public void AGarbageProviderAssemblyBesideAWorkingOneCostsOnlyItsOwnKinds()
    {
        using var folder = new TempFolder();
        var working = typeof(Rollback.Providers.FileSystem.DirectoryProvider).Assembly.Location;
        File.Copy(working, Path.Combine(folder.Path, Path.GetFileName(working)));
        File.WriteAllText(Path.Combine(folder.Path, "Rollback.Providers.Broken.dll"), "this is not an assembly");

        var catalog = ProviderCatalog.Discover(folder.Path);

        Assert.Equal(["ConfigurationFile", "Directory", "FileSystemRelease", "Plan"], catalog.Kinds);
        var failure = Assert.Single(catalog.Failures);
        Assert.Equal("Rollback.Providers.Broken.dll", failure.Assembly);
        Assert.Contains("BadImageFormatException", failure.Cause, StringComparison.Ordinal);
        var ex = Assert.Throws<RollbackException>(() => catalog.Get("PostgreSql"));
        Assert.Equal(RollbackErrorId.ProviderLoadFailed, ex.ErrorId);
        Assert.Contains("Rollback.Providers.Broken.dll", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ConfigurationFile, Directory, FileSystemRelease", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindInTakesPublicProvidersWithAParameterlessConstructor()
    {
        var found = ProviderCatalog.FindIn(typeof(ProviderCatalogTests).Assembly).ToList();

        var only = Assert.Single(found);
        Assert.IsType<DiscoverableTestProvider>(only);
        Assert.Equal("DiscoverableTest", only.Kind);
    }
}

/// <summary>A provider for catalogue tests only: a Kind and nothing else.</summary>
internal sealed class TestProvider(string kind) : IRollbackProvider
{
    public string Kind { get; } = kind;

    public string Description => "Test provider";

    public KindSchema Schema => KindSchema.Empty;

    public SettingsDictionary ValidateSettings(SettingsDictionary settings) => settings;

    public TargetState Describe(RollbackTarget target, OperationContext context) => throw new NotSupportedException();

    public CapturedState Capture(RollbackTarget target, CaptureContext context) => throw new NotSupportedException();

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => throw new NotSupportedException();

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context) => [];

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => [];

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => throw new NotSupportedException();
}

/// <summary>The one public, parameterless provider in this assembly, for <see cref="ProviderCatalog.FindIn"/>.</summary>
public sealed class DiscoverableTestProvider : IRollbackProvider
{
    public string Kind => "DiscoverableTest";

    public string Description => "Found by reflection";

    public KindSchema Schema => KindSchema.Empty;

    public SettingsDictionary ValidateSettings(SettingsDictionary settings) => settings;

    public TargetState Describe(RollbackTarget target, OperationContext context) => throw new NotSupportedException();

    public CapturedState Capture(RollbackTarget target, CaptureContext context) => throw new NotSupportedException();

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => throw new NotSupportedException();

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context) => [];

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => [];

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => throw new NotSupportedException();
}
