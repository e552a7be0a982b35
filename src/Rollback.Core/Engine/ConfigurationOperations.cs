using System;
using System.Collections.Generic;
using System.Linq;
using Rollback.Errors;
using Rollback.Providers;

namespace Rollback.Engine;

/// <summary>Restore-Configuration for kinds that hold configuration items: verify the point, capture a safety point, restore item by item, journal.</summary>
public sealed class ConfigurationOperations : EnginePart
{

    internal ConfigurationOperations(EngineServices engine)
        : base(engine)
    {
    }

    public IReadOnlyList<ConfigurationRestoreResult> Restore(ConfigurationRestoreRequest request)
    {
        var attempt = Engine.Attempt(HistoryAction.RestoreConfiguration, request.Target);
        var (target, provider) = Engine.WithOptions(Engine.Store.Targets.Get(request.Target), request.Options);
        if (provider is not IConfigurationProvider configurationProvider)
        {
            throw new RollbackException(RollbackErrorId.ConfigurationNotSupported, RollbackErrorCategory.InvalidOperation,
                $"Target '{target.Name}' is of kind {target.Kind}, which holds no configuration items. Use Invoke-Rollback for it.", target.Name);
        }

        if (request.Previous && provider is not IPreviousVersionProvider)
        {
            throw new RollbackException(RollbackErrorId.ConfigurationNotSupported, RollbackErrorCategory.InvalidOperation,
                $"Target '{target.Name}' is of kind {target.Kind}, which keeps no previous version of its own: -Previous does not apply. Restore from a point instead (omit -Previous).", target.Name);
        }

        var point = Engine.Store.Points.Get(target.Name, request.PointId);
        configurationProvider.CheckItems(target, point, request.Items);
        if (request.WhatIf)
        {
            Engine.Attempts.Warn(target);
            Engine.Store.Points.Fetch(point, request.Cancellation);
            FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, Engine.Reporter, request.Cancellation);
            return configurationProvider.RestoreConfiguration(target, point, Context(request, null));
        }

        attempt.Note(e => e with { Target = target.Name, PointId = point.Id, To = point.Version, Reason = request.Reason, ApprovedBy = request.ApprovedBy });
        try
        {
            using (var held = Engine.Locks.Acquire(target.Name, "Restore-Configuration from " + point.Id))
            {
                Engine.Attempts.Settle(target, provider, request.Cancellation);
                Engine.Store.Points.Fetch(point, request.Cancellation);
                FileTree.Verify(provider.GetArtifactBase(target, point), point.Artifacts, Engine.Reporter, request.Cancellation);
                var safety = Engine.Capture(target, $"Safety point before configuration restore from {point.Id}: {request.Reason}", isSafetyPoint: true, request.Cancellation);
                attempt.Note(e => e with { From = safety.Version });
                held.EnsureHeld();
                var attemptId = Engine.Attempts.Begin(attempt, target, provider, HistoryAction.RestoreConfiguration, point, safety.Version, safety.Fingerprint, safety, request.Items, request.Previous);
                var results = configurationProvider.RestoreConfiguration(target, point, Context(request, safety, attemptId));
                attempt.Note(e => e with
                {
                    From = safety.Version,
                    To = request.Previous ? string.Join(", ", results.Select(r => r.To)) : point.Version,
                }).Succeeded($"{results.Count(r => r.Changed)} of {results.Count} items changed{(request.Previous ? " (to their previous version)" : string.Empty)}.");
                return results;
            }
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException || EngineFailures.IsRestoreFailure(ex))
        {
            var failure = EngineFailures.AsRollbackException(ex, target.Name);
            attempt.Failed(failure);
            throw failure;
        }
    }

    private ConfigurationRestoreContext Context(ConfigurationRestoreRequest request, RollbackPoint? safety, string? attemptId = null)
    {
        var context = new ConfigurationRestoreContext(Engine.Reporter, Engine.Time, request.Cancellation)
        {
            SecretsDirectory = Engine.Store.Secrets.Directory,
            Items = request.Items, Validator = request.Validator, BeforeSwitch = request.BeforeSwitch, AfterSwitch = request.AfterSwitch,
            WhatIf = request.WhatIf, Previous = request.Previous, SafetyPoint = safety,
        };
        context.AttemptId = attemptId ?? context.AttemptId;
        return context;
    }
}
