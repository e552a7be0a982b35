using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Rollback.Errors;
using Rollback.Store;

namespace Rollback.Providers.Traffic;

/// <summary>What the traffic kinds' points share: one JSON artifact in the point's folder, and the whole switch as one step.</summary>
internal static class TrafficPoint
{
    /// <summary>The whole switch to the point's state: what -WhatIf lists and an interrupted attempt is completed with.</summary>
    public static TrafficStep Whole => new(100, 1, 1, null);

    public static string ArtifactBase(RollbackPoint point) => Path.Combine(point.Path, PointStore.ArtifactsFolderName);

    /// <summary>The state the point holds in <paramref name="file"/>; ManifestCorrupt when it holds none.</summary>
    public static T Read<T>(RollbackPoint point, string file)
        where T : class
    {
        var path = Path.Combine(ArtifactBase(point), file);
        return JsonSerializer.Deserialize<T>(File.ReadAllText(path), StoreJson.Indented)
            ?? throw new RollbackException(RollbackErrorId.ManifestCorrupt, RollbackErrorCategory.InvalidData, $"Point {point.Id} holds no traffic state in '{path}'.", point.Id);
    }

    /// <summary>The plan of a restore: the whole switch, described by <paramref name="description"/>.</summary>
    public static IReadOnlyList<PlannedStep> Plan(string description) => new[] { new PlannedStep(Whole.Name, description) };
}
