using System;

namespace Rollback.Errors;

/// <summary>
/// The one exception the engine and providers raise for expected failures. It carries what the
/// cmdlet layer needs for an ErrorRecord: a stable id from <see cref="RollbackErrorId"/>, a
/// category, and the object the error is about.
/// </summary>
public sealed class RollbackException : Exception
{
    public RollbackException(string errorId, RollbackErrorCategory category, string message, object? targetObject = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Category = category;
        TargetObject = targetObject;
    }

    public RollbackException()
        : this(RollbackErrorId.RollbackFailed, RollbackErrorCategory.InvalidOperation, "The rollback operation failed.")
    {
    }

    public RollbackException(string message)
        : this(RollbackErrorId.RollbackFailed, RollbackErrorCategory.InvalidOperation, message)
    {
    }

    public RollbackException(string message, Exception innerException)
        : this(RollbackErrorId.RollbackFailed, RollbackErrorCategory.InvalidOperation, message, null, innerException)
    {
    }

    public string ErrorId { get; }

    public RollbackErrorCategory Category { get; }

    public object? TargetObject { get; }
}
