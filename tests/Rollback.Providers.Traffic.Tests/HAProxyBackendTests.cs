using System;
using System.IO;
using System.Linq;
using Rollback.Engine;
using Rollback.Errors;
using Rollback.Providers.Traffic.HAProxy;
using Rollback.Testing;
using Xunit;

namespace Rollback.Providers.Traffic.Tests;

/// <summary>
/// The HAProxyBackend kind through the engine against a real HAProxy 2.6: what the frontend answers (requests through
/// it), what the runtime API reports and what the configuration file holds are the assertions, before and after.
/// </summary>
public sealed class HAProxyBackendTests : IDisposable
{
    private readonly BlueGreen _env = new();

    public void Dispose() => _env.Dispose();

    [SkippableFact]
    public void CaptureRecordsTheServersTheSectionAndTheVersionServed()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        _env.Register(_env.Settings());

        var point = _env.Engine.Points.Create("web", "before deploy");

        Assert.Equal(BlueGreen.Good, point.Version);
        Assert.Equal(BlueGreen.Good, point.Metadata["AppVersion"]);
        var text = File.ReadAllText(Path.Combine(point.Path, "artifacts", Assert.Single(point.Artifacts).RelativePath));
        Assert.Contains("\"admin\": \"maint\"", text, StringComparison.Ordinal);
        Assert.Contains("backend app", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void BlueGreenRollbackMovesEveryRequestBackAndAReloadKeepsIt()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        _env.Register(_env.Settings());
        var point = _env.Engine.Points.Create("web", "before deploy");
        var captured = File.ReadAllText(_env.Proxy.ConfigPath);
        _env.DeployGreen();
        Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Bad]);

        var result = _env.Rollback(point.Id);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(BlueGreen.Bad, result.FromVersion);
        Assert.Equal(BlueGreen.Good, result.ToVersion);
        Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Good]);
        Assert.Equal(captured, File.ReadAllText(_env.Proxy.ConfigPath));
        Assert.Contains(result.Steps, s => s.Name == "Shift100.PersistConfig");
        Assert.Contains(result.Verification, c => c.Name == "TrafficThroughProxy" && c.Status == CheckStatus.Pass);
        Assert.StartsWith("MAINT", _env.Proxy.Status("green"), StringComparison.Ordinal);

        _env.Proxy.Reload();
        Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Good]);
        var step = Assert.Single(_env.TrafficSteps());
        Assert.Equal("100", step.Details!["Traffic.Percent"]);
        Assert.Equal(result.JournalSequence, _env.Engine.History.Get(new HistoryFilter { Target = "web", Action = HistoryAction.Rollback }).Single().Sequence);
    }

    [SkippableFact]
    public void GradualRollbackHoldsHalfTheTrafficThenMovesAllOfItAndJournalsEachStep()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings(steps: "50,100");
        settings[HAProxyBackendProvider.RuntimeApiSetting] = _env.Proxy.RuntimeTcp;
        _env.Register(settings);
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        var atHalf = new System.Collections.Generic.Dictionary<string, int>();
        _env.AtHalf(() => atHalf = _env.Answers(20));

        var result = _env.Rollback(point.Id);

        Assert.True(result.Status == RollbackStatus.Succeeded, result.Message);
        Assert.Equal(10, atHalf[BlueGreen.Good]);
        Assert.Equal(10, atHalf[BlueGreen.Bad]);
        Assert.Equal(new[] { "Shift50", "Wait50", "Verify50", "Shift100" }, result.Steps.Select(s => s.Name).Where(IsTrafficStep).ToArray());
        Assert.Contains(TrafficSettingsDefaultWait, _env.Time.Waits);
        Assert.Equal(20, _env.Proxy.Answers(20)[BlueGreen.Good]);
        var steps = _env.TrafficSteps();
        Assert.Equal(new[] { "50", "100" }, steps.Select(s => s.Details!["Traffic.Percent"]).ToArray());
        Assert.All(steps, s => Assert.Equal(HistoryStatus.Succeeded, s.Status));
    }

    [SkippableFact]
    public void AFailingHealthCheckBetweenStepsStopsTheShiftWhereItIs()
    {
        Skip.If(_env.SkipReason is not null, _env.SkipReason);
        var settings = _env.Settings(steps: "50,100");
        _env.Register(_env.WatchingBlue(settings));
        var point = _env.Engine.Points.Create("web", "before deploy");
        _env.DeployGreen();
        _env.AtHalf(() => _env.Blue.Respond(HealthAnswer.Unavailable()));

        var result = _env.Rollback(point.Id);

        Assert.Equal(RollbackStatus.VerificationFailed, result.Status);
        Assert.Equal(RollbackErrorId.TrafficShiftStopped, result.ErrorId);
        Assert.Contains("stopped at 50 %", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Steps, s => s.Name.StartsWith("Shift100", StringComparison.Ordinal));
        Assert.Equal(StepStatus.Failed, result.Steps.Single(s => s.Name == "Verify50").Status);
        var state = _env.Proxy.Runtime("show servers state app");
        Assert.Matches(@"\bblue 127\.0\.0\.1 \d+ 0 50 ", state);
        Assert.Matches(@"\bgreen 127\.0\.0\.1 \d+ \d+ 50 ", state);
        Assert.Contains("weight 50", File.ReadAllLines(_env.Proxy.ConfigPath).Single(l => l.Contains("server blue", StringComparison.Ordinal)), StringComparison.Ordinal);
        var step = Assert.Single(_env.TrafficSteps());
        Assert.Equal("50", step.Details!["Traffic.Percent"]);
    }

    private static bool IsTrafficStep(string name) =>
        !name.Contains('.', StringComparison.Ordinal) && new[] { "Shift", "Wait", "Verify" }.Any(p => name.StartsWith(p, StringComparison.Ordinal)) && name != "Verify";

    private static TimeSpan TrafficSettingsDefaultWait => Rollback.Settings.TrafficSettings.DefaultStepWait;
}
