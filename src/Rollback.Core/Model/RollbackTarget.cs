using System;

namespace Rollback;

/// <summary>A registered system that can be captured and rolled back.</summary>
public sealed class RollbackTarget
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public required SettingsDictionary Settings { get; init; }

    public DateTimeOffset RegisteredAt { get; init; }

    public string RegisteredBy { get; init; } = string.Empty;

    public override string ToString() => Name;
}
