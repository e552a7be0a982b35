using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Rollback.Errors;

namespace Rollback.Store;

/// <summary>targets.json: the registered targets, rewritten atomically under a store lock.</summary>
public sealed class TargetRegistry
{
    // Names become folder names under points/ and lock file names: keep them to a safe, portable set.
    // \z, not $: in .NET, $ also matches before a final newline, which would let "api\n" through.
    private static readonly Regex NamePattern = new(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant);

    private readonly RollbackStore _store;

    internal TargetRegistry(RollbackStore store) => _store = store;

    public static void ValidateName(string name)
    {
        if (!IsValidName(name))
        {
            throw new RollbackException(RollbackErrorId.InvalidTargetName, RollbackErrorCategory.InvalidArgument,
                $"'{name}' is not a valid target name. Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.", name);
        }
    }

    public static bool IsValidName(string? name) =>
        name is not null && NamePattern.IsMatch(name) && !name.EndsWith(".", StringComparison.Ordinal);

    public IReadOnlyList<RollbackTarget> GetAll() => Checked(_store.Backend.Targets.ReadAll());

    /// <summary>The targets as read, each held to the rules it was registered under (the registry may have been edited).</summary>
    private IReadOnlyList<RollbackTarget> Checked(IReadOnlyList<RollbackTarget> targets)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in targets)
        {
            var problem = Problem(target, seen);
            if (problem is not null)
            {
                throw Corrupt(_store.Backend.Targets.Location, problem);
            }
        }

        return targets;
    }

    /// <summary>
    /// What is wrong with an entry read from the file, or null. A name becomes a folder under points/ and a lock file name,
    /// so a name read back is held to the same rule as one typed at registration: the file may have been edited.
    /// </summary>
    private static string? Problem(RollbackTarget? target, HashSet<string> seen)
    {
        if (target is null)
        {
            return "an entry holds null.";
        }

        if (!IsValidName(target.Name))
        {
            return $"the entry named '{target.Name}' does not have a valid target name (1-64 letters, digits, '.', '_' or '-').";
        }

        if (!seen.Add(target.Name))
        {
            return $"the name '{target.Name}' is registered twice.";
        }

        if (string.IsNullOrWhiteSpace(target.Kind))
        {
            return $"target '{target.Name}' has no kind.";
        }

        return target.Settings is null ? $"target '{target.Name}' has no settings object." : null;
    }

    internal static RollbackException Corrupt(string path, string problem, Exception? inner = null) =>
        new(RollbackErrorId.TargetRegistryCorrupt, RollbackErrorCategory.InvalidData,
            $"The target registry '{path}' is not valid: {problem} Fix or restore the file (every write to it is atomic, so this is damage from outside the module).",
            path, inner);

    public RollbackTarget Get(string name) =>
        Find(name) ?? throw new RollbackException(RollbackErrorId.TargetNotFound, RollbackErrorCategory.ObjectNotFound,
            $"No rollback target named '{name}' is registered in '{_store.Location}'. Run Get-RollbackTarget to list them, or Register-RollbackTarget to add it.", name);

    public RollbackTarget? Find(string name) =>
        GetAll().FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds or (with <paramref name="replace"/>) replaces a target.</summary>
    public void Save(RollbackTarget target, bool replace)
    {
        ValidateName(target.Name);
        Update(targets =>
        {
            var existing = targets.FindIndex(t => string.Equals(t.Name, target.Name, StringComparison.OrdinalIgnoreCase));
            if (existing >= 0 && !replace)
            {
                throw new RollbackException(RollbackErrorId.TargetAlreadyExists, RollbackErrorCategory.ResourceExists,
                    $"A target named '{target.Name}' is already registered. Use -Force to replace its settings.", target.Name);
            }

            if (existing >= 0)
            {
                targets[existing] = target;
            }
            else
            {
                targets.Add(target);
            }
        });
    }

    public void Remove(string name) =>
        Update(targets =>
        {
            if (targets.RemoveAll(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) == 0)
            {
                throw new RollbackException(RollbackErrorId.TargetNotFound, RollbackErrorCategory.ObjectNotFound,
                    $"No rollback target named '{name}' is registered.", name);
            }
        });

    private void Update(Action<List<RollbackTarget>> change) =>
        _store.Backend.Targets.Update(current =>
        {
            var targets = Checked(current).ToList();
            change(targets);
            return targets.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList();
        });
}
