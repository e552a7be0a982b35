using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Testing;
using Rollback.Tests.Providers;
using Xunit;

namespace Rollback.Tests.SharedStore;

/// <summary>
/// The shared store's PostgreSQL server restarted for real in the middle of a rollback: a server of the test's own
/// (the run's shared server keeps serving the other tests) stopped as pg_ctl stop -m fast does while the rollback is
/// under way, then started again on the same data and port. The rollback fails with StoreUnavailable, nothing is
/// half-written (no point listed without its manifest and artifacts, no staging folder left, the journal's chain
/// intact, the target untouched), and the next rollback succeeds.
/// </summary>
[Collection(PostgreSqlGroup.Name)]
public sealed class SharedStoreRestartTests : IDisposable
{
    private readonly PostgreSqlServer _server = new();
    private readonly Sandbox? _sandbox;

    public SharedStoreRestartTests()
    {
        if (_server.SkipReason is null)
        {
            _sandbox = new Sandbox(folder => TestStores.OpenShared(_server, _server.CreateDatabase("restart"), folder));
        }
    }

    public void Dispose()
    {
        _sandbox?.Dispose();
        _server.Dispose();
    }

    [SkippableFact]
    public void ServerRestartedDuringARollbackIsStoreUnavailableWithNothingHalfWrittenAndTheNextRollbackSucceeds()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var (sandbox, root, good) = BadReleaseDeployedAfterAGoodPoint();
        var journalBefore = sandbox.Store.Journal.Read().Count();

        // Stopped once the rollback holds its lock and has checked readiness, as it starts on its safety point.
        var reporter = new RecordingReporter();
        reporter.OnProgress = update =>
        {
            if (update.Status.StartsWith("Capturing a safety point", StringComparison.Ordinal) && reporter.Progress.Count(p => p.Status.StartsWith("Capturing a safety point", StringComparison.Ordinal)) == 1)
            {
                _server.Stop();
            }
        };
        var engine = new RollbackEngine(sandbox.Store, sandbox.Catalog, reporter, user: "tester");
        string? errorId;
        try
        {
            var result = engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = good.Id, Reason = "test", ApprovedBy = new[] { "oncall" } });
            errorId = result.ErrorId;
            Assert.NotEqual(RollbackStatus.Succeeded, result.Status);
        }
        catch (RollbackException ex)
        {
            errorId = ex.ErrorId;
            Assert.DoesNotContain("Password", ex.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            _server.Start();
        }

        Assert.Equal(RollbackErrorId.StoreUnavailable, errorId);

        // Nothing half-written: the target where it was, one point (the good one) listed with its artifacts' folder and
        // no other folder beside it (no staging folder), and the journal's chain intact.
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(root));
        var listed = sandbox.Engine.Points.GetAll("api");
        Assert.Equal(new[] { good.Id }, listed.Select(p => p.Id));
        Assert.All(listed, p => Assert.True(Directory.Exists(Path.Combine(p.Path, "artifacts")), p.Path));
        Assert.Equal(new[] { good.Id }, Directory.GetDirectories(sandbox.Store.Points.TargetDirectory("api")).Select(Path.GetFileName));
        var verification = sandbox.Store.Journal.Verify();
        Assert.True(verification.IsValid, verification.Message);
        Assert.True(verification.EntryCount >= journalBefore);

        // The next run succeeds, on the same store object (its pool emptied of the connections the restart ended).
        var next = sandbox.Rollback("api", good.Id);
        Assert.Equal(RollbackStatus.Succeeded, next.Status);
        Assert.Equal("v2.3.1", Sandbox.CurrentRelease(root));
        Assert.Equal(2, sandbox.Engine.Points.GetAll("api").Count);
        Assert.True(sandbox.Store.Journal.Verify().IsValid);
    }

    [SkippableFact]
    public void ARestartFinishedBetweenTwoQueriesLosesTheLockAndTheRollbackStopsBeforeTheSwitch()
    {
        Skip.If(_server.SkipReason is not null, _server.SkipReason);
        var (sandbox, root, good) = BadReleaseDeployedAfterAGoodPoint();

        // Down and up again before the safety point's first query, and the pool's idle connections gone (as after its
        // idle timeout, or here a read that met one of them ended, which empties the pool): every later query of the
        // rollback succeeds on a new connection; only the lock's session ended.
        var reporter = new RecordingReporter();
        var restarted = false;
        reporter.OnProgress = update =>
        {
            if (!restarted && update.Status.StartsWith("Capturing a safety point", StringComparison.Ordinal))
            {
                restarted = true;
                _server.Stop();
                _server.Start();
                for (var read = 0; read < 5 && !Reads(sandbox); read++)
                {
                }
            }
        };
        var engine = new RollbackEngine(sandbox.Store, sandbox.Catalog, reporter, user: "tester");

        var lost = Assert.Throws<RollbackException>(() => engine.Rollbacks.Run(new RollbackRequest { Target = "api", PointId = good.Id, Reason = "test", ApprovedBy = new[] { "oncall" } }));

        Assert.True(restarted);
        Assert.Equal(RollbackErrorId.StoreUnavailable, lost.ErrorId);
        Assert.True(lost.Message.Contains("keep the lock 'target-api'", StringComparison.Ordinal), lost.Message);
        Assert.Equal("v2.4.0", Sandbox.CurrentRelease(root));
        Assert.False(sandbox.Store.Attempts.Exists("api"));
        Assert.True(sandbox.Store.Journal.Verify().IsValid);
        Assert.Equal(HistoryStatus.Refused, sandbox.Store.Journal.Read().Last().Status);
        var next = sandbox.Rollback("api", good.Id);
        Assert.Equal(RollbackStatus.Succeeded, next.Status);
        Assert.Equal("v2.3.1", Sandbox.CurrentRelease(root));
    }

    private static bool Reads(Sandbox sandbox)
    {
        try
        {
            _ = sandbox.Store.Targets.GetAll();
            return true;
        }
        catch (RollbackException ex) when (ex.ErrorId == RollbackErrorId.StoreUnavailable)
        {
            return false;
        }
    }

    /// <summary>Target api (FileSystemRelease) with a point at v2.3.1, then v2.4.0 deployed.</summary>
    private (Sandbox Sandbox, string Root, RollbackPoint Good) BadReleaseDeployedAfterAGoodPoint()
    {
        var sandbox = _sandbox!;
        var root = sandbox.CreateReleaseRoot("api", "v2.3.1", "v2.3.1", "v2.4.0");
        sandbox.Register("api", "FileSystemRelease", ("Root", root));
        var good = sandbox.Engine.Points.Create("api", "before 2.4.0");
        Sandbox.Deploy(root, "v2.4.0");
        return (sandbox, root, good);
    }
}
