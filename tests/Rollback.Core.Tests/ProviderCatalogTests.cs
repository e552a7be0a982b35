using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;
using Rollback.Providers;
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

        string[] expected = ["Alpha", "Mid", "Zeta"];
        Assert.Equal(expected, catalog.Kinds);
        Assert.Equal(3, catalog.Providers.Count());
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
    public void EmptyCatalogKnowsNoKind()
    {
        var catalog = new ProviderCatalog([]);

        Assert.Empty(catalog.Kinds);
        Assert.Equal(RollbackErrorId.UnknownTargetKind, Assert.Throws<RollbackException>(() => catalog.Get("Directory")).ErrorId);
    }

    [Fact]
    public void DuplicateKindsAreRefusedRegardlessOfCase()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ProviderCatalog([new TestProvider("Directory"), new TestProvider("DIRECTORY")]));

        Assert.Contains("DIRECTORY", ex.Message, StringComparison.Ordinal);
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

    public SettingsDictionary ValidateSettings(SettingsDictionary settings) => settings;

    public TargetState Describe(RollbackTarget target, OperationContext context) => throw new NotSupportedException();

    public CapturedState Capture(RollbackTarget target, CaptureContext context) => throw new NotSupportedException();

    public string GetArtifactBase(RollbackTarget target, RollbackPoint point) => throw new NotSupportedException();

    public IEnumerable<CheckResult> Check(RollbackTarget target, RollbackPoint point, TargetState current, OperationContext context) => [];

    public IReadOnlyList<PlannedStep> PlanRestore(RollbackTarget target, RollbackPoint point, OperationContext context) => [];

    public void Restore(RollbackTarget target, RollbackPoint point, RestoreContext context) => throw new NotSupportedException();
}
