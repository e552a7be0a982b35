using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Rollback.Errors;
using Rollback.Providers;

namespace Rollback.Engine;

/// <summary>Automatic rollback configuration of the target's own system (kinds that implement <see cref="IAutoRollbackProvider"/>).</summary>
public sealed class AutoRollbackOperations : EnginePart
{

    internal AutoRollbackOperations(EngineServices engine)
        : base(engine)
    {
    }

    /// <summary>Reads the target's automatic rollback setting.</summary>
    public AutoRollbackConfiguration Get(string targetName, CancellationToken cancellation = default)
    {
        var target = Engine.Store.Targets.Get(targetName);
        var provider = ProviderOf(target);
        return Describe(target, provider, provider.GetAutoRollback(target, Engine.Operation(cancellation)), changed: false, previous: null, sequence: 0);
    }

    /// <summary>
    /// Sets the target's automatic rollback setting, journaled (also when it fails). Events must be ones the kind knows;
    /// when the setting already is so nothing is sent and Changed is false.
    /// </summary>
    public AutoRollbackConfiguration Set(string targetName, bool enabled, IReadOnlyList<string> events, CancellationToken cancellation = default)
    {
        var attempt = Engine.Attempt(HistoryAction.SetAutoRollback, targetName);
        var context = Engine.Operation(cancellation);
        var target = Engine.Store.Targets.Get(targetName);
        var provider = ProviderOf(target);
        var unknown = events.Where(e => !provider.AutoRollbackEvents.Contains(e, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new RollbackException(RollbackErrorId.AutoRollbackEventInvalid, RollbackErrorCategory.InvalidArgument,
                $"{string.Join(", ", unknown)} {(unknown.Count == 1 ? "is not an event" : "are not events")} that {target.Kind} can roll back on. Use {string.Join(", ", provider.AutoRollbackEvents)}.",
                string.Join(",", unknown));
        }

        var wanted = events.Distinct(StringComparer.Ordinal).OrderBy(e => e, StringComparer.Ordinal).ToList();
        attempt.Note(e => e with { Target = target.Name, To = Label(new AutoRollbackState(string.Empty, enabled, wanted)) });
        try
        {
            var before = provider.GetAutoRollback(target, context);
            attempt.Note(e => e with { From = Label(before) });
            var same = before.Enabled == enabled && before.Events.OrderBy(e => e, StringComparer.Ordinal).SequenceEqual(wanted, StringComparer.Ordinal);
            if (same)
            {
                return Describe(target, provider, before, changed: false, previous: before, sequence: 0);
            }

            provider.SetAutoRollback(target, enabled, wanted, context);
            var after = provider.GetAutoRollback(target, context);
            var entry = attempt.Note(e => e with { To = Label(after) }).Succeeded($"Automatic rollback of {after.Resource}: {Label(before)} -> {Label(after)}.");
            return Describe(target, provider, after, changed: true, previous: before, sequence: entry.Sequence);
        }
        catch (Exception ex) when (ex is RollbackException or OperationCanceledException)
        {
            var failure = ex as RollbackException ?? new RollbackException(RollbackErrorId.OperationCancelled, RollbackErrorCategory.OperationStopped,
                $"Changing the automatic rollback of '{target.Name}' was cancelled.", target.Name, ex);
            attempt.Failed(failure, ex is OperationCanceledException ? HistoryStatus.Cancelled : HistoryStatus.Failed);
            throw failure;
        }
    }

    private IAutoRollbackProvider ProviderOf(RollbackTarget target) =>
        Engine.ProviderOf(target) as IAutoRollbackProvider
        ?? throw new RollbackException(RollbackErrorId.AutoRollbackNotSupported, RollbackErrorCategory.InvalidOperation,
            $"Target '{target.Name}' is of kind {target.Kind}, whose system has no automatic rollback of its own. Kinds that have one: {string.Join(", ", Engine.Catalog.Providers.OfType<IAutoRollbackProvider>().Select(p => ((IRollbackProvider)p).Kind))}.",
            target.Name);

    private static string Label(AutoRollbackState state) =>
        state.Enabled ? "enabled for " + (state.Events.Count == 0 ? "no event" : string.Join(", ", state.Events)) : "disabled";

    private static AutoRollbackConfiguration Describe(RollbackTarget target, IAutoRollbackProvider provider, AutoRollbackState state, bool changed, AutoRollbackState? previous, long sequence) => new()
    {
        Target = target.Name,
        Kind = target.Kind,
        Resource = state.Resource,
        Enabled = state.Enabled,
        Events = state.Events,
        MissingRecommendedEvents = provider.RecommendedAutoRollbackEvents.Where(e => !state.Enabled || !state.Events.Contains(e, StringComparer.Ordinal)).ToList(),
        Changed = changed,
        PreviousEnabled = previous?.Enabled,
        PreviousEvents = previous?.Events,
        JournalSequence = sequence,
    };
}
