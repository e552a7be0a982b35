using System;
using System.Collections.Generic;
using System.Linq;

namespace Rollback.Engine;

/// <summary>The engine's journal, read: entries by filter, and the check of its hash chain.</summary>
public sealed class HistoryOperations : EnginePart
{

    internal HistoryOperations(EngineServices engine)
        : base(engine)
    {
    }

    public IReadOnlyList<HistoryEntry> Get(HistoryFilter filter)
    {
        var entries = Engine.Store.Journal.Read(Engine.Reporter.Warning).Where(e =>
            (filter.Target is null || string.Equals(e.Target, filter.Target, StringComparison.OrdinalIgnoreCase)) &&
            (filter.Action is null || string.Equals(e.Action, filter.Action, StringComparison.OrdinalIgnoreCase)) &&
            (filter.Status is null || string.Equals(e.Status, filter.Status, StringComparison.OrdinalIgnoreCase)) &&
            (filter.Since is null || e.Time >= filter.Since) &&
            (filter.PlanRunId is null || string.Equals(e.PlanRunId, filter.PlanRunId, StringComparison.OrdinalIgnoreCase))).ToList();
        return filter.Last is int last ? entries.Skip(Math.Max(0, entries.Count - last)).ToList() : entries;
    }

    public JournalVerification Verify() => Engine.Store.Journal.Verify();
}
