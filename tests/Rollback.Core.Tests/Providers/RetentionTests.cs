using System;
using System.Linq;
using Rollback.Errors;
using Xunit;

namespace Rollback.Tests.Providers;

/// <summary>Which point is "the latest" and which points a -KeepLast pruning removes: safety rules, so they live in the engine.</summary>
public sealed class RetentionTests : IDisposable
{
    private readonly Sandbox _sandbox = new();
    private readonly string _root;

    public RetentionTests()
    {
        _root = _sandbox.CreateReleaseRoot("api", "v1", "v1", "v2", "v3");
        _sandbox.Register("api", "FileSystemRelease", ("Root", _root));
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void LatestKnownGoodPointIsNeverASafetyPoint()
    {
        var good = _sandbox.Engine.Points.Create("api", null);
        Sandbox.Deploy(_root, "v2");
        var result = _sandbox.Rollback("api", good.Id);

        var latest = _sandbox.Engine.Points.GetLatestKnownGood("api");

        Assert.Equal(good.Id, latest.Id);
        Assert.True(string.CompareOrdinal(result.SafetyPointId, latest.Id) > 0, "the safety point is newer, yet not chosen");
    }

    [Fact]
    public void NoKnownGoodPointIsPointNotFound()
    {
        var ex = Assert.Throws<RollbackException>(() => _sandbox.Engine.Points.GetLatestKnownGood("api"));

        Assert.Equal(RollbackErrorId.PointNotFound, ex.ErrorId);
    }

    [Fact]
    public void PruningKeepsTheNewestPointsAndTheSafetyPointsThatFollowThem()
    {
        var first = _sandbox.Engine.Points.Create("api", "v1");
        Sandbox.Deploy(_root, "v2");
        var oldSafety = _sandbox.Rollback("api", first.Id).SafetyPointId;
        Sandbox.Deploy(_root, "v2");
        var second = _sandbox.Engine.Points.Create("api", "v2");
        Sandbox.Deploy(_root, "v3");
        var third = _sandbox.Engine.Points.Create("api", "v3");
        Sandbox.Deploy(_root, "v1");
        var newSafety = _sandbox.Rollback("api", third.Id).SafetyPointId;

        var doomed = _sandbox.Engine.Points.GetPrunable("api", keepLast: 2).Select(p => p.Id).ToList();

        Assert.Equal(new[] { first.Id, oldSafety }, doomed);
        Assert.DoesNotContain(second.Id, doomed);
        Assert.DoesNotContain(newSafety, doomed);
    }
}
