namespace Rollback.Errors;

/// <summary>
/// Mirrors the names of PowerShell's ErrorCategory values that this module uses, so the engine
/// stays free of PowerShell types and the cmdlet layer maps by name.
/// </summary>
public enum RollbackErrorCategory
{
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    InvalidResult,
    ObjectNotFound,
    ResourceExists,
    ResourceBusy,
    ResourceUnavailable,
    PermissionDenied,
    SecurityError,
    WriteError,
    ReadError,
    OperationStopped,
}
