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

    /// <summary>
    /// An attempt's intent, journaled before anything on the target changes (Status Started, its Message naming the
    /// action); its outcome follows as an entry of that action with the same AttemptId. An action of its own, so an
    /// attempt stays one entry of its action.
    /// </summary>
    public const string Intent = nameof(Intent);

    /// <summary>
    /// One step of a traffic kind's gradual rollback (50 %, then 100 %): journaled as it is taken, with the attempt's
    /// AttemptId, so the journal says where traffic stands even when the attempt stops between steps. Not an outcome.
    /// </summary>
    public const string TrafficStep = nameof(TrafficStep);

    /// <summary>A command found an attempt whose process had died before journaling its outcome, and completed or reverted it.</summary>
    public const string RecoverAttempt = nameof(RecoverAttempt);

    /// <summary>A notification that could not be delivered (Status Failed, ErrorId NotificationFailed); the rollback it was about is its own entry.</summary>
    public const string Notify = nameof(Notify);

    /// <summary>A notification channel was registered or replaced (Register-RollbackNotification); To is its format.</summary>
    public const string RegisterNotification = nameof(RegisterNotification);

    /// <summary>A notification channel was removed (Unregister-RollbackNotification).</summary>
    public const string UnregisterNotification = nameof(UnregisterNotification);

    /// <summary>
    /// A folder store was copied into this store (Copy-RollbackStore): its Details say from where, and how many targets,
    /// points and journal entries were copied; the copied entries precede it, each carrying its origin.
    /// </summary>
    public const string CopyStore = nameof(CopyStore);
}

/// <summary>The journal's status names beyond the RollbackStatus values.</summary>
public static class HistoryStatus
{
    public const string Succeeded = nameof(Succeeded);
    public const string Refused = nameof(Refused);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);

    /// <summary>An attempt's intent (Action Intent): its switch is about to start.</summary>
    public const string Started = nameof(Started);

    /// <summary>A recovered attempt whose switch was finished (or had finished) by the recovering command.</summary>
    public const string Completed = nameof(Completed);

    /// <summary>A recovered attempt that had switched nothing: what it left beside the target was removed.</summary>
    public const string Reverted = nameof(Reverted);

    /// <summary>A recovered attempt of a kind that cannot be settled locally: journaled with the state it reports, left as found.</summary>
    public const string Interrupted = nameof(Interrupted);
}
