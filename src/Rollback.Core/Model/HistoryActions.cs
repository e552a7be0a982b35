namespace Rollback;

/// <summary>The journal's action names.</summary>
public static class HistoryAction
{
    public const string RegisterTarget = nameof(RegisterTarget);
    public const string UnregisterTarget = nameof(UnregisterTarget);
    public const string Capture = nameof(Capture);
    public const string RemovePoint = nameof(RemovePoint);
    public const string Rollback = nameof(Rollback);
    public const string RestoreConfiguration = nameof(RestoreConfiguration);
    public const string SetAutoRollback = nameof(SetAutoRollback);
}

/// <summary>The journal's status names beyond the RollbackStatus values.</summary>
public static class HistoryStatus
{
    public const string Succeeded = nameof(Succeeded);
    public const string Refused = nameof(Refused);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);
}
