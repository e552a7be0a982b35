using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.Json;
using Rollback.Store;

namespace Rollback.PowerShell;

/// <summary>
/// Tab completion for -Id and -PointId: the points of the target already on the command line, newest first, each with
/// its version, age and whether it is a safety point. No target, or one the store does not know, completes nothing.
/// </summary>
public sealed class PointIdCompleter : IArgumentCompleter
{
    private const string TargetParameter = "Target";

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionStore.Complete(commandName, fakeBoundParameters, store =>
        {
            var typed = CompletionStore.Typed(fakeBoundParameters, TargetParameter);
            if (typed is null || store.Targets.Find(typed) is not { } target)
            {
                return Enumerable.Empty<CompletionResult>();
            }

            // Ids sort by creation time, so newest first needs no manifest; only the offered points' manifests are read.
            var pattern = CompletionStore.Pattern(wordToComplete);
            var now = DateTimeOffset.UtcNow;
            return store.Points.ListIds(target.Name)
                .Where(pattern.IsMatch)
                .Reverse()
                .Select(id => Describe(id, ReadSummary(store, target.Name, id), now));
        });

    private static CompletionResult Describe(string id, PointSummary? point, DateTimeOffset now)
    {
        if (point is null)
        {
            return new CompletionResult(id, id, CompletionResultType.ParameterValue, CmdletStrings.CompletionPointUnreadable);
        }

        var age = Age(now - point.CreatedAt);
        var created = point.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var tooltip = string.Format(CultureInfo.CurrentCulture, point.IsSafetyPoint ? CmdletStrings.CompletionSafetyPointTooltip : CmdletStrings.CompletionPointTooltip,
            point.Version, age, created, point.CreatedBy);
        var listItem = string.Format(CultureInfo.CurrentCulture, point.IsSafetyPoint ? CmdletStrings.CompletionSafetyPointListItem : CmdletStrings.CompletionPointListItem, id, point.Version);
        return new CompletionResult(id, listItem, CompletionResultType.ParameterValue, tooltip);
    }

    /// <summary>How long ago, in the largest unit that reads naturally at a prompt.</summary>
    private static string Age(TimeSpan age) => age switch
    {
        _ when age < TimeSpan.FromMinutes(1) => string.Format(CultureInfo.CurrentCulture, "{0} s", Math.Max(0, (int)age.TotalSeconds)),
        _ when age < TimeSpan.FromHours(1) => string.Format(CultureInfo.CurrentCulture, "{0} min", (int)age.TotalMinutes),
        _ when age < TimeSpan.FromDays(2) => string.Format(CultureInfo.CurrentCulture, "{0} h", (int)age.TotalHours),
        _ => string.Format(CultureInfo.CurrentCulture, "{0} d", (int)age.TotalDays),
    };

    /// <summary>
    /// The few manifest fields a tooltip shows. Read into this small shape, not a RollbackPoint, so a point of a large
    /// folder (tens of thousands of artifact entries) is skimmed, not built. Null when the manifest cannot be read.
    /// </summary>
    private static PointSummary? ReadSummary(RollbackStore store, string target, string id)
    {
        try
        {
            var manifest = Path.Combine(store.Points.PointDirectory(target, id), PointStore.ManifestFileName);
            return JsonSerializer.Deserialize<PointSummary>(File.ReadAllBytes(manifest), StoreJson.Indented);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private sealed class PointSummary
    {
        public string Version { get; set; } = string.Empty;

        public DateTimeOffset CreatedAt { get; set; }

        public string CreatedBy { get; set; } = string.Empty;

        public bool IsSafetyPoint { get; set; }
    }
}
